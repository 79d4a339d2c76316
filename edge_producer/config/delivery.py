"""Config of where events go: the senders, their durable spool, and the health counters."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from edge_producer.config.base import Secret, Section


class SpoolConfig(Section):
    """The durable spool in front of each broker sender (a folder of log segments each)."""

    dir: Path = Field(
        default=Path("state/edge/spool"),
        description="Folder of the spools, one folder <dir>/<sender name> each. Unconfirmed events "
        "stay here across restarts and are sent again.",
    )
    max_bytes: int = Field(
        default=256 * 1024 * 1024,
        gt=0,
        description="Most bytes of unsent events per sender; past it `when_full` applies.",
    )
    max_age_s: float = Field(
        default=7 * 24 * 3600.0,
        gt=0,
        description="Unsent events older than this many seconds expire (counted as dropped).",
    )
    when_full: Literal["drop_oldest", "drop_newest"] = Field(
        default="drop_oldest",
        description="When the spool is full: drop the oldest unsent events, or refuse the new "
        "one. Every drop is logged as a warning and counted (ivica_edge_spool_dropped_total).",
    )
    fsync: bool = Field(
        default=False,
        description="Wait for the disk at every append: an event then survives a power cut "
        "too, not only a crash or kill -9 of the process (which never loses an appended "
        "event). Without it a power cut can lose the last events, never the older ones.",
    )
    batch: int = Field(default=500, gt=0, description="Most events per broker round trip.")
    max_backoff_s: float = Field(
        default=30.0,
        gt=0,
        description="The longest wait between reconnects to a broker that is down (the wait "
        "doubles from 0.5 s).",
    )


class KafkaSenderConfig(Section):
    """Kafka: acks=all, idempotent, gzip; key = camera_id so each camera's events keep order."""

    kind: Literal["kafka"] = Field(description="This sender's type.")
    name: str = Field(
        default="kafka", pattern=r"^[A-Za-z0-9_.-]+$", description="Names its spool file."
    )
    bootstrap: str = Field(description="Broker addresses, host:port[,host:port...].")
    topics: dict[str, str] = Field(
        default_factory=dict,
        description="Contract topic -> topic to produce to instead, e.g. "
        "{ivica.person_detections.v1: site7.person_detections}. Default: the contract's.",
    )
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="How the client talks to the brokers."
    )
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = Field(
        default=None, description="SASL mechanism (SASL_* protocols)."
    )
    sasl_username: str | None = Field(default=None, description="SASL user name.")
    sasl_password: Secret | None = Field(
        default=None, description="SASL password, as env:NAME (read from the environment)."
    )
    ssl_cafile: Path | None = Field(default=None, description="CA bundle to trust (PEM).")
    ssl_certfile: Path | None = Field(default=None, description="Client certificate (PEM).")
    ssl_keyfile: Path | None = Field(default=None, description="Client private key (PEM).")
    ssl_password: Secret | None = Field(
        default=None, description="Password of the private key, as env:NAME."
    )
    timeout_s: float = Field(
        default=30.0, gt=0, description="Seconds to wait for a connection or a confirmation."
    )
    delivery_timeout_s: float = Field(
        default=86_400.0,
        ge=60,
        description="How long the producer retries an event itself (idempotently, so Kafka"
        " drops its own repeats) before it gives up. When it gives up, its session is closed"
        " and a new one sends the unconfirmed events again, which can repeat the ones Kafka"
        " had already written. Longer than the longest outage you expect.",
    )

    @model_validator(mode="after")
    def _sasl_complete(self) -> KafkaSenderConfig:
        if self.security_protocol.startswith("SASL") and not (
            self.sasl_mechanism and self.sasl_username and self.sasl_password
        ):
            raise ValueError(
                f"{self.security_protocol} needs sasl_mechanism, sasl_username and sasl_password"
            )
        return self


class RabbitMQSenderConfig(Section):
    """RabbitMQ: a durable topic exchange and queues, persistent messages, publisher confirms."""

    kind: Literal["rabbitmq"] = Field(description="This sender's type.")
    name: str = Field(
        default="rabbitmq", pattern=r"^[A-Za-z0-9_.-]+$", description="Names its spool file."
    )
    host: str = Field(default="127.0.0.1", description="Broker host.")
    port: int = Field(default=5672, gt=0, lt=65536, description="AMQP port (5671 for TLS).")
    virtual_host: str = Field(default="/", description="RabbitMQ virtual host.")
    username: str = Field(default="guest", description="User name.")
    password: Secret | None = Field(
        default=None,
        description="Password as env:NAME (None: RabbitMQ's default guest password, which "
        "works on loopback only).",
    )
    tls: bool = Field(default=False, description="Connect with TLS.")
    ssl_cafile: Path | None = Field(default=None, description="TLS: CA bundle to trust (PEM).")
    topics: dict[str, str] = Field(
        default_factory=dict,
        description="Contract topic -> name to use instead in routing keys and queue names. "
        "Default: the contract's.",
    )
    exchange: str = Field(
        default="ivica.events",
        description="The durable topic exchange. The routing key is <topic>.<camera_id>, "
        "e.g. ivica.person_detections.v1.cam-1.",
    )
    queues: bool = Field(
        default=True,
        description="Declare one durable queue per event type, named like its topic and "
        "bound to <topic>.#, so no event is lost before a consumer exists.",
    )
    timeout_s: float = Field(
        default=30.0, gt=0, description="Seconds to wait for a connection or a confirmation."
    )


class JsonlSenderConfig(Section):
    """A JSONL file: one event per line (no spool: the file is the record)."""

    kind: Literal["jsonl"] = Field(description="This sender's type.")
    path: Path = Field(description="The file; truncated at start.")


SenderConfig = Annotated[
    KafkaSenderConfig | RabbitMQSenderConfig | JsonlSenderConfig, Field(discriminator="kind")
]


class HealthConfig(Section):
    """Counters of a running edge: a log line, a Prometheus endpoint, a health status."""

    log_interval_s: float | None = Field(
        default=30.0,
        gt=0,
        description="Log the counters every this many seconds (None: never).",
    )
    metrics_port: int | None = Field(
        default=None,
        ge=0,
        lt=65536,
        description="Serve Prometheus text metrics and /healthz on this port (0: any free "
        "port; None: no server).",
    )
    metrics_host: Literal["127.0.0.1", "::1", "localhost"] = Field(
        default="127.0.0.1", description="Loopback only: scrape it through an agent or tunnel."
    )
    spool_growth_unhealthy_s: float = Field(
        default=300.0,
        gt=0,
        description="Unhealthy when a spool has grown without shrinking for this many seconds "
        "(its broker is down or too slow).",
    )
