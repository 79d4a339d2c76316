"""The jobs' parser (jobs/udf, one read per record) against the contract's rules written again
in plain Python (tests/jobs/contract_reference.py): hand-picked edge cases, then a few thousand
generated records, mutated at random. Every record's verdict and reason must agree, and the
valid ones must be counted exactly as the Python windows count them.

One file-mode run per stream holds every case, so the suite pays two job start-ups.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime

import pytest

from contracts.timefmt import format_ts
from tests.jobs import contract_reference as ref
from tests.jobs.reference import (
    assert_rows_match,
    dwell_windows,
    footfall_windows,
    gender_windows,
    people_windows,
)
from tests.jobs.test_golden_file import run_file_job

T = "2026-11-23T20:{:02d}:{:02d}.{:03d}Z"
DET = '{"track_id": 7, "bbox": [1, 2, 3, 4], "score": 0.9}'


def frame(n: int, **raw: str) -> str:
    """A person event as text, fields given as raw JSON text (so numbers keep their form and a
    key may repeat: pass a list of pairs as `_pairs`)."""
    fields = {
        "site_id": '"s"',
        "camera_id": '"c"',
        "frame_id": str(n),
        "captured_at": f'"{T.format(n // 60 % 60, n % 60, 0)}"',
        "people_count": "1",
        "detections": f"[{DET}]",
    } | raw
    return "{" + ", ".join(f'"{k}": {v}' for k, v in fields.items() if v != "<drop>") + "}"


def face(n: int, **raw: str) -> str:
    fields = {
        "site_id": '"s"',
        "camera_id": '"c"',
        "captured_at": f'"{T.format(n // 60 % 60, n % 60, 0)}"',
        "track_id": str(n),
        "gender": '"female"',
        "confidence": "0.8",
    } | raw
    return "{" + ", ".join(f'"{k}": {v}' for k, v in fields.items() if v != "<drop>") + "}"


def crossing(n: int, **raw: str) -> str:
    fields = {
        "site_id": '"s"',
        "camera_id": '"c"',
        "track_id": str(n),
        "line_id": '"door"',
        "direction": '"in"',
        "frame_id": str(n),
        "captured_at": f'"{T.format(n // 60 % 60, n % 60, 0)}"',
        "geometry_version": '"g1"',
        "event_id": f'"{uuid.UUID(int=random.Random(n).getrandbits(128), version=4)}"',
        "schema": '"line_crossings/v1"',
    } | raw
    return "{" + ", ".join(f'"{k}": {v}' for k, v in fields.items() if v != "<drop>") + "}"


def visit(n: int, dwell: str = "2.5", **raw: str) -> str:
    """A visit of `dwell` seconds (as written) that ended n seconds past 20:00."""
    fields = {
        "site_id": '"s"',
        "camera_id": '"c"',
        "track_id": str(n),
        "zone_id": '"z"',
        "entered_at": f'"{T.format(n // 60 % 60, n % 60, 0)}"',
        "exited_at": f'"{T.format(n // 60 % 60, n % 60 + 2, 500)}"',
        "dwell_s": dwell,
        "end_reason": '"left"',
        "geometry_version": '"g1"',
        "event_id": f'"{uuid.UUID(int=random.Random(n).getrandbits(128), version=4)}"',
        "schema": '"zone_visits/v1"',
    } | raw
    return "{" + ", ".join(f'"{k}": {v}' for k, v in fields.items() if v != "<drop>") + "}"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


BIG_DETECTIONS = "[" + ", ".join(
    f'{{"track_id": {i}, "bbox": [{i}.5, 2, 3e2, 4E+2], "score": 0.{i % 10}1}}'
    for i in range(16_000)
) + "]"  # fmt: skip

NOT_UUID4 = "event_id: not a lower-case UUID version 4"
EMOJI = "\\ud83d\\ude00"  # one character, written as a JSON surrogate pair
ZONES = "detections: zones not a list of at most 64 distinct strings of 1 to 128 characters"
NO_ID = "event_id: missing or not a lower-case UUID version 4"
ID128 = "missing or not a string of 1 to 128 characters"
ID = [str(uuid.UUID(int=random.Random(i).getrandbits(128), version=4)) for i in range(5)]

# (line, expected): None = valid, else the start of the reason.
PERSON_CASES = [
    # numbers in every form JSON allows
    (frame(1, frame_id="3.0"), None),
    (frame(2, frame_id="-0", people_count="-0"), None),
    (
        frame(
            3,
            people_count="1e0",
            detections='[{"track_id": 7.0, "bbox": [1, 2, 3, 4], "score": 1e-05}]',
        ),
        None,
    ),
    (frame(4, people_count="2.5"), "people_count: missing or not an int"),
    (frame(5, people_count="-1"), "people_count: negative"),
    (frame(6, people_count="2147483648"), "people_count: missing or not an int"),
    (frame(7, frame_id="9223372036854775808"), "frame_id: missing or not an int >= 0"),
    (frame(8, frame_id="1e400"), "frame_id: missing or not an int >= 0"),
    (
        frame(
            9, detections='[{"track_id": 1, "bbox": [1, 2, 3, 4], "score": 1.00000000000000000001}]'
        ),
        "detections: score",
    ),
    (
        frame(
            10,
            detections='[{"track_id": 1, "bbox": [1, 2, 3, 4], "score": 0.99999999999999999999}]',
        ),
        None,
    ),
    (frame(11, detections='[{"track_id": 1, "bbox": [1, 2, 3, 4], "score": -0.0}]'), None),
    (
        frame(12, detections='[{"track_id": 1, "bbox": [1e400, 2, 3, 4], "score": 0.5}]'),
        "detections: bbox",
    ),
    (frame(13, detections='[{"track_id": 1, "bbox": [1, 2, 3, 4], "score": NaN}]'), "invalid JSON"),
    (frame(14, people_count='"1"'), "people_count: missing or not an int"),
    # unicode and escaped strings
    (
        frame(
            15,
            site_id='"Beograd \\u0160\\u0107 \\ud83d\\ude00"',
            camera_id='"cam \\"north\\" \\\\ door\\n"',
        ),
        None,
    ),
    (frame(16, site_id='"Ni\u0161 \u2013 ulaz"'), None),
    (frame(17, camera_id='""'), "camera_id: missing or not a non-empty string"),
    (
        frame(18, captured_at='"\uff12\uff10\uff12\uff16-11-23T20:00:18.000Z"'),
        "captured_at: not ISO-8601",
    ),
    (frame(19, captured_at='"2026-02-30T20:00:19.000Z"'), "captured_at: not ISO-8601"),
    (frame(20, captured_at='"2026-11-23T24:00:00.000Z"'), "captured_at: not ISO-8601"),
    # a key given twice keeps its last value
    (frame(21)[:-1] + ', "people_count": 2}', None),
    (frame(22, people_count="-1")[:-1] + ', "people_count": 0}', None),
    (frame(23)[:-1] + ', "camera_id": ""}', "camera_id: missing or not a non-empty string"),
    (frame(24)[:-1] + ', "detections": null}', "detections: missing or not a list"),
    # very large arrays, a 1 MB record, deep nesting
    (frame(25, people_count="16000", detections=BIG_DETECTIONS), None),
    (
        frame(
            26,
            detections=f'[{{"track_id": 1, "bbox": [{", ".join(["1"] * 10_000)}], "score": 0.5}}]',
        ),
        "detections: bbox",
    ),
    (frame(27, extra=f'{{"a": {nested(300)}}}'), None),
    (frame(28, extra=nested(5000)), "invalid JSON"),
    # a JSON null (or another type) where an object is expected
    ("null", "invalid JSON: not an object"),
    ('[{"site_id": "s"}]', "invalid JSON: not an object"),
    (frame(29, detections="[null]"), "detections: an item is not an object"),
    (frame(30, detections=f"[{DET}, 5]"), "detections: an item is not an object"),
    (frame(31, detections="null"), "detections: missing or not a list"),
    (frame(32, captured_at="null"), "captured_at: missing"),
    (frame(33, detections='[{"bbox": [1, 2, 3, 4], "score": 0.5}]'), "detections: track_id"),
    (frame(34, detections='[{"track_id": null, "bbox": [1, 2, 3, 4], "score": 0.5}]'), None),
    # not one JSON object
    (frame(35) + " " + frame(36), "invalid JSON"),
    (frame(37) + " trailing", "invalid JSON"),
    (frame(38)[:-1], "invalid JSON"),
    ("   ", "invalid JSON"),
    # event_id: absent is fine (every case above); present, a lower-case UUID v4; checked last
    (frame(39, event_id=f'"{ID[0]}"'), None),
    (frame(40, event_id=f'"{ID[0].upper()}"'), NOT_UUID4),
    (frame(41, event_id='"6fa459ea-ee8a-11e5-9f4b-0242ac130003"'), NOT_UUID4),  # version 1
    (frame(42, event_id=f'"{ID[0][:19]}c{ID[0][20:]}"'), NOT_UUID4),  # variant c
    (frame(43, event_id="null"), NOT_UUID4),
    (frame(44, event_id="4"), NOT_UUID4),
    (frame(45, event_id='""'), NOT_UUID4),
    (frame(46, event_id=f'"{ID[0][:35]}"'), NOT_UUID4),
    (frame(47, event_id=f'"{ID[0]}\\n"'), NOT_UUID4),  # a trailing newline
    (frame(48, event_id=f'{{"id": "{ID[0]}"}}'), NOT_UUID4),
    (frame(49, event_id=f'"\\u00{ord(ID[1][0]):02x}{ID[1][1:]}"'), None),  # escaped
    (frame(50, event_id=f'"{ID[2]}"')[:-1] + ', "event_id": 5}', NOT_UUID4),  # the last counts
    (frame(51, event_id="5")[:-1] + f', "event_id": "{ID[3]}"}}', None),
    # the earlier rules win over a bad event_id
    (frame(52, people_count="-1", event_id='"x"'), "people_count: negative"),
    (frame(53, detections="[null]", event_id="null"), "detections: an item is not an object"),
    (frame(54, captured_at="null", event_id=f'"{ID[0].upper()}"'), "captured_at: missing"),
    # zones (optional): at most 64 distinct ids of 1 to 128 characters; checked after bbox
    (frame(55, detections=f'[{DET[:-1]}, "zones": ["a", "b\\u00e9"]}}]'), None),
    (frame(56, detections=f'[{DET[:-1]}, "zones": []}}]'), None),
    (
        frame(57, detections=f'[{DET[:-1]}, "zones": {json.dumps([str(i) for i in range(64)])}}}]'),
        None,
    ),
    (
        frame(58, detections=f'[{DET[:-1]}, "zones": {json.dumps([str(i) for i in range(65)])}}}]'),
        ZONES,
    ),
    (frame(59, detections=f'[{DET[:-1]}, "zones": ["a", "a"]}}]'), ZONES),
    (frame(60, detections=f'[{DET[:-1]}, "zones": [""]}}]'), ZONES),
    (frame(61, detections=f'[{DET[:-1]}, "zones": ["{"x" * 128}"]}}]'), None),
    (frame(62, detections=f'[{DET[:-1]}, "zones": ["{"x" * 129}"]}}]'), ZONES),
    (frame(63, detections=f'[{DET[:-1]}, "zones": ["{EMOJI * 128}"]}}]'), None),
    (frame(64, detections=f'[{DET[:-1]}, "zones": null}}]'), ZONES),
    (frame(65, detections=f'[{DET[:-1]}, "zones": "a"}}]'), ZONES),
    (frame(66, detections=f'[{DET[:-1]}, "zones": [1]}}]'), ZONES),
    (frame(67, detections=f'[{DET[:-1]}, "zones": [["a"]]}}]'), ZONES),
    (frame(68, detections=f'[{DET[:-1]}, "zones": ["a", "a"], "zones": ["a"]}}]'), None),
    (frame(69, detections=f'[{DET[:-1]}, "zones": ["a"], "zones": ["a", "a"]}}]'), ZONES),
    (
        frame(70, detections='[{"track_id": 1, "bbox": [1], "score": 0.5, "zones": [1]}]'),
        "detections: bbox",
    ),
]
GENDER_CASES = [
    (face(1, track_id="1.0", confidence="1"), None),
    (face(2, track_id="null", confidence="0"), None),
    (face(3, track_id="-0", confidence="1e-05"), None),
    (face(4, track_id="<drop>"), "track_id: missing"),
    (face(5, track_id="2.5"), "track_id: not an int or null"),
    (face(6, track_id="9223372036854775808"), "track_id: not an int or null"),
    (face(7, track_id="-9223372036854775808"), None),
    (face(8, gender='"fem\\u0061le"'), None),
    (face(9, gender='"Female"'), "gender: missing or not male/female"),
    (face(10, confidence="1.00000000000000000001"), "confidence: missing or not a number"),
    (face(11, confidence="null"), "confidence: missing or not a number"),
    (face(12)[:-1] + ', "gender": "male"}', None),
    (face(13, camera_id='"\\u00e9cole \\"B\\""'), None),
    (face(14, extra=nested(5000)), "invalid JSON"),
    (face(15, model="null"), None),
    ("null", "invalid JSON: not an object"),
    (face(16, event_id=f'"{ID[4]}"'), None),
    (face(17, event_id=f'"{ID[4].upper()}"'), NOT_UUID4),
    (face(18, event_id='"6fa459ea-ee8a-11e5-9f4b-0242ac130003"'), NOT_UUID4),  # version 1
    (face(19, event_id="null"), NOT_UUID4),
    (face(20, event_id="0.5"), NOT_UUID4),
    (face(21, event_id='""'), NOT_UUID4),
    (face(22, event_id=f'"{ID[4][1:]}"'), NOT_UUID4),
    (face(23, event_id=f'"{ID[4]}\\n"'), NOT_UUID4),  # a trailing newline
    (face(24, gender='"other"', event_id="1"), "gender: missing or not male/female"),
    (face(25, confidence="2", event_id='"x"'), "confidence: missing or not a number"),
]
# The geometry streams: the contract exactly (unknown keys, long ids, no event_id: dead letters).
CROSSING_CASES = [
    (crossing(1), None),
    (crossing(2, gender='"female"', track_id="-9223372036854775808", frame_id="2.0"), None),
    (crossing(3, direction='"out"', site_id=f'"{EMOJI * 128}"'), None),
    (crossing(4, extra="1"), "unknown key: extra"),
    (crossing(5, image='"aGk="', direction='"up"'), "unknown key: image"),
    (crossing(6, **{"k" * 70: "1"}), "unknown key: " + "k" * 64 + "..."),
    (crossing(7, site_id=f'"{"s" * 129}"'), "site_id: " + ID128),
    (crossing(8, camera_id='""'), "camera_id: " + ID128),
    (crossing(9, track_id="null"), "track_id: missing or not an int"),
    (crossing(10, track_id="<drop>"), "track_id: missing or not an int"),
    (crossing(11, track_id="1.5"), "track_id: missing or not an int"),
    (crossing(12, line_id="5"), "line_id: " + ID128),
    (crossing(13, direction='"In"'), "direction: missing or not in/out"),
    (crossing(14, frame_id="-1"), "frame_id: missing or not an int >= 0"),
    (crossing(15, captured_at="<drop>"), "captured_at: missing"),
    (crossing(16, captured_at='"2026-02-30T20:00:00.000Z"'), "captured_at: not ISO-8601"),
    (crossing(17, geometry_version="<drop>"), "geometry_version: " + ID128),
    (crossing(18, gender="null"), "gender: not male/female"),
    (crossing(19, gender='"other"'), "gender: not male/female"),
    (crossing(20, schema='"line_crossings/v2"'), "schema: missing or not line_crossings/v1"),
    (crossing(21, schema="<drop>"), "schema: missing or not line_crossings/v1"),
    (crossing(22, event_id="<drop>"), NO_ID),
    (crossing(23, event_id=f'"{ID[0].upper()}"'), NO_ID),
    (crossing(24)[:-1] + ', "direction": "out"}', None),  # the last value counts
    (crossing(25)[:-1] + ', "direction": "x"}', "direction: missing or not in/out"),
    (crossing(26) + "x", "invalid JSON"),
    ("[]", "invalid JSON: not an object"),
]
VISIT_CASES = [
    (visit(1), None),
    (visit(2, dwell="2.501"), None),
    (visit(3, dwell="2.4986"), None),  # up to 1.5 ms off is allowed
    (visit(4, dwell="2.5016"), "dwell_s: not exited_at - entered_at (within 1.5 ms)"),
    (visit(5, dwell="25e-1"), None),
    (visit(6, dwell="-0.0", exited_at=f'"{T.format(0, 6, 0)}"'), None),
    (
        visit(7, dwell="-1e-400", exited_at=f'"{T.format(0, 7, 0)}"'),
        "dwell_s: missing or not a number >= 0",
    ),
    (visit(8, dwell="0", exited_at=f'"{T.format(0, 8, 0)}"'), None),
    (visit(9, dwell='"2.5"'), "dwell_s: missing or not a number >= 0"),
    (visit(10, dwell="1e400"), "dwell_s: missing or not a number >= 0"),
    (visit(11, dwell="<drop>"), "dwell_s: missing or not a number >= 0"),
    (visit(12, exited_at=f'"{T.format(0, 11, 0)}"', dwell="-1"), "exited_at: before entered_at"),
    (visit(13, entered_at='"2026-11-23T20:00:13Z"'), "entered_at: missing or not ISO-8601"),
    (visit(14, exited_at="null"), "exited_at: missing or not ISO-8601"),
    (visit(15, captured_at=f'"{T.format(0, 15, 0)}"'), "unknown key: captured_at"),
    (visit(16, end_reason='"timeout"'), "end_reason: missing or not left/lost/stream_end"),
    (visit(17, zone_id='""'), "zone_id: " + ID128),
    (visit(18, zone_id=f'"{"z" * 128}"', track_id="18.0"), None),
    (visit(19, schema='"line_crossings/v1"'), "schema: missing or not zone_visits/v1"),
    (visit(20, event_id="null"), NO_ID),
    (visit(21, end_reason='"x"', event_id="null"), "end_reason: missing or not"),
    (visit(22, track_id='"22"'), "track_id: missing or not an int"),
]


def test_the_reference_agrees_with_the_hand_written_verdicts():
    for stream, cases in (
        ("person_detections", PERSON_CASES),
        ("gender_classifications", GENDER_CASES),
        ("line_crossings", CROSSING_CASES),
        ("zone_visits", VISIT_CASES),
    ):
        for line, want in cases:
            got = ref.reason(stream, line)
            ok = got is None if want is None else (got or "").startswith(want)
            assert ok, (line[:200], got)


# --- generated records -------------------------------------------------------------------------

NUMBER_FORMS = ("{}", "{}.0", "{}e0", "{}.000", "{}E+0")
JUNK = ('"3"', "null", "true", "[]", "{}", '""', "-1", "1.5", "1e400", "9223372036854775808")


def _number(rng: random.Random, n: int) -> str:
    return rng.choice(NUMBER_FORMS).format(n)


def _detection(rng: random.Random) -> str:
    fields = {
        "track_id": rng.choice(["null", _number(rng, rng.randint(0, 9)), str(rng.randint(0, 9))]),
        "bbox": "[" + ", ".join(_number(rng, rng.randint(0, 999)) for _ in range(4)) + "]",
        "score": rng.choice(["0.5", "1", "0", "1e-05", "0.25E0", "1.0"]),
    }
    if rng.random() < 0.5:  # from an edge with zones
        fields["zones"] = json.dumps(rng.sample(["a", "b", "c", "d"], rng.randint(0, 3)))
    return _mutated(rng, fields, 0.05)


def _mutated(rng: random.Random, fields: dict[str, str], rate: float) -> str:
    pairs = []
    for key, value in fields.items():
        roll = rng.random()
        if roll < rate / 3:
            continue  # dropped
        if roll < rate:
            value = rng.choice(JUNK)
        pairs.append((key, value))
        if rng.random() < rate / 4:
            pairs.append((key, rng.choice([*JUNK, value])))  # repeated key
    if rng.random() < 0.05:
        pairs.append(("unknown", rng.choice([*JUNK, '{"a": [1, {"b": null}]}'])))
    rng.shuffle(pairs)
    return "{" + ", ".join(f'"{k}": {v}' for k, v in pairs) + "}"


STRICT = ("line_crossings", "zone_visits")  # the event_id is required
T0_MS = 1_795_464_000_000  # 2026-11-23T20:00:00Z


def _at(ms: int) -> str:
    return format_ts(datetime.fromtimestamp(ms / 1000, UTC))


def generated(stream: str, n: int, seed: int) -> list[str]:
    """Mostly valid records with random mutations; each line unique (frame or track id = i),
    about half with an event_id of their own (mutated like any field)."""
    rng = random.Random(seed)
    lines = []
    for i in range(n):
        t = f'"{T.format(i // 600, i // 10 % 60, i % 10 * 100)}"'
        cam = f'"cam-{rng.randint(0, 2)}"'
        if stream == "person_detections":
            dets = [_detection(rng) for _ in range(rng.randint(0, 3))]
            fields = {
                "site_id": '"s"', "camera_id": cam, "frame_id": _number(rng, i), "captured_at": t,
                "people_count": _number(rng, len(dets)), "detections": "[" + ", ".join(dets) + "]",
            }  # fmt: skip
        elif stream == "gender_classifications":
            fields = {
                "site_id": '"s"', "camera_id": cam, "captured_at": t,
                "track_id": rng.choice(["null", _number(rng, i)]),
                "gender": rng.choice(['"male"', '"female"']),
                "confidence": rng.choice(["0.5", "1", "0", "0.75e0"]),
            }  # fmt: skip
        elif stream == "line_crossings":
            fields = {
                "site_id": '"s"', "camera_id": cam, "track_id": _number(rng, i),
                "line_id": rng.choice(['"door"', '"stairs"']), "frame_id": _number(rng, i),
                "direction": rng.choice(['"in"', '"out"']), "captured_at": t,
                "geometry_version": '"g1"', "schema": '"line_crossings/v1"',
            }  # fmt: skip
            if rng.random() < 0.6:
                fields["gender"] = rng.choice(['"male"', '"female"'])
        else:
            span = rng.choice([0, 1, 999, 1500, 60_000])
            fields = {
                "site_id": '"s"', "camera_id": cam, "track_id": _number(rng, i),
                "zone_id": rng.choice(['"a"', '"b"']),
                "entered_at": f'"{T.format(0, 0, 0)}"', "exited_at": f'"{T.format(0, 0, 0)}"',
                "dwell_s": rng.choice([str(span / 1000), f"{span}e-3", str(span / 1000 + 0.001)]),
                "end_reason": rng.choice(['"left"', '"lost"', '"stream_end"', '"shutdown"']),
                "geometry_version": '"g1"', "schema": '"zone_visits/v1"',
            }  # fmt: skip
            end = T0_MS + 600_000 + i * 100
            fields["entered_at"], fields["exited_at"] = (f'"{_at(end - span)}"', f'"{_at(end)}"')
        if stream in STRICT or rng.random() < 0.5:  # required, or half the older producers'
            fields["event_id"] = f'"{uuid.UUID(int=rng.getrandbits(128), version=4)}"'
        line = _mutated(rng, fields, 0.03)
        if rng.random() < 0.01:
            line = line[: rng.randint(0, len(line) - 1)]  # cut short
        lines.append(line if '"frame_id"' in line or stream != "person_detections"
                     else line[:-1] + f', "n": {i}}}')  # fmt: skip
    return list(dict.fromkeys(lines))


WINDOWS = {  # each stream's reference windows, and the fields its rows are grouped by
    "person_detections": (people_windows, ("camera_id",)),
    "gender_classifications": (gender_windows, ("camera_id",)),
    "line_crossings": (footfall_windows, ("camera_id", "line_id")),
    "zone_visits": (dwell_windows, ("camera_id", "zone_id")),
}


@pytest.mark.parametrize(("job", "stream", "cases"), [
    ("people_counter", "person_detections", PERSON_CASES),
    ("gender_counter", "gender_classifications", GENDER_CASES),
    ("footfall", "line_crossings", CROSSING_CASES),
    ("dwell", "zone_visits", VISIT_CASES),
])  # fmt: skip
def test_parser_matches_the_reference(job, stream, cases, tmp_path):
    lines = list(dict.fromkeys([line for line, _ in cases] + generated(stream, 3000, seed=5)))
    expected = {line: ref.reason(stream, line) for line in lines}
    invalid = {line: why for line, why in expected.items() if why is not None}
    assert 50 < len(invalid) < len(lines) / 2, "the generated records must mix good and bad"

    # No record is late: the watermark trails by a day.
    got = run_file_job(job, lines, tmp_path, "--watermark-delay", "86400")
    assert got["late"] == []
    reasons = {r["payload"]: r["reason"] for r in got["dlq"]}
    assert len(got["dlq"]) == len(reasons) == len(invalid), "one dead letter per bad record"
    for line, why in invalid.items():
        actual = reasons.get(line)
        assert actual is not None, f"not in the DLQ: {line[:300]}"
        if why.startswith("invalid JSON"):
            assert actual.startswith("invalid JSON"), (line[:300], actual)
        else:
            assert actual == why, (line[:300], actual)

    valid = [ref.normalised(line) for line, why in expected.items() if why is None]
    windows, by = WINDOWS[stream]
    assert_rows_match(got["result"], windows(valid, size=60), by)
