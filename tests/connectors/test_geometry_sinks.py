"""Footfall, dwell and zone occupancy: raw events → Kafka → the job (backfill) → its result
topic → its JDBC sink → PostgreSQL, with every row equal to the plain-Python reference.

One test for the three sinks (each job run costs a Flink start-up): the rows land in
ivica.footfall, ivica.dwell and ivica.zone_occupancy with their window times as timestamptz,
keyed by camera, line or zone and window.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from connectors import connect
from edge_producer.simulate import Stream
from tests.connectors.postgres_rows import wait_for
from tests.jobs.geometry import crossings, visits, with_zones
from tests.jobs.golden import DELAY_S, golden_streams
from tests.jobs.launch import JobTopics, job_args
from tests.jobs.reference import (
    assert_rows_match,
    dwell_windows,
    footfall_windows,
    replay,
    zone_occupancy_windows,
)
from tests.jobs.test_backfill import _backfill, _send_times

pytestmark = pytest.mark.integration

UTC_TEXT = """to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS {c}"""


def _prefixed(stream: Stream, prefix: str) -> Stream:
    """The stream's lines with camera ids no other test uses ("cam-N" -> PREFIX + "cam-N")."""
    lines = [(c, line.replace('"cam-', f'"{prefix}cam-')) for c, line in stream.lines]
    return Stream(lines, stream.valid, stream.malformed, stream.late)


def _select(table: str, by: str, columns: list[str]) -> str:
    times = ", ".join(UTC_TEXT.format(c=c) for c in ("window_start", "window_end"))
    return (
        f"SELECT site_id, camera_id, {by}, {times}, {', '.join(columns)} FROM ivica.{table} "
        f"WHERE camera_id LIKE %s ORDER BY camera_id, {by}, window_start"
    )


def test_geometry_results_land_in_postgres(kafka, stack, database, tmp_path):
    prefix = f"geo{uuid.uuid4().hex[:6]}-"
    # output (job, table) -> (stream, reference, the line or zone column, event time, values)
    cases: dict[str, tuple[Stream, Callable[..., dict], str, str, list[str]]] = {
        "footfall": (crossings(minutes=3), footfall_windows, "line_id", "captured_at",
                     ["people_in", "people_out", "in_male", "in_female", "out_male",
                      "out_female"]),
        "dwell": (visits(minutes=3), dwell_windows, "zone_id", "exited_at",
                  ["visits", "dwell_avg_s", "dwell_max_s", "dwell_p50_s", "dwell_p90_s"]),
        "zone_occupancy": (with_zones(golden_streams(minutes=3).person), zone_occupancy_windows,
                           "zone_id", "captured_at", ["avg_people", "max_people"]),
    }  # fmt: skip
    job_topics = {name: JobTopics.create(kafka, kafka.topic(f"in-{name}"), name) for name in cases}
    settings = connect.SinkSettings(
        jdbc_url=f"jdbc:postgresql://{database.host}:{database.port}/{database.database}",
        db_user=stack.postgres.user,
        topics={name: t.output for name, t in job_topics.items()},
        connect_dlq_topic=kafka.topic("connect-errors"),
        name_suffix=f"-{prefix[:-1]}",
    )
    configs = [
        c
        for c in connect.render(settings)
        if c["config"]["collection.name.format"].removeprefix("ivica.") in cases
    ]
    assert len(configs) == len(cases)
    states = connect.apply(stack.connect_url, configs)
    try:
        assert all(t["state"] == "RUNNING" for s in states for t in s["tasks"]), states
        for name, (stream, windows, by, time_key, columns) in cases.items():
            topics = job_topics[name]
            sent = _prefixed(stream, prefix)
            kafka.produce(topics.input, sent.lines, timestamps=_send_times(sent, time_key))
            done = _backfill(name, job_args(kafka, topics, tmp_path / name))
            assert done.returncode == 0, done.stderr[-3000:]

            on_time, _, _ = replay(stream, DELAY_S, time_key=time_key)
            exp = windows(on_time)
            assert len(exp) >= 10, name
            rows = wait_for(database.dsn, _select(name, by, columns), (prefix + "%",), len(exp))
            for row in rows:
                row["camera_id"] = row["camera_id"].removeprefix(prefix)
            assert_rows_match(rows, exp, ("camera_id", by))
    finally:
        connect.delete(stack.connect_url, [c["name"] for c in configs])
