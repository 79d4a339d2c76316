"""zone_occupancy: people per camera, zone and 1-minute window: the mean over the camera's
frames and the most in one frame. The people job computes it with its other outputs; this is
that job with this output alone. Modes and flags: docs/jobs.md, or
`python -m jobs.zone_occupancy --help`.
"""

import sys

from jobs.runtime import run
from jobs.specs import JOBS

if __name__ == "__main__":
    sys.exit(run(JOBS["zone_occupancy"], sys.argv[1:]))
