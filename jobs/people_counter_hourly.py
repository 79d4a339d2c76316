"""people_counter_hourly: people_counter on 1-hour windows, for exact unique people per hour.

Modes and flags: docs/jobs.md, or `python -m jobs.people_counter_hourly --help`.
"""

import sys

from jobs.runtime import run
from jobs.specs import JOBS

if __name__ == "__main__":
    sys.exit(run(JOBS["people_counter_hourly"], sys.argv[1:]))
