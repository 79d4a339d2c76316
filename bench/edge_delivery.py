"""The edge's delivery path against a plain Kafka producer, side by side in one run.

    .venv/bin/python -m bench.edge_delivery [--events 20000] [--rounds 3] [--rate 50 --rate 1000]
        [--outage-s 60] [--outage-rate 20] [--keep-kafka]

- **throughput**: the same contract events (three people a frame, an event_id each) go to
  Kafka once through `SpooledSender` (every event written to the spool's log, a drainer
  thread sending batches and removing what Kafka confirmed) and once through kafka-python
  alone with the same producer settings (acks=all, idempotent, gzip, linger 20 ms). Each
  side's time runs from the first send to the last confirmation. Rounds alternate the order;
  the ratio is spooled / plain, medians of the rounds.
- **drain**: a backlog of 60 s of events at each `--rate` (events per second of one edge) is
  spooled while no broker is reachable, then a sender starts against Kafka: the seconds until
  the spool is empty.
- **outage**: one sender sends events at `--outage-rate` per second in real time; Kafka is
  killed with SIGKILL for `--outage-s` (60 s of backlog) and started again; the events go on
  until the backlog has drained. Figures: records in Kafka against events produced (the aim is
  1.00: each event once), the most events the producer held at once, its sessions, and the
  seconds from Kafka's return to an empty spool.

Runs its own Kafka (`state/bench-stack`, port 24092), the broker of bench/jobs_throughput.py;
nothing else of the stack is needed. It prints figures and ratios and asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

from bench.jobs_throughput import BENCH_STACK
from bench.machine import machine
from contracts.events import Detection, PersonDetections
from edge_producer.senders.kafka import KafkaBroker
from edge_producer.senders.spooled import SpooledSender
from edge_producer.spool import Spool
from infra.config import StackConfig
from infra.fetch import fetch
from infra.services.kafka import Kafka

T0 = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def events(n: int, cameras: int = 4) -> list[PersonDetections]:
    people = [
        Detection(track_id=k, bbox=(10.0 * k, 20.0, 10.0 * k + 60.5, 180.25), score=0.87)
        for k in range(3)
    ]
    return [
        PersonDetections(
            site_id="site-bench", camera_id=f"cam-{i % cameras}", frame_id=i // cameras,
            captured_at=T0 + timedelta(milliseconds=100 * (i // cameras)), people_count=3,
            detections=people, event_id=str(uuid.uuid4()), schema="person_detections/v1",
        )
        for i in range(n)
    ]  # fmt: skip


def new_topic(admin: KafkaAdminClient, hint: str) -> str:
    name = f"bench.edge.{hint}.{uuid.uuid4().hex[:8]}"
    admin.create_topics([NewTopic(name, 1, 1)])
    return name


def plain(bootstrap: str, topic: str, batch: list[PersonDetections]) -> float:
    """kafka-python alone, with KafkaBroker's settings: events per second."""
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
        compression_type="gzip", linger_ms=20,
    )  # fmt: skip
    producer.send(topic, key=b"warm-up", value=b"{}").get(timeout=30)
    start = time.perf_counter()
    for e in batch:
        producer.send(topic, key=e.camera_id.encode(), value=e.to_json().encode())
    producer.flush()
    seconds = time.perf_counter() - start
    producer.close()
    return len(batch) / seconds


def spooled(bootstrap: str, topic: str, batch: list[PersonDetections], spool_dir: Path) -> float:
    """The edge's path: spool first, then the drainer; events per second until all confirmed."""
    path = spool_dir / uuid.uuid4().hex
    sender = SpooledSender(
        Spool(path), KafkaBroker(bootstrap), topics={PersonDetections.TOPIC: topic}
    )
    sender.broker.publish([])  # connect before the clock starts, as the plain side does
    start = time.perf_counter()
    for e in batch:
        sender.send(e)
    if not sender.flush(timeout_s=600):
        raise RuntimeError("the spool did not drain in 600 s")
    seconds = time.perf_counter() - start
    sender.close()
    return len(batch) / seconds


def drain(bootstrap: str, topic: str, backlog: list[PersonDetections], spool_dir: Path) -> float:
    """Seconds to empty a spool that filled while no broker was reachable."""
    spool = Spool(spool_dir / f"backlog-{uuid.uuid4().hex}")
    for e in backlog:
        spool.append(topic, e.camera_id, e.to_json().encode())
    start = time.perf_counter()
    sender = SpooledSender(spool, KafkaBroker(bootstrap))
    if not sender.flush(timeout_s=600):
        raise RuntimeError("the backlog did not drain in 600 s")
    seconds = time.perf_counter() - start
    sender.close()
    return seconds


def outage(
    kafka: Kafka, topic: str, rate: float, outage_s: float, spool_dir: Path
) -> dict[str, float]:
    """Events at `rate` per second through a spooled sender while Kafka is killed for
    `outage_s` and comes back; records in the topic against events produced."""
    broker = KafkaBroker(kafka.cfg.kafka_bootstrap, timeout_s=5)
    sender = SpooledSender(
        Spool(spool_dir / f"outage-{uuid.uuid4().hex}"),
        broker,
        topics={PersonDetections.TOPIC: topic},
        max_backoff_s=2,
    )
    sent = 0
    most_in_flight = 0
    kill_at = time.monotonic() + 10
    killed = False
    back_at = drained_at = None
    while drained_at is None or time.monotonic() < drained_at + 5:
        for e in events(max(1, round(rate / 10))):  # a tenth of a second's events
            sender.send(e)
            sent += 1
        most_in_flight = max(most_in_flight, broker.in_flight)
        now = time.monotonic()
        if not killed and now >= kill_at:
            kafka.kill()
            killed = True
        if back_at is None and now >= kill_at + outage_s:
            kafka.start()
            back_at = time.monotonic()
        if back_at and drained_at is None and sender.spool.depth <= rate:  # caught up
            drained_at = time.monotonic()
        time.sleep(0.1)
    if not sender.flush(timeout_s=120):
        raise RuntimeError("the spool did not drain in 120 s after the outage")
    sender.close()
    assert back_at is not None and drained_at is not None
    return {
        "events": sent,
        "records": topic_records(kafka.cfg.kafka_bootstrap, topic),
        "in_flight": most_in_flight,
        "sessions": broker.sessions,
        "drain_s": drained_at - back_at,
    }


def topic_records(bootstrap: str, topic: str) -> int:
    """Records in a one-partition topic: its end offset (an idempotent producer writes no
    gaps; nothing is compacted)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    tp = TopicPartition(topic, 0)
    try:
        return consumer.end_offsets([tp])[tp]
    finally:
        consumer.close()


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench.edge_delivery", description=__doc__.split("\n")[0])
    p.add_argument("--events", type=int, default=20_000, help="events per side and round")
    p.add_argument("--rounds", type=int, default=3, help="rounds (order alternates)")
    p.add_argument(
        "--rate", type=float, action="append", help="backlog rates, events/s (default 50, 1000)"
    )
    p.add_argument("--outage-s", type=float, default=60.0, help="Kafka's outage; 0 skips it")
    p.add_argument("--outage-rate", type=float, default=20.0, help="events/s during the outage")
    p.add_argument("--keep-kafka", action="store_true", help="leave the bench Kafka running")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    cfg = StackConfig.model_validate(BENCH_STACK)
    fetch()
    kafka = Kafka(cfg)
    print(f"machine: {machine()}", flush=True)
    print(f"bench Kafka at {cfg.kafka_bootstrap} ...", flush=True)
    kafka.start()
    admin = KafkaAdminClient(bootstrap_servers=cfg.kafka_bootstrap)
    batch = events(args.events)
    plain_rates: list[float] = []
    spool_rates: list[float] = []
    try:
        with tempfile.TemporaryDirectory(prefix="ivica-bench-spool-") as tmp:
            for r in range(args.rounds):
                sides = [("plain", plain_rates), ("spooled", spool_rates)]
                for name, rates in sides if r % 2 == 0 else sides[::-1]:
                    topic = new_topic(admin, name)
                    if name == "plain":
                        rate = plain(cfg.kafka_bootstrap, topic, batch)
                    else:
                        rate = spooled(cfg.kafka_bootstrap, topic, batch, Path(tmp))
                    rates.append(rate)
                    print(f"  round {r + 1} {name:<8} {rate:>9,.0f} ev/s", flush=True)
            p, s = statistics.median(plain_rates), statistics.median(spool_rates)
            per_round = ", ".join(
                f"{a / b:.2f}" for a, b in zip(spool_rates, plain_rates, strict=True)
            )
            print(f"plain kafka-python : {p:>9,.0f} ev/s (median of {args.rounds})")
            print(f"spool + Kafka      : {s:>9,.0f} ev/s (median of {args.rounds})")
            print(f"ratio spooled/plain: {s / p:.2f}x (rounds: {per_round})")
            for rate in args.rate or [50.0, 1000.0]:
                n = round(rate * 60)
                seconds = drain(
                    cfg.kafka_bootstrap, new_topic(admin, "drain"), events(n), Path(tmp)
                )
                print(
                    f"drain of a 60 s backlog at {rate:,.0f} ev/s ({n:,} events): "
                    f"{seconds:.2f} s ({n / seconds:,.0f} ev/s)",
                    flush=True,
                )
            if args.outage_s:
                o = outage(
                    kafka, new_topic(admin, "outage"), args.outage_rate, args.outage_s, Path(tmp)
                )
                print(
                    f"outage of {args.outage_s:.0f} s (Kafka killed) at {args.outage_rate:,.0f}"
                    f" ev/s: {o['records']:,} records in Kafka for {o['events']:,} events ="
                    f" {o['records'] / o['events']:.2f}x (aim 1.00); at most {o['in_flight']:,}"
                    f" in flight; {o['sessions']} producer session(s); drained"
                    f" {o['drain_s']:.1f} s after Kafka's return",
                    flush=True,
                )
    finally:
        admin.close()
        if not args.keep_kafka:
            kafka.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
