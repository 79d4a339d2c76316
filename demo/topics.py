"""Every topic of the contract made before anything subscribes to it.

The side-output sinks subscribe by `topics.regex`; a topic that appears later is seen only at
the sink's next metadata refresh. Made up front, dead letters and late events reach
PostgreSQL as fast as the results.
"""

from __future__ import annotations

import contextlib

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from contracts import topics


def contract_topics() -> list[str]:
    """Raw, result, dead-letter and late topics."""
    raw = list(topics.RAW_TOPICS)
    return [*raw, *topics.RESULT_TOPICS, *map(topics.dlq_topic, raw), *map(topics.late_topic, raw)]


def ensure(bootstrap: str, names: list[str], partitions: int = 1) -> list[str]:
    """Create the topics that do not exist yet; the names created."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="ivica-demo")
    try:
        missing = [n for n in names if n not in set(admin.list_topics())]
        for name in missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics([NewTopic(name, partitions, 1)])
        return missing
    finally:
        admin.close()
