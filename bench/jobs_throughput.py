"""Throughput and window latency of the jobs on a Flink standalone cluster (not a test).

    .venv/bin/python -m bench.jobs_throughput [--events 200000] [--jobs people_counter ...]
        [--skip-latency] [--latency-seconds 150] [--keep-stack]

Runs on its own stack (`state/bench-stack`, Kafka 24092, Flink 24081, ...), so it never touches
a developer's default stack or the test stack. It prints figures and ratios; see bench/README.md.

1. Produces N synthetic person events (their detections with zones; and the gender events of
   the same simulation), and line crossings and zone visits (bench/geometry_events.py), into
   fresh topics: those the chosen jobs read.
2. Throughput: each job as a bounded backfill run, Kafka to Kafka, between two ceilings run the
   same way: a pass-through job (same source table, raw records copied to an exactly-once Kafka
   sink) and the same with a blackhole sink. Rate = source records between the moments the
   source passed 10% and 90% of its input / the time between them (no start-up, no tail).
3. Latency: people_counter live; events produced in real time; for each window, the time from
   its close (window_end + watermark delay) to the output record being written and committed.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import random
import re
import statistics
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from tqdm import tqdm

from bench import geometry_events
from bench.jobs_file_mode import file_mode
from bench.machine import machine
from contracts.timefmt import format_ts
from edge_producer.simulate import Streams, simulate
from infra import stack
from infra.config import REPO_ROOT, StackConfig
from infra.services.flink import Flink, flink_cli
from jobs.runtime import StreamJob
from jobs.specs import JOBS, STREAM_JOBS

# The JobManager refreshes the metrics it serves over REST every 10 s by default; a backfill of
# 400k events through the pass-through lasts about 5 s. The bench cluster refreshes every 0.25 s.
FLINK_SETTINGS = {"metrics.fetcher.update-interval": 250}
# Ports below Linux's ephemeral range (32768-60999), where client connections cannot hold them.
BENCH_STACK = {
    "state_dir": str(REPO_ROOT / "state" / "bench-stack"),
    "kafka": {"port": 24092, "controller_port": 24093},
    "connect": {"port": 24083},
    "postgres": {"port": 24432},
    "flink": {"rest_port": 24081, "rpc_port": 24123, "extra": FLINK_SETTINGS},
}
SLOTS = StackConfig().flink.task_slots
POLL_S = 0.25
MIN_SAMPLES = 3  # metric samples between the 10% and 90% crossings for a trustworthy rate
FPS = 5.0
SIM_MINUTES = 10.0
RUN_TIMEOUT_S = 1800.0
LATENCY_DELAY_S = 2.0
LATENCY_CHECKPOINT_S = 1.0
TERMINAL = {"FINISHED", "FAILED", "CANCELED"}
# The live output topic stamps each record with the broker's append time: the sink's write time.
LOG_APPEND_TIME = {"message.timestamp.type": "LogAppendTime"}


# --- stack -----------------------------------------------------------------------------------


def bring_up(cfg: StackConfig) -> None:
    stack.up(cfg, echo=lambda m: print(f"  {m}", flush=True))
    if flink_setting(cfg, "metrics.fetcher.update-interval") != "250":
        print("  flink: an older bench cluster without the metrics setting; restarting", flush=True)
        Flink(cfg).stop()
        stack.up(cfg, echo=lambda m: print(f"  {m}", flush=True))


def flink_setting(cfg: StackConfig, key: str) -> str | None:
    rows = rest_get(cfg, "/jobmanager/config")
    return next((r["value"] for r in rows if r["key"] == key), None)


# --- Flink REST ------------------------------------------------------------------------------


def rest_get(cfg: StackConfig, path: str) -> Any:
    with urllib.request.urlopen(f"{cfg.flink_rest_url}{path}", timeout=10) as resp:
        return json.loads(resp.read())


def cancel_job(cfg: StackConfig, job_id: str) -> None:
    req = urllib.request.Request(f"{cfg.flink_rest_url}/jobs/{job_id}?mode=cancel", method="PATCH")
    urllib.request.urlopen(req, timeout=10).close()


def cancel_leftovers(cfg: StackConfig) -> None:
    for job in rest_get(cfg, "/jobs/overview")["jobs"]:
        if job["state"] not in TERMINAL:
            print(f"  cancelling leftover job {job['name']} ({job['jid']})", flush=True)
            cancel_job(cfg, job["jid"])


def failure_reason(cfg: StackConfig, job_id: str) -> str:
    exc = rest_get(cfg, f"/jobs/{job_id}/exceptions")
    entries = exc.get("exceptionHistory", {}).get("entries") or [{}]
    text = exc.get("root-exception") or entries[0].get("stacktrace") or "(no exception reported)"
    return text.strip().splitlines()[0][:300]


def submit(cfg: StackConfig, script: str, args: list[str]) -> str:
    """`flink run -d -py <script>` against the bench cluster; returns the job id."""
    cmd, env = flink_cli(cfg)
    done = subprocess.run(
        [*cmd, "run", "-d", "-m", cfg.flink_jobmanager, "-py", script, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
        cwd=REPO_ROOT,
    )
    out = done.stdout + done.stderr
    found = re.search(r"JobID ([0-9a-f]{32})", out)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"flink run {script} failed:\n{out[-3000:]}")
    return found.group(1)


def source_vertices(job: dict) -> set[str]:
    """Vertices without inputs in the job plan: the sources."""
    return {n["id"] for n in job["plan"]["nodes"] if not n.get("inputs")}


# --- Kafka -----------------------------------------------------------------------------------

# The bench's inputs: each a topic of one stream (person2: the person stream on 2 partitions).
INPUT_OF = {
    "person_detections": "person",
    "gender_classifications": "gender",
    "line_crossings": "crossings",
    "zone_visits": "visits",
}
STREAM_JOB_OF = {"person": "people", "person2": "people", "gender": "gender"}
STREAM_JOB_OF |= {"crossings": "footfall", "visits": "dwell"}


KEEP_REPEATS = " keep-repeats"  # a job's label with --keep-repeats: no deduplication
NO_ZONES = " without zone_occupancy"  # people's label with the other outputs only


def job_of(name: str) -> StreamJob:
    """A stream job (people, gender: every output on one read) or one output alone."""
    if name.endswith(NO_ZONES):
        people = STREAM_JOBS["people"]
        return people.select([r.name for r in people.results if r.name != "zone_occupancy"])
    name = name.removesuffix(KEEP_REPEATS)
    return STREAM_JOBS.get(name) or JOBS[name]


@dataclass
class Inputs:
    topics: dict[str, str]  # input key (person, gender, person2, crossings, visits) -> topic
    counts: dict[str, int]  # input key -> records in its topic
    produce_rate: float


class Topics:
    """Fresh topics for one bench run, deleted at the end."""

    def __init__(self, cfg: StackConfig) -> None:
        self.admin = KafkaAdminClient(bootstrap_servers=cfg.kafka_bootstrap)
        self.tag = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        self.created: list[str] = []

    def new(self, hint: str, partitions: int = 1, **configs: str) -> str:
        name = f"bench.{self.tag}.{hint}"
        self.admin.create_topics([NewTopic(name, partitions, 1, topic_configs=configs)])
        self.created.append(name)
        return name

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.admin.delete_topics(self.created)
        self.admin.close()


def simulated(events: int) -> Streams:
    """About `events` person events (and their gender events), 1% malformed, none late."""
    cameras = max(1, round(events / (FPS * 60 * SIM_MINUTES)))
    minutes = events / (cameras * FPS * 60)
    print(f"simulating {cameras} cameras x {minutes:.2f} min at {FPS:g} fps ...", flush=True)
    return simulate(
        seed=11,
        cameras=cameras,
        minutes=minutes,
        fps=FPS,
        idle_after_s=None,
        malformed_rate=0.01,
        late_rate=0.0,
    )


def produce_inputs(
    cfg: StackConfig,
    topics: Topics,
    streams: Streams,
    needed: set[str],
    geometry_n: int,
) -> Inputs:
    """The inputs the runs read (`needed`), each into a topic of its own: the person stream,
    its detections with zones, on 1 partition (person) and on 2 keyed by camera (person2, for
    the scaling runs); the gender stream; `geometry_n` line crossings and zone visits."""
    person = (
        geometry_events.with_zones(streams.person.lines) if needed & {"person", "person2"} else []
    )
    sources = {
        "person": ("person_detections", 1, lambda: person),
        "gender": ("gender_classifications", 1, lambda: streams.gender.lines),
        "person2": ("person_detections.p2", 2, lambda: person),
        "crossings": ("line_crossings", 1, lambda: geometry_events.crossings(geometry_n)),
        "visits": ("zone_visits", 1, lambda: geometry_events.visits(geometry_n)),
    }
    plan = {
        key: (topics.new(hint, partitions=partitions), lines())
        for key, (hint, partitions, lines) in sources.items()
        if key in needed
    }
    total = sum(len(lines) for _, lines in plan.values())
    producer = KafkaProducer(
        bootstrap_servers=cfg.kafka_bootstrap, acks=1, linger_ms=20, batch_size=1 << 20
    )
    start = time.perf_counter()
    with tqdm(total=total, unit="ev", desc="producing", mininterval=1.0) as bar:
        for topic, lines in plan.values():
            for i, (camera, line) in enumerate(lines, 1):
                producer.send(topic, key=camera.encode(), value=line.encode())
                if i % 5000 == 0:
                    bar.update(5000)
            bar.update(len(lines) % 5000)
        producer.flush()
    rate = total / (time.perf_counter() - start)
    producer.close()
    return Inputs(
        {k: t for k, (t, _) in plan.items()}, {k: len(ls) for k, (_, ls) in plan.items()}, rate
    )


# --- throughput ------------------------------------------------------------------------------


@dataclass
class Run:
    label: str  # what the summary calls it
    script: str
    input: str  # person | gender | person2 | crossings | visits
    extra: list[str] = field(default_factory=list)
    outputs: tuple[str, ...] = ("out",)  # the job's outputs: one topic each

    @property
    def ceiling(self) -> bool:
        return self.script == PASSTHROUGH


PASSTHROUGH = "bench/passthrough_job.py"


def passthrough(source: str, sink: str = "kafka", parallelism: int = 1) -> Run:
    label = f"{sink if sink == 'blackhole' else 'pass-through'} {source}"
    extra = ["--sink", sink, "--stream", STREAM_JOB_OF[source], "--parallelism", str(parallelism)]
    return Run(
        f"{label} p{parallelism}" if source == "person2" else label, PASSTHROUGH, source, extra
    )


def job_run(
    name: str,
    source: str | None = None,
    parallelism: int = 1,
    keep_repeats: bool = False,
    no_zones: bool = False,
) -> Run:
    """`name` on its stream's input (or `source`); `no_zones`: people without zone_occupancy."""
    label = name + NO_ZONES if no_zones else name
    job = job_of(label)
    source = source or INPUT_OF[job.stream]
    outputs = tuple(r.name for r in job.results) if len(job.results) > 1 else ("out",)
    label = f"{label} p{parallelism}" if source == "person2" else label
    extra = ["--parallelism", str(parallelism)] + (["--keep-repeats"] if keep_repeats else [])
    extra += ["--outputs", ",".join(outputs)] if no_zones else []
    label += KEEP_REPEATS if keep_repeats else ""
    return Run(label, f"jobs/{name}.py", source, extra, outputs)


@dataclass
class RunResult:
    label: str
    records: int
    state: str
    rate: float | None  # ev/s between 10% and 90% of the input
    submit_s: float  # `flink run` started -> returned (client start-up, planning, upload)
    wall_s: float  # `flink run` started -> job FINISHED
    job_s: float  # the job's own duration (REST `duration`)
    note: str = ""


def crossing(samples: list[tuple[float, int]], level: float) -> float | None:
    """When the count first reached `level`, interpolated between the samples around it."""
    for (t0, c0), (t1, c1) in itertools.pairwise(samples):
        if c0 < level <= c1:
            return t0 + (t1 - t0) * (level - c0) / (c1 - c0)
    return None


def processing_rate(samples: list[tuple[float, int]], total: int) -> tuple[float | None, int]:
    """Rate between the 10% and 90% crossings, and how many samples fell between them."""
    t10, t90 = crossing(samples, 0.1 * total), crossing(samples, 0.9 * total)
    if t10 is None or t90 is None or t90 <= t10:
        return None, 0
    return 0.8 * total / (t90 - t10), sum(1 for t, _ in samples if t10 < t < t90)


def follow(cfg: StackConfig, job_id: str, total: int, started: float, submit_s: float) -> RunResult:
    """Poll the job every POLL_S until it ends; sample its source vertices' read-records."""
    samples: list[tuple[float, int]] = []  # (time of the answer, records read), while RUNNING
    deadline = started + RUN_TIMEOUT_S
    while True:
        job = rest_get(cfg, f"/jobs/{job_id}")
        now = time.time()
        sources = source_vertices(job)
        read = sum(v["metrics"]["read-records"] for v in job["vertices"] if v["id"] in sources)
        if job["state"] in TERMINAL:
            break
        if job["state"] == "RUNNING":
            samples.append((now, read))
        if now > deadline:
            cancel_job(cfg, job_id)
            return RunResult("", read, "TIMEOUT", None, submit_s, now - started, 0.0, "cancelled")
        time.sleep(POLL_S)
    wall = job["timestamps"].get("FINISHED", 0) / 1000 or now
    finished = job["state"] == "FINISHED"
    rate, inside = processing_rate(samples, total) if finished else (None, 0)
    notes = [failure_reason(cfg, job_id)] if job["state"] == "FAILED" else []
    if finished and read != total:
        notes.append(f"source read {read:,} of {total:,} records")
    if finished and rate is None:
        notes.append("finished before the metrics showed 10% and 90% read: use more --events")
    elif finished and inside < MIN_SAMPLES:
        notes.append(f"coarse: {inside} samples between 10% and 90%, use more --events")
    job_s = job["duration"] / 1000
    return RunResult(
        "", read, job["state"], rate, submit_s, wall - started, job_s, "; ".join(notes)
    )


def backfill_args(cfg: StackConfig, topics: Topics, inputs: Inputs, run: Run, n: int) -> list[str]:
    hint = f"{n}." + re.sub(r"[^a-z0-9_]+", "_", run.label)
    out = [topics.new(f"{hint}.{o}") for o in run.outputs]
    pairs = zip(run.outputs, out, strict=True)
    named = out if run.outputs == ("out",) else [f"{o}={t}" for o, t in pairs]
    return [
        "--backfill", "--bootstrap", cfg.kafka_bootstrap, "--input-topic", inputs.topics[run.input],
        *(a for t in named for a in ("--output-topic", t)),
        "--dlq-topic", topics.new(f"{hint}.dlq"),
        "--late-topic", topics.new(f"{hint}.late"), "--group-id", f"bench-{topics.tag}-{hint}",
        "--checkpoint-interval", "5", *run.extra,
    ]  # fmt: skip


def run_plan(
    jobs: list[str],
    with_scaling: bool,
    rounds: int,
    dedup_cost: bool = False,
    zone_cost: bool = False,
) -> list[Run]:
    """A warm-up run (a fresh cluster's first job is slow: class loading, JIT), then `rounds`
    rounds of the ceilings and the jobs, every other round in mirrored order, so that drift
    hits both sides; then the scaling runs on the 2-partition topic, the same way. The
    ceilings: the pass-through of each input the jobs read, and the person source alone.
    `dedup_cost`: each job also runs with --keep-repeats, beside it in each round; `zone_cost`:
    people also runs without zone_occupancy."""
    jobs_runs = []
    for j in jobs:
        jobs_runs.append(job_run(j))
        jobs_runs += [job_run(j, keep_repeats=True)] if dedup_cost else []
        jobs_runs += [job_run(j, no_zones=True)] if zone_cost and j == "people" else []
    inputs = [i for i in INPUT_OF.values() if any(r.input == i for r in jobs_runs)]
    ceilings = [passthrough(i) for i in inputs]
    if "person" in inputs:
        ceilings.insert(1, passthrough("person", "blackhole"))
    warm_up = replace(ceilings[0], label="warm-up")
    scaling = [passthrough("person2", parallelism=1), job_run("people", "person2", 1)]
    scaling += [job_run("people", "person2", 2), passthrough("person2", parallelism=2)]
    blocks = [[*ceilings, *jobs_runs]] + ([scaling] if with_scaling else [])
    plan = [warm_up]
    for block in blocks:
        for n in range(rounds):
            plan += block if n % 2 == 0 else block[::-1]
    return plan


def throughput(
    cfg: StackConfig, topics: Topics, inputs: Inputs, plan: list[Run]
) -> list[RunResult]:
    results = []
    for n, run in enumerate(plan, 1):
        total = inputs.counts[run.input]
        print(f"[{n}/{len(plan)}] {run.label}: backfill of {total:,} records ...", flush=True)
        args = backfill_args(cfg, topics, inputs, run, n)
        started = time.time()
        job_id = submit(cfg, run.script, args)
        submit_s = time.time() - started
        print(f"        submitted as {job_id} in {submit_s:.1f}s", flush=True)
        result = follow(cfg, job_id, total, started, submit_s)
        result.label = run.label
        results.append(result)
        print(f"        {describe(result)}", flush=True)
    return results


def describe(r: RunResult) -> str:
    rate = f"{r.rate:,.0f} ev/s" if r.rate else "no rate"
    text = f"{r.state}: {rate}, {r.records:,} records, wall {r.wall_s:.1f}s, job {r.job_s:.1f}s"
    return f"{text} ({r.note})" if r.note else text


# --- latency ---------------------------------------------------------------------------------


@dataclass
class Window:
    camera: str
    window_end: float  # epoch seconds
    received: float  # consumer wall time (read_committed)
    written: float  # output record's timestamp: the broker's append time


def live_event(camera: str, frame: int, rng: random.Random) -> dict:
    people = rng.randint(0, 3)
    dets = [
        {"track_id": rng.randint(1, 20), "bbox": [10.0, 20.0, 60.0, 180.0], "score": 0.9}
        for _ in range(people)
    ]
    return {
        "site_id": "site-0",
        "camera_id": camera,
        "frame_id": frame,
        "captured_at": format_ts(datetime.now(UTC)),
        "people_count": people,
        "detections": dets,
    }


def produce_live(cfg: StackConfig, topic: str, seconds: float, cameras: int = 3) -> None:
    producer = KafkaProducer(bootstrap_servers=cfg.kafka_bootstrap, acks=1, linger_ms=5)
    rng, start, frame = random.Random(3), time.monotonic(), 0
    with tqdm(total=round(seconds), unit="s", desc="live events", mininterval=5.0) as bar:
        while (elapsed := time.monotonic() - start) < seconds:
            for c in range(cameras):
                event = live_event(f"cam-{c}", frame, rng)
                producer.send(
                    topic, key=event["camera_id"].encode(), value=json.dumps(event).encode()
                )
            frame += 1
            bar.update(int(elapsed) - bar.n)
            time.sleep(max(0.0, start + frame / FPS - time.monotonic()))
    producer.flush()
    producer.close()


def window_of(key: bytes | None, value: bytes | None) -> tuple[str, float] | None:
    """(camera_id, window_end epoch s) from the record key (the documented window key), else
    from the value or a Connect envelope's payload; None if the record has neither."""
    fields: dict = {}
    for raw in (value, key):
        doc = json.loads(raw) if raw else {}
        if isinstance(doc, dict):
            fields |= doc.get("payload") if isinstance(doc.get("payload"), dict) else {}
            fields |= doc
    if "camera_id" not in fields or "window_end" not in fields:
        return None
    return fields["camera_id"], datetime.fromisoformat(fields["window_end"]).timestamp()


@dataclass
class Reader:
    """Reads the live job's output topic (read_committed) in a thread, stamping each record."""

    cfg: StackConfig
    topic: str
    windows: list[Window] = field(default_factory=list)
    unreadable: int = 0
    error: str = ""
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        consumer = KafkaConsumer(
            self.topic,
            bootstrap_servers=self.cfg.kafka_bootstrap,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            enable_auto_commit=False,
            group_id=f"reader-{self.topic}",
        )
        try:
            while not self.stop.is_set():
                for records in consumer.poll(timeout_ms=100).values():
                    received = time.time()
                    for m in records:
                        self.add(m.key, m.value, received, m.timestamp / 1000)
        except Exception as exc:  # reported in the summary, not lost in a thread
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            consumer.close()

    def add(self, key: bytes | None, value: bytes | None, received: float, written: float) -> None:
        found = window_of(key, value)
        if found is None:
            self.unreadable += 1
            return
        self.windows.append(Window(found[0], found[1], received, written))


def wait_running(cfg: StackConfig, job_id: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = rest_get(cfg, f"/jobs/{job_id}")
        if all(v["status"] == "RUNNING" for v in job["vertices"]):
            return
        if job["state"] in TERMINAL:
            raise RuntimeError(f"live job {job['state']}: {failure_reason(cfg, job_id)}")
        time.sleep(POLL_S)
    raise RuntimeError(f"live job not running after {timeout_s:.0f}s")


@dataclass
class Latency:
    windows: list[Window]  # closed while events were still being produced
    unreadable: int  # output records without camera_id and window_end
    error: str  # the reader's failure, if any


def latency(cfg: StackConfig, topics: Topics, seconds: float) -> Latency:
    """people_counter live; windows whose end passed while events were still being produced."""
    in_topic, out_topic = topics.new("live.in"), topics.new("live.out", **LOG_APPEND_TIME)
    args = [
        "--bootstrap", cfg.kafka_bootstrap, "--input-topic", in_topic, "--output-topic", out_topic,
        "--dlq-topic", topics.new("live.dlq"), "--late-topic", topics.new("live.late"),
        "--group-id", f"bench-{topics.tag}-live", "--watermark-delay", f"{LATENCY_DELAY_S:g}",
        "--checkpoint-interval", f"{LATENCY_CHECKPOINT_S:g}",
    ]  # fmt: skip
    print("latency: people_counter live, 3 cameras at 5 fps ...", flush=True)
    job_id = submit(cfg, "jobs/people_counter.py", args)
    reader = Reader(cfg, out_topic)
    thread = threading.Thread(target=reader.run, daemon=True)
    try:
        wait_running(cfg, job_id)
        print(f"        {job_id} running; producing for {seconds:.0f}s", flush=True)
        thread.start()
        started = time.time()
        produce_live(cfg, in_topic, seconds)
        ended = time.time()
        time.sleep(5 * LATENCY_CHECKPOINT_S + 3)  # the last closed windows' commit
    finally:
        reader.stop.set()
        if thread.is_alive():
            thread.join()
        cancel_job(cfg, job_id)
    closed = [
        w
        for w in reader.windows
        if started < w.window_end and w.window_end + LATENCY_DELAY_S < ended
    ]
    print(f"        {len(closed)} windows closed while producing; job cancelled", flush=True)
    return Latency(closed, reader.unreadable, reader.error)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def latency_lines(live: Latency) -> list[str]:
    windows = live.windows
    problems = [f"  reader failed: {live.error}"] if live.error else []
    if live.unreadable:
        problems.append(f"  {live.unreadable} output records without camera_id/window_end")
    if not windows:
        return ["latency: no window closed (raise --latency-seconds above 70)", *problems]

    def since_close(t: float, w: Window) -> float:
        return t - (w.window_end + LATENCY_DELAY_S)

    kinds = {
        "committed (consumer, read_committed)": [since_close(w.received, w) for w in windows],
        "written (output record timestamp)": [since_close(w.written, w) for w in windows],
    }
    lines = [
        f"latency, window close (window_end + {LATENCY_DELAY_S:g}s watermark delay) to output,"
        f" {len(windows)} windows, checkpoint every {LATENCY_CHECKPOINT_S:g}s:"
    ]
    for name, values in kinds.items():
        p50, p95, top = (percentile(values, p) for p in (0.5, 0.95, 1.0))
        lines.append(f"  {name:<38} p50 {p50:5.2f}s  p95 {p95:5.2f}s  max {top:5.2f}s")
    lines.append(
        "  committed latency is dominated by the checkpoint interval: the Kafka sink is"
        " transactional, so a window becomes visible when the next checkpoint completes"
    )
    return lines + problems


# --- report ----------------------------------------------------------------------------------


def coarse(r: RunResult) -> bool:
    return "coarse" in r.note


def fmt_rate(r: RunResult) -> str:
    return f"{r.rate:,.0f}{'*' if coarse(r) else ''}" if r.rate else "failed"


def ceiling(results: list[RunResult], label: str) -> tuple[float | None, str]:
    """Median rate of the label's runs, and the runs' rates as text."""
    own = [r for r in results if r.label == label]
    rates = [r.rate for r in own if r.rate]
    return (statistics.median(rates) if rates else None), " / ".join(fmt_rate(r) for r in own)


def ratio(rate: float | None, ceiling: float | None) -> str:
    return f"{rate / ceiling:.2f}x" if rate and ceiling else "n/a"


def job_line(label: str, results: list[RunResult], through: float | None) -> str:
    rate, runs = ceiling(results, label)
    if not rate:
        failed = [r for r in results if r.label == label]
        return f"  {label}: {failed[0].state} ({failed[0].note})"
    job = job_of(label)
    shape = f"{len(job.results)} outputs, one read" if len(job.results) > 1 else "one output"
    line = (
        f"  {label} ({shape}): {rate:,.0f} ev/s ({runs}) = {ratio(rate, through)} of its"
        " stream's pass-through"
    )
    kept, _ = ceiling(results, label + KEEP_REPEATS)
    if kept:  # the same job without deduplication ran beside it
        line += f"; {ratio(rate, kept)} of itself with --keep-repeats"
    zoneless, _ = ceiling(results, label + NO_ZONES)
    if zoneless:  # people without zone_occupancy ran beside it
        line += f"; {ratio(rate, zoneless)} of itself{NO_ZONES}"
    return line


def summary(
    inputs: Inputs, results: list[RunResult], file_lines: list[str] | None, live: Latency | None
) -> str:  # fmt: skip
    labels = [r.label for r in results if r.label.startswith(("pass-through", "blackhole"))]
    ceilings = {label: ceiling(results, label) for label in dict.fromkeys(labels)}  # fmt: skip
    stream_ceiling = {
        stream: ceilings.get(f"pass-through {source}", (None, ""))[0]
        for stream, source in INPUT_OF.items()
    }
    skip = ("pass-through", "blackhole", "warm-up")
    jobs = [r for r in results if not r.label.startswith(skip)]
    lines = [
        "=" * 78,
        f"machine: {machine()}",
        "input:   "
        + ", ".join(f"{n:,} {k} records" for k, n in inputs.counts.items())
        + f" (produced at {inputs.produce_rate:,.0f} ev/s)",
        f"cluster: Flink 2.2.1 standalone, 1 TaskManager ({SLOTS} slots), checkpoints every 5s,"
        " Kafka to Kafka, exactly-once sinks",
        "ceilings (median of the rounds; each run's rate in brackets):",
        *(f"  {label:<28} {c or 0:>9,.0f} ev/s ({runs})" for label, (c, runs) in ceilings.items()),
        "jobs at parallelism 1, each against the pass-through of its own stream:",
        *(
            job_line(label, results, stream_ceiling[job_of(label).stream])
            for label in dict.fromkeys(r.label for r in jobs if " p" not in r.label)
        ),
    ]
    if any(r.label.endswith(" p2") for r in results):
        lines += scaling_lines(results)
    if any(coarse(r) for r in results):
        lines.append(f"* fewer than {MIN_SAMPLES} metric samples between 10% and 90%: coarse")
    lines += file_lines or []
    if live is not None:
        lines += latency_lines(live)
    return "\n".join([*lines, "=" * 78])


def scaling_lines(results: list[RunResult]) -> list[str]:
    """Parallelism 2 against 1 on the 2-partition topic, for the pass-through and `people`."""
    rate = {label: ceiling(results, label) for label in {r.label for r in results}}
    lines = [
        f"scaling on a 2-partition person topic ({len(os.sched_getaffinity(0))} cores for the"
        " whole stack, the TaskManager included):"
    ]
    for name in ("pass-through person2", "people"):
        p1, runs1 = rate.get(f"{name} p1", (None, ""))
        p2, runs2 = rate.get(f"{name} p2", (None, ""))
        if p1 or p2:
            lines.append(
                f"  {name.split()[0]:<13} p1 {p1 or 0:>9,.0f} ev/s ({runs1}), p2 {p2 or 0:>9,.0f}"
                f" ev/s ({runs2}): p2/p1 = {ratio(p2, p1)}"
            )
    p2 = [rate.get(label, (None, ""))[0] for label in ("people p2", "pass-through person2 p2")]
    lines.append(f"  people p2 = {ratio(*p2)} of the pass-through p2")
    return lines


# --- main ------------------------------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench.jobs_throughput", description=__doc__.split("\n")[0])
    p.add_argument("--events", type=int, default=1_000_000, help="person events (default 1000000)")
    names = [*STREAM_JOBS, *JOBS]
    p.add_argument(
        "--jobs",
        nargs="+",
        choices=names,
        default=names,
        metavar="JOB",
        help="stream jobs (people, gender, footfall, dwell) and single outputs (default: all)",
    )
    p.add_argument(
        "--file-events",
        type=int,
        default=1_200_000,
        help="person events of the file-mode runs (default 1200000; 0 skips them)",
    )
    p.add_argument("--rounds", type=int, default=2, help="runs of each job and ceiling (2)")
    p.add_argument("--skip-scaling", action="store_true", help="skip the parallelism-2 runs")
    p.add_argument(
        "--dedup-cost",
        action="store_true",
        help="also run each job with --keep-repeats (no deduplication), beside it in each round",
    )
    p.add_argument(
        "--zone-cost",
        action="store_true",
        help="also run people without zone_occupancy, beside it in each round",
    )
    p.add_argument(
        "--geometry-events",
        type=int,
        default=500_000,
        help="line crossings and zone visits each, for footfall and dwell (default 500000)",
    )
    p.add_argument("--skip-latency", action="store_true", help="skip the live latency run")
    p.add_argument("--latency-seconds", type=float, default=150.0, help="live run length")
    p.add_argument("--keep-stack", action="store_true", help="leave the bench stack running")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    cfg = StackConfig.model_validate(BENCH_STACK)
    print(f"machine: {machine()}", flush=True)
    print(f"bench stack under {cfg.state} (Flink {cfg.flink_rest_url}) ...", flush=True)
    bring_up(cfg)
    topics = Topics(cfg)
    try:
        cancel_leftovers(cfg)
        scaling = not args.skip_scaling
        plan = run_plan(args.jobs, scaling, args.rounds, args.dedup_cost, args.zone_cost)
        needed = {run.input for run in plan}
        streams = simulated(args.events)
        inputs = produce_inputs(cfg, topics, streams, needed, args.geometry_events)
        print(f"produced at {inputs.produce_rate:,.0f} ev/s", flush=True)
        results = throughput(cfg, topics, inputs, plan)
        files = file_mode(simulated(args.file_events)) if args.file_events else None
        live = None if args.skip_latency else latency(cfg, topics, args.latency_seconds)
        print(summary(inputs, results, files, live), flush=True)
    finally:
        topics.close()
        if not args.keep_stack:
            print("stopping the bench stack (--keep-stack leaves it up) ...", flush=True)
            stack.down(cfg, echo=lambda m: print(f"  {m}", flush=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
