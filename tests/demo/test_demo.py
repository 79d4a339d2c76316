"""`ivica demo` end to end, as a new user runs it: on its own stack (ports apart from the test
stack), from nothing; rows from the cameras' real-clip events in every minute-level result
table and every malformed event in ivica.dead_letters; the dashboard in headless Chromium
(artifacts/demo-dashboard.png) without a chart error; a second run that reuses everything;
`ivica demo --down`, and no process left.

MLflow and S3 are left out (`--no-mlops`) to save suite time; tests/infra covers them. The
hourly table is not checked: its window closes at the end of the hour."""

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

from demo import cameras
from infra import stack
from infra.config import REPO_ROOT, StackConfig
from infra.services.postgres import Postgres
from tests.dashboards.browser import render_dashboard

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


def ivica(config: Path, *args: str, timeout: float) -> str:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("ivica")), "demo", "--config", str(config), *args],
        capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT,
    )  # fmt: skip
    print(done.stdout[-4000:], done.stderr[-4000:])
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def processes_under(state: Path) -> list[str]:
    """Command lines of live processes that name the demo's state directory."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if str(state) in cmd:
                found.append(cmd[:200])
    return found


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
        published = sum(int(n) for n in re.findall(r"(\d+) malformed events published",
                                                   first + again))  # fmt: skip
        assert published > 0

        dsn = Postgres(cfg).dsn()
        deadline = time.monotonic() + 240
        while True:
            seen = {t: cameras_seen(dsn, t, ids) for t, ids in TABLES.items()}
            with psycopg.connect(dsn) as conn:
                dead = conn.execute("SELECT count(*) FROM ivica.dead_letters").fetchone()[0]
            if all(seen[t] == set(ids) for t, ids in TABLES.items()) and dead >= published:
                break
            assert time.monotonic() < deadline, (seen, dead, published)
            time.sleep(10)
        assert dead == published  # each malformed line once, nothing else

        secrets = dict(
            line.split("=", 1)
            for line in (cfg.state / "demo" / "secrets.env").read_text().splitlines()
        )
        shown = render_dashboard(
            f"http://{cfg.host}:{PORT}",
            "admin",
            secrets["SUPERSET_ADMIN_PASSWORD"],
            REPO_ROOT / "artifacts" / "demo-dashboard.png",
        )
        assert shown.charts == shown.expected_charts
        assert shown.errors == [] and shown.error_texts == []
        assert shown.canvases >= 6  # the time series drew the cameras' last hour
    finally:
        ivica(config, "--down", timeout=600)
    assert cameras.running(cfg) == []
    assert not any(s.running for s in stack.status(cfg))
    assert processes_under(cfg.state) == []
