"""A network stream (RTSP, HTTP) read with OpenCV's FFmpeg backend, reconnecting on loss."""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import cv2

from edge_producer.config import SourceConfig
from edge_producer.sources.base import SourceError
from edge_producer.sources.live import LiveSource

log = logging.getLogger(__name__)

STREAM_SCHEMES = ("rtsp", "rtsps", "http", "https")
OPEN_TIMEOUT_S = 10.0
"""FFmpeg gives up connecting after this long."""
READ_TIMEOUT_S = 10.0
"""FFmpeg gives up waiting for a frame after this long; the stream then counts as lost."""


def redact(url: str) -> str:
    """The URL with any password replaced by ***, for logs and errors."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def open_stream(url: str) -> cv2.VideoCapture:
    """Open a stream with the FFmpeg backend, or raise SourceError."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in STREAM_SCHEMES:
        raise SourceError(
            f"unsupported stream URL scheme {scheme!r} in {redact(url)!r}: "
            f"expected one of {', '.join(s + '://' for s in STREAM_SCHEMES)}"
        )
    timeouts = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        int(OPEN_TIMEOUT_S * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        int(READ_TIMEOUT_S * 1000),
    ]
    cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG, timeouts)
    if not cap.isOpened():
        raise SourceError(f"cannot open stream {redact(url)}")
    return cap


class StreamSource(LiveSource):
    """An RTSP or HTTP(S) stream; it must open at start, and reconnects when lost later.

    After a lost stream it waits ``reconnect_initial_s``, then twice as long after each failed
    reconnect up to ``reconnect_max_s``; after ``reconnect_attempts`` failed reconnects in a row
    (when set) it raises SourceError. Each reconnect is logged. Frame ids go on counting
    across reconnects; :meth:`close` interrupts a wait.
    """

    def __init__(self, config: SourceConfig) -> None:
        super().__init__(config, open_stream(config.uri), f"stream {redact(config.uri)}")
        self._failures = 0
        self._wait_s = config.reconnect_initial_s

    def _stamp(self) -> tuple[int, datetime]:
        self._failures = 0
        self._wait_s = self.config.reconnect_initial_s
        return super()._stamp()

    def _after_failed_grab(self) -> bool:
        """Reconnect: True once reopened, False if closed while waiting."""
        limit = self.config.reconnect_attempts
        while limit is None or self._failures < limit:
            self._failures += 1
            log.warning("%s lost; reconnect %d in %.2f s", self.label, self._failures, self._wait_s)
            if self._capture.wait_released(self._wait_s):
                return False
            self._wait_s = min(2 * self._wait_s, self.config.reconnect_max_s)
            try:
                self._capture.replace(open_stream(self.config.uri))
            except SourceError as exc:
                log.warning("%s: reconnect %d failed: %s", self.label, self._failures, exc)
                continue
            log.info("%s reconnected after %d attempt(s)", self.label, self._failures)
            return True
        raise SourceError(f"{self.label} lost; gave up after {limit} failed reconnects in a row")
