"""S3 (optional: `ivica stack up --with s3`): s3proxy over jclouds' filesystem backend.

Buckets are directories under <state_dir>/s3/data, objects are files in them. Requests must be
signed (AWS signature v2 or v4) with a key pair generated on first use and kept, mode 0600, in
<state_dir>/s3/credentials.json: read it with `S3(cfg).credentials()`. The JAR is s3proxy's
jar-with-dependencies from Maven Central (`ivica stack fetch`, version S3PROXY_VERSION).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from infra.config import LIB_DIR
from infra.proc import SERVICE_DIR_ENV, StackError, port_in_use, require_tool
from infra.services.base import Service


@dataclass(frozen=True)
class S3Credentials:
    access_key: str
    secret_key: str


def s3proxy_jar() -> Path:
    jars = sorted((LIB_DIR / "s3proxy").glob("s3proxy-*-jar-with-dependencies.jar"))
    if not jars:
        raise StackError(
            f"s3proxy JAR missing under {LIB_DIR / 's3proxy'}: run `ivica stack fetch`"
        )
    return jars[-1]


class S3(Service):
    name = "s3"

    @property
    def ports(self) -> list[int]:
        return [self.cfg.s3.port]

    @property
    def address(self) -> str:
        return self.cfg.s3_endpoint

    @property
    def data(self) -> Path:
        return self.dir / "data"

    def credentials(self) -> S3Credentials:
        """The key pair s3proxy accepts: generated once, then read from credentials.json."""
        f = self.dir / "credentials.json"
        if not f.exists():
            self.dir.mkdir(parents=True, exist_ok=True)
            pair = {"access_key": secrets.token_hex(10), "secret_key": secrets.token_urlsafe(30)}
            fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump(pair, out)
        pair = json.loads(f.read_text())
        return S3Credentials(pair["access_key"], pair["secret_key"])

    def properties(self) -> str:
        c = self.credentials()
        return "\n".join(
            [
                "# Written by `ivica stack` on every start (infra/services/s3.py).",
                f"s3proxy.endpoint={self.address}",
                "s3proxy.authorization=aws-v2-or-v4",
                f"s3proxy.identity={c.access_key}",
                f"s3proxy.credential={c.secret_key}",
                "jclouds.provider=filesystem",
                f"jclouds.filesystem.basedir={self.data}",
                "",
            ]
        )

    def prepare(self) -> None:
        self.data.mkdir(exist_ok=True)
        props = self.dir / "s3proxy.properties"
        fd = os.open(props, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(self.properties())

    def env(self) -> dict[str, str]:
        return {SERVICE_DIR_ENV: str(self.dir)}

    def command(self) -> list[str]:
        java = require_tool(
            "java", "Install a JDK 17 (Debian: apt-get install openjdk-17-jdk-headless)."
        )
        return [
            java,
            f"-Xmx{self.cfg.s3.heap}",
            "-jar",
            str(s3proxy_jar()),
            "--properties",
            str(self.dir / "s3proxy.properties"),
        ]

    def client(self):
        """A boto3 S3 client for this endpoint, with this store's keys."""
        try:
            import boto3
            from botocore.config import Config
        except ImportError as exc:
            raise StackError("boto3 is missing: pip install -e '.[edge]'") from exc

        c = self.credentials()
        return boto3.client(
            "s3",
            endpoint_url=self.address,
            aws_access_key_id=c.access_key,
            aws_secret_access_key=c.secret_key,
            region_name="us-east-1",
            config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 1}),
        )

    def healthy(self) -> bool:
        if not port_in_use(self.cfg.host, self.cfg.s3.port):
            return False
        client = self.client()
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            client.list_buckets()
        except (BotoCoreError, ClientError):
            return False
        return True
