"""`ivica demo` end to end, as a new user runs it: on its own stack (ports apart from the test
stack), from nothing; rows from the cameras' real-clip events in every minute-level result
table, zone occupancy from every camera and footfall and dwell rows, every malformed event in
ivica.dead_letters and every delayed one in ivica.late_events; both dashboards in headless
Chromium (artifacts/demo-dashboard.png, demo-footfall-and-dwell.png) without a chart error; a
second run that reuses everything; `ivica jobs backfill --all --yes` into emptied tables
that end identical to the live ones; `ivica demo --down`, and no process left.

MLflow and S3 are left out (`--no-mlops`) to save suite time; tests/infra covers them. The
live hourly table is not checked: its window closes at the end of the hour."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import yaml

from dashboards import settings
from demo import cameras, secrets
from infra import stack
from infra.config import REPO_ROOT, StackConfig
from infra.services.postgres import Postgres
from tests.dashboards.browser import FOOTFALL_SLUG, render_dashboard
from tests.processes import processes_of

DEMO_STACK = {
    "state_dir": str(REPO_ROOT / "state" / "test-demo"),
    "kafka": {"port": 29092, "controller_port": 29093},
    "connect": {"port": 28083},
    "postgres": {"port": 25432},
    "flink": {"rest_port": 28081, "rpc_port": 26123},
}
PORT = 18089
CAMERA_IDS = [c.camera_id for c in cameras.CAMERAS]
# Only the walking clip shows faces near enough to classify.
FACE_CAMERAS = [c.camera_id for c in cameras.CAMERAS if "walking" in c.clip]
TABLES = {
    "people_counter": CAMERA_IDS,
    "people_counter_sliding": CAMERA_IDS,
    "gender_counter": FACE_CAMERAS,
    "gender_counter_sliding": FACE_CAMERAS,
}
# Every camera has a zone people stand in; crossings and ended visits come and go with each
# loop of a clip, so those two need rows from some camera, not from all (printed).
ZONE_TABLES = ("zone_occupancy", "dwell", "footfall")


def ivica(config: Path, *args: str, timeout: float) -> str:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("ivica")), "demo", "--config", str(config), *args],
        capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT,
    )  # fmt: skip
    print(done.stdout[-4000:], done.stderr[-4000:])
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def settled(dsn: str, quiet_s: float = 20, timeout_s: float = 300) -> dict[str, set[tuple]]:
    """The minute-level result tables once no row has changed for `quiet_s`."""
    deadline, last, since = time.monotonic() + timeout_s, None, time.monotonic()
    while True:
        with psycopg.connect(dsn) as conn:
            now = {t: {tuple(r) for r in conn.execute(f"SELECT * FROM ivica.{t}")} for t in TABLES}
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return now
        assert time.monotonic() < deadline, "the result tables kept changing"
        time.sleep(5)


def cameras_seen(dsn: str, table: str, ids: list[str]) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            f"SELECT DISTINCT camera_id FROM ivica.{table} WHERE camera_id = ANY(%s)", (ids,)
        ).fetchall()
    return {r[0] for r in rows}


@pytest.mark.integration
def test_demo_from_nothing_to_dashboard_and_down(tmp_path: Path) -> None:
    cfg = StackConfig.model_validate(DEMO_STACK)
    config = tmp_path / "stack.yaml"
    config.write_text(yaml.safe_dump(DEMO_STACK))
    stack.down(cfg, echo=lambda _: None)
    shutil.rmtree(cfg.state, ignore_errors=True)
    try:
        first = ivica(config, "--port", str(PORT), "--no-mlops", timeout=1500)
        assert "[7/7" in first and "/superset/dashboard/ivica-live-demographics/" in first

        again = ivica(config, "--port", str(PORT), "--no-mlops", timeout=600)
        assert again.count("already running") >= len(CAMERA_IDS) + 2  # cameras and jobs
        published = sum(map(int, re.findall(r"(\d+) malformed events published", first + again)))
        late = sum(map(int, re.findall(r"(\d+) late events published", first + again)))
        assert published > 0 and late > 0

        dsn = Postgres(cfg).dsn()
        deadline = time.monotonic() + 240
        while True:
            seen = {t: cameras_seen(dsn, t, ids) for t, ids in TABLES.items()}
            with psycopg.connect(dsn) as conn:
                dead = conn.execute("SELECT count(*) FROM ivica.dead_letters").fetchone()[0]
                behind = conn.execute("SELECT count(*) FROM ivica.late_events").fetchone()[0]
            done = all(seen[t] == set(ids) for t, ids in TABLES.items())
            zones = {t: cameras_seen(dsn, t, CAMERA_IDS) for t in ZONE_TABLES}
            done = done and zones["zone_occupancy"] == set(CAMERA_IDS) and all(zones.values())
            if done and dead >= published and behind >= late:
                break
            assert time.monotonic() < deadline, (seen, zones, dead, published, behind, late)
            time.sleep(10)
        # Each malformed line and each delayed event once, and nothing else.
        assert (dead, behind) == (published, late)

        kept = secrets.read(secrets.path(cfg))
        shown = render_dashboard(
            f"http://{cfg.host}:{PORT}",
            "admin",
            kept[settings.ADMIN_PASSWORD_ENV],
            REPO_ROOT / "artifacts" / "demo-dashboard.png",
        )
        assert shown.charts == shown.expected_charts
        assert shown.errors == []
        # The hourly window closes at the end of the hour: until then its chart is empty.
        assert [t for t in shown.error_texts if not t.startswith("Unique people per hour")] == []
        assert shown.canvases >= 5  # every time series but the hourly one drew
        print("cameras with rows:", zones)
        geometry = render_dashboard(
            f"http://{cfg.host}:{PORT}",
            "admin",
            kept[settings.ADMIN_PASSWORD_ENV],
            REPO_ROOT / "artifacts" / "demo-footfall-and-dwell.png",
            slug=FOOTFALL_SLUG,
        )
        assert geometry.charts == geometry.expected_charts and geometry.errors == []
        assert geometry.canvases >= 2  # occupancy and dwell at least

        # Backfill: the cameras stop, the live tables settle; `ivica jobs backfill --all`
        # empties them and replays the raw topics from the start. Every row the live jobs
        # wrote comes back equal; the only extra rows are windows the live jobs had not closed.
        cameras.stop(cfg)
        live = settled(dsn)
        done = subprocess.run(
            [str(Path(sys.executable).with_name("ivica")), "jobs", "backfill", "--config",
             str(config), "--all", "--yes"],
            capture_output=True, text=True, timeout=900, cwd=REPO_ROOT,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        replayed = settled(dsn)
        for table, rows in live.items():
            assert rows, table
            last_closed = max(r[3] for r in rows)  # window_end
            missing = [r for r in rows if r not in replayed[table]]
            extra = [r for r in replayed[table] if r not in rows and r[3] <= last_closed]
            assert (missing, extra) == ([], []), table
        # The rows came from the replay, not from before the truncation: the live jobs had
        # closed no hour, the replay's end closes the current one for every camera.
        assert cameras_seen(dsn, "people_counter_hourly", CAMERA_IDS) == set(CAMERA_IDS)
        assert len(replayed["people_counter"]) > len(live["people_counter"])
    finally:
        ivica(config, "--down", timeout=600)
    assert cameras.running(cfg) == []
    assert not any(s.running for s in stack.status(cfg))
    assert processes_of(cfg.state) == []
