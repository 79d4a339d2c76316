"""gender_counter: men, women and unknown per camera and 1-minute window.

Modes and flags: docs/jobs.md, or `python -m jobs.gender_counter --help`.
"""

import sys

from jobs.runtime import run
from jobs.specs import GENDER_COUNTER

if __name__ == "__main__":
    sys.exit(run(GENDER_COUNTER, sys.argv[1:]))
