"""Per-stage wall-clock timings of a pipeline (detect, track, faces, gender, events...)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager


class StageTimer:
    """Adds up the time spent in named stages."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - start
            self.calls[name] += 1

    def shares(self) -> dict[str, float]:
        """Each stage's share of the total timed seconds."""
        total = sum(self.seconds.values()) or 1.0
        return {name: s / total for name, s in self.seconds.items()}

    def summary(self) -> str:
        """One line: each stage's milliseconds per call and share of the total."""
        shares = self.shares()
        return ", ".join(
            f"{name} {1000 * s / self.calls[name]:.1f} ms ({shares[name]:.0%})"
            for name, s in self.seconds.items()
        )
