"""S3ClipStore against a real S3 API server (s3proxy, the session fixture ``s3_server``):
upload, multipart, buffering through an outage, and a buffer picked up by the next store."""

from __future__ import annotations

import json
import math
import os
import secrets
import socket
import time
from datetime import datetime, timedelta
from pathlib import Path

import boto3
import numpy as np
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from contracts.timefmt import UTC
from edge_producer.capture import S3ClipStore, build_capture, metadata_path
from edge_producer.capture.base import write_json_atomic
from edge_producer.config import EdgeConfig, S3StoreConfig
from edge_producer.frames import Frame

KEY_ENV = "IVICA_TEST_S3_ACCESS_KEY"
SECRET_ENV = "IVICA_TEST_S3_SECRET_KEY"
MIB = 1024 * 1024
WAIT_S = 120  # generous: a deadline against hangs, never a measurement


def _meta(name: str) -> dict:
    return {"clip": name, "site_id": "site-1", "camera_id": "cam-1", "frames": 3}


def _finished_clip(store: S3ClipStore, name: str, size: int) -> tuple[Path, bytes]:
    """A finished clip in the store's work folder, as a recorder leaves it; and its bytes."""
    data = os.urandom(size)
    clip = store.work_dir / name
    clip.write_bytes(data)
    return clip, data


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def s3_env(s3_server, monkeypatch):
    """The server's keys in the environment, where the config's env:NAME points."""
    monkeypatch.setenv(KEY_ENV, s3_server.access_key)
    monkeypatch.setenv(SECRET_ENV, s3_server.secret_key)
    return s3_server


@pytest.fixture
def make_config(s3_env, tmp_path):
    """An S3StoreConfig on the test server with a bucket of its own (not yet created)."""
    bucket = f"clips-{secrets.token_hex(6)}"

    def make(**overrides: object) -> S3StoreConfig:
        values = {
            "bucket": bucket,
            "prefix": "test/",
            "endpoint_url": s3_env.endpoint_url,
            "access_key_id": f"env:{KEY_ENV}",
            "secret_access_key": f"env:{SECRET_ENV}",
            "buffer_dir": tmp_path / "buffer",
            "max_backoff_s": 1.0,
            **overrides,
        }
        return S3StoreConfig.model_validate(values)

    return make


@pytest.fixture
def s3(s3_server):
    """A plain boto3 client of the server, to check what arrived."""
    return boto3.client(
        "s3",
        endpoint_url=s3_server.endpoint_url,
        aws_access_key_id=s3_server.access_key,
        aws_secret_access_key=s3_server.secret_key,
        region_name="us-east-1",
        config=Config(
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


def _object(s3, bucket: str, key: str) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def test_upload_creates_the_bucket_and_stores_clip_and_metadata(make_config, s3) -> None:
    config = make_config()
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket=config.bucket)
    with S3ClipStore(config) as store:
        clip, data = _finished_clip(store, "cam-1_20261125T080000.000Z.mp4", 200_000)
        store.put(clip, _meta(clip.name))
        assert not clip.exists(), "put takes ownership of the clip"
        assert store.flush(WAIT_S)
        assert store.clips() == []
        assert store.stats.uploaded == 1 and store.stats.upload_errors == 0
    key = "test/site-1/cam-1/cam-1_20261125T080000.000Z"
    assert _object(s3, config.bucket, f"{key}.mp4") == data
    assert json.loads(_object(s3, config.bucket, f"{key}.json")) == _meta(clip.name)
    assert list(config.buffer_dir.glob("*")) == [config.buffer_dir / ".recording"]


def test_large_clip_goes_up_in_parts(make_config, s3) -> None:
    config = make_config(multipart_mb=5)
    size = 12 * MIB
    with S3ClipStore(config) as store:
        clip, data = _finished_clip(store, "cam-1_big.mp4", size)
        store.put(clip, _meta(clip.name))
        assert store.flush(WAIT_S)
    key = "test/site-1/cam-1/cam-1_big.mp4"
    head = s3.head_object(Bucket=config.bucket, Key=key)
    parts = math.ceil(size / (5 * MIB))
    print(f"ETag of a {size} byte clip: {head['ETag']}")
    assert head["ETag"].strip('"').endswith(f"-{parts}"), "not a multipart upload"
    assert _object(s3, config.bucket, key) == data


def test_clips_wait_in_the_buffer_while_s3_is_down(make_config, s3, s3_server) -> None:
    config = make_config()
    with S3ClipStore(config) as store:
        s3_server.service.stop()
        try:
            sent = {}
            for i in range(2):
                clip, data = _finished_clip(store, f"cam-1_down{i}.mp4", 50_000)
                store.put(clip, _meta(clip.name))
                sent[clip.name] = data
            _wait_for(lambda: store.stats.upload_errors >= 2, "failed upload attempts")
            assert sorted(c.name for c in store.clips()) == sorted(sent)
            assert all(metadata_path(c).exists() for c in store.clips())
            assert store.stats.uploaded == 0
        finally:
            s3_server.service.start()
        assert store.flush(WAIT_S), "the buffer did not drain after S3 came back"
        assert store.stats.uploaded == 2
    for name, data in sent.items():
        assert _object(s3, config.bucket, f"test/site-1/cam-1/{name}") == data


def test_a_new_store_uploads_the_buffer_a_previous_one_left(make_config, s3) -> None:
    unreachable = make_config(endpoint_url=f"http://127.0.0.1:{_closed_port()}")
    first = S3ClipStore(unreachable, close_timeout_s=0.1)
    clip, data = _finished_clip(first, "cam-1_left.mp4", 30_000)
    first.put(clip, _meta(clip.name))
    _wait_for(lambda: first.stats.upload_errors >= 1, "a failed upload attempt")
    first.close()
    assert [c.name for c in first.clips()] == ["cam-1_left.mp4"]

    config = make_config()  # the same buffer_dir and bucket, on the real server
    with S3ClipStore(config) as second:
        assert second.flush(WAIT_S)
        assert second.stats.uploaded == 1
    assert _object(s3, config.bucket, "test/site-1/cam-1/cam-1_left.mp4") == data
    assert json.loads(_object(s3, config.bucket, "test/site-1/cam-1/cam-1_left.json")) == _meta(
        "cam-1_left.mp4"
    )


def test_a_full_buffer_drops_the_oldest_waiting_clip(tmp_path, caplog, monkeypatch) -> None:
    """No server needed: nothing can be uploaded, so the buffer only fills."""
    monkeypatch.setenv(KEY_ENV, "nobody")
    monkeypatch.setenv(SECRET_ENV, "nothing")
    buffer = tmp_path / "buffer"
    buffer.mkdir()
    for i in range(3):  # what a previous run left, oldest first
        clip = buffer / f"cam-1_{i}.mp4"
        clip.write_bytes(os.urandom(1000))
        write_json_atomic(metadata_path(clip), _meta(clip.name))
        past = time.time() - 1000 + i
        os.utime(clip, (past, past))
    each = 1000 + metadata_path(buffer / "cam-1_0.mp4").stat().st_size
    config = S3StoreConfig(
        bucket="never",
        endpoint_url=f"http://127.0.0.1:{_closed_port()}",
        access_key_id=f"env:{KEY_ENV}",
        secret_access_key=f"env:{SECRET_ENV}",
        buffer_dir=buffer,
        buffer_max_bytes=2 * each + each // 2,  # room for two clips
    )
    with S3ClipStore(config, close_timeout_s=0.1) as store:
        assert [c.name for c in store.clips()] == ["cam-1_1.mp4", "cam-1_2.mp4"]
        assert store.stats.dropped == 1
        assert not metadata_path(buffer / "cam-1_0.mp4").exists()
        clip = store.work_dir / "cam-1_3.mp4"
        clip.write_bytes(os.urandom(1000))
        store.put(clip, _meta(clip.name))
        names = [c.name for c in store.clips()]
        assert len(names) == 2 and names[-1] == "cam-1_3.mp4", "the newest clip is kept"
        assert store.stats.dropped == 2
        assert store.bytes <= config.buffer_max_bytes
    assert "is full" in caplog.text


def test_recorder_built_from_config_uploads_its_clip(make_config, s3, tmp_path) -> None:
    s3_config = make_config()
    config = EdgeConfig.model_validate(
        {
            "source": {"uri": "unused.mp4"},
            "capture": {"enabled": True, "store": "s3", "s3": s3_config.model_dump()},
        }
    )
    recorder = build_capture(config)
    assert recorder is not None
    start = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    rng = np.random.default_rng(1)
    with recorder:  # closing it finishes the clip and drains the store
        for i in range(3):
            image = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
            recorder.write(Frame(image, i, start + timedelta(milliseconds=100 * i)))
    assert recorder.store.stats.uploaded == 1
    key = "test/site-1/cam-1/cam-1_20261125T080000.000Z"
    meta = json.loads(_object(s3, s3_config.bucket, f"{key}.json"))
    assert (meta["frames"], meta["start"], meta["end"]) == (
        3,
        "2026-11-25T08:00:00.000Z",
        "2026-11-25T08:00:00.200Z",
    )
    assert meta["faces_blurred"] is True
    assert s3.head_object(Bucket=s3_config.bucket, Key=f"{key}.mp4")["ContentLength"] > 0
