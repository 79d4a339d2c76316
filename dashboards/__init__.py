"""Superset dashboards as code: the bundle in superset/bundle, a local Superset to run it.

Thin modules: `settings` (superset_config.py, secrets), `server` (venv, bootstrap, serve,
stop), `bundle` (render, import, export). The work inside Superset's own venv is done by
`superset_side.py`, run with that venv's interpreter (Superset's numpy/pandas pins differ
from PyFlink's, so the two never share a process).
"""

from dashboards.bundle import export_bundle, import_bundle
from dashboards.server import bootstrap, serve, stop
from dashboards.settings import SupersetSettingsError

__all__ = [
    "SupersetSettingsError",
    "bootstrap",
    "export_bundle",
    "import_bundle",
    "serve",
    "stop",
]
