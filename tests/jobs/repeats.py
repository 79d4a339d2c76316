"""Repeats, as at-least-once delivery makes them: byte-identical copies of valid events (the
same event_id), arriving again later. Plain Python, like the reference.

`with_repeats` copies some events of a stream; `copy_kinds` tells, from the arrival order alone,
what became of each copy (the tests assert that every kind is there); `without_ids` strips the
event_id from some events, as an older producer sends them.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from collections import Counter, defaultdict

from edge_producer.simulate import Stream
from tests.jobs.reference import capture_time

WINDOW_S = 60  # the base window every output is made of (or rolled up from)
KINDS = ("same window", "later window", "late")


def _stream(stream: Stream, lines: list[tuple[str, str]], valid, late) -> Stream:
    return Stream(lines=lines, valid=valid, malformed=list(stream.malformed), late=late)


def without_ids(stream: Stream, *, rate: float, seed: int) -> Stream:
    """The stream with the event_id taken out of a seeded `rate` of its valid events (the
    malformed lines keep theirs)."""
    rng = random.Random(seed)
    stripped: dict[str, dict] = {}  # old line -> the event without its id
    for e in stream.valid:
        if "event_id" in e and rng.random() < rate:
            stripped[json.dumps(e)] = {k: v for k, v in e.items() if k != "event_id"}
    new = lambda e: stripped.get(json.dumps(e), e)  # noqa: E731
    lines = [(c, json.dumps(stripped[x]) if x in stripped else x) for c, x in stream.lines]
    return _stream(stream, lines, [new(e) for e in stream.valid], [new(e) for e in stream.late])


def with_repeats(
    stream: Stream,
    *,
    delay_s: float,
    rate: float = 0.2,
    seed: int = 41,
    time_key: str = "captured_at",
) -> Stream:
    """The stream with 1 to 8 extra copies of a seeded `rate` of its valid events that have an
    event_id, each inserted after a later line: a few lines on (its window still open), just
    after the stream passed the end of the event's window but not yet its time plus the delay
    (on time, while later windows fill), or 1 to 120 s of capture time on (behind the
    watermark: late). The originals keep their places, so nothing else changes: a copy's
    capture time is its original's, and moves no watermark. `valid`, `malformed` and `late`
    stay the ground truth of the events, once each. `time_key`: the event time's key."""
    rng = random.Random(seed)
    times = [capture_time(line, time_key) for _, line in stream.lines]
    # the largest capture time seen once each line has arrived
    high = list(itertools.accumulate((-math.inf if t is None else t for t in times), max))
    last = len(high) - 1
    with_id = {json.dumps(e) for e in stream.valid if "event_id" in e}
    after: dict[int, list[tuple[str, str]]] = defaultdict(list)  # copies to insert after line i
    for i, (camera, line) in enumerate(stream.lines):
        if line not in with_id or rng.random() >= rate:
            continue
        t = times[i]
        end = (t // WINDOW_S + 1) * WINDOW_S
        on_time = [j for j in range(i, min(i + 200, last + 1)) if high[j] < t + delay_s]
        later = [j for j in on_time if high[j] >= end]  # on time, the stream past its window
        for _ in range(rng.randint(1, 8)):
            kind = rng.choice(KINDS)
            if kind == "late":
                behind = t + delay_s + rng.uniform(1, 120)
                j = next((j for j in range(i, last + 1) if high[j] >= behind), last)
            elif kind == "later window" and later:
                j = rng.choice(later)
            else:  # same window (or no later window before the watermark passes t)
                j = min(i + rng.randint(0, 3), last)
            after[j].append((camera, line))
    lines = [x for i, line in enumerate(stream.lines) for x in (line, *after.get(i, []))]
    return _stream(stream, lines, list(stream.valid), list(stream.late))


def copy_kinds(stream: Stream, delay_s: float, time_key: str = "captured_at") -> Counter:
    """What became of the copies (a valid line that arrived before), by the reference's rules:
    dropped in its window while the stream is still in that window ("same window"), dropped
    after the stream went on into a later window ("later window"), or "late"."""
    valid = {json.dumps(e) for e in stream.valid if "event_id" in e}
    seen: set[str] = set()
    kinds: Counter = Counter()
    high = -math.inf
    for _, line in stream.lines:
        t = capture_time(line, time_key)
        if line in valid:
            if line in seen:
                if t <= high - delay_s:
                    kinds["late"] += 1
                elif high >= (t // WINDOW_S + 1) * WINDOW_S:
                    kinds["later window"] += 1
                else:
                    kinds["same window"] += 1
            seen.add(line)
        if t is not None:
            high = max(high, t)
    return kinds
