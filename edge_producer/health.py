"""Health of a running edge: counters as a log line every N seconds, as Prometheus text on a
loopback port (``/metrics``), and a status (``/healthz``: 200 healthy, 503 unhealthy).

Unhealthy means a spool has grown for longer than ``spool_growth_unhealthy_s``: its oldest
unsent event has waited that long, so its broker has been down (or too slow) that long.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from edge_producer.closing import Closing
from edge_producer.config import HealthConfig
from edge_producer.report import RunReport
from edge_producer.senders import MessageSender
from edge_producer.senders.spooled import SpooledSender

log = logging.getLogger(__name__)


class Health(Closing, Collector):
    """Reads the run's report and the senders' counters whenever asked; owns no counter."""

    def __init__(
        self, config: HealthConfig, report: RunReport, senders: Sequence[MessageSender]
    ) -> None:
        self.config = config
        self.report = report
        self.spooled = [s for s in senders if isinstance(s, SpooledSender)]
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._server: ThreadingHTTPServer | None = None

    # --- status ------------------------------------------------------------------------------

    def problems(self) -> list[str]:
        """Why the edge is unhealthy; empty when healthy."""
        limit = self.config.spool_growth_unhealthy_s
        return [
            f"spool {s.name} has grown for {age:.0f} s (> {limit:.0f} s): "
            f"{s.spool.depth} events unsent, {s.send_errors} send errors"
            for s in self.spooled
            if (age := s.spool.oldest_age_s()) > limit
        ]

    def line(self) -> str:
        """The periodic log line."""
        r = self.report
        stages = r.timer.summary() or "none yet"
        spools = "; ".join(
            f"{s.name}: sent {s.sent}, spooled {s.spool.depth} ({s.spool.bytes} B, oldest "
            f"{s.spool.oldest_age_s():.0f} s), errors {s.send_errors}, dropped "
            f"{s.spool.dropped.total}"
            for s in self.spooled
        )
        problems = self.problems()
        return (
            f"frames read {r.frames_read}, processed {r.frames} ({r.fps:.1f} fps), failed "
            f"{r.failed_frames}; events {r.person_events} person, {r.gender_events} gender, "
            f"{r.crossing_events} crossings, {r.visit_events} visits; "
            f"{spools or 'no broker sender'}; stages {stages}; "
            f"{'UNHEALTHY: ' + ' | '.join(problems) if problems else 'healthy'}"
        )

    # --- Prometheus --------------------------------------------------------------------------

    def collect(self) -> Iterator[Metric]:
        r = self.report
        yield _counter(
            "frames_read", "Frames the source delivered (skipped ones too).", r.frames_read
        )
        yield _counter("frames_processed", "Frames run through the pipeline.", r.frames)
        yield _counter("frames_failed", "Frames whose processing failed.", r.failed_frames)
        events = CounterMetricFamily("ivica_edge_events", "Events built.", labels=["type"])
        events.add_metric(["person_detections"], r.person_events)
        events.add_metric(["gender_classifications"], r.gender_events)
        events.add_metric(["line_crossings"], r.crossing_events)
        events.add_metric(["zone_visits"], r.visit_events)
        yield events
        yield GaugeMetricFamily("ivica_edge_fps", "Processed frames per second.", value=r.fps)
        seconds = CounterMetricFamily(
            "ivica_edge_stage_seconds", "Time spent in each stage.", labels=["stage"]
        )
        calls = CounterMetricFamily(
            "ivica_edge_stage_calls",
            "Calls of each stage (seconds/calls = latency).",
            labels=["stage"],
        )
        timer = r.timer
        for stage, total in dict(timer.seconds).items():
            seconds.add_metric([stage], total)
            calls.add_metric([stage], timer.calls[stage])
        yield seconds
        yield calls
        yield from self._spool_metrics()
        yield GaugeMetricFamily(
            "ivica_edge_healthy", "1 healthy, 0 unhealthy.", value=0 if self.problems() else 1
        )

    def _spool_metrics(self) -> Iterator[Metric]:
        families = {
            "sent": CounterMetricFamily(
                "ivica_edge_events_sent", "Events the broker confirmed.", labels=["sender"]
            ),
            "spooled": CounterMetricFamily(
                "ivica_edge_events_spooled", "Events written to the spool.", labels=["sender"]
            ),
            "errors": CounterMetricFamily(
                "ivica_edge_send_errors", "Failed broker round trips.", labels=["sender"]
            ),
            "depth": GaugeMetricFamily(
                "ivica_edge_spool_depth", "Unsent events in the spool.", labels=["sender"]
            ),
            "bytes": GaugeMetricFamily(
                "ivica_edge_spool_bytes", "Bytes of unsent events.", labels=["sender"]
            ),
            "age": GaugeMetricFamily(
                "ivica_edge_spool_oldest_age_seconds",
                "Wait of the oldest unsent event.",
                labels=["sender"],
            ),
            "dropped": CounterMetricFamily(
                "ivica_edge_spool_dropped", "Events the spool dropped.", labels=["sender", "reason"]
            ),
            "in_flight": GaugeMetricFamily(
                "ivica_edge_sender_in_flight",
                "Spooled events handed to the broker's client, not yet confirmed.",
                labels=["sender"],
            ),
        }
        for s in self.spooled:
            families["sent"].add_metric([s.name], s.sent)
            families["spooled"].add_metric([s.name], s.spooled)
            families["errors"].add_metric([s.name], s.send_errors)
            families["depth"].add_metric([s.name], s.spool.depth)
            families["bytes"].add_metric([s.name], s.spool.bytes)
            families["age"].add_metric([s.name], s.spool.oldest_age_s())
            families["in_flight"].add_metric([s.name], s.broker.in_flight)
            dropped = s.spool.dropped
            for reason in ("oldest", "newest", "expired"):
                families["dropped"].add_metric([s.name, reason], getattr(dropped, reason))
        yield from families.values()

    # --- running -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the log thread and the metrics server, as configured."""
        if self.config.log_interval_s:
            self._spawn(self._log_loop, "health-log")
        if self.config.metrics_port is not None:
            self._server = ThreadingHTTPServer(
                (self.config.metrics_host, self.config.metrics_port), _handler(self)
            )
            self._server.daemon_threads = True
            self._spawn(self._server.serve_forever, "health-http")
            log.info("metrics on http://%s:%d/metrics", *self.address)

    @property
    def address(self) -> tuple[str, int]:
        if self._server is None:
            raise RuntimeError("no metrics server (health.metrics_port is not set)")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def _spawn(self, target: object, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _log_loop(self) -> None:
        while not self._stop.wait(self.config.log_interval_s):
            log.log(logging.WARNING if self.problems() else logging.INFO, "edge: %s", self.line())

    def close(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(f"ivica_edge_{name}", doc, value=value)


def _handler(health: Health) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                body, status = generate_latest(health.registry), 200
                kind = "text/plain; version=0.0.4; charset=utf-8"
            elif self.path == "/healthz":
                problems = health.problems()
                body = json.dumps({"healthy": not problems, "problems": problems}).encode()
                status, kind = (503 if problems else 200), "application/json"
            else:
                body, status, kind = b"not found: try /metrics or /healthz\n", 404, "text/plain"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return  # scrapes are not worth a log line each

    return Handler
