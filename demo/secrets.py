"""The demo's secrets: taken from the environment when set, else generated once and kept in
state/demo/secrets.env (mode 600), so that a second run logs in with the same password."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from connectors.migrate import DASHBOARD_PASSWORD_ENV
from dashboards import settings
from infra.config import StackConfig

NAMES = (settings.SECRET_KEY_ENV, settings.ADMIN_PASSWORD_ENV, DASHBOARD_PASSWORD_ENV)


def path(cfg: StackConfig) -> Path:
    return cfg.state / "demo" / "secrets.env"


def read(file: Path) -> dict[str, str]:
    """The secrets kept in `file` (none when it does not exist)."""
    if not file.is_file():
        return {}
    return dict(line.partition("=")[::2] for line in file.read_text().splitlines())


def load(file: Path) -> dict[str, str]:
    """Set each secret the environment lacks from `file`, generating it first if needed; the
    values in force."""
    kept = read(file)
    fresh = {n: secrets.token_urlsafe(36 if n == settings.SECRET_KEY_ENV else 15) for n in NAMES}
    merged = {n: kept.get(n) or fresh[n] for n in NAMES}
    if merged != kept:
        file.parent.mkdir(parents=True, exist_ok=True)
        file.touch(mode=0o600)
        file.write_text("".join(f"{n}={v}\n" for n, v in merged.items()))
    for name, value in merged.items():
        os.environ.setdefault(name, value)
    return {n: os.environ[n] for n in NAMES}
