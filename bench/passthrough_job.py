"""The throughput ceiling: a job's raw source, copied unchanged to a sink.

Same source table (`jobs.runtime.source_sql`: the raw table of the stream, its event time and
watermark; the event time read alone, by IVICA_CAPTURE_TIME or IVICA_EXIT_TIME, where the jobs
take it from their parse), same flags and table environment (`jobs.config.parse_args`,
`jobs.runtime.table_env`) as the real jobs, but no parsing, no windows, no side outputs:
`INSERT INTO passthrough_out SELECT payload FROM <stream>_raw`, for the stream of `--stream`
(a stream job: people, gender, footfall, dwell). With `--sink kafka` (default)
the sink is an exactly-once Kafka topic (one raw STRING value, like the jobs' transactional
sinks); with `--sink blackhole` records are dropped, which measures the source alone; in file
mode (`--input-file`) the sink is a file of raw lines in `--output-file`'s folder.

    flink run -d -m HOST:PORT -py bench/passthrough_job.py --backfill --bootstrap ... \\
        --input-topic IN --output-topic OUT [--sink kafka|blackhole] [--stream STREAM_JOB]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace

from jobs.config import JobConfig, parse_args
from jobs.runtime import source_sql, table_env
from jobs.specs import STREAM_JOBS
from jobs.tables import kafka_options

SINKS = ("kafka", "blackhole")


def sink_ddl(sink: str, cfg: JobConfig, topic: str) -> str:
    if cfg.files:
        output = cfg.files.output
        assert not isinstance(output, dict), "one --output-file"
        folder = output.with_name(f".{output.name}.parts").resolve()
        opts = {"connector": "filesystem", "path": folder.as_uri(), "format": "raw"}
    elif sink == "blackhole":
        opts = {"connector": "blackhole"}
    else:
        opts = kafka_options(cfg, topic) | {
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
    pre.add_argument("--stream", choices=sorted(STREAM_JOBS), default="people")
    ours, rest = pre.parse_known_args(argv)
    base = STREAM_JOBS[ours.stream]  # its raw table, event time included (dwell: exited_at)
    job = replace(base, name=f"passthrough_{ours.stream}_{ours.sink}", results=())
    cfg = parse_args(f"bench.passthrough_job --sink {ours.sink}", rest)
    if cfg.backfill and not cfg.kafka.group_id:
        group = f"ivica-{job.name}-backfill-{int(time.time())}"
        cfg = cfg.model_copy(update={"kafka": cfg.kafka.model_copy(update={"group_id": group})})
    t_env = table_env(job, cfg)
    for statement in source_sql(job, cfg, time_alone=True):
        t_env.execute_sql(statement)
    output = cfg.topics.output
    assert not isinstance(output, dict), "one --output-topic"
    t_env.execute_sql(sink_ddl(ours.sink, cfg, output or "ivica.bench.passthrough"))
    result = t_env.execute_sql(f"INSERT INTO passthrough_out SELECT payload FROM {job.stream}_raw")
    client = result.get_job_client()
    print(f"{job.name}: job {client.get_job_id() if client else '?'}", file=sys.stderr, flush=True)
    if t_env.get_config().get("execution.attached", "true") == "true":
        result.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
