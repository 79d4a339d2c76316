"""Video sources on real clips, real image folders and a real MJPEG-over-HTTP server."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np
import pytest

from contracts.timefmt import UTC
from edge_producer.config import SourceConfig
from edge_producer.frames import Frame
from edge_producer.sources import (
    FileSource,
    FolderSource,
    SourceError,
    StreamSource,
    infer_kind,
    open_source,
)
from edge_producer.sources.camera import csi_pipeline
from edge_producer.sources.stream import redact
from tests.edge_producer.conftest import FACES_WALKING, STORE_AISLE

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
MS = timedelta(milliseconds=1)


def probe(path: Path) -> tuple[float, int]:
    """Frame rate and number of frames, read directly with OpenCV (every frame grabbed)."""
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS)
    count = 0
    while cap.grab():
        count += 1
    cap.release()
    return fps, count


def nth_frame(path: Path, index: int) -> np.ndarray:
    cap = cv2.VideoCapture(str(path))
    for _ in range(index + 1):
        ok, image = cap.read()
        assert ok
    cap.release()
    return image


def read_all(config: SourceConfig) -> list[Frame]:
    with open_source(config) as source:
        return list(source)


# --- video files ---


def test_file_ids_times_and_pixels(media: Path) -> None:
    fps, count = probe(FACES_WALKING)
    frames = read_all(SourceConfig(uri=str(FACES_WALKING), start_time=START))
    assert [f.frame_id for f in frames] == list(range(count))
    for i, frame in enumerate(frames):
        assert abs(frame.captured_at - (START + timedelta(seconds=i / fps))) < MS
        assert frame.captured_at.utcoffset() == timedelta(0)
    assert frames[0].image.shape == (270, 480, 3) and frames[0].image.dtype == np.uint8
    assert np.array_equal(frames[-1].image, nth_frame(FACES_WALKING, count - 1))


def test_file_target_fps_skips_but_keeps_file_indices(media: Path) -> None:
    fps, count = probe(STORE_AISLE)
    step = round(fps / 5)  # 15 fps at 5 fps: every third frame
    frames = read_all(SourceConfig(uri=str(STORE_AISLE), start_time=START, target_fps=5))
    assert [f.frame_id for f in frames] == list(range(0, count, step))
    gaps = [(b.captured_at - a.captured_at).total_seconds() for a, b in pairwise(frames)]
    assert min(gaps) >= 0.2 - 0.001
    assert np.array_equal(frames[2].image, nth_frame(STORE_AISLE, 2 * step))


def test_file_resize_and_max_frames(media: Path) -> None:
    frames = read_all(SourceConfig(uri=str(STORE_AISLE), resize=(160, 90), max_frames=3))
    assert [f.frame_id for f in frames] == [0, 1, 2]
    assert {f.image.shape for f in frames} == {(90, 160, 3)}


def test_file_loop_keeps_ids_unique_and_time_advancing(media: Path) -> None:
    fps, count = probe(FACES_WALKING)
    config = SourceConfig(uri=str(FACES_WALKING), start_time=START, loop=True, max_frames=count + 4)
    frames = read_all(config)
    assert [f.frame_id for f in frames] == list(range(count + 4))
    # Pass 2 starts one file duration (count / fps) after pass 1.
    assert abs(frames[count].captured_at - (START + timedelta(seconds=count / fps))) < MS
    assert all(a.captured_at < b.captured_at for a, b in pairwise(frames))
    assert np.array_equal(frames[count + 1].image, frames[1].image)
    # The first frame of pass 2, and only it, marks the restart.
    assert [f.frame_id for f in frames if f.restart] == [count]


def test_file_default_start_is_open_time_and_close_ends(media: Path) -> None:
    before = datetime.now(UTC)
    source = open_source(SourceConfig(uri=str(STORE_AISLE)))
    after = datetime.now(UTC)
    first = next(iter(source))
    assert before <= first.captured_at <= after
    source.close()
    assert list(source) == []


def test_undecodable_files_raise_with_path(tmp_path: Path, media: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n")
    with pytest.raises(SourceError, match=f"cannot decode video file: {re.escape(str(text))}"):
        open_source(SourceConfig(uri=str(text)))
    truncated = tmp_path / "truncated.mp4"  # header only: opens, no frame decodes
    truncated.write_bytes(STORE_AISLE.read_bytes()[:20_000])
    with (
        pytest.raises(SourceError, match=re.escape(str(truncated))),
        open_source(SourceConfig(uri=str(truncated))) as source,
    ):
        list(source)


# --- image folders ---


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """img_0..img_4 with grey levels 0, 40, .., 160; img_2 is corrupt; a text file is ignored."""
    for i in range(5):
        cv2.imwrite(str(tmp_path / f"img_{i}.png"), np.full((24, 32, 3), 40 * i, np.uint8))
    (tmp_path / "img_2.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    (tmp_path / "README.txt").write_text("not an image\n")
    return tmp_path


def test_folder_sorted_timed_and_skips_unreadable(
    image_folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = SourceConfig(uri=str(image_folder), start_time=START, folder_fps=2.0)
    with caplog.at_level(logging.WARNING):
        frames = read_all(config)
    assert [f.frame_id for f in frames] == [0, 1, 3, 4]
    assert [f.captured_at for f in frames] == [
        START + timedelta(seconds=i / 2) for i in (0, 1, 3, 4)
    ]
    assert [int(f.image[0, 0, 0]) for f in frames] == [0, 40, 120, 160]
    assert "img_2.png" in caplog.text


def test_folder_loop_target_fps_and_resize(image_folder: Path) -> None:
    config = SourceConfig(
        uri=str(image_folder),
        start_time=START,
        folder_fps=2.0,
        target_fps=1.0,
        loop=True,
        max_frames=4,
        resize=(16, 12),
    )
    frames = read_all(config)
    # Images every 0.5 s, at most one per second; img_2 (ids 2, 7) is unreadable, so 3 and 8
    # are the next due. Pass 2 carries ids 5..9 at 2.5 s..4.5 s.
    assert [f.frame_id for f in frames] == [0, 3, 5, 8]
    assert [int(f.image[0, 0, 0]) for f in frames] == [0, 120, 0, 120]
    assert frames[2].captured_at == START + timedelta(seconds=2.5)
    assert frames[0].image.shape == (12, 16, 3)
    assert [f.restart for f in frames] == [False, False, True, False]


def test_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no images in folder"):
        open_source(SourceConfig(uri=str(tmp_path)))
    (tmp_path / "a.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(SourceError, match="could be read"):
        read_all(SourceConfig(uri=str(tmp_path), loop=True))


# --- kinds and errors ---


@pytest.mark.parametrize(
    ("uri", "kind"),
    [
        ("0", "webcam"),
        ("/dev/video3", "webcam"),
        ("csi://0", "csi"),
        ("rtsp://cam.local:554/stream1", "stream"),
        ("rtsps://cam.local/stream1", "stream"),
        ("http://127.0.0.1:8080/video.mjpg", "stream"),
        ("HTTPS://cam.local/live", "stream"),
    ],
)
def test_infer_kind_from_uri(uri: str, kind: str) -> None:
    assert infer_kind(uri) == kind


def test_infer_kind_of_paths_and_open_source_types(image_folder: Path, media: Path) -> None:
    assert infer_kind(str(image_folder)) == "folder"
    assert infer_kind(str(STORE_AISLE)) == "file"
    with open_source(SourceConfig(uri=str(image_folder))) as folder:
        assert isinstance(folder, FolderSource)
    with open_source(SourceConfig(uri=str(STORE_AISLE))) as file:
        assert isinstance(file, FileSource)
        assert file.nominal_fps == pytest.approx(probe(STORE_AISLE)[0])


def test_clear_errors(tmp_path: Path) -> None:
    missing = tmp_path / "nope.mp4"
    with pytest.raises(SourceError, match=f"video file not found: {re.escape(str(missing))}"):
        open_source(SourceConfig(uri=str(missing)))
    with pytest.raises(SourceError, match="unsupported URL scheme 'ftp'"):
        open_source(SourceConfig(uri="ftp://example.org/a.mp4"))
    with pytest.raises(SourceError, match="unsupported stream URL scheme 'ftp'"):
        open_source(SourceConfig(uri="ftp://example.org/a.mp4", kind="stream"))
    with pytest.raises(SourceError, match="webcam '99' cannot be opened"):
        open_source(SourceConfig(uri="99"))


def test_csi_pipeline_and_missing_gstreamer() -> None:
    config = SourceConfig(uri="csi://1", csi_size=(1920, 1080), csi_fps=60, csi_flip_method=2)
    assert csi_pipeline(config) == (
        "nvarguscamerasrc sensor-id=1 ! video/x-raw(memory:NVMM), width=1920, height=1080, "
        "framerate=60/1, format=NV12 ! nvvidconv flip-method=2 ! video/x-raw, format=BGRx ! "
        "videoconvert ! video/x-raw, format=BGR ! appsink drop=1"
    )
    if not re.search(r"GStreamer:\s+NO", cv2.getBuildInformation()):
        pytest.skip("this OpenCV has GStreamer: the missing-GStreamer error cannot show")
    with pytest.raises(SourceError) as error:
        open_source(config)
    message = str(error.value)
    assert "built with GStreamer" in message
    assert "python3-opencv" in message and "pip" in message


# --- MJPEG over HTTP ---


class MjpegServer:
    """A real MJPEG stream (multipart/x-mixed-replace) of one grey level on 127.0.0.1."""

    def __init__(self, level: int, port: int = 0, fps: float = 25.0) -> None:
        ok, jpeg = cv2.imencode(".jpg", np.full((48, 64, 3), level, np.uint8))
        assert ok
        part = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n%s\r\n" % (
            len(jpeg),
            jpeg.tobytes(),
        )
        stopped = self._stopped = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                while not stopped.wait(1 / fps):
                    try:
                        self.wfile.write(part)
                        self.wfile.flush()
                    except OSError:
                        return

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/stream.mjpg"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        """Close every open stream and the listening socket."""
        self._stopped.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def mjpeg() -> Iterator[MjpegServer]:
    server = MjpegServer(level=60)
    yield server
    server.stop()


def stream_config(url: str, **options: object) -> SourceConfig:
    return SourceConfig.model_validate(
        {"uri": url, "reconnect_initial_s": 0.1, "reconnect_max_s": 0.4, **options}
    )


@pytest.mark.timeout(20)
def test_stream_reconnects_and_goes_on(
    mjpeg: MjpegServer, caplog: pytest.LogCaptureFixture
) -> None:
    restarted: list[MjpegServer] = []
    frames: list[Frame] = []
    opened = datetime.now(UTC)
    with (
        caplog.at_level(logging.INFO, logger="edge_producer.sources"),
        open_source(stream_config(mjpeg.url, reconnect_attempts=10)) as source,
    ):
        assert isinstance(source, StreamSource)
        for frame in source:
            frames.append(frame)
            if len(frames) == 5:  # stop mid-stream, serve again on the same port 0.5 s later
                mjpeg.stop()
                threading.Timer(
                    0.5, lambda: restarted.append(MjpegServer(level=200, port=mjpeg.port))
                ).start()
            if sum(f.image.mean() > 130 for f in frames) == 5:
                break
    for server in restarted:
        server.stop()
    assert [f.frame_id for f in frames] == list(range(len(frames)))
    levels = [f.image.mean() > 130 for f in frames]
    assert levels[:5] == [False] * 5 and levels[-5:] == [True] * 5
    switch = levels.index(True)
    assert frames[switch].captured_at - frames[switch - 1].captured_at > timedelta(seconds=0.3)
    times = [f.captured_at for f in frames]
    assert times == sorted(times)
    assert opened <= times[0] and times[-1] <= datetime.now(UTC)
    assert "reconnect 1 in 0.10 s" in caplog.text and "reconnected" in caplog.text


@pytest.mark.timeout(20)
def test_stream_gives_up_after_reconnect_attempts(mjpeg: MjpegServer) -> None:
    with open_source(stream_config(mjpeg.url, reconnect_attempts=2)) as source:
        frames = iter(source)
        next(frames)
        mjpeg.stop()
        started = time.monotonic()
        with pytest.raises(SourceError, match="gave up after 2 failed reconnects"):
            list(frames)
    assert time.monotonic() - started < 3.0  # waits 0.1 s + 0.2 s, then connection refused


@pytest.mark.timeout(20)
def test_stream_target_fps_on_capture_clock(mjpeg: MjpegServer) -> None:
    frames = read_all(stream_config(mjpeg.url, target_fps=5, max_frames=3))
    gaps = [(b.captured_at - a.captured_at).total_seconds() for a, b in pairwise(frames)]
    assert len(frames) == 3 and min(gaps) >= 0.2 - 0.001
    assert all(b.frame_id - a.frame_id >= 2 for a, b in pairwise(frames))  # 25 fps in


@pytest.mark.timeout(20)
def test_close_interrupts_reconnect_wait(mjpeg: MjpegServer) -> None:
    source = open_source(stream_config(mjpeg.url, reconnect_initial_s=30.0))
    frames = iter(source)
    next(frames)
    mjpeg.stop()
    reader = threading.Thread(target=lambda: list(frames))
    reader.start()
    time.sleep(0.3)
    started = time.monotonic()
    source.close()
    reader.join(timeout=5)
    assert not reader.is_alive() and time.monotonic() - started < 2.0


def test_stream_errors_hide_passwords() -> None:
    assert redact("rtsp://admin:s3cret@cam.local/1") == "rtsp://admin:***@cam.local/1"
    with socket.socket() as probe_socket:  # a port nobody listens on
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    with pytest.raises(SourceError, match="cannot open stream") as error:
        open_source(SourceConfig(uri=f"http://admin:s3cret@127.0.0.1:{port}/x.mjpg"))
    assert "s3cret" not in str(error.value)
