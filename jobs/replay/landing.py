"""Waiting for the sinks: a replay is done when every result it wrote is in PostgreSQL.

The jobs write the result topics in Kafka transactions; each output's JDBC sink reads its topic
as the consumer group `connect-<connector>` and commits its offsets every few seconds after it
has written the rows. Landed = every group has committed past the replay's last offsets.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from tqdm import tqdm

from connectors import connect
from contracts.connect import unwrap
from infra.proc import StackError
from jobs.progress import topic_partitions
from jobs.replay.plan import Range
from jobs.replay.store import Target

Offsets = dict[TopicPartition, int]


def end_offsets(bootstrap: str, topics: list[str]) -> Offsets:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        parts = [tp for t in topics for tp in topic_partitions(consumer, t)]
        return dict(consumer.end_offsets(parts))
    finally:
        consumer.close()


@dataclass
class Written:
    """What a replay wrote to the result topics: per partition the offset after its last
    record (a transaction's commit marker comes after it, and a sink commits only up to the
    records it got), and per topic the keys of the windows in the range."""

    ends: Offsets = field(default_factory=dict)
    keys: dict[str, set] = field(default_factory=dict)


def written(bootstrap: str, starts: Offsets, ends: Offsets, rng: Range) -> Written:
    """The committed result records between the offsets (read_committed)."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, isolation_level="read_committed", enable_auto_commit=False
    )
    out = Written(keys={tp.topic: set() for tp in ends})
    try:
        todo = {tp for tp in ends if ends[tp] > starts.get(tp, 0)}
        consumer.assign(list(todo))
        for tp in todo:
            consumer.seek(tp, starts.get(tp, 0))
        deadline = time.monotonic() + 120
        while todo and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=1000).items():
                for r in records:
                    out.ends[tp] = r.offset + 1
                    row = unwrap(json.loads(r.value))
                    if inside(row, rng):
                        key = (row["camera_id"], row["window_start"], row["window_end"])
                        out.keys[tp.topic].add(key)
            todo = {tp for tp in todo if consumer.position(tp) < ends[tp]}
        if todo:
            raise StackError(f"could not read back the replay's results from {sorted(todo)}")
        return out
    finally:
        consumer.close()


def inside(row: dict, rng: Range) -> bool:
    start = datetime.fromisoformat(row["window_start"])
    end = datetime.fromisoformat(row["window_end"])
    return (
        rng.start <= start
        and end <= rng.end
        and (not rng.cameras or row["camera_id"] in rng.cameras)
        and (rng.site is None or row["site_id"] == rng.site)
    )


def wait_landed(
    bootstrap: str,
    connect_url: str,
    targets: list[Target],
    starts: Offsets,
    ends: Offsets,
    *,
    timeout_s: float,
    poll_s: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Until each sink's group has committed up to `ends` on its topic (the offsets after the
    replay's last records: Written.ends), with a progress bar; a sink that is not running, or
    the timeout, fails with one line."""
    total = sum(ends[tp] - starts.get(tp, 0) for tp in ends)
    group_of = {t.topic: f"connect-{t.connector}" for t in targets}
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    deadline = clock() + timeout_s
    try:
        with tqdm(total=total, unit="rec", desc="landed in PostgreSQL") as bar:
            while True:
                _check_running(connect_url, [t.connector for t in targets])
                landed = 0
                for group in set(group_of.values()):
                    committed = admin.list_group_offsets(group).get(group, {})
                    for tp, end in ends.items():
                        if group_of[tp.topic] == group and tp in committed:
                            done = committed[tp].offset - starts.get(tp, 0)
                            landed += min(max(done, 0), end - starts.get(tp, 0))
                bar.update(landed - bar.n)
                if landed >= total:
                    return
                if clock() > deadline:
                    raise StackError(
                        f"the sinks landed {landed} of the replay's {total} result records in"
                        f" {timeout_s:.0f} s; see `ivica connect status` and the Connect log"
                    )
                time.sleep(poll_s)
    finally:
        admin.close()


def _check_running(connect_url: str, names: list[str]) -> None:
    for s in connect.status(connect_url, names):
        tasks = s["tasks"]
        broken = [t for t in tasks if t["state"] != "RUNNING"]
        if s["connector"] != "RUNNING" or not tasks or broken:
            state = broken[0]["state"] if broken else s["connector"]
            trace = (broken[0].get("trace") or "").strip().splitlines()[:1] if broken else []
            why = f": {trace[0]}" if trace else ""
            raise StackError(f"sink {s['name']} is {state}{why}; the replay cannot land")
