"""Local cameras: a V4L2 webcam and a Jetson CSI camera (GStreamer nvarguscamerasrc)."""

from __future__ import annotations

import re

import cv2

from edge_producer.config import SourceConfig
from edge_producer.sources.base import SourceError
from edge_producer.sources.live import LiveSource

CSI_PREFIX = "csi://"


class WebcamSource(LiveSource):
    """A V4L2 webcam: an index ('0') or a device path ('/dev/video0', '/dev/v4l/by-id/...')."""

    def __init__(self, config: SourceConfig) -> None:
        device: int | str = int(config.uri) if re.fullmatch(r"[0-9]+", config.uri) else config.uri
        cap = cv2.VideoCapture(device, cv2.CAP_V4L2)
        if not cap.isOpened():
            raise SourceError(
                f"webcam {config.uri!r} cannot be opened with V4L2: no such camera, "
                "no permission (video group), or in use by another process"
            )
        super().__init__(config, cap, f"webcam {config.uri}")


def gstreamer_available() -> bool:
    """Whether this OpenCV was built with GStreamer (``cv2.getBuildInformation()``)."""
    found = re.search(r"^\s*GStreamer:\s*(\S+)", cv2.getBuildInformation(), re.MULTILINE)
    return found is not None and found.group(1) == "YES"


def csi_sensor_id(uri: str) -> int:
    """The sensor id of 'csi://N' (or 'N')."""
    sensor = re.fullmatch(rf"(?:{CSI_PREFIX})?(\d+)", uri, re.IGNORECASE)
    if sensor is None:
        raise SourceError(f"CSI camera uri must be csi://N with N the sensor id, not {uri!r}")
    return int(sensor.group(1))


def csi_pipeline(config: SourceConfig) -> str:
    """The GStreamer pipeline reading the CSI camera as BGR frames into OpenCV's appsink."""
    width, height = config.csi_size
    return (
        f"nvarguscamerasrc sensor-id={csi_sensor_id(config.uri)} ! "
        f"video/x-raw(memory:NVMM), width={width}, height={height}, "
        f"framerate={config.csi_fps}/1, format=NV12 ! "
        f"nvvidconv flip-method={config.csi_flip_method} ! video/x-raw, format=BGRx ! "
        "videoconvert ! video/x-raw, format=BGR ! appsink drop=1"
    )


class CsiSource(LiveSource):
    """A Jetson CSI camera through ``nvarguscamerasrc``; needs OpenCV built with GStreamer."""

    def __init__(self, config: SourceConfig) -> None:
        pipeline = csi_pipeline(config)
        if not gstreamer_available():
            raise SourceError(
                f"CSI camera {config.uri} needs OpenCV built with GStreamer, and this OpenCV "
                f"({cv2.__version__}) has none (cv2.getBuildInformation(): GStreamer: NO). "
                "The pip opencv-python wheels are built without GStreamer: on a Jetson use "
                "JetPack's OpenCV (apt install python3-opencv) in a venv made with "
                "--system-site-packages, with opencv-python(-headless) uninstalled from it."
            )
        cap = cv2.VideoCapture(pipeline, cv2.CAP_GSTREAMER)
        if not cap.isOpened():
            raise SourceError(
                f"CSI camera {config.uri} cannot be opened (is nvargus-daemon running and the "
                f"sensor connected?); pipeline: {pipeline}"
            )
        super().__init__(config, cap, f"CSI camera {config.uri}")
