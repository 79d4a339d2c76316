"""MessageSender base: where a pipeline hands its events."""

from __future__ import annotations

from abc import ABC, abstractmethod

from contracts.events import Event
from edge_producer.closing import Closing


class MessageSender(Closing, ABC):
    """Delivers contract events. Kafka and RabbitMQ senders come with part 2 of the edge."""

    @abstractmethod
    def send(self, event: Event) -> None:
        """Hand over one validated event."""

    def flush(self) -> None:
        """Block until every event handed over so far is delivered."""

    def close(self) -> None:
        """Flush and release resources."""
        self.flush()
