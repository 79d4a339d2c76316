"""The four jobs: which stream each reads, which query it runs, what it writes."""

from __future__ import annotations

from contracts import topics
from jobs.runtime import JobSpec

PEOPLE_COLUMNS = [
    ("site_id", "STRING"),
    ("camera_id", "STRING"),
    ("window_start", "STRING"),
    ("window_end", "STRING"),
    ("avg_people", "DOUBLE"),
    ("max_people", "INT"),
    ("min_people", "INT"),
    ("frames", "BIGINT"),
    ("unique_people", "BIGINT"),
]
GENDER_COLUMNS = [
    ("site_id", "STRING"),
    ("camera_id", "STRING"),
    ("window_start", "STRING"),
    ("window_end", "STRING"),
    ("men", "BIGINT"),
    ("women", "BIGINT"),
    ("unknown", "BIGINT"),
]

PEOPLE_COUNTER = JobSpec(
    name="people_counter",
    query="people_counter",
    stream="person_detections",
    input_topic=topics.PERSON_DETECTIONS,
    output_topic=topics.PEOPLE_COUNTER,
    sink_columns=PEOPLE_COLUMNS,
)
PEOPLE_COUNTER_SLIDING = JobSpec(
    name="people_counter_sliding",
    query="people_counter",
    stream="person_detections",
    input_topic=topics.PERSON_DETECTIONS,
    output_topic=topics.PEOPLE_COUNTER_SLIDING,
    sink_columns=PEOPLE_COLUMNS,
    sliding=True,
)
PEOPLE_COUNTER_HOURLY = JobSpec(
    name="people_counter_hourly",
    query="people_counter",
    stream="person_detections",
    input_topic=topics.PERSON_DETECTIONS,
    output_topic=topics.PEOPLE_COUNTER_HOURLY,
    sink_columns=PEOPLE_COLUMNS,
    default_window_s=3600,
)
GENDER_COUNTER = JobSpec(
    name="gender_counter",
    query="gender_counter",
    stream="gender_classifications",
    input_topic=topics.GENDER_CLASSIFICATIONS,
    output_topic=topics.GENDER_COUNTER,
    sink_columns=GENDER_COLUMNS,
)
GENDER_COUNTER_SLIDING = JobSpec(
    name="gender_counter_sliding",
    query="gender_counter",
    stream="gender_classifications",
    input_topic=topics.GENDER_CLASSIFICATIONS,
    output_topic=topics.GENDER_COUNTER_SLIDING,
    sink_columns=GENDER_COLUMNS,
    sliding=True,
)
JOBS = {
    s.name: s
    for s in (
        PEOPLE_COUNTER,
        PEOPLE_COUNTER_SLIDING,
        PEOPLE_COUNTER_HOURLY,
        GENDER_COUNTER,
        GENDER_COUNTER_SLIDING,
    )
}
