"""gender_counter: men, women and unknown per camera and 1-minute window.

Modes and flags: docs/jobs.md, or `python -m jobs.gender_counter --help`.
"""

import sys

from jobs.runtime import run
from jobs.specs import JOBS

if __name__ == "__main__":
    sys.exit(run(JOBS["gender_counter"], sys.argv[1:]))
