"""Kafka Connect sinks as code: connectors/sinks/*.json, applied through the Connect REST API.

The JSON files hold everything but the environment: `${jdbc_url}`, `${db_user}`, `${topic}`,
`${topics_regex}` and `${connect_dlq_topic}` are filled in here, and the database password
stays a Connect config-provider reference (`${env:IVICA_PG_PASSWORD}`), resolved inside the
Connect worker, so it never appears in a file, a request or the Connect config topic.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from contracts import topics
from infra.config import StackConfig

SINKS = Path(__file__).with_name("sinks")
CONNECT_DLQ_TOPIC = "ivica.connect.errors"
# Result topic per sink file; side outputs are matched by pattern.
RESULT_TOPICS = {
    "people_counter": topics.PEOPLE_COUNTER,
    "people_counter_sliding": topics.PEOPLE_COUNTER_SLIDING,
    "people_counter_hourly": topics.PEOPLE_COUNTER_HOURLY,
    "gender_counter": topics.GENDER_COUNTER,
    "gender_counter_sliding": topics.GENDER_COUNTER_SLIDING,
    "footfall": topics.FOOTFALL,
    "dwell": topics.DWELL,
    "zone_occupancy": topics.ZONE_OCCUPANCY,
}
SIDE_OUTPUT_REGEX = {
    "dead_letters": r"ivica\.[a-z_]+\.v[0-9]+\.dlq",
    "late_events": r"ivica\.[a-z_]+\.v[0-9]+\.late",
}


class ConnectError(RuntimeError):
    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SinkSettings:
    jdbc_url: str
    db_user: str
    topics: dict[str, str] = field(default_factory=dict)  # sink file stem -> topic or regex
    connect_dlq_topic: str = CONNECT_DLQ_TOPIC
    name_suffix: str = ""  # tests run several sets side by side


def stack_settings(cfg: StackConfig) -> SinkSettings:
    """Sink settings for the local stack's PostgreSQL."""
    pg = cfg.postgres
    return SinkSettings(
        jdbc_url=f"jdbc:postgresql://{cfg.host}:{pg.port}/{pg.database}", db_user=pg.user
    )


def render(settings: SinkSettings) -> list[dict]:
    """The connector configs to apply, one per sink file."""
    out = []
    for path in sorted(SINKS.glob("*.json")):
        stem = path.stem
        target = settings.topics.get(stem) or RESULT_TOPICS.get(stem) or SIDE_OUTPUT_REGEX[stem]
        text = Template(path.read_text()).safe_substitute(
            jdbc_url=settings.jdbc_url,
            db_user=settings.db_user,
            topic=target,
            topics_regex=target.replace("\\", "\\\\"),
            connect_dlq_topic=settings.connect_dlq_topic,
        )
        left = [p for p in re.findall(r"\$\{([^}]*)\}", text) if not p.startswith("env:")]
        if left:
            raise ConnectError(f"{path.name}: unfilled placeholders {left}")
        conf = json.loads(text)
        conf["name"] += settings.name_suffix
        out.append(conf)
    return out


def _call(url: str, method: str = "GET", body: dict | None = None) -> object:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
            return json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        message = f"{method} {url}: {exc.code} {exc.read().decode()[:500]}"
        raise ConnectError(message, exc.code) from exc
    except urllib.error.URLError as exc:
        raise ConnectError(f"Kafka Connect is not reachable at {url}: {exc.reason}") from exc


def apply(connect_url: str, configs: list[dict], timeout_s: float = 60) -> list[dict]:
    """Create or update each connector (PUT is idempotent); wait until its tasks run."""
    for conf in configs:
        _call(f"{connect_url}/connectors/{conf['name']}/config", "PUT", conf["config"])
    return _wait_running(connect_url, [c["name"] for c in configs], timeout_s)


def restart_failed(connect_url: str, names: list[str], timeout_s: float = 60) -> list[dict]:
    """Restart the failed connectors and tasks among `names` (a sink that gave up on a long
    database outage resumes from its last committed offset); wait until their tasks run."""
    query = "restart?includeTasks=true&onlyFailed=true"
    for name in names:
        _call(f"{connect_url}/connectors/{name}/{query}", "POST")
    return _wait_running(connect_url, names, timeout_s)


def _wait_running(connect_url: str, names: list[str], timeout_s: float) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while True:
        states = status(connect_url, names)
        ready = all(
            s["connector"] == "RUNNING"
            and s["tasks"]
            and all(t["state"] == "RUNNING" for t in s["tasks"])
            for s in states
        )
        failed = any(t["state"] == "FAILED" for s in states for t in s["tasks"])
        if ready or failed or time.monotonic() > deadline:
            return states
        time.sleep(1)


def status(connect_url: str, names: list[str] | None = None) -> list[dict]:
    """{name, connector, tasks: [{id, state, trace?}]} for each connector (all when None)."""
    names = names if names is not None else _call(f"{connect_url}/connectors")
    out = []
    for name in names:
        try:
            st = _call(f"{connect_url}/connectors/{name}/status")
        except ConnectError as exc:
            if exc.code != 404:
                raise
            st = {"connector": {"state": "UNASSIGNED"}, "tasks": []}  # just created
        tasks = [
            {"id": t["id"], "state": t["state"], **({"trace": t["trace"]} if "trace" in t else {})}
            for t in st.get("tasks", [])
        ]
        out.append({"name": name, "connector": st["connector"]["state"], "tasks": tasks})
    return out


def delete(connect_url: str, names: list[str]) -> list[str]:
    """Delete the connectors that exist; return their names."""
    existing = set(_call(f"{connect_url}/connectors"))
    gone = [n for n in names if n in existing]
    for name in gone:
        _call(f"{connect_url}/connectors/{name}", "DELETE")
    return gone


def format_status(states: list[dict]) -> str:
    lines = []
    for s in states:
        tasks = ", ".join(f"task {t['id']} {t['state']}" for t in s["tasks"]) or "no tasks"
        lines.append(f"{s['name']:<36} {s['connector']:<8} {tasks}")
        lines += [f"    {t['trace'].splitlines()[0]}\n    ..." for t in s["tasks"] if "trace" in t]
    return "\n".join(lines)
