"""Events → Kafka → Flink job → result topic → Kafka Connect JDBC sink → PostgreSQL.

The rows must equal the plain-Python reference; replaying the same input leaves the table
unchanged (upsert on the natural key); dead letters and late events land in their tables; a
record the sink cannot read goes to Connect's dead-letter topic with the reason in headers; a
record of an aborted transaction never lands.
"""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest
from kafka import KafkaConsumer, KafkaProducer

from connectors import connect
from edge_producer.simulate import simulate
from tests.connectors.postgres_rows import PEOPLE_SQL, backfill, rows, wait_for
from tests.jobs.golden import expected
from tests.jobs.launch import JobTopics
from tests.jobs.reference import replay

pytestmark = pytest.mark.integration


def test_results_land_in_postgres_once(kafka, stack, database, tmp_path):
    prefix = f"e2e{uuid.uuid4().hex[:6]}-"
    stream = simulate(
        seed=5, cameras=3, minutes=4, late_rate=0.01, malformed_rate=0.02, camera_prefix=prefix
    ).person
    topics = JobTopics.create(kafka, kafka.topic("in"), "people_counter")
    connect_errors = kafka.topic("connect-errors")
    settings = connect.SinkSettings(
        jdbc_url=f"jdbc:postgresql://{database.host}:{database.port}/{database.database}",
        db_user=stack.postgres.user,
        topics={
            "people_counter": topics.output,
            "dead_letters": re.escape(topics.dlq),
            "late_events": re.escape(topics.late),
        },
        connect_dlq_topic=connect_errors,
        name_suffix=f"-{prefix[:-1]}",
    )
    wanted = {"people_counter", "dead_letters", "late_events"}
    configs = [
        c
        for c in connect.render(settings)
        if c["config"]["collection.name.format"].split(".")[1] in wanted
    ]
    states = connect.apply(stack.connect_url, configs)
    try:
        assert all(t["state"] == "RUNNING" for s in states for t in s["tasks"]), states
        kafka.produce(topics.input, stream.lines)
        backfill(kafka, topics, tmp_path / "first")

        exp = expected("people_counter", stream, closed_only=False)
        landed = wait_for(database.dsn, PEOPLE_SQL, (prefix + "%",), len(exp))
        got = {(r["camera_id"], r["window_start"]): r for r in landed}
        assert set(got) == set(exp)
        for key, want in exp.items():
            for name, value in want.items():
                assert got[key][name] == pytest.approx(value, abs=1e-9), (key, name)

        # Replay the same input: the same keys are upserted, nothing is added or changed.
        backfill(kafka, topics, tmp_path / "replay")
        replayed = kafka.read(topics.output, expect=2 * len(exp), timeout_s=60)
        assert len(replayed) == 2 * len(exp)
        time.sleep(8)  # let the sink consume the replay
        assert rows(database.dsn, PEOPLE_SQL, prefix + "%") == landed

        # Side outputs landed in their tables.
        _, late, _ = replay(stream, 5.0)
        dlq = wait_for(
            database.dsn,
            "SELECT * FROM ivica.dead_letters WHERE __connect_topic = %s",
            (topics.dlq,),
            2 * len(stream.malformed),
        )
        assert sorted(r["payload"] for r in dlq) == sorted(2 * [b for _, b in stream.malformed])
        late_rows = wait_for(
            database.dsn,
            "SELECT * FROM ivica.late_events WHERE __connect_topic = %s",
            (topics.late,),
            2 * len(late),
        )
        assert len(late_rows) == 2 * len(late) and all(r["event_time"].tzinfo for r in late_rows)

        # A record without the schema envelope: the sink sends it to its DLQ with the reason.
        kafka.produce(topics.output, [("x", json.dumps({"camera_id": "x"}))])
        consumer = KafkaConsumer(
            connect_errors,
            bootstrap_servers=kafka.bootstrap,
            auto_offset_reset="earliest",
            consumer_timeout_ms=60_000,
        )
        msg = next(iter(consumer))
        consumer.close()
        headers = {k: v.decode() for k, v in msg.headers}
        assert "schema" in headers["__connect.errors.exception.message"].lower()
        assert headers["__connect.errors.topic"] == topics.output
        assert all(
            t["state"] == "RUNNING"
            for s in connect.status(stack.connect_url, [c["name"] for c in configs])
            for t in s["tasks"]
        )

        # Only committed transactions land (the sinks read_committed): the same result record
        # sent in an aborted transaction and in a committed one; only the second reaches
        # PostgreSQL.
        reader = KafkaConsumer(
            topics.output,
            bootstrap_servers=kafka.bootstrap,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            consumer_timeout_ms=10_000,
        )
        envelope = json.loads(next(iter(reader)).value)
        reader.close()
        producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, transactional_id=prefix + "tx")
        producer.init_transactions()
        for camera, commit in ((prefix + "aborted", False), (prefix + "committed", True)):
            envelope["payload"]["camera_id"] = camera
            producer.begin_transaction()
            producer.send(topics.output, key=camera.encode(), value=json.dumps(envelope).encode())
            producer.flush()
            if commit:
                producer.commit_transaction()
            else:
                producer.abort_transaction()
        producer.close()
        query = "SELECT camera_id FROM ivica.people_counter WHERE camera_id IN (%s, %s)"
        cams = (prefix + "aborted", prefix + "committed")
        assert len(wait_for(database.dsn, query, cams, 1)) == 1
        time.sleep(5)  # the aborted record comes first in the topic: it had its chance
        assert [r["camera_id"] for r in rows(database.dsn, query, *cams)] == [cams[1]]
    finally:
        connect.delete(stack.connect_url, [c["name"] for c in configs])
