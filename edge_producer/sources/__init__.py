"""Video sources: a file, a folder of images, a webcam, a Jetson CSI camera or a stream."""

from __future__ import annotations

import re
from pathlib import Path

from edge_producer.config import SourceConfig
from edge_producer.sources.base import SourceError, VideoSource
from edge_producer.sources.camera import CSI_PREFIX, CsiSource, WebcamSource
from edge_producer.sources.file import FileSource
from edge_producer.sources.folder import FolderSource
from edge_producer.sources.stream import STREAM_SCHEMES, StreamSource, redact

SOURCES: dict[str, type[VideoSource]] = {
    "file": FileSource,
    "folder": FolderSource,
    "webcam": WebcamSource,
    "csi": CsiSource,
    "stream": StreamSource,
}


def infer_kind(uri: str) -> str:
    """The source kind a uri stands for, or SourceError naming what was tried.

    An existing folder, then an existing file, then a webcam (digits or /dev/video*), then by
    URL scheme: csi://N, rtsp(s)://, http(s)://.
    """
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", uri)
    if scheme is None:
        path = Path(uri).expanduser()
        if path.is_dir():
            return "folder"
        if path.is_file():
            return "file"
        if re.fullmatch(r"[0-9]+", uri) or re.fullmatch(r"/dev/video\d+", uri):
            return "webcam"
        raise SourceError(
            f"video file not found: {uri} (nor a folder, a webcam index or /dev/videoN, "
            f"{CSI_PREFIX}N, or a stream URL)"
        )
    name = scheme.group(1).lower()
    if name == "csi":
        return "csi"
    if name in STREAM_SCHEMES:
        return "stream"
    raise SourceError(
        f"unsupported URL scheme {name!r} in source uri {redact(uri)!r}: expected "
        f"{CSI_PREFIX}N or {', '.join(s + '://' for s in STREAM_SCHEMES)}, or a file, "
        "folder or webcam"
    )


def open_source(config: SourceConfig) -> VideoSource:
    """Open the configured source (its kind inferred from the uri when kind is 'auto')."""
    kind = infer_kind(config.uri) if config.kind == "auto" else config.kind
    return SOURCES[kind](config)


__all__ = [
    "CsiSource",
    "FileSource",
    "FolderSource",
    "SourceError",
    "StreamSource",
    "VideoSource",
    "WebcamSource",
    "infer_kind",
    "open_source",
]
