"""Component versions, read from infra/versions.env (the single source)."""

from __future__ import annotations

from pathlib import Path

VERSIONS_FILE = Path(__file__).with_name("versions.env")


def load_versions(path: Path = VERSIONS_FILE) -> dict[str, str]:
    """Parse KEY=VALUE lines; `#` starts a comment line."""
    versions: dict[str, str] = {}
    for lineno, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"{path}:{lineno}: expected KEY=VALUE, got {raw!r}")
        versions[key.strip()] = value.strip()
    return versions


def maven_properties(versions: dict[str, str] | None = None) -> dict[str, str]:
    """The -D properties infra/pom.xml expects."""
    v = versions or load_versions()
    return {
        "kafka.version": v["KAFKA_VERSION"],
        "log4j.version": v["LOG4J_VERSION"],
        "slf4j.version": v["SLF4J_VERSION"],
        "flink.kafka.connector.version": v["FLINK_KAFKA_CONNECTOR_VERSION"],
        "debezium.version": v["DEBEZIUM_VERSION"],
        "flink.version": v["FLINK_VERSION"],
        "jackson.version": v["JACKSON_VERSION"],
        "s3proxy.version": v["S3PROXY_VERSION"],
    }
