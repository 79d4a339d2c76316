"""The optional services of the local stack (`ivica stack up --with rabbitmq,s3`): data that
survives an outage, a `down` that leaves no process, and clear errors for unknown names."""

from __future__ import annotations

import uuid
from contextlib import closing

import boto3
import pika
import pytest
from botocore.exceptions import ClientError

from infra import stack
from infra.config import StackConfig
from infra.proc import StackError, port_in_use
from ivica.cli import main
from tests.conftest import RabbitMQServer, S3Server
from tests.processes import processes_of


def _amqp(server: RabbitMQServer) -> pika.BlockingConnection:
    return pika.BlockingConnection(pika.ConnectionParameters(server.host, server.port))


@pytest.mark.integration
def test_rabbitmq_keeps_a_persistent_message_through_down_and_start(rabbitmq_server):
    queue = f"ivica-test-{uuid.uuid4().hex[:8]}"
    with closing(_amqp(rabbitmq_server)) as conn:
        ch = conn.channel()
        ch.confirm_delivery()  # basic_publish now returns once the broker has the message
        ch.queue_declare(queue, durable=True)
        ch.basic_publish(
            "",
            queue,
            b"kept",
            pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent),
            mandatory=True,
        )

    svc = rabbitmq_server.service
    try:
        stack.down(svc.cfg, echo=lambda _: None)  # the real `ivica stack down`
        assert not svc.running()
        assert not processes_of(svc.dir), "down left RabbitMQ processes (beam, epmd, ...)"
        assert not [p for p in svc.ports if port_in_use(svc.cfg.host, p)]
    finally:
        svc.start()

    with closing(_amqp(rabbitmq_server)) as conn:
        ch = conn.channel()
        _, _, body = ch.basic_get(queue, auto_ack=True)
        ch.queue_delete(queue)
    assert body == b"kept"


@pytest.mark.integration
def test_s3_keeps_an_object_through_stop_and_start(s3_server: S3Server):
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_server.endpoint_url,
        aws_access_key_id=s3_server.access_key,
        aws_secret_access_key=s3_server.secret_key,
        region_name="us-east-1",
    )
    bucket = f"ivica-test-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="clips/a.bin", Body=b"\x00clip\xff")

    svc = s3_server.service
    try:
        svc.stop()
        assert not processes_of(svc.dir), "stop left the s3proxy JVM"
    finally:
        svc.start()

    assert s3.get_object(Bucket=bucket, Key="clips/a.bin")["Body"].read() == b"\x00clip\xff"
    s3.delete_object(Bucket=bucket, Key="clips/a.bin")
    s3.delete_bucket(Bucket=bucket)

    stranger = boto3.client(
        "s3",
        endpoint_url=s3_server.endpoint_url,
        aws_access_key_id=s3_server.access_key,
        aws_secret_access_key="not-the-secret",
        region_name="us-east-1",
    )
    with pytest.raises(ClientError, match="SignatureDoesNotMatch"):
        stranger.list_buckets()


def test_with_names_are_checked_before_anything_starts(capsys):
    assert stack.optional_names(["s3,rabbitmq"]) == ["rabbitmq", "s3"]
    assert stack.optional_names(["rabbitmq", "s3", "rabbitmq"]) == ["rabbitmq", "s3"]
    assert stack.optional_names([]) == []
    with pytest.raises(StackError, match=r"unknown optional service\(s\) nosuch; choose from"):
        stack.optional_names(["rabbitmq,nosuch"])

    assert main(["stack", "up", "--with", "nosuch"]) == 1
    err = capsys.readouterr().err
    assert "error: unknown optional service(s) nosuch; choose from rabbitmq, s3" in err
    assert main(["stack", "down", "--with", "s3"]) == 1
    assert "--with goes with `up`" in capsys.readouterr().err


def test_status_lists_the_optional_services_without_failing_on_them(tmp_path):
    cfg = StackConfig.model_validate({"state_dir": str(tmp_path)})
    rows = {r.name: r for r in stack.status(cfg)}
    assert [n for n, r in rows.items() if r.optional] == ["rabbitmq", "s3", "mlflow"]
    assert rows["rabbitmq"].address == "amqp://127.0.0.1:5672/%2F"
    assert rows["s3"].address == "http://127.0.0.1:9000"
    assert rows["mlflow"].address == "http://127.0.0.1:5000"
    assert rows["s3"].ok and not rows["kafka"].ok  # not asked for vs. down
