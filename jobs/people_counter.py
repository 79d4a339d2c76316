"""people_counter: people per camera and 1-minute window: avg, max, min, frames, unique tracks.

Modes and flags: docs/jobs.md, or `python -m jobs.people_counter --help`.
"""

import sys

from jobs.runtime import run
from jobs.specs import JOBS

if __name__ == "__main__":
    sys.exit(run(JOBS["people_counter"], sys.argv[1:]))
