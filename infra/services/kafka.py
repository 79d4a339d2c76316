"""Apache Kafka 4.x, one process as KRaft broker and controller."""

from __future__ import annotations

import base64
import subprocess
import uuid

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from infra.config import LIB_DIR
from infra.proc import StackError, port_in_use
from infra.services.base import Service, java_command

LOG4J2_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN">
  <Appenders>
    <Console name="stdout" target="SYSTEM_OUT">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Logger name="kafka" level="INFO"/>
    <Logger name="org.apache.kafka" level="INFO"/>
    <Logger name="org.reflections" level="ERROR"/>
    <Root level="WARN"><AppenderRef ref="stdout"/></Root>
  </Loggers>
</Configuration>
"""


def kafka_classpath() -> str:
    lib = LIB_DIR / "kafka"
    if not any(lib.glob("kafka_2.13-*.jar")):
        raise StackError(f"Kafka JARs missing under {lib}: run `ivica stack fetch`")
    return f"{lib}/*"


def log4j_opts(service: Service) -> list[str]:
    xml = service.dir / "log4j2.xml"
    xml.write_text(LOG4J2_XML)
    return [f"-Dlog4j2.configurationFile={xml}"]


class Kafka(Service):
    name = "kafka"

    @property
    def ports(self) -> list[int]:
        return [self.cfg.kafka.port, self.cfg.kafka.controller_port]

    @property
    def address(self) -> str:
        return self.cfg.kafka_bootstrap

    def properties(self) -> str:
        h, k = self.cfg.host, self.cfg.kafka
        return "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.voters=1@{h}:{k.controller_port}",
                f"listeners=PLAINTEXT://{h}:{k.port},CONTROLLER://{h}:{k.controller_port}",
                f"advertised.listeners=PLAINTEXT://{h}:{k.port}",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                f"log.dirs={self.dir / 'data'}",
                "num.partitions=1",
                "offsets.topic.replication.factor=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                # Flink's exactly-once Kafka sink uses transactions up to 1 h by default.
                "transaction.max.timeout.ms=3600000",
                "auto.create.topics.enable=true",
                "",
            ]
        )

    def prepare(self) -> None:
        props = self.dir / "server.properties"
        props.write_text(self.properties())
        self._jvm = log4j_opts(self)
        if (self.dir / "data" / "meta.properties").exists():
            return
        cluster_id = _cluster_id()
        fmt = java_command(
            kafka_classpath(),
            "kafka.tools.StorageTool",
            "256m",
            "format",
            "-t",
            cluster_id,
            "-c",
            str(props),
            jvm=self._jvm,
        )
        done = subprocess.run(fmt, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise StackError(f"kafka storage format failed:\n{done.stdout}{done.stderr}")

    def command(self) -> list[str]:
        return java_command(
            kafka_classpath(),
            "kafka.Kafka",
            self.cfg.kafka.heap,
            str(self.dir / "server.properties"),
            jvm=self._jvm,
        )

    def healthy(self) -> bool:
        if not port_in_use(self.cfg.host, self.cfg.kafka.port):
            return False
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=self.address,
                request_timeout_ms=3000,
                client_id="ivica-stack-health",
            )
        except (KafkaError, OSError, ValueError):
            return False
        try:
            admin.describe_cluster()
            return True
        except (KafkaError, OSError):
            return False
        finally:
            admin.close()


def _cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding. One in 64 such ids
    starts with "-", which the storage tool's argument parser takes for an option (`-t`
    "expected one argument"): draw again, as Kafka's own Uuid.randomUuid does."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid
