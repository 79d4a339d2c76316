"""Kafka topics made before anything uses them, with the configuration they must have.

Only the keys given are set: a topic that exists keeps every other key of its configuration.
Which topics a stack needs is for the callers to say (`demo/topics.py` names the contract's).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient
from kafka.errors import TopicAlreadyExistsError

from infra.proc import StackError


@dataclass
class Ensured:
    created: list[str] = field(default_factory=list)
    # topic -> {key: (value before, value now)}; a value before of None: the key was unset
    changed: dict[str, dict[str, tuple[str | None, str]]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """One line per changed key: 'TOPIC: KEY was OLD, now NEW'."""
        return [
            f"{topic}: {key} was {old}, now {new}"
            for topic, keys in self.changed.items()
            for key, (old, new) in keys.items()
        ]


def ensure(
    bootstrap: str,
    names: Iterable[str],
    configs: Mapping[str, str | int] | None = None,
    partitions: int = 1,
    client_id: str = "ivica-topics",
) -> Ensured:
    """Create the topics of `names` that do not exist, with `configs`; on those that exist,
    set each key of `configs` whose value differs. What was created and what was changed."""
    want = {k: str(v) for k, v in (configs or {}).items()}
    names = list(dict.fromkeys(names))
    done = Ensured()
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id=client_id)
    try:
        existing = set(admin.list_topics())
        for name in names:
            if name in existing:
                continue
            spec = {"num_partitions": partitions, "replication_factor": 1, "configs": want}
            try:
                admin.create_topics({name: spec}, wait_for_metadata=True)
                done.created.append(name)
            except TopicAlreadyExistsError:  # made meanwhile, e.g. auto-created by a producer
                existing.add(name)
        old = [n for n in names if n in existing]
        if want and old:
            done.changed = _set_configs(admin, old, want)
        return done
    finally:
        admin.close()


def _set_configs(
    admin: KafkaAdminClient, names: list[str], want: dict[str, str]
) -> dict[str, dict[str, tuple[str | None, str]]]:
    resources = [ConfigResource(ConfigResourceType.TOPIC, n, list(want)) for n in names]
    found = admin.describe_configs(resources, config_filter="all").get("topic", {})
    changed: dict[str, dict[str, tuple[str | None, str]]] = {}
    for name in names:
        have = {k: (found.get(name, {}).get(k) or {}).get("value") for k in want}
        diff = {k: v for k, v in want.items() if have[k] != v}
        if not diff:
            continue
        # Incremental (SET per key) on brokers >= 2.3; kafka-python keeps the other keys.
        result = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, name, diff)])
        outcome = result.get("topic", {}).get(name)
        if outcome != "OK":
            raise StackError(f"could not set {diff} on topic {name}: {outcome}")
        changed[name] = {k: (have[k], v) for k, v in diff.items()}
    return changed
