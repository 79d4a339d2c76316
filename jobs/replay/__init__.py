"""`ivica jobs backfill`: replace the results of a range of capture time by a replay of the raw
topics, and nothing else (docs/backfill.md).

1. Plan, before anything is touched: refuse a range that ends in the future, is empty, or
   starts before the oldest event the raw topics still hold (exit status 2); print per output
   the windows it will replace (those wholly inside the range).
2. Delete those windows' rows (of the chosen cameras) from the result tables.
3. Run each stream job as a range replay (`python -m jobs.<job> --backfill --from --to`): it
   reads from the range's start to the end of its raw topic and writes the windows wholly
   inside the range, made of every event captured in it, to the live result topics.
4. Wait until the sinks have landed every result record, then check the rows in PostgreSQL
   and print per table the rows deleted, written and unchanged.

`--all` (rebuild_all) empties the result tables and replays both topics whole, as the live
jobs read them.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg

from contracts import topics
from infra.config import REPO_ROOT, StackConfig
from infra.proc import StackError
from infra.services.postgres import Postgres
from jobs.replay import landing, store
from jobs.replay.plan import Range, Refused, check_held, held, iso, outputs, span
from jobs.runtime import StreamJob
from jobs.specs import LANDED_JOBS

__all__ = ["Range", "Refused", "backfill", "rebuild_all", "replace_range"]

REPLAY_SUFFIX = ".replay"  # the replay's dead letters and late events: no sink reads them
LANDING_TIMEOUT_S = 300.0


@dataclass
class TableReport:
    table: str
    deleted: int  # rows in the range before that the replay did not write again
    written: int  # rows the replay landed
    unchanged: int  # of those, equal in every column to the row before

    def describe(self) -> str:
        return (
            f"{self.table}: {self.deleted} deleted, {self.written} written"
            f" ({self.unchanged} unchanged)"
        )


def backfill(
    cfg: StackConfig,
    *,
    start: str | None,
    end: str | None,
    cameras: list[str] | None = None,
    site: str | None = None,
    everything: bool = False,
    yes: bool = False,
) -> None:
    """`ivica jobs backfill`: a range (`start`, `end` ISO-8601 with a zone; `end` defaults to
    now), or with `everything` the whole topics into emptied tables."""
    if everything:
        if start or end or cameras or site:
            raise Refused("--all replays everything: give no --from, --to, --camera or --site")
        rebuild_all(cfg, confirm=lambda question: confirmed(question, yes))
        return
    if not start:
        raise Refused("give the range to replace: --from (and --to, default now), or --all")
    rng = Range(
        parse_instant(start, "--from"),
        parse_instant(end, "--to") if end else datetime.now(UTC).replace(microsecond=0),
        tuple(cameras or ()),
        site,
    )
    replace_range(cfg, rng)


def parse_instant(text: str, flag: str) -> datetime:
    try:
        t = datetime.fromisoformat(text)
    except ValueError as exc:
        raise Refused(f"{flag} {text!r} is not an ISO-8601 time") from exc
    if t.tzinfo is None:
        raise Refused(f"{flag} {text!r} has no zone: write it in UTC, e.g. {text}Z")
    return t


def confirmed(question: str, yes: bool) -> bool:
    """--yes, or a yes typed on a terminal; never a yes by default."""
    print(question, file=sys.stderr)
    if yes:
        return True
    if not sys.stdin.isatty():
        return False
    return input("Delete them and replay? [y/N] ").strip().lower() in ("y", "yes")


def replace_range(
    cfg: StackConfig,
    rng: Range,
    *,
    echo: Callable[[str], None] = print,
    landing_timeout_s: float = LANDING_TIMEOUT_S,
) -> list[TableReport]:
    rng.check(datetime.now(UTC))
    holding = {
        name: held(cfg.kafka_bootstrap, job.input_topic) for name, job in LANDED_JOBS.items()
    }
    # A raw topic that holds no event at all (a site without lines or zones never sends any)
    # leaves its job out: nothing to rebuild, and its rows are not touched. All empty: refused.
    jobs = {n: j for n, j in LANDED_JOBS.items() if holding[n].since is not None} or LANDED_JOBS
    check_held(rng, [holding[n] for n in jobs])
    results = outputs(jobs)
    targets = store.targets(cfg, results)
    who = (", ".join(rng.cameras) or "every camera") + (f" of {rng.site}" if rng.site else "")
    echo(f"replay {iso(rng.start)} to {iso(rng.end)}, {who}:")
    for name in LANDED_JOBS.keys() - jobs.keys():
        echo(f"  {name}: {holding[name].topic} holds no events; its results are left as they are")
    for r in results:
        echo("  " + span(r, rng).describe())

    dsn = Postgres(cfg).dsn()
    with psycopg.connect(dsn) as conn:
        before = {t.table: store.rows_in(conn, t, rng) for t in targets}
        for t in targets:
            store.delete_in(conn, t, rng)
    echo(f"deleted {sum(map(len, before.values()))} rows of the range; replaying ...")

    written = replay_and_land(cfg, jobs, targets, rng.job_args(), rng, landing_timeout_s)
    with psycopg.connect(dsn) as conn:
        after = {t.table: store.rows_in(conn, t, rng) for t in targets}
    reports = []
    for t in targets:
        old, new = before[t.table], after[t.table]
        if len(new) != len(written.keys[t.topic]):
            raise StackError(
                f"{t.table} holds {len(new)} rows of the range, the replay wrote"
                f" {len(written.keys[t.topic])}: see `ivica connect status`"
            )
        reports.append(
            TableReport(
                t.table,
                deleted=len(old.keys() - new.keys()),
                written=len(new),
                unchanged=sum(1 for k, row in new.items() if old.get(k) == row),
            )
        )
    for r in reports:
        echo("  " + r.describe())
    return reports


def rebuild_all(
    cfg: StackConfig,
    *,
    confirm: Callable[[str], bool],
    echo: Callable[[str], None] = print,
    landing_timeout_s: float = LANDING_TIMEOUT_S,
) -> None:
    """Empty every result table, then replay both raw topics whole, as the live jobs read
    them. `confirm` gets what will be deleted and says yes or no."""
    targets = store.targets(cfg, outputs(LANDED_JOBS))
    dsn = Postgres(cfg).dsn()
    with psycopg.connect(dsn) as conn:
        sizes = store.table_sizes(conn, targets)
    lines = [f"  {table}: {n} rows, the oldest from {oldest or '-'}" for table, n, oldest in sizes]
    question = "--all deletes every result row:\n" + "\n".join(lines)
    if not confirm(question):
        raise Refused("nothing deleted: --all needs --yes, or a yes on a terminal")
    with psycopg.connect(dsn) as conn:
        store.truncate(conn, targets)
    echo(f"emptied {', '.join(t.table for t in targets)}; replaying the raw topics whole ...")
    whole = Range(datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))
    replay_and_land(cfg, LANDED_JOBS, targets, ["--from", "earliest"], whole, landing_timeout_s)
    echo("replayed and landed")


def replay_and_land(
    cfg: StackConfig,
    jobs: dict[str, StreamJob],
    targets: list[store.Target],
    job_args: list[str],
    rng: Range,
    timeout_s: float,
) -> landing.Written:
    """Run `jobs`, then wait until the sinks have landed what they wrote to the result
    topics; what that was (the keys of `rng`'s windows among it)."""
    result_topics = [t.topic for t in targets]
    starts = landing.end_offsets(cfg.kafka_bootstrap, result_topics)
    run_jobs(cfg, jobs, job_args)
    ends = landing.end_offsets(cfg.kafka_bootstrap, result_topics)
    written = landing.written(cfg.kafka_bootstrap, starts, ends, rng)
    landing.wait_landed(
        cfg.kafka_bootstrap, cfg.connect_url, targets, starts, written.ends, timeout_s=timeout_s
    )
    return written


def run_jobs(cfg: StackConfig, jobs: dict[str, StreamJob], args: list[str]) -> None:
    """Each of `jobs` as a backfill on a local Flink, its progress bar on the terminal; side
    outputs to `<topic>.replay` (the live run recorded them once already)."""
    for name, job in jobs.items():
        raw = job.input_topic
        cmd = [sys.executable, "-m", f"jobs.{name}", "--backfill", *args,
               "--bootstrap", cfg.kafka_bootstrap,
               "--dlq-topic", topics.dlq_topic(raw) + REPLAY_SUFFIX,
               "--late-topic", topics.late_topic(raw) + REPLAY_SUFFIX]  # fmt: skip
        done = subprocess.run(cmd, cwd=REPO_ROOT, check=False)
        if done.returncode != 0:
            raise StackError(f"the replay of {name} failed ({done.returncode}): see its output")
