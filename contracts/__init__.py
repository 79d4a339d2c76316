"""Ivica event contracts: wire schemas, pydantic models, topic names and the key rule.

Depends only on pydantic, jsonschema and the standard library.
"""

from contracts.events import (
    Detection,
    Event,
    GenderClassification,
    LineCrossing,
    ModelInfo,
    PersonDetections,
    ZoneVisit,
)
from contracts.timefmt import TS_PATTERN, format_ts, parse_ts
from contracts.topics import (
    GENDER_CLASSIFICATIONS,
    GENDER_COUNTER,
    GENDER_COUNTER_SLIDING,
    LINE_CROSSINGS,
    PEOPLE_COUNTER,
    PEOPLE_COUNTER_HOURLY,
    PEOPLE_COUNTER_SLIDING,
    PERSON_DETECTIONS,
    RAW_TOPICS,
    RESULT_TOPICS,
    ZONE_VISITS,
    dlq_topic,
    late_topic,
    message_key,
)
from contracts.validate import (
    ValidationError,
    load_schema,
    validate_event,
    validate_gender_classification,
    validate_person_detections,
)

__all__ = [
    "GENDER_CLASSIFICATIONS",
    "GENDER_COUNTER",
    "GENDER_COUNTER_SLIDING",
    "LINE_CROSSINGS",
    "PEOPLE_COUNTER",
    "PEOPLE_COUNTER_HOURLY",
    "PEOPLE_COUNTER_SLIDING",
    "PERSON_DETECTIONS",
    "RAW_TOPICS",
    "RESULT_TOPICS",
    "TS_PATTERN",
    "ZONE_VISITS",
    "Detection",
    "Event",
    "GenderClassification",
    "LineCrossing",
    "ModelInfo",
    "PersonDetections",
    "ValidationError",
    "ZoneVisit",
    "dlq_topic",
    "format_ts",
    "late_topic",
    "load_schema",
    "message_key",
    "parse_ts",
    "validate_event",
    "validate_gender_classification",
    "validate_person_detections",
]
