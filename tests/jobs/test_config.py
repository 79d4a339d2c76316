"""Job configuration: YAML validated strictly, flags override it, security reaches every table."""

from __future__ import annotations

import pydantic
import pytest

from jobs import tables
from jobs.config import parse_args
from jobs.specs import PEOPLE_COUNTER, PEOPLE_COUNTER_SLIDING

SASL_YAML = """
kafka:
  bootstrap: broker-1:9093,broker-2:9093
  properties:
    security.protocol: SASL_SSL
    sasl.mechanism: SCRAM-SHA-512
    sasl.jaas.config: env:IVICA_TEST_JAAS
topics:
  input: cams.raw
window_s: 120
watermark_delay_s: 10
"""


def test_security_properties_reach_sources_and_sinks(tmp_path, monkeypatch):
    jaas = (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        'username="u" password="p";'
    )
    monkeypatch.setenv("IVICA_TEST_JAAS", jaas)
    (tmp_path / "job.yaml").write_text(SASL_YAML)
    cfg = parse_args("t", ["--config", str(tmp_path / "job.yaml"), "--window", "180"])
    assert (
        cfg.window_s == 180 and cfg.watermark_delay_s == 10
    )  # flag beats file, file beats default
    source = tables.raw_source_ddl("person_detections", cfg, "people_counter", "cams.raw")
    sink = tables.kafka_sink_ddl("x", [("a", "STRING")], cfg, "out")
    for ddl in (source, sink):
        assert "'properties.security.protocol' = 'SASL_SSL'" in ddl
        assert "'properties.sasl.mechanism' = 'SCRAM-SHA-512'" in ddl
        assert f"'properties.sasl.jaas.config' = '{jaas}'" in ddl
        assert "'properties.bootstrap.servers' = 'broker-1:9093,broker-2:9093'" in ddl
    assert "event_time - INTERVAL '0 00:00:10.000' DAY TO SECOND" in source
    assert "'sink.delivery-guarantee' = 'exactly-once'" in sink


def test_a_secret_named_in_the_file_must_be_in_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("IVICA_TEST_JAAS", raising=False)
    (tmp_path / "job.yaml").write_text(SASL_YAML)
    cfg = parse_args("t", ["--config", str(tmp_path / "job.yaml")])
    with pytest.raises(ValueError, match="IVICA_TEST_JAAS unset"):
        tables.kafka_options(cfg, "t")


def test_unknown_keys_are_rejected(tmp_path):
    (tmp_path / "job.yaml").write_text("window_s: 60\nwindow_size: 60\n")
    with pytest.raises(pydantic.ValidationError, match="window_size"):
        parse_args("t", ["--config", str(tmp_path / "job.yaml")])


def test_backfill_bounds_become_kafka_options():
    cfg = parse_args(
        "t", ["--backfill", "--from", "2026-11-23T20:00:00Z", "--to-offsets", "0:10,1:7"]
    )
    opts = tables.source_options(cfg, "people_counter", "topic")
    assert opts["scan.startup.mode"] == "timestamp"
    # 2026-11-23T20:00:00Z is 1795464000 s; a range reads from the watermark delay (5 s) before
    assert opts["scan.startup.timestamp-millis"] == str(1795464000_000 - 5_000)
    assert opts["scan.bounded.mode"] == "specific-offsets"
    assert opts["scan.bounded.specific-offsets"] == "partition:0,offset:10;partition:1,offset:7"
    assert opts["scan.watermark.emit.strategy"] == "on-event"
    naive = ["--backfill", "--from", "2026-11-23T20:00:00"]
    with pytest.raises(pydantic.ValidationError):
        parse_args("t", naive)


def test_a_range_replay_reads_to_the_end_and_marks_nothing_late():
    cfg = parse_args("t", ["--backfill", "--from", "2026-11-23T20:00:00Z", "--to",
                           "2026-11-23T21:00:00Z", "--camera", "c1", "--site", "s1"])  # fmt: skip
    opts = tables.source_options(cfg, "people_counter", "topic")
    assert opts["scan.bounded.mode"] == "latest-offset", "a backlog can sit after the range"
    ddl = tables.raw_source_ddl("person_detections", cfg, "people", "topic")
    assert "WATERMARK FOR event_time AS TIMESTAMP '1970-01-01 00:00:00.000'" in ddl
    whole = parse_args("t", ["--backfill"])
    assert whole.backfill is not None and not whole.backfill.ranged
    assert "event_time - INTERVAL" in tables.raw_source_ddl("person_detections", whole, "p", "t")
    with pytest.raises(pydantic.ValidationError, match="before it starts"):
        parse_args("t", ["--backfill", "--from", "2026-11-23T21:00:00Z", "--to",
                         "2026-11-23T20:00:00Z"])  # fmt: skip
    with pytest.raises(pydantic.ValidationError, match="limit a range"):
        parse_args("t", ["--backfill", "--camera", "c1"])


def test_file_mode_needs_all_three_files(capsys):
    with pytest.raises(SystemExit):
        parse_args("t", ["--input-file", "in.jsonl", "--output-file", "out.jsonl"])
    assert "--dlq-file" in capsys.readouterr().err


@pytest.mark.parametrize(("seconds", "literal"), [
    (5, "INTERVAL '0 00:00:05.000' DAY TO SECOND"),
    (300, "INTERVAL '0 00:05:00.000' DAY TO SECOND"),
    (0.25, "INTERVAL '0 00:00:00.250' DAY TO SECOND"),
    (90061, "INTERVAL '1 01:01:01.000' DAY TO SECOND"),
])  # fmt: skip
def test_interval_literals(seconds, literal):
    assert tables.interval(seconds) == literal


def test_window_rules():
    assert PEOPLE_COUNTER.window(parse_args("t", [])) == (60, 60)
    assert PEOPLE_COUNTER_SLIDING.window(parse_args("t", [])) == (300, 60)
    assert PEOPLE_COUNTER_SLIDING.window(
        parse_args("t", ["--window", "600", "--slide", "120"])
    ) == (600, 120)
    with pytest.raises(ValueError, match="multiple"):
        PEOPLE_COUNTER_SLIDING.window(parse_args("t", ["--window", "300", "--slide", "70"]))
    with pytest.raises(ValueError, match="tumbling"):
        PEOPLE_COUNTER.window(parse_args("t", ["--slide", "30"]))


def test_outputs_choose_what_a_stream_job_computes():
    from jobs.runtime import outputs
    from jobs.specs import PEOPLE

    cfg = parse_args("t", ["--outputs", "people_counter_hourly,people_counter"])
    job = PEOPLE.select(cfg.outputs)
    assert [r.name for r in job.results] == ["people_counter_hourly", "people_counter"]
    assert job.name == "people"  # several outputs: the stream job's name, DLQ after the input
    topics = {o.name: o.topic for o in outputs(job, cfg)}
    assert topics["dlq"] == "ivica.person_detections.v1.dlq"
    assert topics["people_counter_hourly"] == "ivica.people_counter_hourly.v1"
    alone = PEOPLE.select(["people_counter"])
    assert alone.name == "people_counter"
    assert {o.name: o.topic for o in outputs(alone, parse_args("t", []))}["dlq"] == (
        "ivica.people_counter.v1.dlq"
    )
    with pytest.raises(ValueError, match="unknown outputs"):
        PEOPLE.select(["gender_counter"])


def test_flags_for_one_output_need_one_output():
    from jobs.runtime import job_sql, outputs
    from jobs.specs import PEOPLE

    named = parse_args("t", ["--output-topic", "people_counter=a", "--output-topic", "x=b"])
    with pytest.raises(ValueError, match=r"does not write: \['x'\]"):
        outputs(PEOPLE, named)
    with pytest.raises(ValueError, match="name each topic"):
        outputs(PEOPLE, parse_args("t", ["--output-topic", "one"]))
    with pytest.raises(ValueError, match="--window and --slide apply to one output"):
        job_sql(PEOPLE, parse_args("t", ["--window", "120"]))
    with pytest.raises(SystemExit):
        parse_args("t", ["--output-file", "a=x.jsonl", "--output-file", "y.jsonl"])
