"""gender: the gender stream read and parsed once for all its outputs, as one Flink job.

Outputs (`--outputs`, default all): gender_counter (1-minute tumble), gender_counter_sliding
(5-minute windows every minute); one dead-letter and one late output for the stream. Modes and
flags: docs/jobs.md, or `python -m jobs.gender --help`.
"""

import sys

from jobs.runtime import run
from jobs.specs import GENDER

if __name__ == "__main__":
    sys.exit(run(GENDER, sys.argv[1:]))
