"""The throughput ceiling: the jobs' raw person source, copied unchanged to a sink.

Same source table (`jobs.tables.raw_source_ddl`), same flags and table environment
(`jobs.config.parse_args`, `jobs.runtime.table_env`) as the real jobs, but no parsing, no
windows, no side outputs: `INSERT INTO passthrough_out SELECT payload FROM
person_detections_raw`. With `--sink kafka` (default) the sink is an exactly-once Kafka topic
(one raw STRING value, like the jobs' transactional sinks); with `--sink blackhole` records are
dropped, which measures the source alone.

    flink run -d -m HOST:PORT -py bench/passthrough_job.py --backfill --bootstrap ... \
        --input-topic IN --output-topic OUT [--sink kafka|blackhole]
"""

from __future__ import annotations

import argparse
import sys
import time

from contracts import topics
from jobs import tables
from jobs.config import JobConfig, parse_args
from jobs.runtime import JobSpec, table_env

SINKS = ("kafka", "blackhole")


def spec_for(sink: str) -> JobSpec:
    return JobSpec(
        name=f"passthrough_{sink}",
        query="",  # no SQL file: the single INSERT is below
        stream="person_detections",
        input_topic=topics.PERSON_DETECTIONS,
        output_topic="ivica.bench.passthrough",
        sink_columns=[("payload", "STRING")],
    )


def sink_ddl(sink: str, cfg: JobConfig, topic: str) -> str:
    if sink == "blackhole":
        opts = {"connector": "blackhole"}
    else:
        opts = tables.kafka_options(cfg, topic) | {
            "value.format": "raw",
            "sink.delivery-guarantee": "exactly-once",
            "sink.transactional-id-prefix": f"ivica-{topic}",
            "properties.transaction.timeout.ms": "900000",
        }
    body = ",\n  ".join(f"'{k}' = '{v}'" for k, v in opts.items())
    return f"CREATE TABLE passthrough_out (\n  payload STRING\n) WITH (\n  {body}\n)"


def main(argv: list[str]) -> int:
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--sink", choices=SINKS, default="kafka")
    ours, rest = pre.parse_known_args(argv)
    spec = spec_for(ours.sink)
    cfg = parse_args(f"bench.passthrough_job --sink {ours.sink}", rest)
    if cfg.backfill and not cfg.kafka.group_id:
        group = f"ivica-{spec.name}-backfill-{int(time.time())}"
        cfg = cfg.model_copy(update={"kafka": cfg.kafka.model_copy(update={"group_id": group})})
    t_env = table_env(spec, cfg)
    in_topic = cfg.topics.input or spec.input_topic
    t_env.execute_sql(tables.raw_source_ddl(spec.stream, cfg, spec.name, in_topic))
    t_env.execute_sql(sink_ddl(ours.sink, cfg, cfg.topics.output or spec.output_topic))
    result = t_env.execute_sql(
        "INSERT INTO passthrough_out SELECT payload FROM person_detections_raw"
    )
    client = result.get_job_client()
    print(f"{spec.name}: job {client.get_job_id() if client else '?'}", file=sys.stderr, flush=True)
    if t_env.get_config().get("execution.attached", "true") == "true":
        result.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
