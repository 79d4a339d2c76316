"""Independent reference of the jobs' windows, in plain Python (no Flink, no SQL)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from contracts.timefmt import parse_ts


def _iso(epoch_s: int) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def window_starts(t: float, size: int, slide: int) -> list[int]:
    """Epoch-aligned windows [start, start + size) with starts on multiples of `slide`."""
    last = int(t // slide) * slide
    return [s for s in range(last, last - size, -slide) if s <= t < s + size]


def people_windows(
    events: list[dict], *, size: int = 60, slide: int | None = None, watermark: float | None = None
) -> dict[tuple[str, str], dict]:
    """people_counter rows keyed by (camera_id, window_start); only windows with
    end <= `watermark` (epoch seconds) when given, i.e. the ones a stream job has closed."""
    groups: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for e in events:
        t = parse_ts(e["captured_at"]).timestamp()
        for start in window_starts(t, size, slide or size):
            groups[(e["camera_id"], start)].append(e)
    out = {}
    for (camera, start), evs in groups.items():
        if watermark is not None and start + size > watermark:
            continue
        counts = [e["people_count"] for e in evs]
        tracks = {d["track_id"] for e in evs for d in e["detections"] if d["track_id"] is not None}
        out[(camera, _iso(start))] = {
            "site_id": max(e["site_id"] for e in evs),
            "camera_id": camera,
            "window_start": _iso(start),
            "window_end": _iso(start + size),
            "avg_people": sum(counts) / len(counts),
            "max_people": max(counts),
            "min_people": min(counts),
            "frames": len(evs),
            "unique_people": len(tracks),
        }
    return out


def final_watermark(events: list[dict], delay_s: float) -> float:
    return max(parse_ts(e["captured_at"]).timestamp() for e in events) - delay_s


def assert_rows_match(actual: list[dict], expected: dict[tuple[str, str], dict]) -> None:
    """Exact counts, averages to 1e-9, no missing, extra or duplicated windows."""
    keys = [(r["camera_id"], r["window_start"]) for r in actual]
    assert len(keys) == len(set(keys)), f"duplicated windows: {len(keys) - len(set(keys))}"
    got = dict(zip(keys, actual, strict=True))
    missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
    assert not missing and not extra, f"missing {missing[:5]}, extra {extra[:5]}"
    for k, exp in expected.items():
        row = got[k]
        for field, value in exp.items():
            if isinstance(value, float):
                assert abs(row[field] - value) <= 1e-9, (k, field, row[field], value)
            else:
                assert row[field] == value, (k, field, row[field], value)
