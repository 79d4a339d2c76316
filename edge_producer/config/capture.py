"""Config of video capture for retraining, and of the privacy filter every stored frame passes."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from edge_producer.config.base import Secret, Section


class PrivacyConfig(Section):
    """What is hidden before any frame is written to disk or S3."""

    blur_faces: bool = Field(
        default=True,
        description="Blur every face (or pixelate every person, see mode) before a frame is "
        "stored. false stores faces as seen and logs a warning at every start.",
    )
    mode: Literal["faces", "people"] = Field(
        default="faces",
        description="faces: blur each face the face detector finds in the whole frame; people: "
        "pixelate each whole person box.",
    )
    face_score_threshold: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="faces mode: blur faces down to this score, below the detector's default, "
        "so that borderline faces are hidden too.",
    )
    margin: float = Field(
        default=0.25,
        ge=0,
        le=1,
        description="Grow each hidden box by this fraction of its size on every side.",
    )


class LocalStoreConfig(Section):
    """Clips in a local folder, oldest removed first."""

    dir: Path = Field(default=Path("state/edge/clips"), description="The folder of clips.")
    max_bytes: int = Field(
        default=2 * 1024**3, gt=0, description="Most bytes of clips kept; oldest go first."
    )
    max_days: float = Field(default=7.0, gt=0, description="Clips older than this are removed.")


class S3StoreConfig(Section):
    """Clips uploaded to S3-compatible storage, buffered locally while it is unreachable."""

    bucket: str = Field(description="Bucket (created when missing).")
    prefix: str = Field(default="clips/", description="Key prefix of every clip.")
    endpoint_url: str | None = Field(
        default=None, description="S3 API endpoint (MinIO, s3proxy); None: AWS."
    )
    region: str = Field(default="us-east-1", description="Region name.")
    access_key_id: Secret | None = Field(
        default=None, description="Access key as env:NAME (None: boto3's own credential chain)."
    )
    secret_access_key: Secret | None = Field(default=None, description="Secret key as env:NAME.")
    buffer_dir: Path = Field(
        default=Path("state/edge/clip-buffer"),
        description="Finished clips wait here until uploaded; they survive restarts.",
    )
    buffer_max_bytes: int = Field(
        default=2 * 1024**3,
        gt=0,
        description="Most bytes waiting for upload; past it the oldest waiting clip is dropped "
        "(logged and counted).",
    )
    multipart_mb: int = Field(
        default=8, ge=5, description="Multipart upload part size (S3's smallest part is 5 MiB)."
    )
    max_backoff_s: float = Field(
        default=60.0, gt=0, description="The longest wait between upload retries."
    )


class CaptureConfig(Section):
    """Rotating clips of the camera for retraining. Off by default."""

    enabled: bool = Field(default=False, description="Record clips at all.")
    store: Literal["local", "s3"] = Field(default="local", description="Where clips go.")
    clip_seconds: float = Field(
        default=60.0, gt=0, description="Length of each clip in seconds of capture time."
    )
    fps: float | None = Field(
        default=None,
        gt=0,
        description="Frame rate written into the clip files (None: source.target_fps, else 10).",
    )
    local: LocalStoreConfig = Field(default_factory=LocalStoreConfig, description="store: local.")
    s3: S3StoreConfig | None = Field(default=None, description="store: s3 (required for it).")
