"""Seeing a geometry: its lines (with an arrow to the in side and the line id) and zones drawn
on a frame, for ``ivica edge geometry draw`` and the debug preview. Stays on the device."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from edge_producer.config import SourceConfig
from edge_producer.config.geometry import GeometryConfig, LineConfig, load_geometry
from edge_producer.errors import SourceError

LINE_COLOUR = (0, 215, 255)  # BGR amber
ZONE_COLOUR = (255, 160, 0)  # BGR azure
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def in_normal(line: LineConfig, width: int, height: int) -> np.ndarray:
    """The unit vector, in pixels, from the line towards its in side.

    For d = end - start, (dy, -dx) has a negative cross product with d: it points to the
    left side (as the config defines it), and its opposite to the right side.
    """
    (x1, y1), (x2, y2) = line.points
    dx, dy = (x2 - x1) * width, (y2 - y1) * height
    normal = np.array([dy, -dx]) if line.in_side == "left" else np.array([-dy, dx])
    return normal / np.hypot(*normal)


def _label(image: np.ndarray, text: str, at: tuple[int, int], colour: tuple[int, ...]) -> None:
    cv2.putText(image, text, at, _FONT, 0.45, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(image, text, at, _FONT, 0.45, colour, 1, cv2.LINE_AA)


def draw_geometry(
    image: np.ndarray,
    geometry: GeometryConfig,
    counts: dict[str, tuple[int, int]] | None = None,
) -> np.ndarray:
    """Draw the zones and lines on ``image`` (in place; also returned). ``counts``: each
    line's running (in, out) counts, shown beside its id."""
    height, width = image.shape[:2]
    scale = np.array([width, height], dtype=np.float64)
    for zone in geometry.zones:
        corners = np.round(np.array(zone.polygon) * scale).astype(np.int32)
        overlay = image.copy()
        cv2.fillPoly(overlay, [corners], ZONE_COLOUR)
        cv2.addWeighted(overlay, 0.2, image, 0.8, 0, dst=image)
        cv2.polylines(image, [corners], True, ZONE_COLOUR, 2, cv2.LINE_AA)
        _label(image, zone.id, _px(corners.min(axis=0) + np.array([4, 14])), ZONE_COLOUR)
    arrow = max(12.0, 0.06 * min(width, height))
    for line in geometry.lines:
        start, end = (np.array(p) * scale for p in line.points)
        cv2.line(image, _px(start), _px(end), LINE_COLOUR, 2, cv2.LINE_AA)
        cv2.circle(image, _px(start), 4, LINE_COLOUR, -1, cv2.LINE_AA)
        middle = (start + end) / 2
        tip = middle + in_normal(line, width, height) * arrow
        cv2.arrowedLine(image, _px(middle), _px(tip), LINE_COLOUR, 2, cv2.LINE_AA, tipLength=0.35)
        text = line.id
        if counts is not None:
            n_in, n_out = counts.get(line.id, (0, 0))
            text += f" in {n_in} out {n_out}"
        x, y = _px(tip + np.array([4.0, 4.0]))
        _label(image, text, (min(x, width - 8 * len(text)), max(y, 12)), LINE_COLOUR)
    return image


def _px(point: np.ndarray) -> tuple[int, int]:
    x, y = np.rint(point).astype(int)
    return int(x), int(y)


def draw_on_source(source: str, geometry: str | Path, out: str | Path) -> Path:
    """The geometry file drawn on the first frame of a clip, image folder or camera, written
    to ``out`` (PNG)."""
    from edge_producer.sources import open_source

    config = load_geometry(geometry)
    with open_source(SourceConfig(uri=source, max_frames=1)) as frames:
        frame = next(iter(frames), None)
    if frame is None:
        raise SourceError(f"{source} gave no frame")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out), draw_geometry(frame.image.copy(), config)):
        raise SourceError(f"could not write {out}")
    return out
