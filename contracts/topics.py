"""Kafka topic names and the message key rule.

Topic names carry the contract version (``.v1``); a breaking change gets new ``.v2``
topics. Every record is keyed by the camera id (UTF-8) so that one camera's events stay
in order in one partition.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Raw event topics (edge cameras -> Kafka).
PERSON_DETECTIONS = "ivica.person_detections.v1"
GENDER_CLASSIFICATIONS = "ivica.gender_classifications.v1"
LINE_CROSSINGS = "ivica.line_crossings.v1"
ZONE_VISITS = "ivica.zone_visits.v1"

# Result topics (PyFlink jobs -> Kafka).
PEOPLE_COUNTER = "ivica.people_counter.v1"
GENDER_COUNTER = "ivica.gender_counter.v1"
PEOPLE_COUNTER_SLIDING = "ivica.people_counter_sliding.v1"
PEOPLE_COUNTER_HOURLY = "ivica.people_counter_hourly.v1"
GENDER_COUNTER_SLIDING = "ivica.gender_counter_sliding.v1"
FOOTFALL = "ivica.footfall.v1"
DWELL = "ivica.dwell.v1"
ZONE_OCCUPANCY = "ivica.zone_occupancy.v1"

RAW_TOPICS: tuple[str, ...] = (
    PERSON_DETECTIONS,
    GENDER_CLASSIFICATIONS,
    LINE_CROSSINGS,
    ZONE_VISITS,
)
RESULT_TOPICS: tuple[str, ...] = (
    PEOPLE_COUNTER,
    GENDER_COUNTER,
    PEOPLE_COUNTER_SLIDING,
    PEOPLE_COUNTER_HOURLY,
    GENDER_COUNTER_SLIDING,
    FOOTFALL,
    DWELL,
    ZONE_OCCUPANCY,
)

DLQ_SUFFIX = ".dlq"
LATE_SUFFIX = ".late"


def _check_topic(topic: str) -> str:
    if not isinstance(topic, str) or not topic:
        raise ValueError(f"topic must be a non-empty string, got {topic!r}")
    if topic.endswith((DLQ_SUFFIX, LATE_SUFFIX)):
        raise ValueError(f"topic {topic!r} is already a .dlq/.late side topic")
    return topic


def dlq_topic(topic: str) -> str:
    """Dead-letter topic for records of ``topic`` that fail validation: ``topic + ".dlq"``."""
    return _check_topic(topic) + DLQ_SUFFIX


def late_topic(topic: str) -> str:
    """Side topic for events of ``topic`` that arrive after their window closed: ``+ ".late"``."""
    return _check_topic(topic) + LATE_SUFFIX


def message_key(event: Any) -> bytes:
    """Kafka message key of an event: its ``camera_id`` encoded as UTF-8.

    Accepts an event model (anything with a ``camera_id`` attribute) or a dict.
    Raises ValueError if the camera id is missing or empty.
    """
    camera_id = (
        event.get("camera_id") if isinstance(event, Mapping) else getattr(event, "camera_id", None)
    )
    if not isinstance(camera_id, str) or not camera_id:
        raise ValueError(f"event has no non-empty string camera_id: {camera_id!r}")
    return camera_id.encode("utf-8")
