"""The contract's topics on the stack's Kafka: the raw ones carry the stack's retention
(`kafka.raw_retention_hours`), also when they existed before; the side topics do not.

Raw topics of the test's own, with unique names: the real raw topics belong to other tests."""

from __future__ import annotations

import re
import uuid

import pytest
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

from contracts.topics import dlq_topic, late_topic
from demo import topics
from infra.config import StackConfig

pytestmark = pytest.mark.integration


def _with_retention(cfg: StackConfig, hours: int) -> StackConfig:
    return cfg.model_copy(
        update={"kafka": cfg.kafka.model_copy(update={"raw_retention_hours": hours})}
    )


def _retention(admin: KafkaAdminClient, names: list[str]) -> dict[str, tuple[str, str]]:
    """Each topic's retention.ms and its source (DYNAMIC_TOPIC_CONFIG: set on the topic)."""
    res = [ConfigResource(ConfigResourceType.TOPIC, n, ["retention.ms"]) for n in names]
    found = admin.describe_configs(res, config_filter="all")["topic"]
    return {n: (c["value"], c["config_source"]) for n in names for c in [found[n]["retention.ms"]]}


def test_raw_topics_get_the_stacks_retention_also_when_they_exist(stack: StackConfig) -> None:
    tag = uuid.uuid4().hex[:8]
    old, new = f"test-topics.{tag}.old.v1", f"test-topics.{tag}.new.v1"
    side = [dlq_topic(old), late_topic(old), dlq_topic(new), late_topic(new)]
    admin = KafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap)
    # As the broker's auto-creation leaves a raw topic: no retention of its own.
    admin.create_topics({old: {"num_partitions": 1, "replication_factor": 1}})
    said: list[str] = []
    try:
        two_hours = _with_retention(stack, 2)
        made = topics.ensure(two_hours, raw=(old, new), results=(), echo=said.append)
        assert sorted(made) == sorted([new, *side])
        got = _retention(admin, [old, new, *side])
        assert got[old] == got[new] == ("7200000", "DYNAMIC_TOPIC_CONFIG"), got
        assert all(got[n][1] != "DYNAMIC_TOPIC_CONFIG" for n in side), got
        assert len(said) == 1
        assert re.fullmatch(
            rf"{re.escape(old)}: retention\.ms was \d+, now 7200000 "
            r"\(kafka\.raw_retention_hours: 2\)",
            said[0],
        ), said

        said.clear()
        assert topics.ensure(two_hours, raw=(old, new), results=(), echo=said.append) == []
        assert said == [], "the same setting again changes nothing"

        made = topics.ensure_raw(_with_retention(stack, 3), raw=(old, new), echo=said.append)
        assert made.created == [] and sorted(made.changed) == sorted([old, new])
        assert len(said) == 2 and all("was 7200000, now 10800000" in line for line in said)
        assert {v for v, _ in _retention(admin, [old, new]).values()} == {"10800000"}
    finally:
        admin.delete_topics([old, new, *side], raise_errors=False)
        admin.close()
