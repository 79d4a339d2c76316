"""The stream jobs and their outputs: which stream each reads, which queries share the read,
what each output writes."""

from __future__ import annotations

from contracts import topics
from jobs.runtime import WINDOW_KEY, ResultSpec, StreamJob

LINE_KEY = ("camera_id", "line_id", "window_start", "window_end")
ZONE_KEY = ("camera_id", "zone_id", "window_start", "window_end")
PEOPLE_MEASURES = (
    "avg_people DOUBLE, max_people INT, min_people INT, frames BIGINT, unique_people BIGINT"
)
GENDER_MEASURES = "men BIGINT, women BIGINT, unknown BIGINT"
FOOTFALL_MEASURES = (
    "people_in BIGINT, people_out BIGINT, in_male BIGINT, in_female BIGINT, out_male BIGINT,"
    " out_female BIGINT"
)
DWELL_MEASURES = (
    "visits BIGINT, dwell_avg_s DOUBLE, dwell_max_s DOUBLE, dwell_p50_s DOUBLE, dwell_p90_s DOUBLE"
)


def result(
    name: str,
    topic: str,
    measures: str,
    key: tuple[str, ...] = WINDOW_KEY,
    *,
    query: str | None = None,
    sliding: bool = False,
    default_window_s: int | None = None,
    landed: bool = True,
) -> ResultSpec:
    """An output of jobs/<query>.sql (default: its name) to `topic`: site_id and its natural
    `key` as strings, then its `measures` ("name TYPE, ...")."""
    columns = [(c, "STRING") for c in ("site_id", *key)]
    columns += [(m, sql_type) for m, sql_type in (m.split() for m in measures.split(","))]
    return ResultSpec(
        name=name,
        query=query or name,
        output_topic=topic,
        sink_columns=columns,
        sliding=sliding,
        default_window_s=default_window_s,
        key=key,
        landed=landed,
    )


PEOPLE_COUNTER = result("people_counter", topics.PEOPLE_COUNTER, PEOPLE_MEASURES)
PEOPLE_COUNTER_SLIDING = result(
    "people_counter_sliding", topics.PEOPLE_COUNTER_SLIDING, PEOPLE_MEASURES,
    query="people_counter", sliding=True,
)  # fmt: skip
PEOPLE_COUNTER_HOURLY = result(
    "people_counter_hourly", topics.PEOPLE_COUNTER_HOURLY, PEOPLE_MEASURES,
    query="people_counter", default_window_s=3600,
)  # fmt: skip
ZONE_OCCUPANCY = result(
    "zone_occupancy", topics.ZONE_OCCUPANCY, "avg_people DOUBLE, max_people INT", ZONE_KEY
)
GENDER_COUNTER = result("gender_counter", topics.GENDER_COUNTER, GENDER_MEASURES)
GENDER_COUNTER_SLIDING = result(
    "gender_counter_sliding", topics.GENDER_COUNTER_SLIDING, GENDER_MEASURES,
    query="gender_counter", sliding=True,
)  # fmt: skip
FOOTFALL = result("footfall", topics.FOOTFALL, FOOTFALL_MEASURES, LINE_KEY)
DWELL = result("dwell", topics.DWELL, DWELL_MEASURES, ZONE_KEY)
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
