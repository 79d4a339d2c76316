"""Session fixtures: the real local stack, started once, on test-only ports and state dir.

The optional services (`rabbitmq_server`, `s3_server`) start alone, without the rest of the
stack, each in a state dir of its own: `ivica stack down` on one touches nothing else, and the
`stack` fixture's clean start does not remove their data.

Set IVICA_TEST_KEEP_STACK=1 to leave the test stack running after the session (faster reruns).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from connectors.migrate import DASHBOARD_PASSWORD_ENV, DASHBOARD_ROLE, migrate
from infra import stack as stack_ops
from infra.config import REPO_ROOT, StackConfig
from infra.proc import SERVICE_DIR_ENV, pids_with_env
from infra.services.base import Service
from infra.services.postgres import Postgres
from infra.services.rabbitmq import RabbitMQ
from infra.services.s3 import S3
from tests.kafka_io import KafkaIO

TEST_STACK = {
    "state_dir": str(REPO_ROOT / "state" / "test-stack"),
    "kafka": {"port": 19092, "controller_port": 19093},
    "connect": {"port": 18083},
    "postgres": {"port": 15432},
    "flink": {"rest_port": 18081, "rpc_port": 16123},
    "rabbitmq": {"port": 15673, "dist_port": 25673, "epmd_port": 24373, "node_name": "ivica-test"},
    "s3": {"port": 19001},  # MLflow's; the s3_server fixture's own runs on 19000
    "mlflow": {"port": 15000},
}


@pytest.fixture(scope="session")
def stack_config() -> StackConfig:
    return StackConfig.model_validate(TEST_STACK)


@pytest.fixture(scope="session")
def stack(stack_config: StackConfig):
    """The whole stack (Kafka, PostgreSQL, Connect, Flink) up for the session."""
    reused = all(s.ok for s in stack_ops.status(stack_config))
    if not reused:
        stack_ops.down(stack_config, echo=lambda _: None)
        shutil.rmtree(stack_config.state, ignore_errors=True)
        stack_ops.up(stack_config, echo=print)
    yield stack_config
    if not reused and not os.environ.get("IVICA_TEST_KEEP_STACK"):
        stack_ops.down(stack_config, echo=print)
        assert not any(s.running for s in stack_ops.status(stack_config)), "stack left processes"


@pytest.fixture
def kafka(stack: StackConfig, request: pytest.FixtureRequest):
    prefix = re.sub(r"[^a-zA-Z0-9]+", "-", request.node.name)[:40]
    io = KafkaIO(stack.kafka_bootstrap, prefix)
    yield io
    io.close()


@dataclass(frozen=True)
class Database:
    dsn: str  # the stack's superuser
    host: str
    port: int
    database: str
    dashboard_user: str
    dashboard_password: str


@pytest.fixture(scope="session")
def database(stack: StackConfig) -> Database:
    """The stack's PostgreSQL with all migrations applied and the dashboard role able to log in."""
    password = secrets.token_urlsafe(12)
    os.environ[DASHBOARD_PASSWORD_ENV] = password
    try:
        dsn = Postgres(stack).dsn()
        migrate(dsn, echo=lambda _: None)
    finally:
        del os.environ[DASHBOARD_PASSWORD_ENV]
    return Database(
        dsn, stack.host, stack.postgres.port, stack.postgres.database, DASHBOARD_ROLE, password
    )


@contextmanager
def _optional_service(svc: Service):
    """Start one optional service for the session (reused when it already answers); stop it
    after, and check that none of its processes is left."""
    reused = svc.running() and svc.healthy()
    if not reused:
        svc.stop()
        shutil.rmtree(svc.cfg.state, ignore_errors=True)
        svc.start()
    yield
    if not reused and not os.environ.get("IVICA_TEST_KEEP_STACK"):
        svc.stop()
        left = svc.pids() + pids_with_env(SERVICE_DIR_ENV, str(svc.dir))
        assert not left, f"{svc.name} left processes {left}"


def _alone(name: str) -> StackConfig:
    return StackConfig.model_validate(
        {**TEST_STACK, "state_dir": f"{REPO_ROOT}/state/test-{name}", "s3": {"port": 19000}}
    )


@pytest.fixture(scope="session")
def mlflow_server(stack: StackConfig) -> StackConfig:
    """MLflow and the S3 server of its artifacts (`ivica stack up --with mlops`) on the test
    stack's PostgreSQL; the `stack` fixture's `down` stops them with the rest."""
    stack_ops.up(stack, echo=print, with_=["mlops"])
    return stack


@dataclass(frozen=True)
class RabbitMQServer:
    host: str
    port: int
    service: RabbitMQ  # service.stop() / service.start(): an outage; queues and messages stay

    @property
    def url(self) -> str:
        return self.service.cfg.rabbitmq_url


@pytest.fixture(scope="session")
def rabbitmq_server():
    """RabbitMQ alone (not the rest of the stack) for the session; guest/guest on loopback."""
    svc = RabbitMQ(_alone("rabbitmq"))
    with _optional_service(svc):
        yield RabbitMQServer(svc.cfg.host, svc.cfg.rabbitmq.port, svc)


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    access_key: str
    secret_key: str
    service: S3  # service.stop() / service.start(): an outage; buckets and objects stay


@pytest.fixture(scope="session")
def s3_server():
    """s3proxy alone (filesystem backend) for the session, with its generated key pair."""
    svc = S3(_alone("s3"))
    with _optional_service(svc):
        keys = svc.credentials()
        yield S3Server(svc.cfg.s3_endpoint, keys.access_key, keys.secret_key, svc)
