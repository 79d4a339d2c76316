"""people_counter_sliding: people_counter on 5-minute windows sliding by 1 minute.

Modes and flags: docs/jobs.md, or `python -m jobs.people_counter_sliding --help`.
"""

import sys

from jobs.runtime import run
from jobs.specs import PEOPLE_COUNTER_SLIDING

if __name__ == "__main__":
    sys.exit(run(PEOPLE_COUNTER_SLIDING, sys.argv[1:]))
