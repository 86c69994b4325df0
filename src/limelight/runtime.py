"""The running pieces handlers reach through `request.app.state.limelight`."""

from __future__ import annotations

from dataclasses import dataclass

from limelight.apikeys import KeyRing
from limelight.ingest.pipeline import IngestQueue
from limelight.query.run import QueryEngine
from limelight.sessions import Sessions
from limelight.settings import Settings
from limelight.store.duckdb import DuckDBStore


@dataclass
class Runtime:
    settings: Settings
    store: DuckDBStore
    queue: IngestQueue
    engine: QueryEngine
    keys: KeyRing
    sessions: Sessions
