"""Processes found by what they name, for the tests that check that nothing is left behind."""

from __future__ import annotations

from pathlib import Path

from infra.proc import pid_alive


def processes_of(path: Path) -> list[str]:
    """Live processes whose command line or environment names `path` (beam.smp, epmd,
    erl_child_setup, inet_gethost, java ...), independent of how the services track them."""
    needle = str(path).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            blob = (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes()
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if needle in blob and pid_alive(int(entry.name)):
            found.append(f"{entry.name} {comm}")
    return found
