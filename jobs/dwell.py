"""dwell: the zone visits read and parsed once: visits and dwell time (mean, largest, median,
90th percentile) per camera, zone and 1-minute window of their end; one dead-letter and one
late output. Modes and flags: docs/jobs.md, or `python -m jobs.dwell --help`.
"""

import sys

from jobs.runtime import run
from jobs.specs import DWELL_JOB

if __name__ == "__main__":
    sys.exit(run(DWELL_JOB, sys.argv[1:]))
