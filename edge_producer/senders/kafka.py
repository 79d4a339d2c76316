"""Kafka broker for the spooled sender: acks=all, idempotent, compressed, keyed by camera."""

from __future__ import annotations

import logging

from kafka import KafkaProducer

from edge_producer.senders.spooled import Broker
from edge_producer.spool import Entry

log = logging.getLogger(__name__)


class KafkaBroker(Broker):
    """The producer connects on the first publish, in the drainer's thread: an edge that starts
    while Kafka is down keeps spooling instead of blocking, and retries with backoff."""

    def __init__(self, bootstrap: str, *, timeout_s: float = 30.0, **client: object) -> None:
        """`client`: more kafka-python settings (security_protocol, sasl_*, ssl_*)."""
        self.timeout_s = timeout_s
        self._config = {
            "bootstrap_servers": bootstrap,
            "acks": "all",
            "enable_idempotence": True,
            "compression_type": "gzip",
            "linger_ms": 20,
            "bootstrap_timeout_ms": round(timeout_s * 1000),
            **client,
        }
        self._producer: KafkaProducer | None = None

    def publish(self, entries: list[Entry]) -> list[int]:
        if self._producer is None:
            self._producer = KafkaProducer(**self._config)  # raises while Kafka is down
        futures = [
            (e.seq, self._producer.send(e.topic, key=e.key.encode(), value=e.payload))
            for e in entries
        ]
        self._producer.flush(timeout=self.timeout_s)
        confirmed = []
        for seq, future in futures:  # each event's delivery report; the confirmed prefix
            if not future.succeeded():  # keeps the order on the retry
                log.warning(
                    "Kafka did not confirm event %d (%s); %d of %d confirmed before it",
                    seq, future.exception or "timed out", len(confirmed), len(futures),
                )  # fmt: skip
                break
            confirmed.append(seq)
        if not confirmed and futures:
            raise ConnectionError(f"Kafka confirmed none of {len(futures)} events")
        return confirmed

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=self.timeout_s)
