"""MLflow tracking server (optional: `ivica stack up --with mlops`, which starts S3 first).

The backend store is the stack's PostgreSQL, database `mlflow` (created when missing); the
artifact store is the stack's S3 (s3proxy), bucket `mlflow` (created when missing), served
through the tracking server (`--artifacts-destination`), so clients need no S3 keys. The
server runs from `.venv-mlflow` (`make setup`): MLflow pins pandas, pyarrow and numpy apart
from PyFlink's. Secrets go to the server by environment, never on its command line.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import psycopg

from infra.config import REPO_ROOT
from infra.proc import SERVICE_DIR_ENV, StackError, pids_with_env, stop_pid
from infra.services.base import Service
from infra.services.postgres import Postgres
from infra.services.s3 import S3

DATABASE = "mlflow"
BUCKET = "mlflow"
VENV = REPO_ROOT / ".venv-mlflow"


class MLflow(Service):
    name = "mlflow"

    @property
    def ports(self) -> list[int]:
        return [self.cfg.mlflow.port]

    @property
    def address(self) -> str:
        return self.cfg.mlflow_url

    def prepare(self) -> None:
        if not (VENV / "bin" / "mlflow").exists():
            raise StackError(f"MLflow is not installed in {VENV}: run `make setup`")
        with psycopg.connect(Postgres(self.cfg).dsn("postgres"), autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
            ).fetchone()
            if exists is None:
                conn.execute(f'CREATE DATABASE "{DATABASE}"')
        s3 = S3(self.cfg).client()
        if BUCKET not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
            s3.create_bucket(Bucket=BUCKET)

    def env(self) -> dict[str, str]:
        pg, keys = self.cfg.postgres, S3(self.cfg).credentials()
        password = urllib.parse.quote(Postgres(self.cfg).password(), safe="")
        return {
            SERVICE_DIR_ENV: str(self.dir),
            "MLFLOW_BACKEND_STORE_URI": (
                f"postgresql://{pg.user}:{password}@{self.cfg.host}:{pg.port}/{DATABASE}"
            ),
            "MLFLOW_S3_ENDPOINT_URL": self.cfg.s3_endpoint,
            "AWS_ACCESS_KEY_ID": keys.access_key,
            "AWS_SECRET_ACCESS_KEY": keys.secret_key,
            "AWS_DEFAULT_REGION": "us-east-1",
            "MLFLOW_SERVER_ALLOWED_HOSTS": f"localhost:*,127.0.0.1:*,{self.cfg.host}:*",
        }

    def command(self) -> list[str]:
        return [
            str(VENV / "bin" / "mlflow"), "server",
            "--host", self.cfg.host, "--port", str(self.cfg.mlflow.port),
            "--artifacts-destination", f"s3://{BUCKET}",
            "--workers", "1",
        ]  # fmt: skip

    def pids(self) -> list[int]:
        """The server and the workers it started (they carry this service's marker)."""
        own = super().pids()
        return own + [p for p in pids_with_env(SERVICE_DIR_ENV, str(self.dir)) if p not in own]

    def stop(self) -> None:
        super().stop()
        for pid in pids_with_env(SERVICE_DIR_ENV, str(self.dir)):
            stop_pid(pid, self.cfg.timeouts.stop_s)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.address}/health", timeout=2) as resp:
                return resp.read().strip() == b"OK"
        except (urllib.error.URLError, OSError):
            return False
