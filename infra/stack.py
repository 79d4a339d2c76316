"""`ivica stack up | down | status`: the local stack without Docker.

Start order is Kafka, PostgreSQL, Kafka Connect (needs Kafka), Flink; stop is the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.config import StackConfig
from infra.fetch import check_java, fetch
from infra.proc import StackError
from infra.services.base import Service
from infra.services.connect import Connect
from infra.services.flink import Flink
from infra.services.kafka import Kafka
from infra.services.postgres import Postgres

SERVICE_TYPES: tuple[type[Service], ...] = (Kafka, Postgres, Connect, Flink)


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    address: str
    running: bool
    healthy: bool


def services(cfg: StackConfig) -> list[Service]:
    return [t(cfg) for t in SERVICE_TYPES]


def up(cfg: StackConfig, echo=print) -> None:
    """Start every service that is not running and wait until all are healthy."""
    if fetch():
        echo("fetched JARs from Maven Central into infra/lib")
    check_java()
    cfg.state.mkdir(parents=True, exist_ok=True)
    for svc in services(cfg):
        was_running = svc.running()
        echo(f"{svc.name}: {'already running' if was_running else 'starting'} ...")
        svc.start()
        echo(f"{svc.name}: ready at {svc.address}")


def down(cfg: StackConfig, echo=print) -> None:
    """Stop every service; raise if any process survives."""
    survivors = []
    for svc in reversed(services(cfg)):
        if svc.running():
            echo(f"{svc.name}: stopping ...")
            svc.stop()
        if svc.running():
            survivors.append(svc.name)
        else:
            echo(f"{svc.name}: stopped")
    if survivors:
        raise StackError(f"still running after stop: {', '.join(survivors)}")


def status(cfg: StackConfig) -> list[ServiceStatus]:
    rows = []
    for svc in services(cfg):
        running = svc.running()
        rows.append(ServiceStatus(svc.name, svc.address, running, running and svc.healthy()))
    return rows
