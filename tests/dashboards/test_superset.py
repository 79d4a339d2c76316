"""Dashboards as code, end to end: bundle → Superset → chart data API → a real browser.

Superset runs from .venv-superset with its state in state/test-superset (port 18088) against
the test stack's PostgreSQL, connecting as the read-only ivica_dashboard role.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import secrets
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

import dashboards
from dashboards import settings
from dashboards.bundle import load_dir
from infra.config import REPO_ROOT, StackConfig
from tests.dashboards.browser import FOOTFALL_SLUG, chart_names, render_dashboard, slugs

PORT = 18088
STATE = REPO_ROOT / "state" / "test-superset"
ARTIFACTS = REPO_ROOT / "artifacts"
K = 5


# ---------------------------------------------------------------- helpers


class Api:
    """A logged-in REST client: JWT for reads, session cookie + CSRF token for writes."""

    def __init__(self, base: str, user: str, password: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        login = {"username": user, "password": password, "provider": "db", "refresh": False}
        self.token = self.call("POST", "/api/v1/security/login", login)[1]["access_token"]
        self.csrf = self.call("GET", "/api/v1/security/csrf_token/")[1]["result"]

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Referer": self.base}
        if getattr(self, "token", None):
            headers["Authorization"] = f"Bearer {self.token}"
        if getattr(self, "csrf", None):
            headers["X-CSRFToken"] = self.csrf
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=120) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def get(self, path: str) -> Any:
        status, body = self.call("GET", path)
        assert status == 200, f"GET {path}: {status} {body}"
        return body

    def charts(self) -> list[dict[str, Any]]:
        """The charts of every dashboard of the bundle."""
        return [c for s in slugs() for c in self.get(f"/api/v1/dashboard/{s}/charts")["result"]]

    def chart_id(self, name: str) -> int:
        return next(c["id"] for c in self.charts() if c["slice_name"] == name)

    def chart_rows(self, name: str, camera_ids: list[str]) -> list[dict[str, Any]]:
        """The chart's own saved query, narrowed to some cameras as the camera filter does."""
        chart = self.get(f"/api/v1/chart/{self.chart_id(name)}")["result"]
        qc = json.loads(chart["query_context"])
        qc["datasource"] = {
            "id": json.loads(chart["params"])["datasource"].split("__")[0],
            "type": "table",
        }
        query = qc["queries"][0]
        query["filters"].append({"col": "camera_id", "op": "IN", "val": camera_ids})
        query["post_processing"] = []  # the raw rows
        status, body = self.call("POST", "/api/v1/chart/data", qc)
        assert status == 200, body
        return body["result"][0]["data"]


@dataclass(frozen=True)
class Seeded:
    cameras: list[str]
    silent_camera: str
    k_camera: str
    sub_k_windows: list[datetime]
    last_window_end: datetime  # of the live cameras; the silent one ended 20 minutes before


def _minute(dt: datetime) -> datetime:
    return dt.replace(second=0, microsecond=0)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def seeded(database) -> Iterator[Seeded]:
    """Realistic rows in every result table, under camera ids no other test uses."""
    tag = secrets.token_hex(3)
    sites = [f"dash-{tag}-site-a", f"dash-{tag}-site-b"]
    cams = [f"dash-{tag}-cam-{i}" for i in range(4)]
    site_of = {c: sites[i % 2] for i, c in enumerate(cams)}
    silent, k_cam = cams[3], cams[2]
    now = _minute(datetime.now(UTC))
    minutes = [now - timedelta(minutes=m) for m in range(40, 0, -1)]
    people, sliding, gender = [], [], []
    for ci, cam in enumerate(cams):
        # The silent camera stopped 20 minutes ago.
        cam_minutes = minutes[:20] if cam == silent else minutes
        for mi, start in enumerate(cam_minutes):
            avg = 2 + ci + (mi % 7) * 0.5
            people.append(
                (
                    site_of[cam],
                    cam,
                    start,
                    start + timedelta(minutes=1),
                    avg,
                    int(avg) + 2,
                    max(int(avg) - 1, 0),
                    300,
                    3 + ci + mi % 4,
                )
            )
            if mi >= 4:
                sliding.append(
                    (
                        site_of[cam],
                        cam,
                        start - timedelta(minutes=4),
                        start + timedelta(minutes=1),
                        avg * 0.9,
                        int(avg) + 3,
                        0,
                        1500,
                        8 + ci,
                    )
                )
            # Busy cameras have enough votes; k_cam's first 10 minutes have fewer than k.
            if cam == k_cam and mi < 10:
                men, women = 3, 2
            else:
                men, women = 6 + (mi % 5), 5 + (ci + mi) % 6
            gender.append((site_of[cam], cam, start, start + timedelta(minutes=1), men, women, 1))
    hour = now.replace(minute=0)
    hourly = [
        (
            site_of[c],
            c,
            hour - timedelta(hours=h),
            hour - timedelta(hours=h - 1),
            3.5,
            9,
            0,
            18000,
            40 + 7 * i + h,
        )
        for i, c in enumerate(cams)
        for h in range(3)
    ]
    topic = f"dash-{tag}"
    dead = [
        (f"{topic}.dlq", 0, o, "people_counter", reason, '{"people_count": "3"}')
        for o, reason in enumerate(["people_count: missing or not an int"] * 3 + ["invalid JSON"])
    ]
    late = [
        (
            f"{topic}.late",
            0,
            o,
            "people_counter",
            cams[o % 2],
            now - timedelta(minutes=9),
            now - timedelta(minutes=8),
            "{}",
        )
        for o in range(5)
    ]
    cols9 = (
        "(site_id, camera_id, window_start, window_end, avg_people, max_people, min_people, "
        "frames, unique_people)"
    )
    with psycopg.connect(database.dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT k_min FROM ivica.privacy")
        assert cur.fetchone()[0] == K, "the tests expect the default k = 5"
        for table, rows in (
            ("people_counter", people),
            ("people_counter_sliding", sliding),
            ("people_counter_hourly", hourly),
        ):
            cur.executemany(
                f"INSERT INTO ivica.{table} {cols9} VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)", rows
            )
        cur.executemany(
            "INSERT INTO ivica.gender_counter (site_id, camera_id, window_start, window_end, "
            "men, women, unknown) VALUES (%s,%s,%s,%s,%s,%s,%s)",
            gender,
        )
        cur.executemany(
            "INSERT INTO ivica.dead_letters (__connect_topic, __connect_partition, "
            "__connect_offset, job, reason, payload) VALUES (%s,%s,%s,%s,%s,%s)",
            dead,
        )
        cur.executemany(
            "INSERT INTO ivica.late_events (__connect_topic, __connect_partition, "
            "__connect_offset, job, camera_id, event_time, watermark_at, payload) "
            "VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
            late,
        )
    yield Seeded(cams, silent, k_cam, minutes[:10], now)
    with psycopg.connect(database.dsn) as conn:
        for table in (
            "people_counter",
            "people_counter_sliding",
            "people_counter_hourly",
            "gender_counter",
            "late_events",
        ):
            conn.execute(f"DELETE FROM ivica.{table} WHERE camera_id = ANY(%s)", (cams,))
        conn.execute("DELETE FROM ivica.dead_letters WHERE __connect_topic = %s", (f"{topic}.dlq",))


@dataclass(frozen=True)
class SeededGeometry:
    cameras: list[str]
    # (camera, line, hour) -> the view's row as the test computes it: sums, and the gender
    # split shown only from K
    footfall_hours: dict[tuple[str, str, datetime], dict[str, float | None]]
    # (camera, zone) -> (visits, mean dwell of a visit, longest dwell)
    dwell: dict[tuple[str, str], tuple[int, float, float]]


@pytest.fixture(scope="module")
def seeded_geometry(database, seeded: Seeded) -> Iterator[SeededGeometry]:
    """Footfall, dwell and zone occupancy of two of the live cameras, the last 40 minutes: the
    door's gender counts reach K within an hour, the stairs' never do."""
    cams = seeded.cameras[:2]
    site = {c: f"{c.rsplit('-cam-', 1)[0]}-site-{'ab'[i]}" for i, c in enumerate(cams)}
    now = _minute(datetime.now(UTC))
    footfall, dwell, occupancy = [], [], []
    hours: dict[tuple[str, str, datetime], dict[str, float | None]] = {}
    visits: dict[tuple[str, str], list[tuple[int, float, float]]] = {}
    for ci, cam in enumerate(cams):
        for m in range(40, 0, -1):
            start = now - timedelta(minutes=m)
            end = start + timedelta(minutes=1)
            for line in ("door", "stairs"):
                busy = line == "door"
                row = {
                    "people_in": 3 + (m + ci) % 4,
                    "people_out": 2 + m % 3,
                    "in_male": (1 + m % 2) if busy else int(m == 7),
                    "in_female": (2 + ci) if busy else 0,
                    "out_male": 1 if busy else 0,
                    "out_female": int(m % 5 == 0) if busy else int(m == 9),
                }
                footfall.append((site[cam], cam, line, start, end, *row.values()))
                hour = hours.setdefault((cam, line, start.replace(minute=0)), dict.fromkeys(row, 0))
                for k, v in row.items():
                    hour[k] += v
            for zone in ("till", "entrance"):
                occupancy.append((site[cam], cam, zone, start, end, 0.25 * (m % 6), 1 + m % 3))
                if m % 3:
                    n, avg = 1 + m % 4, 5.0 + m + 10 * ci
                    dwell.append(
                        (site[cam], cam, zone, start, end, n, avg, avg + 20, avg - 1, avg + 9)
                    )
                    visits.setdefault((cam, zone), []).append((n, avg, avg + 20))
    for row in hours.values():
        for k in ("in_male", "in_female", "out_male", "out_female"):
            row[k] = row[k] if row[k] >= K else None
    expected_dwell = {
        key: (sum(n for n, _, _ in vs), sum(n * a for n, a, _ in vs) / sum(n for n, _, _ in vs),
              max(longest for _, _, longest in vs))
        for key, vs in visits.items()
    }  # fmt: skip
    with psycopg.connect(database.dsn) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO ivica.footfall (site_id, camera_id, line_id, window_start, window_end, "
            "people_in, people_out, in_male, in_female, out_male, out_female) "
            "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
            footfall,
        )
        cur.executemany(
            "INSERT INTO ivica.dwell (site_id, camera_id, zone_id, window_start, window_end, "
            "visits, dwell_avg_s, dwell_max_s, dwell_p50_s, dwell_p90_s) "
            "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
            dwell,
        )
        cur.executemany(
            "INSERT INTO ivica.zone_occupancy (site_id, camera_id, zone_id, window_start, "
            "window_end, avg_people, max_people) VALUES (%s,%s,%s,%s,%s,%s,%s)",
            occupancy,
        )
    yield SeededGeometry(cams, hours, expected_dwell)
    with psycopg.connect(database.dsn) as conn:
        for table in ("footfall", "dwell", "zone_occupancy"):
            conn.execute(f"DELETE FROM ivica.{table} WHERE camera_id = ANY(%s)", (cams,))


@pytest.fixture(scope="module")
def superset_env(database) -> Iterator[dict[str, str]]:
    env = {
        settings.SECRET_KEY_ENV: secrets.token_urlsafe(48),
        settings.ADMIN_USER_ENV: "admin",
        settings.ADMIN_PASSWORD_ENV: secrets.token_urlsafe(16),
        "IVICA_DASHBOARD_PASSWORD": database.dashboard_password,
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield env
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module")
def superset(stack: StackConfig, superset_env, seeded, seeded_geometry) -> Iterator[StackConfig]:
    """Superset bootstrapped from scratch (bundle imported) and serving on PORT."""
    cfg = stack.model_copy(update={"state_dir": STATE})
    dashboards.stop(cfg, echo=lambda _: None)
    shutil.rmtree(STATE, ignore_errors=True)
    dashboards.bootstrap(cfg, echo=print)
    try:
        dashboards.serve(cfg, PORT, echo=print)
        yield cfg
    finally:
        dashboards.stop(cfg, echo=print)


@pytest.fixture(scope="module")
def api(superset: StackConfig, superset_env) -> Api:
    return Api(f"http://{superset.host}:{PORT}", "admin", superset_env[settings.ADMIN_PASSWORD_ENV])


# ---------------------------------------------------------------- tests


@pytest.mark.integration
def test_every_chart_returns_rows(api: Api) -> None:
    bundle = load_dir(settings.BUNDLE_DIR)
    expected = {d["slice_name"] for p, d in bundle.items() if p.startswith("charts/")}
    charts = api.charts()
    assert {c["slice_name"] for c in charts} == expected
    for chart in charts:
        status, body = api.call("GET", f"/api/v1/chart/{chart['id']}/data/")
        assert status == 200, f"{chart['slice_name']}: {status} {body}"
        rows = sum(r["rowcount"] for r in body["result"])
        assert rows >= 1, f"{chart['slice_name']}: no rows"


@pytest.mark.integration
def test_silent_camera_is_visible(api: Api, seeded: Seeded) -> None:
    body = api.get(f"/api/v1/chart/{api.chart_id('Camera health')}/data/")
    rows = {r["camera_id"]: r for r in body["result"][0]["data"]}
    # minutes since the last window, as the view rounds them; the clock runs on while the
    # module's earlier tests take their time (minutes on a busy machine)
    live = round((datetime.now(UTC) - seeded.last_window_end).total_seconds() / 60)
    assert rows[seeded.cameras[0]]["silent_minutes"] in (live - 1, live, live + 1)
    assert rows[seeded.silent_camera]["silent_minutes"] - live in (19, 20, 21)


@pytest.mark.integration
def test_gender_counts_below_k_are_suppressed(api: Api, seeded: Seeded) -> None:
    """The gender chart's own query, narrowed to one camera as the camera filter does."""
    rows = {
        datetime.fromtimestamp(r["window_start"] / 1000, UTC): r
        for r in api.chart_rows("Men and women", [seeded.k_camera])
    }
    assert len(rows) == 40
    for start, row in rows.items():
        if start in seeded.sub_k_windows:
            assert row["Men"] is None and row["Women"] is None, row
        else:
            assert row["Men"] >= K and row["Women"] >= K, row
    share = api.get(f"/api/v1/chart/{api.chart_id('Women share')}/data/")
    assert share["result"][0]["rowcount"] >= 1


@pytest.mark.integration
def test_dashboard_renders_in_chromium(superset: StackConfig, superset_env, seeded) -> None:
    shown = render_dashboard(
        f"http://{superset.host}:{PORT}",
        "admin",
        superset_env[settings.ADMIN_PASSWORD_ENV],
        ARTIFACTS / "dashboard.png",
    )
    assert shown.charts == shown.expected_charts
    assert shown.errors == [] and shown.error_texts == []
    # Every time series drew something, every table has rows.
    assert shown.canvases >= 6
    assert shown.table_rows >= 4


@pytest.mark.integration
def test_footfall_per_line_and_hour_hides_gender_counts_below_k(
    api: Api, seeded_geometry: SeededGeometry
) -> None:
    """The table's rows equal the hourly sums computed here; a gender count of an hour below K
    is NULL (the stairs' always, summed over the hour first), the others shown."""
    rows = api.chart_rows("Footfall per line", seeded_geometry.cameras)
    got = {
        (r["camera_id"], r["line_id"], datetime.fromtimestamp(r["hour"] / 1000, UTC)): {
            k: r[k] for k in ("people_in", "people_out", "in_male", "in_female", "out_male",
                              "out_female")
        }
        for r in rows
    }  # fmt: skip
    assert got == seeded_geometry.footfall_hours
    shown = [v for v in got.values() if v["in_male"] is not None]
    assert shown and all(v["in_male"] >= K for v in shown)
    assert all(v["in_male"] is None and v["out_male"] is None
               for (_, line, _), v in got.items() if line == "stairs")  # fmt: skip


@pytest.mark.integration
def test_visits_and_dwell_per_zone(api: Api, seeded_geometry: SeededGeometry) -> None:
    """Visits summed, the mean dwell weighted by visits (not a mean of minute means), the
    longest."""
    rows = api.chart_rows("Visits and dwell per zone", seeded_geometry.cameras)
    got = {(r["camera_id"], r["zone_id"]): r for r in rows}
    assert set(got) == set(seeded_geometry.dwell)
    for key, (visits, mean, longest) in seeded_geometry.dwell.items():
        assert got[key]["Visits"] == visits
        assert got[key]["dwell_mean_s"] == pytest.approx(mean, abs=1e-9)
        assert got[key]["Longest dwell (s)"] == longest


@pytest.mark.integration
def test_footfall_dashboard_renders_in_chromium(
    superset: StackConfig, superset_env, seeded_geometry
) -> None:
    shown = render_dashboard(
        f"http://{superset.host}:{PORT}",
        "admin",
        superset_env[settings.ADMIN_PASSWORD_ENV],
        ARTIFACTS / "footfall_and_dwell.png",
        slug=FOOTFALL_SLUG,
    )
    assert shown.charts == shown.expected_charts == len(chart_names(FOOTFALL_SLUG))
    assert shown.errors == [] and shown.error_texts == []
    assert shown.canvases >= 3  # ins and outs, occupancy, dwell
    assert shown.table_rows >= 4  # footfall per line, visits and dwell per zone


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


@pytest.mark.integration
def test_a_late_anonymous_event_log_keeps_the_login(superset: StackConfig, superset_env) -> None:
    """The web app posts its event log in the background, from the login page too. On a busy
    server that anonymous request may be answered after the login is: its answer must not
    replace the new session (Superset's own answer, a redirect with "Access is Denied"
    flashed into a new anonymous session cookie, logged the demo's browser out)."""
    base = f"http://{superset.host}:{PORT}"
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with browser.open(f"{base}/login/", timeout=120) as resp:
        token = re.search(r'id="csrf_token"\s+value="([^"]+)"', resp.read().decode())[1]
    anonymous = {c.name: c.value for c in jar}["session"]
    form = {
        "username": superset_env[settings.ADMIN_USER_ENV],
        "password": superset_env[settings.ADMIN_PASSWORD_ENV],
        "csrf_token": token,
    }
    with browser.open(f"{base}/login/", urllib.parse.urlencode(form).encode(), 120) as resp:
        assert "/login" not in resp.url
    # Sent with the anonymous cookie before the login, its answer taken in after it.
    late = urllib.request.Request(
        f"{base}/superset/log/?explode=events",
        data=urllib.parse.urlencode({"events": "[]"}).encode(),
        headers={"Cookie": f"session={anonymous}"},
        method="POST",
    )
    try:
        answer = urllib.request.build_opener(_NoRedirect).open(late, timeout=120)
    except urllib.error.HTTPError as exc:  # Superset's own 302 to the login page
        answer = exc
    jar.extract_cookies(answer, late)
    with browser.open(f"{base}/api/v1/me/", timeout=120) as resp:
        assert json.loads(resp.read())["result"]["username"] == form["username"]


@pytest.mark.integration
def test_reimport_overwrites_changed_charts(
    superset: StackConfig, api: Api, tmp_path: Path
) -> None:
    edited = tmp_path / "bundle"
    shutil.copytree(settings.BUNDLE_DIR, edited)
    path = edited / "charts" / "women_share.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["description"] = "edited in a test"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    chart_id = api.chart_id("Women share")
    dashboards.import_bundle(superset, edited, echo=print)
    assert api.get(f"/api/v1/chart/{chart_id}")["result"]["description"] == "edited in a test"
    dashboards.import_bundle(superset, echo=print)
    original = yaml.safe_load((settings.BUNDLE_DIR / "charts" / "women_share.yaml").read_text())
    assert api.get(f"/api/v1/chart/{chart_id}")["result"]["description"] == original["description"]
    assert api.chart_id("Women share") == chart_id  # updated in place, not duplicated
    assert len(api.charts()) == len(list((settings.BUNDLE_DIR / "charts").glob("*.yaml")))


@pytest.mark.integration
def test_export_round_trip(superset: StackConfig, tmp_path: Path) -> None:
    """After import (and a browser visit), an export reproduces the bundle exactly."""
    copy = tmp_path / "bundle"
    shutil.copytree(settings.BUNDLE_DIR, copy)
    changed = dashboards.export_bundle(superset, copy, echo=print)
    assert changed == []
    assert load_dir(copy) == load_dir(settings.BUNDLE_DIR)
    # No secret and no address in what export writes.
    db = (copy / "databases" / "ivica.yaml").read_text()
    assert "{{pg_host}}:{{pg_port}}/{{pg_database}}" in db
    assert os.environ["IVICA_DASHBOARD_PASSWORD"] not in "".join(
        p.read_text() for p in copy.rglob("*.yaml")
    )


@pytest.mark.parametrize(
    "key",
    [
        "",
        "   ",
        "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET",
        "thisISaSECRET_1234",
        "thisISaSECRET_1234-but-made-longer-than-32-chars",
        "short-but-random-7f3a",
    ],
)
def test_bootstrap_refuses_weak_secret_key(
    key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(settings.SECRET_KEY_ENV, key)
    monkeypatch.setenv(settings.ADMIN_PASSWORD_ENV, "x" * 16)
    monkeypatch.setenv("IVICA_DASHBOARD_PASSWORD", "x" * 16)
    cfg = StackConfig.model_validate({"state_dir": str(tmp_path / "state")})
    with pytest.raises(settings.SupersetSettingsError, match=settings.SECRET_KEY_ENV):
        dashboards.bootstrap(cfg, echo=print)
    assert not (tmp_path / "state").exists(), "bootstrap wrote files before refusing"


def test_bootstrap_needs_admin_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.SECRET_KEY_ENV, secrets.token_urlsafe(48))
    monkeypatch.delenv(settings.ADMIN_PASSWORD_ENV, raising=False)
    cfg = StackConfig.model_validate({"state_dir": str(tmp_path / "state")})
    with pytest.raises(settings.SupersetSettingsError, match=settings.ADMIN_PASSWORD_ENV):
        dashboards.bootstrap(cfg, echo=print)
    assert not (tmp_path / "state").exists()
