"""Session fixtures: the real local stack, started once, on test-only ports and state dir.

Set IVICA_TEST_KEEP_STACK=1 to leave the test stack running after the session (faster reruns).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from dataclasses import dataclass

import pytest

from connectors.migrate import DASHBOARD_PASSWORD_ENV, DASHBOARD_ROLE, migrate
from infra import stack as stack_ops
from infra.config import REPO_ROOT, StackConfig
from infra.services.postgres import Postgres
from tests.kafka_io import KafkaIO

TEST_STACK = {
    "state_dir": str(REPO_ROOT / "state" / "test-stack"),
    "kafka": {"port": 19092, "controller_port": 19093},
    "connect": {"port": 18083},
    "postgres": {"port": 15432},
    "flink": {"rest_port": 18081, "rpc_port": 16123},
}


@pytest.fixture(scope="session")
def stack_config() -> StackConfig:
    return StackConfig.model_validate(TEST_STACK)


@pytest.fixture(scope="session")
def stack(stack_config: StackConfig):
    """The whole stack (Kafka, PostgreSQL, Connect, Flink) up for the session."""
    reused = all(s.healthy for s in stack_ops.status(stack_config))
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
