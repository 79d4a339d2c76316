"""The geometry config: the fixed file format, defaults, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from edge_producer.app import edge_config
from edge_producer.config import EdgeConfig, GeometryConfig, load_geometry
from edge_producer.errors import EdgeError

FILE = """\
version: "2026-12-04"          # geometry_version, carried by every line and zone event
lines:
  - id: door                   # unique per camera
    points: [[0.10, 0.62], [0.90, 0.58]]   # start, end
    in_side: left              # the side that counts as "in"
zones:
  - id: plaza
    polygon: [[0.2, 0.3], [0.8, 0.3], [0.8, 0.9], [0.2, 0.9]]
"""
LINE = {"id": "door", "points": [[0.1, 0.5], [0.9, 0.5]], "in_side": "left"}
ZONE = {"id": "plaza", "polygon": [[0.2, 0.3], [0.8, 0.3], [0.8, 0.9]]}


def test_the_issue_format_loads_with_its_defaults(tmp_path: Path) -> None:
    path = tmp_path / "geometry.yaml"
    path.write_text(FILE)
    geo = load_geometry(path)
    assert geo.version == "2026-12-04"
    (door,) = geo.lines
    assert door.points == ((0.10, 0.62), (0.90, 0.58)) and door.in_side == "left"
    assert (door.anchor, door.dead_band, door.min_frames) == ("bottom_center", 0.02, 2)
    (plaza,) = geo.zones
    assert (plaza.anchor, plaza.min_frames, plaza.exit_grace_s) == ("bottom_center", 2, 2.0)
    # --geometry FILE on the command line is the same content as the YAML's section
    cfg = edge_config(source="clip.mp4", pipeline="people", geometry=str(path))
    assert cfg.geometry == geo


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ({"version": "1", "lines": [{**LINE, "colour": "red"}]}, "colour\n  Extra inputs"),
        ({"version": "1", "zones": [ZONE], "doors": []}, "doors\n  Extra inputs"),
        ({"version": "1", "lines": [LINE, LINE]}, "line ids must be unique per camera"),
        ({"version": "1", "zones": [ZONE, ZONE]}, "zone ids must be unique per camera; "),
        ({"version": "1", "zones": [{**ZONE, "polygon": [[0, 0], [1, 1]]}]}, "at least 3 items"),
        (
            {"version": "1", "zones": [{**ZONE, "polygon": [[0, 0], [0.5, 0.5], [1, 1]]}]},
            "zone 'plaza': the polygon has no area",
        ),
        (
            {"version": "1", "lines": [{**LINE, "points": [[0.3, 0.3], [0.3, 0.3]]}]},
            "line 'door': start and end are the same point",
        ),
        ({"version": "1", "lines": [{**LINE, "points": [[0, 0], [1.2, 0.5]]}]}, "less than or "),
        ({"version": "1", "lines": [{**LINE, "in_side": "up"}]}, "'left' or 'right'"),
        ({"lines": [LINE]}, "version\n  Field required"),
    ],
)
def test_bad_geometry_is_refused_clearly(geometry: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        GeometryConfig.model_validate(geometry)


def test_geometry_needs_person_tracks() -> None:
    source = {"uri": "clip.mp4"}
    EdgeConfig.model_validate({"source": source, "pipeline": "all", "geometry": {"version": "1"}})
    with pytest.raises(ValidationError, match="pipeline people or all"):
        EdgeConfig.model_validate(
            {"source": source, "pipeline": "gender", "geometry": {"version": "1"}}
        )


def test_a_missing_geometry_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(EdgeError, match=r"geometry file .*nope\.yaml not found"):
        edge_config(source="clip.mp4", geometry=str(tmp_path / "nope.yaml"))
