"""Senders from the edge config: each broker sender behind its own durable spool."""

from __future__ import annotations

from edge_producer.config import (
    EdgeConfig,
    JsonlSenderConfig,
    KafkaSenderConfig,
    RabbitMQSenderConfig,
    SenderConfig,
    SpoolConfig,
    resolve_secret,
)
from edge_producer.senders.base import MessageSender
from edge_producer.senders.jsonl import JsonlSender
from edge_producer.senders.kafka import KafkaBroker
from edge_producer.senders.rabbitmq import RabbitMQBroker
from edge_producer.senders.spooled import Broker, SpooledSender
from edge_producer.spool import Spool


def kafka_client_settings(c: KafkaSenderConfig) -> dict[str, object]:
    """kafka-python settings for the security options that are set (secrets resolved)."""
    settings = {
        "security_protocol": c.security_protocol,
        "sasl_mechanism": c.sasl_mechanism,
        "sasl_plain_username": c.sasl_username,
        "sasl_plain_password": resolve_secret(c.sasl_password),
        "ssl_cafile": c.ssl_cafile and str(c.ssl_cafile),
        "ssl_certfile": c.ssl_certfile and str(c.ssl_certfile),
        "ssl_keyfile": c.ssl_keyfile and str(c.ssl_keyfile),
        "ssl_password": resolve_secret(c.ssl_password),
    }
    return {k: v for k, v in settings.items() if v is not None}


def spooled(
    sender: KafkaSenderConfig | RabbitMQSenderConfig, broker: Broker, spool: SpoolConfig
) -> SpooledSender:
    return SpooledSender(
        Spool(
            spool.dir / sender.name,
            max_bytes=spool.max_bytes,
            max_age_s=spool.max_age_s,
            when_full=spool.when_full,
            fsync=spool.fsync,
        ),
        broker,
        name=sender.name,
        topics=sender.topics,
        batch=spool.batch,
        max_backoff_s=spool.max_backoff_s,
    )


def build_sender(sender: SenderConfig, spool: SpoolConfig) -> MessageSender:
    if isinstance(sender, JsonlSenderConfig):
        return JsonlSender(sender.path)
    if isinstance(sender, KafkaSenderConfig):
        broker: Broker = KafkaBroker(
            sender.bootstrap,
            timeout_s=sender.timeout_s,
            delivery_timeout_s=sender.delivery_timeout_s,
            max_in_flight=spool.batch,
            **kafka_client_settings(sender),
        )
    else:
        broker = RabbitMQBroker(sender)
    return spooled(sender, broker, spool)


def build_senders(config: EdgeConfig) -> list[MessageSender]:
    """Every configured sender; `output_file` adds a JSONL sender."""
    configs = list(config.senders)
    if config.output_file:
        configs.append(JsonlSenderConfig(kind="jsonl", path=config.output_file))
    return [build_sender(s, config.spool) for s in configs]
