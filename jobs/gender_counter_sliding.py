"""gender_counter_sliding: gender_counter on 5-minute windows sliding by 1 minute.

Modes and flags: docs/jobs.md, or `python -m jobs.gender_counter_sliding --help`.
"""

import sys

from jobs.runtime import run
from jobs.specs import JOBS

if __name__ == "__main__":
    sys.exit(run(JOBS["gender_counter_sliding"], sys.argv[1:]))
