"""In-memory sender: keeps every event in a list (tests, notebooks, the benchmark)."""

from __future__ import annotations

from contracts.events import Event
from edge_producer.senders.base import MessageSender


class MemorySender(MessageSender):
    """Appends each event to :attr:`events`."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def send(self, event: Event) -> None:
        self.events.append(event)
