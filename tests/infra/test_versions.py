"""infra/versions.env is the single source of versions; everything else must agree with it."""

from __future__ import annotations

import re
import tomllib
import xml.etree.ElementTree as ET

from infra.config import LIB_DIR, REPO_ROOT
from infra.versions import load_versions, maven_properties

POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}


def test_pyflink_pin_matches_versions_env():
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    pins = [d for d in pyproject["project"]["optional-dependencies"]["jobs"] if "apache-flink" in d]
    assert pins == [f"apache-flink=={load_versions()['FLINK_VERSION']}"]


def test_mlflow_client_and_server_match_versions_env():
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    version = load_versions()["MLFLOW_VERSION"]
    assert pyproject["project"]["optional-dependencies"]["mlops"] == [f"mlflow-skinny=={version}"]
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert (
        "MLFLOW_VERSION := $(shell sed -n 's/^MLFLOW_VERSION=//p' infra/versions.env)" in makefile
    )
    assert "'mlflow==$(MLFLOW_VERSION)'" in makefile


def test_connector_is_built_for_this_flink_minor():
    v = load_versions()
    flink_minor = ".".join(v["FLINK_VERSION"].split(".")[:2])
    assert v["FLINK_KAFKA_CONNECTOR_VERSION"].endswith(f"-{flink_minor}")


def test_pom_has_no_literal_component_versions():
    """Every dependency version in the pom is a property that maven_properties() supplies."""
    root = ET.parse(REPO_ROOT / "infra" / "pom.xml").getroot()
    versions = [e.text for e in root.iterfind(".//m:dependency/m:version", POM_NS)]
    versions += [e.text for e in root.iterfind(".//m:artifactItem/m:version", POM_NS)]
    assert versions
    for text in versions:
        m = re.fullmatch(r"\$\{([\w.]+)\}", text or "")
        assert m, f"literal version {text!r} in pom.xml: put it in infra/versions.env"
        assert m.group(1) in maven_properties()


def test_fetched_jars_match_versions():
    v = load_versions()
    if not (LIB_DIR / ".versions").exists():
        import pytest

        pytest.skip("JARs not fetched (run `ivica stack fetch`)")
    assert (LIB_DIR / "kafka" / f"kafka_2.13-{v['KAFKA_VERSION']}.jar").is_file()
    assert (LIB_DIR / "kafka" / f"connect-runtime-{v['KAFKA_VERSION']}.jar").is_file()
    jar = f"flink-sql-connector-kafka-{v['FLINK_KAFKA_CONNECTOR_VERSION']}.jar"
    assert (LIB_DIR / "flink" / jar).is_file()
    plugin = list(
        (LIB_DIR / "connect-plugins").glob(f"*/debezium-connector-jdbc-{v['DEBEZIUM_VERSION']}.jar")
    )
    assert plugin, "Debezium JDBC sink plugin not unpacked"
    s3proxy = f"s3proxy-{v['S3PROXY_VERSION']}-jar-with-dependencies.jar"
    assert (LIB_DIR / "s3proxy" / s3proxy).is_file()
