"""Video source base: an iterator of frames with a frame id and an aware UTC capture time."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

from edge_producer.closing import Closing
from edge_producer.config import SourceConfig
from edge_producer.errors import SourceError
from edge_producer.frames import Frame

__all__ = ["SourceError", "VideoSource"]


class VideoSource(Closing, ABC):
    """Frames from one camera, file, folder or stream.

    Iterating yields processed frames (after frame skipping and resizing) until the end of a
    file (unless it loops), ``max_frames``, or :meth:`close`. Use it as a context manager.
    """

    def __init__(self, config: SourceConfig) -> None:
        self.config = config

    @abstractmethod
    def __iter__(self) -> Iterator[Frame]: ...

    @abstractmethod
    def close(self) -> None:
        """Release the device or file; iteration ends cleanly."""

    @property
    @abstractmethod
    def nominal_fps(self) -> float | None:
        """The source's own frame rate when it reports one."""
