"""What a replay will do, decided before it touches anything: the range, the windows each output
replaces, and whether the raw topics still hold the range (docs/backfill.md)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kafka import KafkaConsumer

from jobs.config import JobConfig
from jobs.progress import topic_partitions
from jobs.runtime import ResultSpec, StreamJob


class Refused(Exception):
    """The replay cannot do what was asked; nothing was touched (exit status 2)."""


@dataclass(frozen=True)
class Range:
    """[start, end) of capture time, for some cameras or all."""

    start: datetime
    end: datetime
    cameras: tuple[str, ...] = ()
    site: str | None = None

    def check(self, now: datetime) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise Refused("give --from and --to with a zone, e.g. 2026-12-04T10:00:00Z")
        if self.end <= self.start:
            raise Refused(f"--to ({iso(self.end)}) is not after --from ({iso(self.start)})")
        if self.end > now:
            raise Refused(
                f"--to ({iso(self.end)}) is in the future (now {iso(now)}): a replay replaces"
                " only windows that have closed"
            )

    def job_args(self) -> list[str]:
        """`python -m jobs.<job> --backfill` flags for this range."""
        args = ["--from", iso(self.start), "--to", iso(self.end)]
        args += [a for c in self.cameras for a in ("--camera", c)]
        return args + (["--site", self.site] if self.site else [])


@dataclass(frozen=True)
class Span:
    """The windows of one output wholly inside a range."""

    output: str
    size_s: int
    slide_s: int
    first_start: datetime | None = None  # None: no whole window fits
    last_end: datetime | None = None
    windows: int = 0

    def describe(self) -> str:
        kind = f"{self.size_s // 60} min" + (
            f" every {self.slide_s // 60} min" if self.slide_s != self.size_s else ""
        )
        if not self.windows:
            return f"{self.output} ({kind} windows): no whole window in the range; nothing replaced"
        return (
            f"{self.output} ({kind} windows): replaces {iso(self.first_start)} to"
            f" {iso(self.last_end)}, {self.windows} window(s) per camera"
        )


def span(result: ResultSpec, rng: Range) -> Span:
    size, slide = result.window(JobConfig(), alone=False)
    epoch = rng.start.timestamp()
    first = math.ceil(epoch / slide) * slide  # windows start on multiples of the slide
    last_start = math.floor((rng.end.timestamp() - size) / slide) * slide
    if last_start < first:
        return Span(result.name, size, slide)
    return Span(
        result.name,
        size,
        slide,
        datetime.fromtimestamp(first, UTC),
        datetime.fromtimestamp(last_start + size, UTC),
        (last_start - first) // slide + 1,
    )


@dataclass
class Held:
    """What a raw topic still holds: from which record time a replay can read it."""

    topic: str
    since: datetime | None  # the oldest record still held; None: the topic holds none


def held(bootstrap: str, topic: str) -> Held:
    """The topic's oldest record still held (per partition the first offset's timestamp; the
    topic's is the latest of them: before it, some partition may have lost events)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        parts = topic_partitions(consumer, topic)
        if not parts:
            return Held(topic, None)
        first, end = consumer.beginning_offsets(parts), consumer.end_offsets(parts)
        consumer.assign(parts)
        times = []
        for tp in parts:
            if end[tp] <= first[tp]:
                continue  # empty: nothing held here (never written, or all expired)
            consumer.seek(tp, first[tp])
            records = consumer.poll(timeout_ms=10_000, max_records=1).get(tp, [])
            if records:
                times.append(records[0].timestamp)
        since = datetime.fromtimestamp(max(times) / 1000, UTC) if times else None
        return Held(topic, since)
    finally:
        consumer.close()


def check_held(rng: Range, topics: list[Held]) -> None:
    """Refuse a range that starts before the oldest event a raw topic still holds."""
    short = [h for h in topics if h.since is None or rng.start < h.since]
    if not short:
        return
    lines = [
        f"{h.topic}: holds no events" if h.since is None
        else f"{h.topic}: the oldest event still held was sent at {iso(h.since)}"
        for h in short
    ]  # fmt: skip
    replayable = max((h.since for h in short if h.since), default=None)
    hint = (
        f"; replay from there: --from {iso(ceil_minute(replayable))}"
        if replayable
        else "; there is nothing to replay"
    )
    raise Refused(
        f"the range starts at {iso(rng.start)}, before what the raw topics hold ("
        + "; ".join(lines)
        + f"){hint}. Results older than that cannot be rebuilt (raw topic retention:"
        " docs/backfill.md)"
    )


def ceil_minute(t: datetime) -> datetime:
    whole = t.replace(second=0, microsecond=0)
    return whole if whole == t else whole + timedelta(minutes=1)


def iso(t: datetime | None) -> str:
    if t is None:
        return "-"
    text = t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return text.replace(".000Z", "Z")


def outputs(jobs: dict[str, StreamJob]) -> list[ResultSpec]:
    """The jobs' outputs that are landed in PostgreSQL (the others have no rows to replace)."""
    return [r for job in jobs.values() for r in job.results if r.landed]
