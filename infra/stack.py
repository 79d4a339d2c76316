"""`ivica stack up | down | status`: the local stack without Docker.

Start order is Kafka, PostgreSQL, Kafka Connect (needs Kafka), Flink, then the optional
services asked for with `up --with` (RabbitMQ, S3); stop is the reverse. `down` and `status`
cover the optional services too, whether or not they run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from infra.config import StackConfig
from infra.fetch import check_java, fetch
from infra.proc import StackError
from infra.services.base import Service
from infra.services.connect import Connect
from infra.services.flink import Flink
from infra.services.kafka import Kafka
from infra.services.mlflow import MLflow
from infra.services.postgres import Postgres
from infra.services.rabbitmq import RabbitMQ
from infra.services.s3 import S3

SERVICE_TYPES: tuple[type[Service], ...] = (Kafka, Postgres, Connect, Flink)
# Started only when named (`ivica stack up --with rabbitmq,s3`), in this order; `mlops` is
# MLflow with the S3 server it keeps its artifacts in.
OPTIONAL_SERVICE_TYPES: dict[str, tuple[type[Service], ...]] = {
    "rabbitmq": (RabbitMQ,),
    "s3": (S3,),
    "mlops": (S3, MLflow),
}


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    address: str
    running: bool
    healthy: bool
    optional: bool = False

    @property
    def ok(self) -> bool:
        """Healthy, or an optional service that was not asked for."""
        return self.healthy or (self.optional and not self.running)


def optional_names(with_: Iterable[str] = ()) -> list[str]:
    """Validate `--with` values ("rabbitmq,s3" or one name each); known order, no repeats."""
    values = [with_] if isinstance(with_, str) else with_
    names = {n.strip().lower() for v in values for n in v.split(",") if n.strip()}
    unknown = sorted(names - OPTIONAL_SERVICE_TYPES.keys())
    if unknown:
        raise StackError(
            f"unknown optional service(s) {', '.join(unknown)}; "
            f"choose from {', '.join(OPTIONAL_SERVICE_TYPES)}"
        )
    return [n for n in OPTIONAL_SERVICE_TYPES if n in names]


def services(cfg: StackConfig, with_: Iterable[str] = ()) -> list[Service]:
    """The core services, then the optional ones named in `with_`, in start order."""
    types = [t for n in optional_names(with_) for t in OPTIONAL_SERVICE_TYPES[n]]
    optional = [t(cfg) for t in dict.fromkeys(types)]
    return [t(cfg) for t in SERVICE_TYPES] + optional


def all_services(cfg: StackConfig) -> list[Service]:
    return services(cfg, OPTIONAL_SERVICE_TYPES)


def up(cfg: StackConfig, echo=print, with_: Iterable[str] = ()) -> None:
    """Start every service that is not running (the core ones and those named in `with_`)
    and wait until all are healthy."""
    chosen = services(cfg, with_)  # an unknown name fails here, before anything starts
    if fetch():
        echo("fetched JARs from Maven Central into infra/lib")
    check_java()
    cfg.state.mkdir(parents=True, exist_ok=True)
    for svc in chosen:
        was_running = svc.running()
        echo(f"{svc.name}: {'already running' if was_running else 'starting'} ...")
        svc.start()
        echo(f"{svc.name}: ready at {svc.address}")


def down(cfg: StackConfig, echo=print) -> None:
    """Stop every service, optional ones included; raise if any process survives."""
    survivors = []
    for svc in reversed(all_services(cfg)):
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
    for svc in all_services(cfg):
        running = svc.running()
        optional = not isinstance(svc, SERVICE_TYPES)
        healthy = running and svc.healthy()
        rows.append(ServiceStatus(svc.name, svc.address, running, healthy, optional))
    return rows
