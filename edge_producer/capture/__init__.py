"""Video capture for retraining: privacy-filtered rotating clips, stored locally or in S3.

Off by default (``capture.enabled``). Every frame passes the :class:`PrivacyFilter` before
anything is written; :class:`ClipRecorder` writes rotating mp4 clips and hands each finished
clip with its metadata to a :class:`ClipStore` (:class:`LocalClipStore` or
:class:`S3ClipStore`, imported lazily since it needs boto3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from edge_producer.capture.base import ClipStore, ClipStoreStats, metadata_path
from edge_producer.capture.local import LocalClipStore
from edge_producer.capture.privacy import PrivacyFilter
from edge_producer.capture.recorder import ClipRecorder, build_capture, build_store

if TYPE_CHECKING:
    from edge_producer.capture.s3 import S3ClipStore

__all__ = [
    "ClipRecorder",
    "ClipStore",
    "ClipStoreStats",
    "LocalClipStore",
    "PrivacyFilter",
    "S3ClipStore",
    "build_capture",
    "build_store",
    "metadata_path",
]


def __getattr__(name: str) -> Any:
    if name == "S3ClipStore":
        from edge_producer.capture.s3 import S3ClipStore

        return S3ClipStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
