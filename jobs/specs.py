"""The two stream jobs and their outputs: which stream each reads, which queries share the read,
what each output writes."""

from __future__ import annotations

from contracts import topics
from jobs.runtime import ResultSpec, StreamJob

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

PEOPLE_COUNTER = ResultSpec(
    name="people_counter",
    query="people_counter",
    output_topic=topics.PEOPLE_COUNTER,
    sink_columns=PEOPLE_COLUMNS,
)
PEOPLE_COUNTER_SLIDING = ResultSpec(
    name="people_counter_sliding",
    query="people_counter",
    output_topic=topics.PEOPLE_COUNTER_SLIDING,
    sink_columns=PEOPLE_COLUMNS,
    sliding=True,
)
PEOPLE_COUNTER_HOURLY = ResultSpec(
    name="people_counter_hourly",
    query="people_counter",
    output_topic=topics.PEOPLE_COUNTER_HOURLY,
    sink_columns=PEOPLE_COLUMNS,
    default_window_s=3600,
)
GENDER_COUNTER = ResultSpec(
    name="gender_counter",
    query="gender_counter",
    output_topic=topics.GENDER_COUNTER,
    sink_columns=GENDER_COLUMNS,
)
GENDER_COUNTER_SLIDING = ResultSpec(
    name="gender_counter_sliding",
    query="gender_counter",
    output_topic=topics.GENDER_COUNTER_SLIDING,
    sink_columns=GENDER_COLUMNS,
    sliding=True,
)
PEOPLE = StreamJob(
    name="people",
    stream="person_detections",
    input_topic=topics.PERSON_DETECTIONS,
    results=(PEOPLE_COUNTER, PEOPLE_COUNTER_SLIDING, PEOPLE_COUNTER_HOURLY),
)
GENDER = StreamJob(
    name="gender",
    stream="gender_classifications",
    input_topic=topics.GENDER_CLASSIFICATIONS,
    results=(GENDER_COUNTER, GENDER_COUNTER_SLIDING),
)
STREAM_JOBS = {j.name: j for j in (PEOPLE, GENDER)}
# Each output alone, as its own job (jobs/<output>.py): the stream job with that one output.
JOBS = {r.name: j.select([r.name]) for j in (PEOPLE, GENDER) for r in j.results}
