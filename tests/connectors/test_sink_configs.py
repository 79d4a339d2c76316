"""The sink configs as code: upsert on the natural key, errors to a DLQ, no secret in files."""

from __future__ import annotations

import json

from connectors import connect
from connectors.connect import SINKS, SinkSettings
from jobs.specs import JOBS

SETTINGS = SinkSettings(jdbc_url="jdbc:postgresql://db:5432/ivica", db_user="ivica")


def test_one_sink_per_job_output_and_one_per_side_output():
    names = {c["config"]["collection.name.format"] for c in connect.render(SETTINGS)}
    landed = {f"ivica.{name}" for name, job in JOBS.items() if job.results[0].landed}
    assert names == landed | {"ivica.dead_letters", "ivica.late_events"}


def test_results_upsert_on_the_natural_key_and_errors_go_to_a_dlq_with_headers():
    for conf in connect.render(SETTINGS):
        c = conf["config"]
        assert c["insert.mode"] == "upsert"
        assert c["value.converter.schemas.enable"] == "true"
        assert c["errors.tolerance"] == "all"
        assert c["errors.deadletterqueue.topic.name"] == connect.CONNECT_DLQ_TOPIC
        assert c["errors.deadletterqueue.context.headers.enable"] == "true"
        assert c["connection.url"] == SETTINGS.jdbc_url
        if "topics" in c:
            assert c["primary.key.mode"] == "record_value"
            spec = JOBS[c["collection.name.format"].removeprefix("ivica.")].results[0]
            assert c["primary.key.fields"] == ",".join(spec.key)
        else:
            assert c["primary.key.mode"] == "kafka"


def test_no_password_in_files_or_rendered_configs():
    for path in SINKS.glob("*.json"):
        conf = json.loads(path.read_text())["config"]
        assert conf["connection.password"] == "${env:IVICA_PG_PASSWORD}"
    for conf in connect.render(SETTINGS):
        assert conf["config"]["connection.password"].startswith("${env:")
