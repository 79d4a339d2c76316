"""A sender that writes every event to the durable spool first, and a thread that drains the
spool into a broker, removing each event only once the broker confirms it.

During an outage the pipeline keeps running and the spool grows; the drainer retries with
backoff and, on reconnect, sends the backlog in spool order (so each camera's order holds)
before the live events behind it.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod

from contracts.events import Event
from edge_producer.closing import Closing
from edge_producer.senders.base import MessageSender
from edge_producer.spool import Entry, Spool

log = logging.getLogger(__name__)


class Broker(Closing, ABC):
    """Where a spool drains to: Kafka, RabbitMQ."""

    @abstractmethod
    def publish(self, entries: list[Entry]) -> list[int]:
        """Send the entries in order; return the sequence numbers the broker confirmed (a
        prefix or all of them). Raise on a failure that confirmed nothing. `entries` always
        starts at the oldest unconfirmed event, so a call after a failure gets again what the
        broker did not confirm: an event the client still holds must not be sent again."""

    @property
    def in_flight(self) -> int:
        """Events handed to the broker's client and not yet confirmed."""
        return 0


class SpooledSender(MessageSender):
    def __init__(
        self,
        spool: Spool,
        broker: Broker,
        *,
        name: str = "broker",
        topics: dict[str, str] | None = None,
        batch: int = 500,
        max_backoff_s: float = 30.0,
    ) -> None:
        """`name`: in logs and metrics; `topics`: contract topic -> the topic to use instead
        (default: the contract's)."""
        self.name = name
        self.spool = spool
        self.topics = topics or {}
        self.broker = broker
        self.batch = batch
        self.max_backoff_s = max_backoff_s
        self.spooled = 0  # events appended (refused ones not counted: see spool.dropped)
        self.sent = 0  # confirmed by the broker
        self.send_errors = 0  # failed round trips (each retried)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._thread = threading.Thread(target=self._drain, name="spool-drainer", daemon=True)
        self._thread.start()

    def send(self, event: Event) -> None:
        self._idle.clear()
        topic = self.topics.get(event.TOPIC, event.TOPIC)
        if self.spool.append(topic, event.camera_id, event.to_json().encode()) is not None:
            self.spooled += 1
        self._wake.set()

    def flush(self, timeout_s: float = 60.0) -> bool:
        """Wait until the spool is empty (True) or the timeout passes (False)."""
        self._wake.set()
        deadline = time.monotonic() + timeout_s
        while self.spool.depth and time.monotonic() < deadline:
            self._idle.wait(0.05)
        return self.spool.depth == 0

    def close(self, timeout_s: float = 10.0) -> None:
        """Give the drainer `timeout_s` to empty the spool; what is left stays on disk for the
        next start."""
        self.flush(timeout_s=timeout_s)
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)
        self.broker.close()
        self.spool.close()

    def _drain(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            entries = self.spool.pending(self.batch)
            if not entries:
                self._idle.set()
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            try:
                confirmed = self.broker.publish(entries)
            except Exception as exc:  # the broker is down: keep everything, retry later
                self.send_errors += 1
                log.warning(
                    "%s unavailable (%s); %d events spooled", self.name, exc, self.spool.depth
                )
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
                continue
            backoff = 0.5
            self.spool.ack(confirmed)
            self.sent += len(confirmed)
