"""JSONL file sender: one compact contract JSON event per line."""

from __future__ import annotations

from pathlib import Path

from contracts.events import Event
from edge_producer.senders.base import MessageSender


class JsonlSender(MessageSender):
    """Writes each event as one line of ``Event.to_json()`` (with its ``schema`` tag).

    The file is truncated when opened. Each line reaches the OS as it is written (line
    buffering), so a ``kill -9`` loses none; configured after a broker sender, a line in the
    file means the event is in that sender's spool.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "w", encoding="utf-8", buffering=1)  # noqa: SIM115 - closed in close()

    def send(self, event: Event) -> None:
        self._fh.write(event.to_json())
        self._fh.write("\n")

    def flush(self) -> None:
        if not self._fh.closed:
            self._fh.flush()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()
