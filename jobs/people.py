"""people: the person stream read and parsed once for all its outputs, as one Flink job.

Outputs (`--outputs`, default all): people_counter (1-minute tumble), people_counter_sliding
(5-minute windows every minute), people_counter_hourly (1-hour tumble, exact unique people);
one dead-letter and one late output for the stream. Modes and flags: docs/jobs.md, or
`python -m jobs.people --help`.
"""

import sys

from jobs.runtime import run
from jobs.specs import PEOPLE

if __name__ == "__main__":
    sys.exit(run(PEOPLE, sys.argv[1:]))
