"""footfall: the line crossings read and parsed once: people in and out per camera, line and
1-minute window, in total and by gender; one dead-letter and one late output. Modes and flags:
docs/jobs.md, or `python -m jobs.footfall --help`.
"""

import sys

from jobs.runtime import run
from jobs.specs import FOOTFALL_JOB

if __name__ == "__main__":
    sys.exit(run(FOOTFALL_JOB, sys.argv[1:]))
