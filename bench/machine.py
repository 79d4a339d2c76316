"""One line describing the machine a benchmark ran on."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def machine() -> str:
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}),"
        f" {mem_kb / 1024**2:.1f} GiB memory, {platform.machine()}, load {load}"
    )
