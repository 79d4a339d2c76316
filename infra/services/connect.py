"""Kafka Connect, distributed mode, with the Debezium JDBC sink plugin on its plugin path, and
beside the worker the watcher that restarts failed sinks (connectors/watch.py: Connect leaves a
task FAILED until someone restarts it, and the JDBC sink fails on a database restart)."""

from __future__ import annotations

import sys
from pathlib import Path

from infra.config import LIB_DIR, REPO_ROOT
from infra.proc import StackError, read_pid, spawn, stop_pid
from infra.services.base import Service, http_json, java_command
from infra.services.kafka import kafka_classpath, log4j_opts
from infra.services.postgres import PASSWORD_ENV, Postgres

JDBC_SINK_CLASS = "io.debezium.connector.jdbc.JdbcSinkConnector"


class Connect(Service):
    name = "connect"

    @property
    def ports(self) -> list[int]:
        return [self.cfg.connect.port]

    @property
    def address(self) -> str:
        return self.cfg.connect_url

    def properties(self) -> str:
        plugins = LIB_DIR / "connect-plugins"
        if not plugins.is_dir():
            raise StackError(f"Connect plugins missing under {plugins}: run `ivica stack fetch`")
        h, port = self.cfg.host, self.cfg.connect.port
        return "\n".join(
            [
                f"bootstrap.servers={self.cfg.kafka_bootstrap}",
                "group.id=ivica-connect",
                "config.storage.topic=ivica-connect-configs",
                "offset.storage.topic=ivica-connect-offsets",
                "status.storage.topic=ivica-connect-status",
                "config.storage.replication.factor=1",
                "offset.storage.replication.factor=1",
                "status.storage.replication.factor=1",
                "key.converter=org.apache.kafka.connect.json.JsonConverter",
                "value.converter=org.apache.kafka.connect.json.JsonConverter",
                "key.converter.schemas.enable=true",
                "value.converter.schemas.enable=true",
                f"listeners=http://{h}:{port}",
                f"rest.advertised.host.name={h}",
                f"rest.advertised.port={port}",
                f"plugin.path={plugins}",
                "offset.flush.interval.ms=5000",
                # Connector configs name secrets as ${env:NAME}; the worker resolves them.
                "config.providers=env",
                "config.providers.env.class="
                "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
                "",
            ]
        )

    def prepare(self) -> None:
        (self.dir / "connect-distributed.properties").write_text(self.properties())
        self._jvm = log4j_opts(self)

    def env(self) -> dict[str, str]:
        return {PASSWORD_ENV: Postgres(self.cfg).password()}

    def command(self) -> list[str]:
        return java_command(
            kafka_classpath(),
            "org.apache.kafka.connect.cli.ConnectDistributed",
            self.cfg.connect.heap,
            str(self.dir / "connect-distributed.properties"),
            jvm=self._jvm,
        )

    @property
    def watch_pidfile(self) -> Path:
        return self.dir / "connect-watch.pid"

    def start(self) -> None:
        """The worker, then its watcher (a process of its own: it outlives a worker crash)."""
        super().start()
        if read_pid(self.watch_pidfile) is None:
            cmd = [sys.executable, "-m", "connectors.watch", "--connect-url", self.address]
            log = self.dir / "connect-watch.log"
            spawn(cmd, log, self.watch_pidfile, {"PYTHONPATH": str(REPO_ROOT)})

    def stop(self) -> None:
        watcher = read_pid(self.watch_pidfile)
        if watcher is not None:
            stop_pid(watcher, self.cfg.timeouts.stop_s)
        self.watch_pidfile.unlink(missing_ok=True)
        super().stop()

    def healthy(self) -> bool:
        plugins = http_json(f"{self.address}/connector-plugins")
        return isinstance(plugins, list) and any(p.get("class") == JDBC_SINK_CLASS for p in plugins)
