"""What `limelight init` writes: an index and one example of each common resource."""

from __future__ import annotations

import re

from limelight.code.resources import check_name

FALLBACK_SERVICE = "my-service"

INDEX = """\
# Limelight resources of one service, kept in git: `limelight validate`, `plan`, `apply`.
version: 1
service: {service}
variables:
  # A plain value is the same everywhere; a mapping gives one per environment,
  # chosen with `--env prod` (`default` for any other). `--var name=value` overrides.
  error_threshold: {{default: 10, prod: 50}}
  slack_url: "https://hooks.slack.com/services/REPLACE/ME"
"""

ALERTS = """\
# Queries and the alerts that watch them.
errors-by-namespace:
  type: query
  properties:
    name: Errors by namespace
    parameters:
      datasets: [otel]
      calculations: [COUNT]
      filters: ["$service = {service}", "$error = true"]
      groupBys: [$namespace]
errors-alert:
  type: alert
  properties:
    name: Too many errors
    severity: warning
    description: More errors than usual in one namespace of {service}.
    parameters:
      query: errors-by-namespace        # a query id above, or an inline query spec
      threshold: "> {{{{ error_threshold }}}}"
      frequency: 1m                 # how often it is evaluated (10s at the least)
      window: 5m                    # over which stretch of time
"""

CHANNELS = """\
# Where notifications go: channels, and routes that pick them by severity and labels.
team-slack:
  type: channel
  properties:
    kind: slack
    url: "{{ slack_url }}"
warnings-to-slack:
  type: route
  properties:
    match: {severity: warning}
    channels: [team-slack]
"""

DASHBOARDS = """\
# Dashboards: widgets of type timeseries, statistic, table or bar.
overview:
  type: dashboard
  properties:
    name: {service} overview
    widgets:
      - type: timeseries
        title: Errors by route
        query: errors-by-namespace
      - type: statistic
        title: P99 latency (ms)
        query:
          datasets: [otel]
          calculations: ["P99($duration_ms)"]
          filters: ["$service = {service}"]
"""


def service_name(wanted: str | None, folder_name: str) -> str:
    """The service to write: the one asked for, else the folder's name made valid."""
    if wanted is not None:
        return wanted
    cleaned = re.sub(r"[^A-Za-z0-9_.:-]+", "-", folder_name).strip("-_.:")[:128]
    return cleaned if cleaned and check_name(cleaned) is None else FALLBACK_SERVICE


def starter_files(service: str) -> dict[str, str]:
    """File name -> text."""
    return {
        "index.yml": INDEX.format(service=service),
        "alerts.yml": ALERTS.format(service=service),
        "channels.yml": CHANNELS,
        "dashboards.yml": DASHBOARDS.format(service=service),
    }
