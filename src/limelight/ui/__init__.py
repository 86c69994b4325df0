"""The web console: server-rendered pages over the JSON API, plain JavaScript, no build step."""

from limelight.ui.pages import routes

__all__ = ["routes"]
