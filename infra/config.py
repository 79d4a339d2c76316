"""Configuration of the local stack: ports, paths, memory and timeouts.

Other packages ask this module for addresses (`StackConfig.kafka_bootstrap`, ...)
instead of hard-coding ports.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = Path(__file__).with_name("stack.yaml")
LIB_DIR = REPO_ROOT / "infra" / "lib"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KafkaConfig(_Strict):
    port: int = Field(9092, description="Broker listener port (PLAINTEXT, loopback).")
    controller_port: int = Field(9093, description="KRaft controller listener port.")
    heap: str = Field("512m", description="JVM heap (-Xmx) of the broker.")
    raw_retention_hours: int = Field(
        168,
        ge=1,
        description="How long the raw topics keep events (their retention.ms), which bounds how "
        "far back `ivica jobs backfill` can replay. Set when the raw topics are made, and on "
        "existing ones by `ivica stack up` and `ivica demo`. Other topics keep the broker's.",
    )

    @property
    def raw_retention_ms(self) -> int:
        """`raw_retention_hours` as the topics' retention.ms."""
        return self.raw_retention_hours * 3_600_000


class ConnectConfig(_Strict):
    port: int = Field(8083, description="Kafka Connect REST port.")
    heap: str = Field("768m", description="JVM heap (-Xmx) of the Connect worker.")


class PostgresConfig(_Strict):
    port: int = Field(5432, description="PostgreSQL TCP port (loopback).")
    user: str = Field("ivica", description="Superuser created by initdb.")
    database: str = Field("ivica", description="Database created on first start.")


class FlinkConfig(_Strict):
    rest_port: int = Field(8081, description="JobManager REST and web UI port.")
    rpc_port: int = Field(6123, description="JobManager RPC port.")
    task_slots: int = Field(8, ge=1, description="Slots of the single TaskManager.")
    jobmanager_memory: str = Field("1024m", description="jobmanager.memory.process.size")
    taskmanager_memory: str = Field("2048m", description="taskmanager.memory.process.size")
    extra: dict[str, str | int | float | bool] = Field(
        default_factory=dict,
        description="More Flink configuration keys, e.g. metrics.fetcher.update-interval: 500.",
    )


class RabbitMQConfig(_Strict):
    """Optional (`ivica stack up --with rabbitmq`): Debian's rabbitmq-server, no plugins."""

    port: int = Field(5672, description="AMQP listener port (loopback; user guest/guest).")
    dist_port: int = Field(
        25672, description="Erlang distribution port of the node (rabbitmqctl talks to it)."
    )
    epmd_port: int = Field(
        24369,
        description="Port of the stack's own Erlang port mapper (epmd), started and stopped "
        "with the node; not the system's 4369, so stacks and a system RabbitMQ stay apart.",
    )
    node_name: str = Field(
        "ivica",
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Erlang node name (the node is NAME@localhost); its data is under "
        "rabbitmq/mnesia/NAME@localhost, so renaming starts from an empty broker.",
    )


class MLflowConfig(_Strict):
    """Optional (`ivica stack up --with mlops`): the MLflow tracking server."""

    port: int = Field(5000, description="Tracking server and UI port (loopback).")


class S3Config(_Strict):
    """Optional (`ivica stack up --with s3`): s3proxy with its filesystem backend."""

    port: int = Field(9000, description="S3 API port (loopback).")
    heap: str = Field("256m", description="JVM heap (-Xmx) of s3proxy.")


class Timeouts(_Strict):
    start_s: float = Field(120, gt=0, description="Seconds to wait for a service to be ready.")
    stop_s: float = Field(30, gt=0, description="Seconds to wait for a service to stop.")


class StackConfig(_Strict):
    state_dir: Path = Field(
        Path("state/stack"),
        description="Data, logs and pid files; relative paths are under the repo root.",
    )
    host: str = Field("127.0.0.1", description="Address every service binds to.")
    kafka: KafkaConfig = Field(default_factory=KafkaConfig, description="Kafka broker.")
    connect: ConnectConfig = Field(default_factory=ConnectConfig, description="Kafka Connect.")
    postgres: PostgresConfig = Field(default_factory=PostgresConfig, description="PostgreSQL.")
    flink: FlinkConfig = Field(default_factory=FlinkConfig, description="Flink cluster.")
    rabbitmq: RabbitMQConfig = Field(
        default_factory=RabbitMQConfig, description="RabbitMQ broker (optional service)."
    )
    s3: S3Config = Field(
        default_factory=S3Config, description="S3-compatible object store (optional service)."
    )
    mlflow: MLflowConfig = Field(
        default_factory=MLflowConfig, description="MLflow tracking server (optional service)."
    )
    timeouts: Timeouts = Field(default_factory=Timeouts, description="Readiness timeouts.")

    @property
    def state(self) -> Path:
        return self.state_dir if self.state_dir.is_absolute() else REPO_ROOT / self.state_dir

    @property
    def kafka_bootstrap(self) -> str:
        return f"{self.host}:{self.kafka.port}"

    @property
    def connect_url(self) -> str:
        return f"http://{self.host}:{self.connect.port}"

    @property
    def flink_rest_url(self) -> str:
        return f"http://{self.host}:{self.flink.rest_port}"

    @property
    def rabbitmq_url(self) -> str:
        """AMQP URL of the optional RabbitMQ; no credentials: pika then uses guest/guest."""
        return f"amqp://{self.host}:{self.rabbitmq.port}/%2F"

    @property
    def mlflow_url(self) -> str:
        """Tracking URI of the optional MLflow server."""
        return f"http://{self.host}:{self.mlflow.port}"

    @property
    def s3_endpoint(self) -> str:
        """S3 endpoint URL of the optional s3proxy; keys: `S3(cfg).credentials()`."""
        return f"http://{self.host}:{self.s3.port}"

    @property
    def flink_jobmanager(self) -> str:
        """Address for `flink run -m`."""
        return f"{self.host}:{self.flink.rest_port}"


def load_config(path: Path | str | None = None) -> StackConfig:
    """Load the stack config: explicit path, else $IVICA_STACK_CONFIG, else the default."""
    chosen = Path(path or os.environ.get("IVICA_STACK_CONFIG") or DEFAULT_CONFIG)
    if not chosen.is_file():
        raise FileNotFoundError(f"stack config not found: {chosen}")
    data = yaml.safe_load(chosen.read_text()) or {}
    return StackConfig.model_validate(data)


def flink_connector_jar() -> Path:
    """The Flink SQL Kafka connector JAR fetched by `ivica stack fetch`."""
    jars = sorted((LIB_DIR / "flink").glob("flink-sql-connector-kafka-*.jar"))
    if not jars:
        raise FileNotFoundError(
            f"no Flink Kafka connector JAR under {LIB_DIR / 'flink'}: run `ivica stack fetch`"
        )
    return jars[-1]
