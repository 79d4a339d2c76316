"""Senders: where events go. Part 1 has memory and JSONL; Kafka and RabbitMQ come in part 2."""

from edge_producer.senders.base import MessageSender
from edge_producer.senders.jsonl import JsonlSender
from edge_producer.senders.memory import MemorySender

__all__ = ["JsonlSender", "MemorySender", "MessageSender"]
