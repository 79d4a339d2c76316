"""The contract's topics on the stack, made before anything subscribes to them.

The raw topics get the stack's retention (`kafka.raw_retention_hours`, their retention.ms),
which bounds how far back a replay can go (docs/backfill.md); a raw topic that exists with
another is changed to it. The result, dead-letter and late topics keep the broker's defaults.

The side-output sinks subscribe by `topics.regex`; a topic that appears later is seen only at
the sink's next metadata refresh. Made up front, dead letters and late events reach
PostgreSQL as fast as the results.
"""

from __future__ import annotations

from collections.abc import Sequence

from contracts import topics
from infra import topics as kafka_topics
from infra.config import StackConfig


def contract_topics(
    raw: Sequence[str] = topics.RAW_TOPICS, results: Sequence[str] = topics.RESULT_TOPICS
) -> list[str]:
    """Raw, result, dead-letter and late topics."""
    return [*raw, *results, *map(topics.dlq_topic, raw), *map(topics.late_topic, raw)]


def ensure_raw(
    cfg: StackConfig, raw: Sequence[str] = topics.RAW_TOPICS, echo=print
) -> kafka_topics.Ensured:
    """The raw topics, made or changed to carry the stack's retention; each change echoed."""
    made = kafka_topics.ensure(
        cfg.kafka_bootstrap, raw, configs={"retention.ms": cfg.kafka.raw_retention_ms}
    )
    for line in made.lines():
        echo(f"{line} (kafka.raw_retention_hours: {cfg.kafka.raw_retention_hours})")
    return made


def ensure(
    cfg: StackConfig,
    raw: Sequence[str] = topics.RAW_TOPICS,
    results: Sequence[str] = topics.RESULT_TOPICS,
    echo=print,
) -> list[str]:
    """Every contract topic (`raw` and `results` and their side topics): the raw ones as
    `ensure_raw` makes them, the others created when missing. The names created."""
    made = ensure_raw(cfg, raw, echo).created
    rest = [n for n in contract_topics(raw, results) if n not in set(raw)]
    return made + kafka_topics.ensure(cfg.kafka_bootstrap, rest).created
