"""Config of what the edge sees and computes: source, runtime, detectors, tracker, events."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from edge_producer.config.base import AwareDatetime, Section, Size


class SourceConfig(Section):
    """Where frames come from."""

    uri: str = Field(
        description="A video file or a folder of images (path), a webcam (V4L2 index such as "
        "'0' or a device path such as '/dev/video0'), a Jetson CSI camera ('csi://0'), or a "
        "stream URL (rtsp://, rtsps://, http://, https://)."
    )
    kind: Literal["auto", "file", "folder", "webcam", "csi", "stream"] = Field(
        default="auto", description="Source type; 'auto' infers it from the uri."
    )
    start_time: AwareDatetime | None = Field(
        default=None,
        description="File and folder sources: the capture time of the first frame (aware, "
        "UTC recommended). Each frame's capture time is this plus the stream's own timestamp. "
        "Default: the time the source is opened.",
    )
    folder_fps: float = Field(
        default=1.0, gt=0, description="Folder sources: the frame rate the images stand for."
    )
    target_fps: float | None = Field(
        default=None,
        gt=0,
        description="Process at most this many frames per second of capture time by skipping "
        "frames (frame ids still count every frame). None: every frame.",
    )
    resize: Size | None = Field(
        default=None, description="Resize every frame to [width, height] before processing."
    )
    loop: bool = Field(
        default=False,
        description="File and folder sources: start again at the end (a new scene: tracks end "
        "and ids are never reused).",
    )
    realtime: bool = Field(
        default=False,
        description="File and folder sources: hand each frame over no earlier than its "
        "capture time's distance from the first frame, as a live camera would (demo, soak "
        "tests). false: as fast as processing allows.",
    )
    max_frames: int | None = Field(
        default=None, gt=0, description="Stop after this many processed frames."
    )
    csi_size: Size = Field(default=(1280, 720), description="CSI camera: capture [width, height].")
    csi_fps: int = Field(default=30, gt=0, description="CSI camera: capture frame rate.")
    csi_flip_method: int = Field(
        default=0, ge=0, le=7, description="CSI camera: nvvidconv flip-method (0 = none)."
    )
    reconnect_initial_s: float = Field(
        default=0.5, gt=0, description="Streams: first wait before reconnecting after a failure."
    )
    reconnect_max_s: float = Field(
        default=30.0,
        gt=0,
        description="Streams: the longest wait between reconnects "
        "(the wait doubles after each failure up to this).",
    )
    reconnect_attempts: int | None = Field(
        default=None,
        ge=0,
        description="Streams: give up after this many failed reconnects in a row "
        "(None: never give up).",
    )


class TensorRTConfig(Section):
    """TensorRT engine build settings (Jetson or any NVIDIA GPU with TensorRT 10)."""

    precision: Literal["fp16", "fp32", "int8"] = Field(
        default="fp16", description="Engine precision; int8 needs a calibration cache."
    )
    int8_calibration_cache: Path | None = Field(
        default=None, description="INT8: the calibration cache file to build with."
    )
    engine_cache_dir: Path = Field(
        default=Path("~/.cache/ivica/engines"),
        description="Where built engines are kept, named by the hash of the ONNX file and "
        "the settings, so a rebuild happens only when either changes.",
    )
    workspace_mb: int = Field(
        default=1024, gt=0, description="Builder workspace memory pool limit in MiB."
    )


class RuntimeConfig(Section):
    """Which inference runtime runs the ONNX models."""

    kind: Literal["onnxruntime", "tensorrt"] = Field(
        default="onnxruntime",
        description="'onnxruntime' (CPU, or CUDA where present) or 'tensorrt' (engine built "
        "from the same ONNX file on the device).",
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto",
        description="ONNX Runtime: 'cuda' requires the CUDA execution provider, 'cpu' never "
        "uses it, 'auto' uses it when present.",
    )
    threads: int | None = Field(
        default=None, gt=0, description="ONNX Runtime: intra-op threads (None: its default)."
    )
    thread_spinning: bool = Field(
        default=False,
        description="ONNX Runtime: let idle worker threads spin-wait for the next run. Off by "
        "default: with several models a frame on few cores, one session's spinning threads "
        "steal the CPU from the next (bench/README.md).",
    )
    tensorrt: TensorRTConfig = Field(
        default_factory=TensorRTConfig, description="TensorRT settings."
    )


class PeopleConfig(Section):
    """The person detector."""

    model: str = Field(
        default="yolox_nano",
        description="A bundled model name (yolox_nano) or a path to an ONNX file (decoder "
        "yolox, yolov5 or nanodet).",
    )
    decoder: Literal["yolox", "yolov5", "nanodet"] | None = Field(
        default=None,
        description="Output format of the model; a bundled model knows its own, an ONNX path "
        "needs it.",
    )
    score_threshold: float = Field(
        default=0.4, ge=0, le=1, description="Smallest score of a kept person box."
    )
    nms_iou: float = Field(
        default=0.45,
        gt=0,
        le=1,
        description="IoU above which non-maximum suppression drops the lower-scored of two boxes.",
    )
    person_class: int = Field(
        default=0, ge=0, description="Class index of 'person' in the model's label space."
    )


class FacesConfig(Section):
    """The face detector."""

    model: str = Field(
        default="yunet", description="A bundled model name (yunet, mtcnn) or an ONNX path."
    )
    decoder: Literal["yunet", "mtcnn"] | None = Field(
        default=None, description="Detector family; a bundled model knows its own."
    )
    score_threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Smallest score of a kept face (None: the detector's own default, YuNet 0.6, "
        "MTCNN 0.9).",
    )
    nms_iou: float = Field(default=0.3, gt=0, le=1, description="Face NMS IoU.")
    search: Literal["person_boxes", "frame"] = Field(
        default="person_boxes",
        description="AllPipeline: search faces only in the upper part of person boxes, or in "
        "the whole frame (then a face attaches to the person box it lies in).",
    )
    upper_fraction: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="person_boxes search: the top fraction of each person box that is searched.",
    )
    min_size: int = Field(
        default=12,
        ge=1,
        description="Faces smaller than this many pixels (shorter side) are dropped.",
    )


class GenderConfig(Section):
    """The gender classifier."""

    model: str = Field(
        default="auto",
        description="'auto' (gender_v3_int8 on ONNX Runtime's CPU, gender_v3 elsewhere), a "
        "bundled model name (gender_v3, gender_v3_int8, gender_v2, gender_v1) or an ONNX path "
        "with the same input and output (Nx3xSxS RGB face chips in, Nx2 probabilities [female, "
        "male] out). gender_v2 is the choice where gender_v3's upstream licence matters "
        "(docs/edge.md).",
    )
    classify_interval_s: float = Field(
        default=1.0,
        ge=0,
        description="A tracked person is classified at most once per this many seconds of "
        "capture time (0: on every frame). Untracked faces are classified every time.",
    )
    settle_votes: int = Field(
        default=3,
        ge=0,
        description="A tracked person's gender is settled once one gender leads the other by "
        "this many confident answers; the model is then not asked again, and the settled "
        "answer is sent each classify_interval_s instead (0: classify for as long as the track "
        "lives).",
    )
    settle_confidence: float = Field(
        default=0.6,
        ge=0.5,
        le=1,
        description="Smallest confidence of an answer that counts towards settling a track "
        "(gender_v3 on faces_fairface_val: 92% of faces reach 0.6, and 94% of those are right).",
    )
    batch_size: int = Field(default=16, gt=0, description="Most face chips per classifier call.")


class TrackerConfig(Section):
    """Multi-object tracking (ByteTrack: Kalman filter and Hungarian assignment)."""

    high_score: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Detections at or above this score are matched first and may start tracks; "
        "lower ones only extend existing tracks (ByteTrack's second association).",
    )
    iou_threshold: float = Field(
        default=0.3, gt=0, le=1, description="Smallest IoU for a detection to match a track."
    )
    min_hits: int = Field(
        default=3,
        ge=1,
        description="Hits in a row before a new track is confirmed and gets "
        "an id; unconfirmed tracks have no id.",
    )
    max_age: int = Field(
        default=30, ge=1, description="Processed frames a track survives without a match."
    )
    confirm_score: float | None = Field(
        default=0.7,
        ge=0,
        le=1,
        description="A new track matched to a detection scored at least this is confirmed at "
        "once, without waiting for min_hits (None: always min_hits). Measured on the annotated "
        "clips (bench/tracking.py): 2 frames earlier at each entry, no false track.",
    )


class EventsConfig(Section):
    """How events are built."""

    people_count: Literal["detections", "confirmed_tracks"] = Field(
        default="detections",
        description="What person_detections.people_count counts: every person detection in the "
        "frame, or only those on confirmed tracks.",
    )
