"""`ivica demo` and `ivica demo --down`."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import psycopg
from kafka import KafkaProducer

import dashboards
from connectors import connect
from connectors.migrate import migrate
from contracts import topics as contract
from dashboards import server, settings
from demo import cameras, flink, secrets, topics
from edge_producer.simulate import simulate
from infra import stack
from infra.config import StackConfig
from infra.proc import StackError
from infra.services.postgres import Postgres

SLUG = "ivica-live-demographics"
FOOTFALL_SLUG = "ivica-footfall-and-dwell"
STEPS = 7


def up(cfg: StackConfig, port: int = server.DEFAULT_PORT, mlops: bool = True, echo=print) -> str:
    """Bring the whole system up (reusing whatever already runs) and wait for the first results
    from the cameras; the dashboard's URL."""
    t0 = time.monotonic()

    def step(n: int, what: str) -> None:
        echo(f"[{n}/{STEPS} {time.monotonic() - t0:4.0f} s] {what}")

    creds = secrets.load(secrets.path(cfg))
    step(1, "the stack: Kafka, Flink, Connect, PostgreSQL" + (", S3, MLflow" if mlops else ""))
    stack.up(cfg, echo=echo, with_=("mlops",) if mlops else ())
    step(2, "migrations, every contract topic, the JDBC sinks")
    migrate(Postgres(cfg).dsn(), echo=echo)
    made = topics.ensure(cfg, echo=echo)
    echo(f"{len(made)} topic(s) created" if made else "topics exist")
    echo(
        connect.format_status(
            connect.apply(cfg.connect_url, connect.render(connect.stack_settings(cfg)))
        )
    )
    step(3, "the jobs on the Flink cluster")
    for job in flink.JOBS:
        flink.submit(cfg, job, echo)
    step(4, "four cameras on two sites, from the real clips")
    cameras.start(cfg, echo)
    step(5, "a few malformed events, for the dead-letter panels")
    _publish_samples(cfg, echo, late=False)
    step(6, "Superset and the dashboard")
    if settings.config_path(cfg).is_file():
        dashboards.import_bundle(cfg, echo=echo)
    else:
        dashboards.bootstrap(cfg, echo=echo)
    url = dashboards.serve(cfg, port, echo=echo)
    step(7, "waiting for the cameras' first windows in PostgreSQL")
    _wait_for_rows(cfg, echo)
    _publish_samples(cfg, echo, late=True)  # behind the watermark now that windows closed
    dashboard = f"{url}/superset/dashboard/{SLUG}/"
    user = settings.admin_credentials()[0]
    echo(
        f"\nDashboard: {dashboard}\n  login {user} / {creds[settings.ADMIN_PASSWORD_ENV]} "
        f"(kept in {secrets.path(cfg)})\n"
        f"Footfall and dwell: {url}/superset/dashboard/{FOOTFALL_SLUG}/\n"
        f"Flink UI:  {cfg.flink_rest_url}\n"
        f"Cameras:   {', '.join(c.camera_id for c in cameras.CAMERAS)} "
        f"(logs under {cameras.folder(cfg)})\n"
        "Stop everything: ivica demo --down   (or: make demo-down)"
    )
    return dashboard


def down(cfg: StackConfig, echo=print) -> None:
    """Stop the cameras, Superset and every service; raise if a process survives."""
    cameras.stop(cfg, echo)
    dashboards.stop(cfg, echo=echo)
    stack.down(cfg, echo=echo)
    left = cameras.running(cfg)
    if left:
        raise StackError(f"cameras still running after stop: {', '.join(left)}")


def _publish_samples(cfg: StackConfig, echo, late: bool) -> None:
    """From a short simulated stream ten minutes old: its malformed lines (each kind of bad input
    the jobs reject), or a few valid events of a demo camera, delayed as after a network outage,
    which the jobs route to the late topic."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    rate = 0.0 if late else 0.02  # the late ones must all be valid
    streams = simulate(seed=int(start.timestamp()), minutes=2, start=start, malformed_rate=rate)
    producer = KafkaProducer(bootstrap_servers=cfg.kafka_bootstrap, acks="all")
    lines: list[tuple[str, bytes, str]] = []  # topic, key, value
    for topic, stream in ((contract.PERSON_DETECTIONS, streams.person),
                          (contract.GENDER_CLASSIFICATIONS, streams.gender)):  # fmt: skip
        if late:
            cam = cameras.CAMERAS[0]
            for _, line in stream.lines[:3]:
                event = {**json.loads(line), "site_id": cam.site_id, "camera_id": cam.camera_id}
                lines.append((topic, cam.camera_id.encode(), json.dumps(event)))
        else:
            lines += [(topic, b"demo-malformed", line) for _kind, line in stream.malformed]
    for topic, key, line in lines:
        producer.send(topic, key=key, value=line.encode())
    producer.flush()
    producer.close()
    echo(f"{len(lines)} {'late' if late else 'malformed'} events published")


def _wait_for_rows(cfg: StackConfig, echo, timeout_s: float = 300) -> None:
    """Until every camera has a people window in PostgreSQL."""
    ids = [c.camera_id for c in cameras.CAMERAS]
    deadline = time.monotonic() + timeout_s
    seen: set[str] = set()
    while time.monotonic() < deadline:
        with psycopg.connect(Postgres(cfg).dsn()) as conn:
            rows = conn.execute(
                "SELECT DISTINCT camera_id FROM ivica.people_counter WHERE camera_id = ANY(%s)",
                (ids,),
            ).fetchall()
        now = {r[0] for r in rows}
        if now != seen:
            echo(f"windows in PostgreSQL from {len(now)} of {len(ids)} cameras")
            seen = now
        if len(seen) == len(ids):
            return
        time.sleep(5)
    raise StackError(
        f"no window from {sorted(set(ids) - seen)} within {timeout_s:.0f} s: see the camera logs "
        f"under {cameras.folder(cfg)} and `ivica connect status`"
    )
