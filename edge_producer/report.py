"""What a run has done so far: the counters behind the summary, the log line and /metrics."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from contracts.events import Event, GenderClassification, LineCrossing, PersonDetections, ZoneVisit
from edge_producer.timing import StageTimer


@dataclass
class RunReport:
    """Counts of one ``ivica edge run``; updated by the run loop, read by the health thread."""

    frames_read: int = 0  # frames the source delivered, skipped ones included (frame ids)
    frames: int = 0  # frames processed
    person_events: int = 0
    gender_events: int = 0
    crossing_events: int = 0
    visit_events: int = 0
    failed_frames: int = 0
    seconds: float = 0.0
    timer: StageTimer = field(default_factory=StageTimer)

    def count(self, events: Iterable[Event]) -> None:
        """Add sent events to the per-type counters."""
        for event in events:
            if isinstance(event, PersonDetections):
                self.person_events += 1
            elif isinstance(event, GenderClassification):
                self.gender_events += 1
            elif isinstance(event, LineCrossing):
                self.crossing_events += 1
            elif isinstance(event, ZoneVisit):
                self.visit_events += 1

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return (
            f"{self.frames} frames in {self.seconds:.1f} s ({self.fps:.1f} fps): "
            f"{self.person_events} person_detections, {self.gender_events} "
            f"gender_classifications, {self.crossing_events} line_crossings, "
            f"{self.visit_events} zone_visits events; {self.failed_frames} frames failed\n"
            f"stages: {self.timer.summary()}"
        )
