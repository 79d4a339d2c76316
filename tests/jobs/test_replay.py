"""`ivica jobs backfill --from A --to B` on the real stack with the live jobs running: it replaces
exactly the windows wholly inside [A, B) and nothing else (docs/backfill.md).

The stack's contract topics, sinks and result tables, as an operator has them. The stream is
ten minutes of two cameras captured just now; part of it (a backlog of both cameras, captured
inside the range) is held back and sent after everything else, as an edge sends its spool
after an outage: the live jobs count it late, a replay counts it. The tables also hold a
sentinel camera's three days of minutes and hours, older than anything the raw topics hold.

One test, in the order an operator would meet the cases (each replay costs two job start-ups):
refusals first (nothing may change), then a replay of one camera, then of every camera, then a
replay whose sink is paused (it must fail, not hang). Expected rows come from the plain-Python
reference over the raw events, never from the jobs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import yaml
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from connectors import connect
from contracts import topics
from edge_producer.simulate import simulate
from infra.config import REPO_ROOT, StackConfig
from tests.conftest import TEST_STACK
from tests.jobs.launch import kill_local
from tests.jobs.reference import gender_windows, people_windows

pytestmark = pytest.mark.integration

TABLES = {  # table -> (reference, window size, slide)
    "people_counter": (people_windows, 60, None),
    "people_counter_sliding": (people_windows, 300, 60),
    "people_counter_hourly": (people_windows, 3600, None),
    "gender_counter": (gender_windows, 60, None),
    "gender_counter_sliding": (gender_windows, 300, 60),
}
SENTINEL = "cam-sentinel"


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def snapshot(dsn: str) -> dict[str, dict[tuple, dict]]:
    """Every row of every result table, by (camera, start, end), times as the reference's text."""
    out = {}
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        for table in TABLES:
            rows = cur.execute(f"SELECT * FROM ivica.{table}").fetchall()
            for r in rows:
                for k in ("window_start", "window_end"):
                    r[k] = r[k].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            out[table] = {(r["camera_id"], r["window_start"], r["window_end"]): r for r in rows}
    return out


def inside(key: tuple, start: datetime, end: datetime, cameras: set[str]) -> bool:
    parse = lambda text: datetime.fromisoformat(text)  # noqa: E731
    return key[0] in cameras and start <= parse(key[1]) and parse(key[2]) <= end


def split(rows: dict, start: datetime, end: datetime, cameras: set[str]) -> tuple[dict, dict]:
    """(the cameras' rows of the windows wholly inside [start, end), every other row)"""
    ins = {k: r for k, r in rows.items() if inside(k, start, end, cameras)}
    return ins, {k: r for k, r in rows.items() if k not in ins}


def reference(events: dict[str, list[dict]], start: datetime, end: datetime) -> dict:
    """Per table, the rows of the windows wholly inside [start, end), from every valid event
    captured in it (each event_id once)."""
    out = {}
    for table, (windows, size, slide) in TABLES.items():
        stream = events["person" if table.startswith("people") else "gender"]
        once = {e["event_id"]: e for e in stream}.values()
        captured = [e for e in once if start <= datetime.fromisoformat(e["captured_at"]) < end]
        rows = windows(list(captured), size=size, slide=slide)
        out[table] = {
            (r["camera_id"], r["window_start"], r["window_end"]): r
            for r in rows.values()
            if start <= datetime.fromisoformat(r["window_start"])
            and datetime.fromisoformat(r["window_end"]) <= end
        }
    return out


def assert_same(got: dict, want: dict, what: str) -> None:
    assert got.keys() == want.keys(), f"{what}: {sorted(got.keys() ^ want.keys())[:4]}"
    for key, row in want.items():
        for name, value in row.items():
            ok = (
                abs(got[key][name] - value) <= 1e-9
                if isinstance(value, float)
                else (got[key][name] == value)
            )
            assert ok, (what, key, name, got[key][name], value)


def ivica_backfill(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("ivica")), "jobs", "backfill", "--config",
         str(config), *args],
        capture_output=True, text=True, timeout=600, check=False, cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def seed_sentinel(dsn: str, now: datetime) -> None:
    """Three days of minutes and hours of a camera, ending a day ago."""
    first = (now - timedelta(days=4)).replace(second=0, microsecond=0)
    with psycopg.connect(dsn) as conn:
        conn.execute("DELETE FROM ivica.people_counter WHERE camera_id = %s", [SENTINEL])
        conn.execute("DELETE FROM ivica.people_counter_hourly WHERE camera_id = %s", [SENTINEL])
        for table, step, n in (
            ("people_counter", 60, 3 * 1440),
            ("people_counter_hourly", 3600, 72),
        ):
            rows = [
                ("site-sentinel", SENTINEL, first + timedelta(seconds=i * step),
                 first + timedelta(seconds=(i + 1) * step), 1.5, 2, 1, 10, 3)
                for i in range(n)
            ]  # fmt: skip
            with conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO ivica.{table} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", rows
                )


def fresh_raw_topics(bootstrap: str) -> None:
    """The contract's raw topics, empty: this test is the only one that writes them."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        existing = set(admin.list_topics()) & set(topics.RAW_TOPICS)
        if existing:
            admin.delete_topics(list(existing))
        deadline = time.monotonic() + 60
        while True:
            try:
                admin.create_topics([NewTopic(t, 1, 1) for t in topics.RAW_TOPICS])
                return
            except TopicAlreadyExistsError:  # the deletion is still going on
                assert time.monotonic() < deadline, "the raw topics were not deleted"
                time.sleep(1)
    finally:
        admin.close()


def settled(dsn: str, cameras: set[str], timeout_s: float = 240) -> dict:
    """The tables once the live jobs have landed the cameras' closed windows and nothing more
    changes for 15 s."""
    deadline = time.monotonic() + timeout_s
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        now = snapshot(dsn)
        ours = sum(1 for rows in now.values() for k in rows if k[0] in cameras)
        if now != last:
            last, since = now, time.monotonic()
        elif ours and time.monotonic() - since >= 15:
            return now
        time.sleep(2)
    raise AssertionError("the live results did not settle")


def sink_action(stack: StackConfig, name: str, action: str) -> None:
    request = urllib.request.Request(
        f"{stack.connect_url}/connectors/{name}/{action}", method="PUT"
    )
    with urllib.request.urlopen(request, timeout=30):
        pass


@pytest.mark.timeout(1200)
def test_a_replay_replaces_exactly_its_range(stack: StackConfig, database, kafka, tmp_path):
    now = datetime.now(UTC)
    config = tmp_path / "stack.yaml"
    config.write_text(yaml.safe_dump(TEST_STACK))
    dsn = database.dsn
    seed_sentinel(dsn, now)

    # Ten minutes of two cameras, captured from 14 minutes ago; the range inside them.
    t0 = (now - timedelta(minutes=14)).replace(microsecond=0)
    prefix = f"rp{int(now.timestamp()) % 100000}-"
    streams = simulate(seed=11, cameras=2, minutes=10, fps=2, idle_after_s=None, jitter_s=1.0,
                       malformed_rate=0.0, start=t0, camera_prefix=prefix,
                       close_after_s=90)  # fmt: skip
    cameras = {f"{prefix}0", f"{prefix}1"}
    start = t0 + timedelta(minutes=2, seconds=17, milliseconds=500)  # not on a minute
    end = start + timedelta(minutes=6, seconds=40)  # room for a 5-min window; inside others
    backlog_from, backlog_to = start + timedelta(seconds=30), start + timedelta(seconds=150)

    def held_back(line: str) -> bool:
        at = datetime.fromisoformat(json.loads(line)["captured_at"])
        return backlog_from <= at < backlog_to

    fresh_raw_topics(stack.kafka_bootstrap)
    connect.apply(stack.connect_url, connect.render(connect.stack_settings(stack)))
    live = []
    for job in ("people", "gender"):
        log = (tmp_path / f"live-{job}.log").open("w")
        live.append(subprocess.Popen(
            [sys.executable, "-m", f"jobs.{job}", "--bootstrap", stack.kafka_bootstrap,
             "--group-id", f"test-replay-live-{prefix}{job}", "--checkpoint-interval", "2",
             "--checkpoint-dir", str(tmp_path / f"chk-{job}")],
            stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT, start_new_session=True,
        ))  # fmt: skip
    try:
        events = {}
        raw_streams = {
            "person": (topics.PERSON_DETECTIONS, streams.person),
            "gender": (topics.GENDER_CLASSIFICATIONS, streams.gender),
        }
        backlogs = {}
        for name, (raw, stream) in raw_streams.items():
            on_time = [(c, x) for c, x in stream.lines if not held_back(x)]
            backlogs[raw] = [(c, x) for c, x in stream.lines if held_back(x)]
            stamp = lambda line: round(  # noqa: E731 - a record is sent at its capture, or after
                datetime.fromisoformat(json.loads(line)["captured_at"]).timestamp() * 1000 + 300
            )
            kafka.produce(raw, on_time, timestamps=[stamp(x) for _, x in on_time])
            events[name] = [json.loads(x) for _, x in stream.lines]
            assert backlogs[raw], f"{name}: the backlog must not be empty"
        settled(dsn, cameras)  # the live jobs have read everything but the backlog
        for raw, backlog in backlogs.items():
            kafka.produce(raw, backlog)  # sent now, as after an outage: late for the live jobs
        before = settled(dsn, cameras)
        want = reference(events, start, end)
        assert any(
            before["people_counter"].get(k) != r for k, r in want["people_counter"].items()
        ), "the live rows must lack the backlog (else the test cannot tell a replay happened)"

        # Refused, nothing touched: before the oldest event held, ending in the future, reversed,
        # --all unconfirmed.
        early = ivica_backfill(config, "--from", iso(now - timedelta(days=3)), "--to", iso(start))
        assert early.returncode == 2, early.stderr[-2000:]
        assert "oldest event still held" in early.stderr and "replay from there" in early.stderr
        future = ivica_backfill(config, "--from", iso(start), "--to", iso(now + timedelta(hours=1)))
        assert future.returncode == 2 and "in the future" in future.stderr, future.stderr[-2000:]
        reverse = ivica_backfill(config, "--from", iso(end), "--to", iso(start))
        assert reverse.returncode == 2 and "is not after" in reverse.stderr, reverse.stderr[-2000:]
        everything = ivica_backfill(config, "--all")
        assert everything.returncode != 0 and "nothing deleted" in everything.stderr
        assert snapshot(dsn) == before, "a refused replay changed the tables"

        # One camera: only its rows in the range change.
        one = f"{prefix}0"
        done = ivica_backfill(config, "--from", iso(start), "--to", iso(end), "--camera", one)
        assert done.returncode == 0, done.stderr[-3000:]
        after_one = snapshot(dsn)
        for table in TABLES:
            mine = {k: r for k, r in after_one[table].items() if inside(k, start, end, {one})}
            assert_same(mine, {k: r for k, r in want[table].items() if k[0] == one}, table)
            rest = {k: r for k, r in after_one[table].items() if not inside(k, start, end, {one})}
            assert rest == {
                k: r for k, r in before[table].items() if not inside(k, start, end, {one})
            }

        # Every camera: each window inside the range is the reference's; all else unchanged.
        done = ivica_backfill(config, "--from", iso(start), "--to", iso(end))
        assert done.returncode == 0, done.stderr[-3000:]
        print(done.stdout)
        assert "people_counter_hourly" in done.stdout and "no whole window" in done.stdout
        after = snapshot(dsn)
        everyone = cameras | {k[0] for t in before.values() for k in t}
        for table in TABLES:
            got, outside = split(after[table], start, end, everyone)
            assert_same(got, want[table], table)
            assert outside == split(before[table], start, end, everyone)[1], f"{table}: outside"
        assert want["people_counter_sliding"] and not want["people_counter_hourly"]
        sentinel = [k for k in after["people_counter"] if k[0] == SENTINEL]
        assert len(sentinel) == 3 * 1440

        # A sink paused during the replay: the command fails with the sink's name, in bounded time.
        name = "ivica-sink-people-counter"
        sink_action(stack, name, "pause")
        try:
            failed = ivica_backfill(config, "--from", iso(start), "--to", iso(end))
        finally:
            sink_action(stack, name, "resume")
        assert failed.returncode == 1 and name in failed.stderr, failed.stderr[-2000:]
    finally:
        for proc in live:
            kill_local(proc)
