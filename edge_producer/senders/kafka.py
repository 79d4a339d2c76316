"""Kafka broker for the spooled sender: acks=all, idempotent, compressed, keyed by camera.

Each spooled event is handed to the producer once per producer session. The producer retries
it itself, idempotently (the same producer id and sequence numbers, so the broker drops its own
repeats), for as long as `delivery_timeout_s` allows. While it still holds an event, a retry of
the drainer waits for that event again instead of sending it again. Only a new session sends
unconfirmed events again: after a restart of the edge, or after the producer gave up on an event
(its delivery timeout passed, or the broker refused it for good), when this session is closed.
Those are the only ways an event can reach Kafka twice (docs/contract.md, "Delivery").
"""

from __future__ import annotations

import contextlib
import logging
import time

from kafka import KafkaProducer
from kafka.errors import KafkaError
from kafka.producer.future import FutureRecordMetadata

from edge_producer.senders.spooled import Broker
from edge_producer.spool import Entry

log = logging.getLogger(__name__)


class KafkaBroker(Broker):
    """The producer connects on the first publish, in the drainer's thread: an edge that starts
    while Kafka is down keeps spooling instead of blocking, and retries with backoff."""

    def __init__(
        self,
        bootstrap: str,
        *,
        timeout_s: float = 30.0,
        delivery_timeout_s: float = 86_400.0,
        max_in_flight: int = 500,
        **client: object,
    ) -> None:
        """`timeout_s`: how long one publish waits for confirmations (and a connection);
        `delivery_timeout_s`: how long the producer retries an event before it gives up;
        `max_in_flight`: the most events the producer holds at once, which bounds its memory
        through an outage; `client`: more kafka-python settings (security_protocol, sasl_*,
        ssl_*)."""
        self.timeout_s = timeout_s
        self.max_in_flight = max_in_flight
        self._config = {
            "bootstrap_servers": bootstrap,
            "acks": "all",
            "enable_idempotence": True,
            "compression_type": "gzip",
            "linger_ms": 20,
            "bootstrap_timeout_ms": round(timeout_s * 1000),
            "max_block_ms": round(timeout_s * 1000),
            "delivery_timeout_ms": round(delivery_timeout_s * 1000),
            **client,
        }
        self._producer: KafkaProducer | None = None
        self._in_flight: dict[int, FutureRecordMetadata] = {}  # seq -> this session's send
        self.sessions = 0  # producer sessions opened

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def publish(self, entries: list[Entry]) -> list[int]:
        if self._producer is None:
            self._producer = KafkaProducer(**self._config)  # raises while Kafka is down
            self.sessions += 1
        self._forget_dropped(entries)
        self._hand_over(self._producer, entries)
        confirmed: list[int] = []
        deadline = time.monotonic() + self.timeout_s
        for entry in entries:  # each event's delivery report; the confirmed prefix keeps order
            future = self._in_flight.get(entry.seq)
            if future is None:  # not handed over: the producer holds enough already
                break
            with contextlib.suppress(Exception):  # a failure is read from the future below
                future.get(max(0.0, deadline - time.monotonic()))
            if not future.is_done:  # the producer still holds it and retries it itself
                break
            if future.failed():
                self._end_session(entry.seq, future.exception)
                break
            del self._in_flight[entry.seq]
            confirmed.append(entry.seq)
        if not confirmed and entries:
            raise ConnectionError(
                f"Kafka confirmed none of {len(entries)} events in {self.timeout_s:.0f} s;"
                f" the producer holds {self.in_flight} and retries them itself"
            )
        return confirmed

    def _hand_over(self, producer: KafkaProducer, entries: list[Entry]) -> None:
        """Send the entries the producer does not hold yet, in order, up to `max_in_flight`."""
        for entry in entries:
            if entry.seq in self._in_flight:
                continue
            if len(self._in_flight) >= self.max_in_flight:
                return
            try:
                future = producer.send(entry.topic, key=entry.key.encode(), value=entry.payload)
            except KafkaError as exc:  # e.g. no metadata for a topic while Kafka is down
                log.warning("Kafka did not take event %d (%s); it stays spooled", entry.seq, exc)
                return
            self._in_flight[entry.seq] = future

    def _forget_dropped(self, entries: list[Entry]) -> None:
        """Stop tracking events the spool dropped (its bounds) once the producer is done with
        them; until then they count against `max_in_flight`."""
        first = entries[0].seq if entries else float("inf")
        for seq in [s for s, f in self._in_flight.items() if s < first and f.is_done]:
            del self._in_flight[seq]

    def _end_session(self, seq: int, exc: BaseException | None) -> None:
        """The producer gave up on an event: close this session. The next publish opens a new
        one, which sends every unconfirmed event again (those the broker got before it lost
        touch can then arrive twice)."""
        log.warning(
            "Kafka producer gave up on event %d (%r); closing its session: a new one sends the"
            " %d unconfirmed events again", seq, exc, len(self._in_flight),
        )  # fmt: skip
        self.close()

    def close(self) -> None:
        producer, self._producer = self._producer, None
        self._in_flight.clear()
        if producer is None:
            return
        try:
            producer.close(timeout=self.timeout_s)
        except KafkaError as exc:  # events still unconfirmed: they stay spooled for next time
            log.warning("Kafka producer closed with events unconfirmed (%s)", exc)
            producer._sender.force_close()  # close() raised before its own force_close
