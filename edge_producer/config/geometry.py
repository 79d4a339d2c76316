"""Config of a camera's geometry: counting lines and zones, in normalised image coordinates.

Coordinates are fractions of the frame's width and height (0..1, y grows downwards), so one
file serves any resolution. The same content is the ``geometry:`` section of the edge YAML
and the file given to ``ivica edge run --geometry``. docs/zones.md explains each default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import Field, model_validator

from edge_producer.config.base import Section

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
Point = tuple[Unit, Unit]
GeometryId = Annotated[str, Field(min_length=1, max_length=128)]
Anchor = Literal["bottom_center", "center"]

ANCHOR_DESCRIPTION = (
    "The point of a person box that is placed: bottom_center (the feet, where a person "
    "stands on the floor plan; the default) or center (the box's middle, for a camera that "
    "sees people from above or whose feet are often hidden)."
)


class LineConfig(Section):
    """A counting line: a segment from ``points[0]`` (start) to ``points[1]`` (end)."""

    id: GeometryId = Field(description="The line's id, unique per camera; line_crossings.line_id.")
    points: tuple[Point, Point] = Field(
        description="[[x1, y1], [x2, y2]]: start and end, fractions of the frame's width and "
        "height (0..1, y grows downwards)."
    )
    in_side: Literal["left", "right"] = Field(
        description="The side that counts as in: left is where (x2 - x1) * (py - y1) - "
        "(y2 - y1) * (px - x1) < 0, the left hand of someone walking from start to end as "
        "seen on screen (for a line drawn top to bottom, the right half of the picture)."
    )
    anchor: Anchor = Field(default="bottom_center", description=ANCHOR_DESCRIPTION)
    dead_band: float = Field(
        default=0.02,
        ge=0.0,
        lt=0.5,
        description="Distance from the line (in the normalised units) within which a point is "
        "on neither side. 0.02 is 5 px at 270 px height, about the jitter of a standing "
        "person's box: a person waiting on the line does not count to and fro.",
    )
    min_frames: int = Field(
        default=2,
        ge=1,
        description="Processed frames in a row a new side must hold (outside the dead band) "
        "before the crossing counts: a one-frame flicker of the box does not count.",
    )

    @model_validator(mode="after")
    def _distinct_ends(self) -> LineConfig:
        if self.points[0] == self.points[1]:
            raise ValueError(f"line {self.id!r}: start and end are the same point")
        return self


class ZoneConfig(Section):
    """A zone: a polygon; a box is in it when its anchor is inside (the boundary counts)."""

    id: GeometryId = Field(description="The zone's id, unique per camera; zone_visits.zone_id.")
    polygon: list[Point] = Field(
        min_length=3,
        description="The polygon's corners in order, [[x, y], ...], at least 3, fractions of "
        "the frame's width and height.",
    )
    anchor: Anchor = Field(default="bottom_center", description=ANCHOR_DESCRIPTION)
    min_frames: int = Field(
        default=2,
        ge=1,
        description="Processed frames in zone a track needs before its visit starts (the "
        "visit's entered_at is the first of them): a person brushing the edge for one frame "
        "makes no visit.",
    )
    exit_grace_s: float = Field(
        default=2.0,
        ge=0.0,
        description="Seconds of capture time a track may be out of the zone (or unseen) and "
        "still be on the same visit: a person passing in front, or a box flickering at the "
        "boundary, does not split a visit. 0: the visit ends at the first frame outside.",
    )

    @model_validator(mode="after")
    def _has_area(self) -> ZoneConfig:
        x = [p[0] for p in self.polygon]
        y = [p[1] for p in self.polygon]
        n = len(x)
        twice_area = sum(x[i] * y[(i + 1) % n] - x[(i + 1) % n] * y[i] for i in range(n))
        if abs(twice_area) < 1e-9:
            raise ValueError(
                f"zone {self.id!r}: the polygon has no area (its corners lie on a line)"
            )
        return self


class GeometryConfig(Section):
    """The camera's lines and zones."""

    version: GeometryId = Field(
        description="The geometry's version, carried by every line and zone event "
        "(geometry_version), e.g. the date it was drawn: change it whenever a line or zone "
        "moves, so results of different drawings are never mixed. Required for that reason."
    )
    lines: list[LineConfig] = Field(default_factory=list, description="Counting lines.")
    zones: list[ZoneConfig] = Field(default_factory=list, description="Zones.")

    @model_validator(mode="after")
    def _ids_unique(self) -> GeometryConfig:
        for kind, items in (("line", self.lines), ("zone", self.zones)):
            ids = [item.id for item in items]
            twice = sorted({i for i in ids if ids.count(i) > 1})
            if twice:
                raise ValueError(f"{kind} ids must be unique per camera; repeated: {twice}")
        return self


def load_geometry(path: str | Path) -> GeometryConfig:
    """Read and validate a geometry YAML file (the ``geometry:`` section's content)."""
    text = Path(path).read_text(encoding="utf-8")
    return GeometryConfig.model_validate(yaml.safe_load(text) or {})
