"""Zones on synthetic tracks: membership, entry frames, exit grace, lost and ended visits."""

from __future__ import annotations

import numpy as np
import pytest

from edge_producer.detections import UNTRACKED
from edge_producer.geometry.zones import in_polygon
from tests.edge_producer.geometry_tracks import at, geometry, walk

SQUARE = [[0.2, 0.2], [0.6, 0.2], [0.6, 0.6], [0.2, 0.6]]
IN, OUT = (0.4, 0.4), (0.8, 0.8)


def zone(**options) -> dict:
    return {"id": "plaza", "polygon": SQUARE, **options}


def visits(steps) -> list[tuple]:
    return [(v.track_id, v.zone_id, v.entered_at, v.exited_at, v.end_reason) for s in steps
            for v in s.visits]  # fmt: skip


def test_in_polygon_against_hand_picked_points() -> None:
    """An L-shaped (concave) zone; the boundary, edges and corners, counts inside."""
    ell = np.array([[0, 0], [0.6, 0], [0.6, 0.2], [0.2, 0.2], [0.2, 0.6], [0, 0.6]])
    points = {
        (0.1, 0.1): True,
        (0.5, 0.1): True,
        (0.1, 0.5): True,
        (0.4, 0.4): False,  # in the notch
        (0.7, 0.1): False,
        (0.6, 0.1): True,  # on the right edge
        (0.2, 0.4): True,  # on the notch's edge
        (0.2, 0.2): True,  # the reflex corner
        (0.0, 0.6): True,  # a corner
        (0.3, 0.2): True,  # on a horizontal edge
        (0.3, 0.21): False,
    }
    got = in_polygon(np.array(list(points)), ell)
    assert dict(zip(points, got.tolist(), strict=True)) == points


def test_each_detection_carries_its_zones_tracked_or_not() -> None:
    geo = geometry(zones=[zone(), {"id": "all", "polygon": [[0, 0], [1, 0], [1, 1], [0, 1]]}])
    step = walk(geo, {1: [IN], 2: [OUT], UNTRACKED: [IN]})[0]
    assert step.zones == [["plaza", "all"], ["all"], ["plaza", "all"]]
    assert walk(geometry(lines=[]), {1: [IN]})[0].zones is None  # no zones: no key


def test_a_visit_from_first_to_last_frame_in_the_zone() -> None:
    """In from frame 2 to 11, then out: the visit ends 'left' once 2 s passed (frame 32)."""
    geo = geometry(zones=[zone()])
    steps = walk(geo, {3: [OUT, OUT] + [IN] * 10 + [OUT] * 25})
    assert visits(steps) == [(3, "plaza", at(2), at(11), "left")]
    assert steps[32].visits and not any(s.visits for s in steps[:32])


def test_one_frame_in_the_zone_is_no_visit() -> None:
    geo = geometry(zones=[zone()])
    assert visits(walk(geo, {1: [OUT, IN, OUT, IN, OUT] + [OUT] * 30})) == []
    assert visits(walk(geometry(zones=[zone(min_frames=1)]), {1: [OUT, IN] + [OUT] * 30}))


@pytest.mark.parametrize(("hidden", "expected"), [(10, 1), (30, 2)])
def test_an_occlusion_inside_the_exit_grace_keeps_one_visit(hidden: int, expected: int) -> None:
    """Unseen for 1 s (within the 2 s grace): one visit; for 3 s: two visits."""
    geo = geometry(zones=[zone()])
    path = [IN] * 10 + [None] * hidden + [IN] * 10
    found = visits(walk(geo, {5: path})) + [
        (v.track_id, v.zone_id, v.entered_at, v.exited_at, v.end_reason)
        for v in geo.finish("stream_end")
    ]
    assert len(found) == expected
    assert found[0][2] == at(0) and found[-1][3] == at(10 + hidden + 9)
    assert found[-1][4] == "stream_end"


def test_a_lost_track_ends_its_visit() -> None:
    geo = geometry(zones=[zone()])
    steps = walk(geo, {2: [IN] * 5 + [None] * 3}, alive={2: 6})
    assert visits(steps) == [(2, "plaza", at(0), at(4), "lost")]
    assert geo.zones._state == {}


def test_finish_ends_open_visits_with_the_reason() -> None:
    geo = geometry(zones=[zone()])
    walk(geo, {1: [IN] * 4, 2: [IN]})  # 2: one frame, no visit yet
    ended = geo.finish("shutdown")
    assert [(v.track_id, v.exited_at, v.end_reason) for v in ended] == [(1, at(3), "shutdown")]
    assert geo.finish("stream_end") == []


def test_untracked_boxes_make_no_visits() -> None:
    geo = geometry(zones=[zone()])
    assert visits(walk(geo, {UNTRACKED: [IN] * 10 + [OUT] * 30})) == []
    assert geo.finish("stream_end") == []
