"""Debug preview: annotated frames to a folder, or a video file. Never leaves the device.

With a geometry, its lines and zones are drawn too, each line with its running in and out
counts (from the line_crossings events so far)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from contracts.events import Event, GenderClassification, LineCrossing, PersonDetections
from edge_producer.closing import Closing
from edge_producer.config.geometry import GeometryConfig
from edge_producer.frames import Frame
from edge_producer.geometry.draw import draw_geometry

VIDEO_SUFFIXES = {".mp4": "mp4v", ".avi": "MJPG", ".mkv": "mp4v"}


def annotate(frame: Frame, events: list[Event]) -> np.ndarray:
    """A copy of the frame with person boxes, track ids and gender labels drawn on it."""
    image = frame.image.copy()
    genders = {
        e.track_id: f"{e.gender[0].upper()} {e.confidence:.2f}"
        for e in events
        if isinstance(e, GenderClassification) and e.track_id is not None
    }
    for event in events:
        if not isinstance(event, PersonDetections):
            continue
        for det in event.detections:
            x1, y1, x2, y2 = (int(v) for v in det.bbox)
            colour = (0, 200, 0) if det.track_id is not None else (0, 160, 255)
            cv2.rectangle(image, (x1, y1), (x2, y2), colour, 2)
            label = f"#{det.track_id}" if det.track_id is not None else f"{det.score:.2f}"
            if det.track_id in genders:
                label += f" {genders[det.track_id]}"
            cv2.putText(
                image,
                label,
                (x1, max(y1 - 4, 10)),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.45,
                colour,
                1,
                cv2.LINE_AA,
            )
        cv2.putText(
            image,
            f"frame {frame.frame_id} people {event.people_count}",
            (6, 16),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.5,
            (255, 255, 255),
            1,
            cv2.LINE_AA,
        )
    return image


class Preview(Closing):
    """Writes annotated frames: PNG files into a folder, or one video when the path ends in
    .mp4, .avi or .mkv."""

    def __init__(
        self, path: str | Path, fps: float = 10.0, geometry: GeometryConfig | None = None
    ) -> None:
        self.path = Path(path)
        self.fps = fps
        self.geometry = geometry
        self.counts = {line.id: (0, 0) for line in geometry.lines} if geometry else {}
        """Each line's (in, out) crossings so far."""
        self._writer: cv2.VideoWriter | None = None
        if self.path.suffix.lower() not in VIDEO_SUFFIXES:
            self.path.mkdir(parents=True, exist_ok=True)

    def write(self, frame: Frame, events: list[Event]) -> None:
        image = annotate(frame, events)
        if self.geometry is not None:
            for e in events:
                if isinstance(e, LineCrossing):
                    n_in, n_out = self.counts[e.line_id]
                    self.counts[e.line_id] = (
                        (n_in + 1, n_out) if e.direction == "in" else (n_in, n_out + 1)
                    )
            draw_geometry(image, self.geometry, self.counts)
        fourcc = VIDEO_SUFFIXES.get(self.path.suffix.lower())
        if fourcc is None:
            cv2.imwrite(str(self.path / f"frame_{frame.frame_id:08d}.png"), image)
            return
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = cv2.VideoWriter(
                str(self.path),
                cv2.VideoWriter_fourcc(*fourcc),
                self.fps,
                (frame.width, frame.height),
            )
        self._writer.write(image)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None
