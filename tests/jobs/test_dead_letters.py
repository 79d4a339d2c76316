"""Each kind of bad record goes to the dead-letter output with the right reason and its
original payload, and the job goes on: the valid records beside them are all counted."""

from __future__ import annotations

import json

import pytest

from tests.jobs.test_golden_file import run_file_job

GOOD_FRAME = {
    "site_id": "s",
    "camera_id": "c",
    "frame_id": 1,
    "captured_at": "2026-11-23T20:00:01.000Z",
    "people_count": 1,
    "detections": [{"track_id": 7, "bbox": [1, 2, 3, 4], "score": 0.9}],
}
GOOD_FACE = {
    "site_id": "s",
    "camera_id": "c",
    "captured_at": "2026-11-23T20:00:01.000Z",
    "track_id": 7,
    "gender": "female",
    "confidence": 0.8,
}


def _with(base: dict, **change) -> str:
    out = {k: v for k, v in (base | change).items() if v != "<drop>"}
    return json.dumps(out)


def _det(**change) -> list[dict]:
    return [{k: v for k, v in (GOOD_FRAME["detections"][0] | change).items() if v != "<drop>"}]


PERSON_CASES = [
    ('{"site_id": "s", "camera_id": ', "invalid JSON"),
    ("[1, 2, 3]", "invalid JSON"),
    (_with(GOOD_FRAME, camera_id="<drop>"), "camera_id: missing"),
    (_with(GOOD_FRAME, site_id=5), "site_id: missing or not a non-empty string"),
    (_with(GOOD_FRAME, frame_id="1"), "frame_id"),
    (_with(GOOD_FRAME, people_count=-2), "people_count: negative"),
    (_with(GOOD_FRAME, people_count="1"), "people_count: missing or not an int"),
    (_with(GOOD_FRAME, people_count=1.5), "people_count: missing or not an int"),
    (_with(GOOD_FRAME, captured_at="<drop>"), "captured_at: missing"),
    (_with(GOOD_FRAME, captured_at="2026-11-23T20:00:01Z"), "captured_at: not ISO-8601"),
    (_with(GOOD_FRAME, captured_at="2026-11-23T21:00:01.000+01:00"), "captured_at: not ISO-8601"),
    (_with(GOOD_FRAME, captured_at="2026-13-45T20:00:01.000Z"), "captured_at: not ISO-8601"),
    (_with(GOOD_FRAME, detections="none"), "detections: missing or not a list"),
    (_with(GOOD_FRAME, detections=_det(track_id="7")), "track_id"),
    (_with(GOOD_FRAME, detections=_det(track_id="<drop>")), "track_id"),
    (_with(GOOD_FRAME, detections=_det(score=1.5)), "score"),
    (_with(GOOD_FRAME, detections=_det(bbox=[1, 2, 3])), "bbox"),
]
GENDER_CASES = [
    ("not json at all", "invalid JSON"),
    (_with(GOOD_FACE, gender="other"), "gender: missing or not male/female"),
    (_with(GOOD_FACE, gender="<drop>"), "gender: missing or not male/female"),
    (_with(GOOD_FACE, track_id="<drop>"), "track_id: missing"),
    (_with(GOOD_FACE, track_id="7"), "track_id: not an int or null"),
    (_with(GOOD_FACE, confidence="0.3"), "confidence"),
    (_with(GOOD_FACE, confidence=2), "confidence"),
    (_with(GOOD_FACE, captured_at="yesterday"), "captured_at: not ISO-8601"),
    (_with(GOOD_FACE, camera_id=""), "camera_id: missing or not a non-empty string"),
]


@pytest.mark.parametrize(("job", "good", "cases"), [
    ("people_counter", GOOD_FRAME, PERSON_CASES),
    ("gender_counter", GOOD_FACE, GENDER_CASES),
])  # fmt: skip
def test_each_bad_record_has_its_reason(job, good, cases, tmp_path):
    # Distinct tracks, one untracked, and a score written in exponent form: all valid.
    valid = [
        _with(good, captured_at=f"2026-11-23T20:00:{s:02d}.000Z", track_id=s)
        if job == "gender_counter"
        else _with(good, captured_at=f"2026-11-23T20:00:{s:02d}.000Z")
        for s in range(2, 8)
    ]
    last = "2026-11-23T20:00:08.000Z"
    valid.append(
        _with(good, captured_at=last, track_id=None)
        if job == "gender_counter"
        else _with(good, captured_at=last, detections=_det(track_id=None, score=1e-05))
    )
    lines = [line for pair in zip(valid, [c for c, _ in cases], strict=False) for line in pair]
    lines += valid[len(cases) :] + [c for c, _ in cases][len(valid) :]
    got = run_file_job(job, lines, tmp_path)

    reasons = {r["payload"]: r["reason"] for r in got["dlq"]}
    assert len(got["dlq"]) == len(cases)
    for payload, expected_reason in cases:
        assert expected_reason in reasons[payload], (payload, reasons.get(payload))
    (row,) = got["result"]
    counted = row["frames"] if job == "people_counter" else row["women"]
    assert counted == len(valid)
