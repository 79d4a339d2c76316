"""Small real-Kafka helpers for tests: unique topics, produce, read back committed records."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from contracts.connect import unwrap

FOREVER = {"retention.ms": "-1"}


class KafkaIO:
    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.bootstrap = bootstrap
        self.prefix = prefix
        self._admin = KafkaAdminClient(bootstrap_servers=bootstrap)
        self._producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)

    def topic(self, hint: str, partitions: int = 1) -> str:
        """Create and return a topic name unique to this test. Its records never expire: the
        golden streams carry fixed capture times, older than Kafka's 7-day default retention
        once the calendar passes them, and a test that stamps records with them would find the
        topic emptied."""
        name = f"{self.prefix}.{hint}.{uuid.uuid4().hex[:8]}"
        self._admin.create_topics([NewTopic(name, partitions, 1, topic_configs=FOREVER)])
        return name

    def produce(
        self,
        topic: str,
        lines: Iterable[tuple[str, str]],
        *,
        partition_of: Callable[[str], int] | None = None,
        timestamps: Iterable[int] | None = None,
    ) -> int:
        """Send (camera_id, line) records keyed by camera, optionally to chosen partitions and
        with chosen record timestamps (ms)."""
        stamps = iter(timestamps) if timestamps is not None else None
        n = 0
        for camera, line in lines:
            self._producer.send(
                topic,
                key=camera.encode(),
                value=line.encode(),
                partition=partition_of(camera) if partition_of else None,
                timestamp_ms=next(stamps) if stamps else None,
            )
            n += 1
        self._producer.flush()
        return n

    def read(
        self, topic: str, *, expect: int, timeout_s: float = 120.0, settle_s: float = 0.0
    ) -> list[dict]:
        """Read committed JSON records (Connect envelopes unwrapped) until `expect` arrived
        (then `settle_s` more) or timeout."""
        consumer = KafkaConsumer(
            topic,
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            enable_auto_commit=False,
            group_id=f"reader-{uuid.uuid4().hex[:8]}",
            consumer_timeout_ms=1000,
        )
        out: list[dict] = []
        deadline = time.monotonic() + timeout_s
        settle_until = None
        try:
            while time.monotonic() < deadline:
                out += [unwrap(json.loads(m.value)) for m in consumer]
                if len(out) >= expect:
                    settle_until = settle_until or time.monotonic() + settle_s
                    if time.monotonic() >= settle_until:
                        break
        finally:
            consumer.close()
        return out

    def close(self) -> None:
        self._producer.close()
        self._admin.close()
