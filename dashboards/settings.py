"""Where the local Superset keeps its state, and its superset_config.py.

The metadata database is a SQLite file under `<state>/superset/`. SECRET_KEY signs sessions
and encrypts the stored database passwords: it comes only from $SUPERSET_SECRET_KEY and a
missing, short or well-known key is refused before anything runs.
"""

from __future__ import annotations

import os
from pathlib import Path

from infra.config import REPO_ROOT, StackConfig
from infra.proc import StackError

SECRET_KEY_ENV = "SUPERSET_SECRET_KEY"
ADMIN_USER_ENV = "SUPERSET_ADMIN_USER"
ADMIN_PASSWORD_ENV = "SUPERSET_ADMIN_PASSWORD"
MIN_SECRET_LEN = 32
# Defaults from Superset's docs, docker files and helm chart: public, so never a secret.
KNOWN_DEFAULT_KEYS = (
    "CHANGE_ME",
    "thisISaSECRET_1234",
    "TEST_NON_DEV_SECRET",
    "\x02\x01thisismyscretkey\x01\x02\\e\\y\\y\\h",
    "your_secret_key_here",
)
SUPERSET_VENV = REPO_ROOT / ".venv-superset"


def venv_bin(name: str) -> Path:
    """A program in Superset's own venv."""
    return SUPERSET_VENV / "bin" / name


BUNDLE_DIR = REPO_ROOT / "superset" / "bundle"


class SupersetSettingsError(StackError):
    """Superset cannot start with these settings; the message says what to set."""


def superset_dir(cfg: StackConfig) -> Path:
    return cfg.state / "superset"


def config_path(cfg: StackConfig) -> Path:
    return superset_dir(cfg) / "superset_config.py"


def check_secret_key(key: str | None) -> str:
    """Return the key if it is fit to sign sessions and encrypt passwords, else raise."""
    hint = (
        f"Set {SECRET_KEY_ENV} to a long random value, e.g. "
        f'`export {SECRET_KEY_ENV}="$(openssl rand -base64 42)"`.'
    )
    if not key or not key.strip():
        raise SupersetSettingsError(f"{SECRET_KEY_ENV} is not set. {hint}")
    if any(key.upper().startswith(d.upper()) for d in KNOWN_DEFAULT_KEYS):
        raise SupersetSettingsError(f"{SECRET_KEY_ENV} is a published default key. {hint}")
    if len(key) < MIN_SECRET_LEN:
        raise SupersetSettingsError(
            f"{SECRET_KEY_ENV} is {len(key)} characters long; at least {MIN_SECRET_LEN} "
            f"are required. {hint}"
        )
    return key


def admin_credentials() -> tuple[str, str]:
    user = os.environ.get(ADMIN_USER_ENV) or "admin"
    password = os.environ.get(ADMIN_PASSWORD_ENV)
    if not password:
        raise SupersetSettingsError(
            f"{ADMIN_PASSWORD_ENV} is not set: it is the password of the Superset admin "
            f"`{user}` ({ADMIN_USER_ENV}, default admin)."
        )
    return user, password


_CONFIG = """\
# Written by `ivica superset bootstrap` (dashboards/settings.py); do not edit, rerun it.
import os

SECRET_KEY = os.environ["{secret_env}"]
SQLALCHEMY_DATABASE_URI = {db_uri!r}
DATA_DIR = {data_dir!r}
# Dashboards read only the `dashboard` schema's views, as the read-only ivica_dashboard role.
PREVENT_UNSAFE_DB_CONNECTIONS = True
FEATURE_FLAGS = {{"DASHBOARD_NATIVE_FILTERS": True, "ALERT_REPORTS": False}}
SUPERSET_WEBSERVER_TIMEOUT = 120
WTF_CSRF_ENABLED = True
TALISMAN_ENABLED = False
CACHE_CONFIG = {{"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 60}}
DATA_CACHE_CONFIG = {{"CACHE_TYPE": "NullCache"}}
RATELIMIT_STORAGE_URI = "memory://"


# The web app posts its event log in the background, from the login page too. Superset answers
# an anonymous one with a redirect and a session cookie ("Access is Denied" flashed): when that
# answer arrived after the login's (a busy server), it replaced the new session and the user
# was logged out at once. Anonymous event logs are dropped, and their session left unwritten.
def FLASK_APP_MUTATOR(app):
    from flask import request, session

    @app.before_request
    def drop_anonymous_event_log():
        if request.path.startswith("/superset/log/") and "_user_id" not in session:
            session.modified = False
            return "", 204
"""


def write_config(cfg: StackConfig) -> Path:
    """Write `<state>/superset/superset_config.py`; refuses a weak $SUPERSET_SECRET_KEY."""
    check_secret_key(os.environ.get(SECRET_KEY_ENV))
    d = superset_dir(cfg)
    d.mkdir(parents=True, exist_ok=True)
    path = config_path(cfg)
    path.write_text(
        _CONFIG.format(
            secret_env=SECRET_KEY_ENV,
            db_uri=f"sqlite:///{d / 'superset.db'}",
            data_dir=str(d / "data"),
        )
    )
    return path


def superset_env(cfg: StackConfig) -> dict[str, str]:
    """Environment for every Superset process: its config file and app."""
    return {
        "SUPERSET_CONFIG_PATH": str(config_path(cfg)),
        "FLASK_APP": "superset",
        "SUPERSET_HOME": str(superset_dir(cfg) / "home"),
        "PYTHONUNBUFFERED": "1",
    }
