"""Counting lines on synthetic tracks: sides, dead band, hold frames, segment ends, ids."""

from __future__ import annotations

import math

import numpy as np
import pytest

from edge_producer.detections import UNTRACKED
from tests.edge_producer.geometry_tracks import at, crossings, geometry, walk


def line(points, in_side="left", **options) -> dict:
    return {"id": "door", "points": points, "in_side": in_side, **options}


def steady(point, frames: int) -> list:
    return [point] * frames


@pytest.mark.parametrize("degrees", range(0, 360, 30))
@pytest.mark.parametrize("in_side", ["left", "right"])
def test_in_side_sign_at_every_angle(degrees: int, in_side: str) -> None:
    """A track walks through the middle of a line drawn at each angle, from one side to the
    other; the expected direction comes from the cross product written out here."""
    a = math.radians(degrees)
    x1, y1 = 0.5 - 0.3 * math.cos(a), 0.5 - 0.3 * math.sin(a)
    x2, y2 = 0.5 + 0.3 * math.cos(a), 0.5 + 0.3 * math.sin(a)
    normal = (-math.sin(a), math.cos(a))  # perpendicular to the line
    start = (0.5 - 0.2 * normal[0], 0.5 - 0.2 * normal[1])
    end = (0.5 + 0.2 * normal[0], 0.5 + 0.2 * normal[1])
    px, py = end
    end_is_left = (x2 - x1) * (py - y1) - (y2 - y1) * (px - x1) < 0
    expected = "in" if end_is_left == (in_side == "left") else "out"
    path = steady(start, 3) + steady(end, 3)
    steps = walk(geometry([line([[x1, y1], [x2, y2]], in_side)]), {7: path})
    assert crossings(steps) == [(7, "door", expected, 3)]


def test_hand_picked_sides() -> None:
    """Seen on screen: for a line drawn top to bottom, left is the right half of the picture;
    for one drawn left to right, left is above it."""
    down = geometry([line([[0.5, 0.1], [0.5, 0.9]])])
    assert crossings(walk(down, {1: steady((0.3, 0.5), 3) + steady((0.7, 0.5), 3)}))[0][2] == "in"
    across = geometry([line([[0.1, 0.5], [0.9, 0.5]])])
    assert crossings(walk(across, {1: steady((0.5, 0.7), 3) + steady((0.5, 0.3), 3)}))[0][2] == (
        "in"
    )


def test_a_crossing_beyond_the_segment_ends_does_not_count() -> None:
    geo = geometry([line([[0.4, 0.5], [0.6, 0.5]])])
    paths = {
        1: steady((0.8, 0.3), 3) + steady((0.8, 0.7), 3),  # past the end: no
        2: steady((0.2, 0.3), 3) + steady((0.2, 0.7), 3),  # before the start: no
        3: steady((0.5, 0.3), 3) + steady((0.5, 0.7), 3),  # through the middle: yes
    }
    assert [c[0] for c in crossings(walk(geo, paths))] == [3]


def test_a_walk_round_the_end_does_not_count_and_the_side_settles() -> None:
    """Round the end of the line, then back through it: only the return counts."""
    geo = geometry([line([[0.4, 0.5], [0.6, 0.5]])])
    path = [*steady((0.5, 0.3), 2), (0.7, 0.3), *steady((0.7, 0.7), 2), *steady((0.5, 0.7), 2)]
    path += steady((0.5, 0.3), 2)
    steps = walk(geo, {1: path})
    assert crossings(steps) == [(1, "door", "in", 7)]  # up through the segment: left, in


def test_jitter_inside_the_dead_band_does_not_count() -> None:
    geo = geometry([line([[0.1, 0.5], [0.9, 0.5]], dead_band=0.02)])
    jitter = [(0.5, 0.5 + d) for d in [0.015, -0.015, 0.01, -0.019, 0.0] * 4]
    path = steady((0.5, 0.3), 3) + jitter + steady((0.5, 0.3), 3)
    assert crossings(walk(geo, {1: path})) == []
    # the same jitter without a dead band: each side held 1 frame, then back: none either,
    # but with min_frames 1 it counts to and fro
    geo = geometry([line([[0.1, 0.5], [0.9, 0.5]], dead_band=0.0, min_frames=1)])
    assert len(crossings(walk(geo, {1: path}))) > 4


def test_a_one_frame_visit_to_the_other_side_does_not_count() -> None:
    """A, A, B, A, A: the new side did not hold its 2 frames."""
    geo = geometry([line([[0.1, 0.5], [0.9, 0.5]])])
    a, b = (0.5, 0.3), (0.5, 0.7)
    assert crossings(walk(geo, {1: [a, a, b, a, a]})) == []


def test_in_then_out() -> None:
    geo = geometry([line([[0.1, 0.5], [0.9, 0.5]])])
    below, above = (0.5, 0.7), (0.5, 0.3)  # above = left of a left-to-right line = in
    path = steady(below, 3) + steady(above, 4) + steady(below, 3)
    assert crossings(walk(geo, {4: path})) == [(4, "door", "in", 3), (4, "door", "out", 7)]


def test_a_one_frame_jump_over_the_line_counts_at_its_first_frame() -> None:
    geo = geometry([line([[0.1, 0.5], [0.9, 0.5]])])
    path = steady((0.5, 0.2), 3) + steady((0.5, 0.9), 3)
    steps = walk(geo, {1: path})
    assert crossings(steps) == [(1, "door", "out", 3)]
    crossing = steps[4].crossings[0]  # reported once the side held, for its first frame
    assert (crossing.frame_id, crossing.captured_at) == (3, at(3))


def test_a_track_without_an_id_never_crosses() -> None:
    geo = geometry([line([[0.1, 0.5], [0.9, 0.5]])])
    path = steady((0.5, 0.2), 3) + steady((0.5, 0.9), 3)
    assert crossings(walk(geo, {UNTRACKED: path})) == []
    assert geo.lines._state == {}


def test_a_line_near_the_frame_edge() -> None:
    """People leaving at the right edge: their feet reach x 0.99 before they are gone."""
    geo = geometry([line([[0.97, 0.3], [0.97, 1.0]], "right")])
    path = [(x, 0.8) for x in (0.80, 0.86, 0.94, 0.995, 0.998)] + [None] * 3
    assert crossings(walk(geo, {1: path})) == [(1, "door", "out", 3)]


def test_the_same_geometry_at_640_and_1920_pixels() -> None:
    lines = [line([[0.2, 0.8], [0.7, 0.3]]), {**line([[0.5, 0.0], [0.5, 1.0]]), "id": "mid"}]
    zones = [{"id": "z", "polygon": [[0.1, 0.1], [0.6, 0.1], [0.6, 0.6], [0.1, 0.6]]}]
    t = np.linspace(0, 1, 25)
    paths = {1: list(zip(0.1 + 0.8 * t, 0.2 + 0.7 * t, strict=True))}
    paths[2] = list(zip(0.9 - 0.8 * t, 0.5 + 0.0 * t, strict=True))
    small = walk(geometry(lines, zones), paths, size=(640, 360))
    large = walk(geometry(lines, zones), paths, size=(1920, 1080))
    # by hand: track 1 (x + y = 0.3 + 1.5 t) meets door (x + y = 1) and mid (x = 0.5) inside
    # both segments; track 2 (y = 0.5) meets both at (0.5, 0.5)
    assert crossings(small) == crossings(large) and len(crossings(small)) == 4
    assert [s.zones for s in small] == [s.zones for s in large]


@pytest.mark.parametrize("dropped", [False, True])
def test_state_of_a_dropped_track_is_forgotten(dropped: bool) -> None:
    """Once the tracker drops track 1 its side is forgotten: when the same id (never reused
    in practice) shows up on the other side, it is a new track and crosses nothing."""
    geo = geometry([line([[0.1, 0.5], [0.9, 0.5]])])
    walk(geo, {1: steady((0.5, 0.2), 3)})
    assert len(geo.lines._state) == 1
    walk(geo, {1: [None]}, alive={1: -1 if dropped else 0})
    assert len(geo.lines._state) == (0 if dropped else 1)
    later = crossings(walk(geo, {1: steady((0.5, 0.9), 3)}))
    assert later == ([] if dropped else [(1, "door", "out", 0)])


@pytest.mark.parametrize(
    ("points", "in_side", "expected"),
    [
        ([[0.5, 0.1], [0.5, 0.9]], "left", (1, 0)),  # drawn down: left is the right half
        ([[0.5, 0.9], [0.5, 0.1]], "left", (-1, 0)),  # drawn up: left is the left half
        ([[0.1, 0.5], [0.9, 0.5]], "left", (0, -1)),  # drawn rightwards: left is above
        ([[0.1, 0.5], [0.9, 0.5]], "right", (0, 1)),
    ],
)
def test_the_drawn_arrow_points_to_the_in_side(points, in_side, expected) -> None:
    from edge_producer.config import LineConfig
    from edge_producer.geometry.draw import in_normal

    normal = in_normal(LineConfig(id="l", points=points, in_side=in_side), 640, 360)
    assert np.allclose(normal, expected)
