"""Backfill progress: the job's committed offsets (on each checkpoint) against the bounds."""

from __future__ import annotations

import re
import threading
import time

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from tqdm import tqdm

from jobs.config import JobConfig, utc_millis
from jobs.tables import replay_first_record


def topic_partitions(consumer: KafkaConsumer, topic: str) -> list[TopicPartition]:
    """The topic's partitions; none if it does not exist. A topic just created may not be in
    the first metadata yet: asked again for up to 10 s."""
    for _ in range(20):
        ids = consumer.partitions_for_topic(topic)
        if ids:
            return [TopicPartition(topic, p) for p in ids]
        time.sleep(0.5)
    return []


def _bounds(cfg: JobConfig, topic: str) -> dict[TopicPartition, tuple[int, int]]:
    bf = cfg.backfill
    assert bf is not None
    consumer = KafkaConsumer(bootstrap_servers=cfg.kafka.bootstrap, **_client_props(cfg))
    try:
        parts = topic_partitions(consumer, topic)
        first = consumer.beginning_offsets(parts)
        last = consumer.end_offsets(parts)
        start = replay_first_record(cfg)
        if start is not None:
            at = consumer.offsets_for_times({tp: utc_millis(start) for tp in parts})
            first = {tp: (at[tp].offset if at[tp] else last[tp]) for tp in parts}
        if bf.end_offsets:
            last = {tp: bf.end_offsets.get(tp.partition, first[tp]) for tp in parts}
        return {tp: (first[tp], max(first[tp], last[tp])) for tp in parts}
    finally:
        consumer.close()


def _client_props(cfg: JobConfig) -> dict[str, str]:
    """The Java client properties the progress reader (kafka-python) needs, in its spelling."""
    props = cfg.kafka.resolved_properties()
    out = {
        k.replace(".", "_"): v
        for k, v in props.items()
        if k in ("security.protocol", "sasl.mechanism")
    }
    jaas = props.get("sasl.jaas.config", "")
    for field in ("username", "password"):
        m = re.search(rf'{field}="([^"]*)"', jaas)
        if m:
            out[f"sasl_plain_{field}"] = m.group(1)
    return out


class BackfillProgress:
    """A progress bar fed by a background thread until `close()`."""

    def __init__(self, cfg: JobConfig, topic: str, group_id: str) -> None:
        self.bounds = _bounds(cfg, topic)
        self.total = sum(hi - lo for lo, hi in self.bounds.values())
        self.group_id = group_id
        self.cfg = cfg
        self.bar = tqdm(total=self.total, unit="ev", desc=f"backfill {topic}")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        admin = KafkaAdminClient(
            bootstrap_servers=self.cfg.kafka.bootstrap, **_client_props(self.cfg)
        )
        try:
            while not self._stop.wait(1.0):
                committed = admin.list_group_offsets(self.group_id).get(self.group_id, {})
                done = sum(
                    min(max(committed[tp].offset - lo, 0), hi - lo)
                    for tp, (lo, hi) in self.bounds.items()
                    if tp in committed
                )
                self.bar.update(done - self.bar.n)
        finally:
            admin.close()

    def close(self, finished: bool) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        if finished:
            self.bar.update(self.total - self.bar.n)
        self.bar.close()
