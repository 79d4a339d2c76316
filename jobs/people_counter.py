"""people_counter: people per camera and 1-minute window: avg, max, min, frames, unique tracks.

Modes and flags: docs/jobs.md, or `python -m jobs.people_counter --help`.
"""

import sys

from jobs.runtime import run
from jobs.specs import PEOPLE_COUNTER

if __name__ == "__main__":
    sys.exit(run(PEOPLE_COUNTER, sys.argv[1:]))
