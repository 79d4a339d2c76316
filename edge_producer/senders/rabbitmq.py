"""RabbitMQ broker for the spooled sender: a durable topic exchange, durable queues, persistent
messages and publisher confirms; the routing key is ``<topic>.<camera_id>``."""

from __future__ import annotations

import contextlib
import logging
import ssl

import pika
from pika.adapters.blocking_connection import BlockingChannel

from contracts.topics import RAW_TOPICS
from edge_producer.config import RabbitMQSenderConfig, resolve_secret
from edge_producer.senders.spooled import Broker
from edge_producer.spool import Entry

log = logging.getLogger(__name__)

PERSISTENT = pika.BasicProperties(
    delivery_mode=pika.DeliveryMode.Persistent, content_type="application/json"
)


def routing_key(entry: Entry) -> str:
    """``ivica.person_detections.v1.cam-1``: bind ``<topic>.#`` for one event type, or
    ``*.*.*.cam-1``-style patterns for one camera."""
    return f"{entry.topic}.{entry.key}"


class RabbitMQBroker(Broker):
    """Connects on the first publish, in the drainer's thread (pika connections are not
    thread-safe), and again after any failure. Each message is confirmed by the broker
    before the next is sent, so a failure confirms an exact prefix and order holds."""

    def __init__(self, config: RabbitMQSenderConfig) -> None:
        self.config = config
        self._connection: pika.BlockingConnection | None = None
        self._channel: BlockingChannel | None = None

    def _parameters(self) -> pika.ConnectionParameters:
        c = self.config
        password = resolve_secret(c.password) if c.password else "guest"
        tls = None
        if c.tls:
            context = ssl.create_default_context(cafile=str(c.ssl_cafile) if c.ssl_cafile else None)
            tls = pika.SSLOptions(context, c.host)
        return pika.ConnectionParameters(
            host=c.host,
            port=c.port,
            virtual_host=c.virtual_host,
            credentials=pika.PlainCredentials(c.username, password),
            ssl_options=tls,
            socket_timeout=c.timeout_s,
            blocked_connection_timeout=c.timeout_s,
            connection_attempts=1,
        )

    def _connect(self) -> BlockingChannel:
        if self._channel is not None and self._channel.is_open:
            return self._channel
        self._disconnect()
        self._connection = pika.BlockingConnection(self._parameters())
        channel = self._connection.channel()
        channel.exchange_declare(self.config.exchange, exchange_type="topic", durable=True)
        if self.config.queues:
            for topic in (self.config.topics.get(t, t) for t in RAW_TOPICS):
                channel.queue_declare(topic, durable=True)
                channel.queue_bind(topic, self.config.exchange, routing_key=f"{topic}.#")
        channel.confirm_delivery()
        self._channel = channel
        return channel

    def publish(self, entries: list[Entry]) -> list[int]:
        reused = self._channel is not None and self._channel.is_open
        try:
            return self._publish(entries)
        except ConnectionError:
            if not reused:
                raise
            # an idle connection the broker has closed since (heartbeat): one fresh try
            return self._publish(entries)

    def _publish(self, entries: list[Entry]) -> list[int]:
        confirmed: list[int] = []
        try:
            channel = self._connect()
            for entry in entries:
                # mandatory: an event no queue would take comes back as an error, not lost
                channel.basic_publish(
                    self.config.exchange,
                    routing_key(entry),
                    entry.payload,
                    properties=PERSISTENT,
                    mandatory=True,
                )
                confirmed.append(entry.seq)
        except (pika.exceptions.AMQPError, OSError) as exc:
            self._disconnect()
            if not confirmed:
                raise ConnectionError(
                    f"RabbitMQ confirmed none of {len(entries)}: {exc!r}"
                ) from exc
            log.warning(
                "RabbitMQ failed after %d of %d events: %r", len(confirmed), len(entries), exc
            )
        return confirmed

    def _disconnect(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            with contextlib.suppress(pika.exceptions.AMQPError, OSError):
                connection.close()  # already broken: nothing to release

    def close(self) -> None:
        self._disconnect()
