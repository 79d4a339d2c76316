"""Result records on Kafka are Kafka Connect JsonConverter envelopes: {"schema", "payload"}.

The payload holds the record's fields (docs/jobs.md); the schema lets the JDBC sink create
typed rows (times are `io.debezium.time.ZonedTimestamp` strings, stored as timestamptz).
"""

from __future__ import annotations

from typing import Any


def unwrap(value: dict[str, Any]) -> dict[str, Any]:
    """The record inside an envelope (a plain record is returned unchanged)."""
    if set(value) == {"schema", "payload"} and isinstance(value["payload"], dict):
        return value["payload"]
    return value
