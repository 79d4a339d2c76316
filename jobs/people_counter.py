"""people_counter: average, max, min people, frames and unique tracks per camera and window.

python -m jobs.people_counter --bootstrap 127.0.0.1:9092
flink run -py jobs/people_counter.py --bootstrap 127.0.0.1:9092
"""

from __future__ import annotations

import sys

from contracts import topics
from jobs.runtime import JobSpec, run

SPEC = JobSpec(
    name="people_counter",
    input_topic=topics.PERSON_DETECTIONS,
    output_topic=topics.PEOPLE_COUNTER,
    parse_sql="person_detections_parse.sql",
    stream="person_detections",
    sink_columns=[
        ("site_id", "STRING"),
        ("camera_id", "STRING"),
        ("window_start", "STRING"),
        ("window_end", "STRING"),
        ("avg_people", "DOUBLE"),
        ("max_people", "INT"),
        ("min_people", "INT"),
        ("frames", "BIGINT"),
        ("unique_people", "BIGINT"),
    ],
)

if __name__ == "__main__":
    sys.exit(run(SPEC, sys.argv[1:]))
