"""Versioned SQL migrations (connectors/migrations/NNN_name.sql), applied once each, in order.

Each file runs in its own transaction and is recorded with its checksum in
ivica.schema_migrations; an applied file that was edited afterwards is an error.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

MIGRATIONS = Path(__file__).with_name("migrations")
DASHBOARD_ROLE = "ivica_dashboard"
DASHBOARD_PASSWORD_ENV = "IVICA_DASHBOARD_PASSWORD"


@dataclass(frozen=True)
class Migration:
    version: str
    path: Path

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def migrations() -> list[Migration]:
    return [Migration(p.stem, p) for p in sorted(MIGRATIONS.glob("[0-9][0-9][0-9]_*.sql"))]


class MigrationError(RuntimeError):
    pass


def migrate(dsn: str, echo=print) -> list[str]:
    """Apply pending migrations; return the versions applied now."""
    applied_now = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS ivica")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS ivica.schema_migrations (version text PRIMARY KEY, "
            "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = dict(conn.execute("SELECT version, checksum FROM ivica.schema_migrations"))
        for m in migrations():
            if m.version in done:
                if done[m.version] != m.checksum:
                    raise MigrationError(
                        f"{m.path.name} changed after it was applied: add a new migration "
                        "instead of editing an applied one"
                    )
                continue
            with conn.transaction():
                conn.execute(m.path.read_text())
                conn.execute(
                    "INSERT INTO ivica.schema_migrations (version, checksum) VALUES (%s, %s)",
                    (m.version, m.checksum),
                )
            echo(f"applied {m.path.name}")
            applied_now.append(m.version)
        password = os.environ.get(DASHBOARD_PASSWORD_ENV)
        if password:
            conn.execute(
                sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(DASHBOARD_ROLE), sql.Literal(password)
                )
            )
    return applied_now


def set_k_min(dsn: str, k: int) -> None:
    """Change the privacy threshold the dashboard views apply."""
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE ivica.privacy SET k_min = %s", (k,))
