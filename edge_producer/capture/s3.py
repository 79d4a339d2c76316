"""Clips uploaded to S3-compatible storage (AWS, MinIO, s3proxy), buffered on disk meanwhile.

:meth:`S3ClipStore.put` only moves the finished clip into ``buffer_dir`` (metadata first), so
recording never waits for the network. An uploader thread sends the oldest waiting clip, then
its metadata (a consumer that sees ``<stem>.json`` in the bucket finds the clip beside it), and
deletes both from the buffer only once S3 confirmed both. While S3 is unreachable every
attempt is counted and logged and retried with exponential backoff up to ``max_backoff_s``;
the buffer survives restarts (a new store picks up what is waiting). Past ``buffer_max_bytes``
the oldest waiting clip is dropped, loudly and counted. The bucket is created when missing.

Object keys: ``<prefix><site_id>/<camera_id>/<clip file name>`` (ids from the metadata).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from edge_producer.capture.base import (
    ClipStore,
    clip_bytes,
    metadata_path,
    remove_clip,
)
from edge_producer.config import S3StoreConfig, resolve_secret

log = logging.getLogger(__name__)

MIB = 1024 * 1024
INITIAL_BACKOFF_S = 0.5


def s3_client(config: S3StoreConfig) -> Any:
    """A boto3 S3 client for ``config`` (credentials from the ``env:NAME`` variables, else
    boto3's own chain). Other endpoints than AWS get path-style addressing and checksums only
    where S3 requires them (MinIO and s3proxy do not all speak the newer ones)."""
    options: dict[str, Any] = {
        "retries": {"max_attempts": 2, "mode": "standard"},  # the uploader does the retrying
        "connect_timeout": 5,
        "read_timeout": 60,
    }
    if config.endpoint_url:
        options |= {
            "s3": {"addressing_style": "path"},
            "request_checksum_calculation": "when_required",
            "response_checksum_validation": "when_required",
        }
    return boto3.session.Session().client(
        "s3",
        endpoint_url=config.endpoint_url,
        region_name=config.region,
        aws_access_key_id=resolve_secret(config.access_key_id),
        aws_secret_access_key=resolve_secret(config.secret_access_key),
        config=BotoConfig(**options),
    )


def _key_part(value: object, default: str) -> str:
    text = str(value) if value else default
    return text.replace("/", "-")


class S3ClipStore(ClipStore):
    """Buffers finished clips in ``buffer_dir`` and uploads them in the background."""

    def __init__(self, config: S3StoreConfig, *, close_timeout_s: float = 5.0) -> None:
        """``close_timeout_s``: how long :meth:`close` waits for the buffer to drain; what is
        left stays buffered for the next start."""
        self.config = config
        super().__init__(Path(config.buffer_dir))
        self.close_timeout_s = close_timeout_s
        self.client = s3_client(config)
        self.transfer = TransferConfig(
            multipart_threshold=config.multipart_mb * MIB,
            multipart_chunksize=config.multipart_mb * MIB,
            max_concurrency=2,
        )
        self._changed = threading.Condition(self._lock)
        self._uploading: Path | None = None
        self._bucket_ready = False
        self._stop = threading.Event()
        waiting = self.clips()
        if waiting:
            log.info(
                "S3 clip store: %d clips from a previous run wait in %s",
                len(waiting),
                self.folder,
            )
        with self._lock:
            self._enforce_buffer_limit()
        self._thread = threading.Thread(target=self._upload_loop, name="clip-uploader", daemon=True)
        self._thread.start()

    # --- the buffer ----------------------------------------------------------------------------

    def _stored(self, clip: Path) -> None:
        self._enforce_buffer_limit()
        self._changed.notify_all()

    def _enforce_buffer_limit(self) -> None:
        """Drop the oldest waiting clips (never the one being uploaded) past the byte limit."""
        sizes = [(clip, clip_bytes(clip)) for clip in self.clips()]
        total = sum(size for _, size in sizes)
        for clip, size in sizes:
            if total <= self.config.buffer_max_bytes:
                return
            if clip == self._uploading:
                continue
            remove_clip(clip)
            total -= size
            self.stats.dropped += 1
            log.warning(
                "S3 clip store: the upload buffer %s is full (%d bytes): dropped the oldest "
                "waiting clip %s unsent (%d dropped in all)",
                self.folder, self.config.buffer_max_bytes, clip.name, self.stats.dropped,
            )  # fmt: skip

    def flush(self, timeout_s: float = 60.0) -> bool:
        """Wait until every waiting clip is uploaded (True) or ``timeout_s`` passes (False)."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            self._changed.notify_all()
            while self.clips():
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    return False
                self._changed.wait(min(left, 1.0))
        return True

    def close(self) -> None:
        """Give the uploader ``close_timeout_s`` to drain the buffer, then stop it; what is
        left stays in ``buffer_dir`` for the next start."""
        if self._stop.is_set():
            return
        self.flush(self.close_timeout_s)
        self._stop.set()
        with self._changed:
            self._changed.notify_all()
        self._thread.join(timeout=60)
        left = self.clips()
        if left:
            log.warning(
                "S3 clip store: %d clips stay buffered in %s for the next start",
                len(left), self.folder,
            )  # fmt: skip

    # --- the uploader --------------------------------------------------------------------------

    def key(self, clip: Path, metadata: Mapping[str, Any]) -> str:
        """The object key of a clip or of its metadata file."""
        site = _key_part(metadata.get("site_id"), "unknown-site")
        camera = _key_part(metadata.get("camera_id"), "unknown-camera")
        return f"{self.config.prefix}{site}/{camera}/{clip.name}"

    def _next(self) -> Path | None:
        with self._changed:
            waiting = self.clips()
            if not waiting:
                self._changed.wait(1.0)
                return None
            self._uploading = waiting[0]
            return waiting[0]

    def _upload_loop(self) -> None:
        backoff = INITIAL_BACKOFF_S
        while not self._stop.is_set():
            clip = self._next()
            if clip is None:
                continue
            try:
                self._ensure_bucket()
                self._upload(clip)
            except Exception as exc:  # S3 unreachable or refusing: keep the clip, retry later
                with self._changed:
                    self._uploading = None
                    if isinstance(exc, FileNotFoundError) and not clip.exists():
                        continue  # dropped meanwhile
                    self.stats.upload_errors += 1
                log.warning(
                    "S3 clip store: upload of %s failed (%s); %d clips wait in %s, retry in %.1f s",
                    clip.name, exc, len(self.clips()), self.folder, backoff,
                )  # fmt: skip
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.config.max_backoff_s)
                continue
            backoff = INITIAL_BACKOFF_S

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        bucket = self.config.bucket
        try:
            self.client.head_bucket(Bucket=bucket)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
                raise
            create: dict[str, Any] = {"Bucket": bucket}
            if self.config.region != "us-east-1":
                create["CreateBucketConfiguration"] = {"LocationConstraint": self.config.region}
            try:
                self.client.create_bucket(**create)
            except ClientError as again:
                code = again.response.get("Error", {}).get("Code")
                if code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise
            log.info("S3 clip store: created bucket %s", bucket)
        self._bucket_ready = True

    def _upload(self, clip: Path) -> None:
        """Upload a clip, then its metadata; delete both from the buffer."""
        meta_file = metadata_path(clip)
        body = meta_file.read_bytes()
        try:
            metadata = json.loads(body)
        except ValueError:
            log.warning("S3 clip store: %s is not JSON; uploaded under unknown ids", meta_file)
            metadata = {}
        nbytes = clip.stat().st_size + len(body)
        bucket = self.config.bucket
        self.client.upload_file(
            str(clip),
            bucket,
            self.key(clip, metadata),
            ExtraArgs={"ContentType": "video/mp4"},
            Config=self.transfer,
        )
        self.client.put_object(
            Bucket=bucket,
            Key=self.key(meta_file, metadata),
            Body=body,
            ContentType="application/json",
        )
        with self._changed:
            remove_clip(clip)
            self._uploading = None
            self.stats.uploaded += 1
            self.stats.uploaded_bytes += nbytes
            self._changed.notify_all()
