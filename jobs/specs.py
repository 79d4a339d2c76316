"""The stream jobs and their outputs: which stream each reads, which queries share the read,
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

FOOTFALL_COLUMNS = [
    ("site_id", "STRING"),
    ("camera_id", "STRING"),
    ("line_id", "STRING"),
    ("window_start", "STRING"),
    ("window_end", "STRING"),
    ("people_in", "BIGINT"),
    ("people_out", "BIGINT"),
    ("in_male", "BIGINT"),
    ("in_female", "BIGINT"),
    ("out_male", "BIGINT"),
    ("out_female", "BIGINT"),
]
DWELL_COLUMNS = [
    ("site_id", "STRING"),
    ("camera_id", "STRING"),
    ("zone_id", "STRING"),
    ("window_start", "STRING"),
    ("window_end", "STRING"),
    ("visits", "BIGINT"),
    ("dwell_avg_s", "DOUBLE"),
    ("dwell_max_s", "DOUBLE"),
    ("dwell_p50_s", "DOUBLE"),
    ("dwell_p90_s", "DOUBLE"),
]
ZONE_OCCUPANCY_COLUMNS = [
    ("site_id", "STRING"),
    ("camera_id", "STRING"),
    ("zone_id", "STRING"),
    ("window_start", "STRING"),
    ("window_end", "STRING"),
    ("avg_people", "DOUBLE"),
    ("max_people", "INT"),
]
LINE_KEY = ("camera_id", "line_id", "window_start", "window_end")
ZONE_KEY = ("camera_id", "zone_id", "window_start", "window_end")

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
ZONE_OCCUPANCY = ResultSpec(
    name="zone_occupancy",
    query="zone_occupancy",
    output_topic=topics.ZONE_OCCUPANCY,
    sink_columns=ZONE_OCCUPANCY_COLUMNS,
    key=ZONE_KEY,
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
FOOTFALL = ResultSpec(
    name="footfall",
    query="footfall",
    output_topic=topics.FOOTFALL,
    sink_columns=FOOTFALL_COLUMNS,
    key=LINE_KEY,
)
DWELL = ResultSpec(
    name="dwell",
    query="dwell",
    output_topic=topics.DWELL,
    sink_columns=DWELL_COLUMNS,
    key=ZONE_KEY,
)
PEOPLE = StreamJob(
    name="people",
    stream="person_detections",
    input_topic=topics.PERSON_DETECTIONS,
    results=(PEOPLE_COUNTER, PEOPLE_COUNTER_SLIDING, PEOPLE_COUNTER_HOURLY, ZONE_OCCUPANCY),
)
GENDER = StreamJob(
    name="gender",
    stream="gender_classifications",
    input_topic=topics.GENDER_CLASSIFICATIONS,
    results=(GENDER_COUNTER, GENDER_COUNTER_SLIDING),
)
FOOTFALL_JOB = StreamJob(
    name="footfall",
    stream="line_crossings",
    input_topic=topics.LINE_CROSSINGS,
    results=(FOOTFALL,),
)
DWELL_JOB = StreamJob(
    name="dwell",
    stream="zone_visits",
    input_topic=topics.ZONE_VISITS,
    results=(DWELL,),
    time_function="IVICA_EXIT_TIME",  # a visit's event time is its end, exited_at
)
STREAM_JOBS = {j.name: j for j in (PEOPLE, GENDER, FOOTFALL_JOB, DWELL_JOB)}
# Each output alone, as its own job (jobs/<output>.py): the stream job with that one output.
JOBS = {r.name: j.select([r.name]) for j in STREAM_JOBS.values() for r in j.results}
# The stream jobs with outputs a sink lands in PostgreSQL (connectors/sinks): what `ivica jobs
# backfill` replays (it replaces only the landed outputs: jobs/replay/plan.py).
LANDED_JOBS = {n: j for n, j in STREAM_JOBS.items() if any(r.landed for r in j.results)}
