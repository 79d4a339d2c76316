"""MessageSender base: where a pipeline hands its events."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType

from contracts.events import Event


class MessageSender(ABC):
    """Delivers contract events. Kafka and RabbitMQ senders come with part 2 of the edge."""

    @abstractmethod
    def send(self, event: Event) -> None:
        """Hand over one validated event."""

    def flush(self) -> None:  # noqa: B027 - optional hook
        """Block until every event handed over so far is delivered."""

    def close(self) -> None:
        """Flush and release resources."""
        self.flush()

    def __enter__(self) -> MessageSender:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
