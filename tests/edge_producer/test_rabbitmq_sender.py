"""The spooled RabbitMQ sender against a real broker (Debian's rabbitmq-server, started by the
session fixture): durable queues per event type, persistent messages, routing keys per event
type and camera, each camera's order."""

from __future__ import annotations

import json
import uuid

import pika
import pytest

from contracts import topics
from contracts.events import GenderClassification, PersonDetections
from edge_producer.config import RabbitMQSenderConfig
from edge_producer.senders.rabbitmq import RabbitMQBroker
from edge_producer.senders.spooled import SpooledSender
from edge_producer.spool import Spool

pytestmark = pytest.mark.integration


def test_events_land_in_durable_queues_with_their_routing_keys(rabbitmq_server, tmp_path):
    suffix = uuid.uuid4().hex[:8]
    names = {t: f"test.{t}.{suffix}" for t in topics.RAW_TOPICS}
    config = RabbitMQSenderConfig(
        kind="rabbitmq", host=rabbitmq_server.host, port=rabbitmq_server.port, topics=names,
        exchange=f"test.events.{suffix}",
    )  # fmt: skip
    sender = SpooledSender(Spool(tmp_path / "spool"), RabbitMQBroker(config), topics=names)
    sent = []
    for n in range(30):
        camera = f"cam-{n % 3}"
        at = f"2026-12-02T10:00:{n:02d}.000Z"
        sent.append(
            PersonDetections(
                site_id="s", camera_id=camera, frame_id=n, captured_at=at, people_count=0,
                detections=[], event_id=str(uuid.uuid4()),
            )
        )  # fmt: skip
        if n % 5 == 0:
            sent.append(
                GenderClassification(
                    site_id="s", camera_id=camera, captured_at=at, track_id=n, gender="female",
                    confidence=0.9, event_id=str(uuid.uuid4()),
                )
            )  # fmt: skip
    for event in sent:
        sender.send(event)
    assert sender.flush(timeout_s=60)
    sender.close()

    params = pika.ConnectionParameters(rabbitmq_server.host, rabbitmq_server.port)
    with pika.BlockingConnection(params) as connection:
        channel = connection.channel()
        for topic, queue in names.items():
            declared = channel.queue_declare(queue, passive=True)  # exists, durable
            expected = [e for e in sent if topic == e.TOPIC]
            assert declared.method.message_count == len(expected)
            got = []
            while (message := channel.basic_get(queue, auto_ack=True))[0] is not None:
                method, properties, body = message
                event = json.loads(body)
                assert method.routing_key == f"{queue}.{event['camera_id']}"
                assert properties.delivery_mode == 2  # persistent
                assert properties.content_type == "application/json"
                got.append(event["event_id"])
            assert got == [e.event_id for e in expected]  # in order, every camera's too
