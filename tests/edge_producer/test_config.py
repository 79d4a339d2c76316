"""The delivery, health, capture and privacy sections of the edge config."""

from __future__ import annotations

import pydantic
import pytest

from edge_producer.config import EdgeConfig, KafkaSenderConfig
from edge_producer.senders.build import kafka_client_settings

SOURCE = {"source": {"uri": "x.mp4"}}


def kafka(**extra: object) -> dict:
    return {"kind": "kafka", "bootstrap": "k:9093", **extra}


def test_defaults_send_nothing_and_capture_nothing() -> None:
    config = EdgeConfig.model_validate(SOURCE)
    assert config.senders == [] and config.capture.enabled is False
    assert config.privacy.blur_faces is True and config.health.metrics_host == "127.0.0.1"


def test_a_secret_in_the_file_is_refused() -> None:
    sasl = {"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512"}
    with pytest.raises(pydantic.ValidationError, match="env:NAME"):
        EdgeConfig.model_validate(
            {**SOURCE, "senders": [kafka(**sasl, sasl_username="u", sasl_password="hunter2")]}
        )
    with pytest.raises(pydantic.ValidationError, match="needs sasl_mechanism"):
        KafkaSenderConfig.model_validate(kafka(security_protocol="SASL_SSL"))


def test_secrets_come_from_the_environment(monkeypatch) -> None:
    sender = KafkaSenderConfig.model_validate(
        kafka(
            security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-256", sasl_username="edge",
            sasl_password="env:TEST_IVICA_KAFKA_PW", ssl_cafile="/etc/ca.pem",
        )
    )  # fmt: skip
    monkeypatch.delenv("TEST_IVICA_KAFKA_PW", raising=False)
    with pytest.raises(ValueError, match="TEST_IVICA_KAFKA_PW is not set"):
        kafka_client_settings(sender)
    monkeypatch.setenv("TEST_IVICA_KAFKA_PW", "s3cret")
    assert kafka_client_settings(sender) == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-256",
        "sasl_plain_username": "edge",
        "sasl_plain_password": "s3cret",
        "ssl_cafile": "/etc/ca.pem",
    }


def test_senders_need_distinct_spools_and_s3_needs_its_section() -> None:
    with pytest.raises(pydantic.ValidationError, match="share a name"):
        EdgeConfig.model_validate({**SOURCE, "senders": [kafka(), kafka(bootstrap="other:9092")]})
    two = EdgeConfig.model_validate(
        {**SOURCE, "senders": [kafka(), kafka(name="backup"), {"kind": "rabbitmq"}]}
    )
    assert [s.name for s in two.senders] == ["kafka", "backup", "rabbitmq"]
    with pytest.raises(pydantic.ValidationError, match=r"capture\.s3"):
        EdgeConfig.model_validate({**SOURCE, "capture": {"enabled": True, "store": "s3"}})
    with pytest.raises(pydantic.ValidationError):
        EdgeConfig.model_validate({**SOURCE, "senders": [{"kind": "mqtt"}]})
