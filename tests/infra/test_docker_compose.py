"""Structure of infra/docker-compose.yml, its Dockerfiles and the Connect worker properties.

There is no Docker engine in CI, so nothing here starts a container: the checks read the
files and hold them to the rules that keep infra/versions.env the single source of versions
and keep secrets out of the repository.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.topics import RAW_TOPICS
from infra.config import DEFAULT_CONFIG, StackConfig, load_config
from infra.versions import load_versions
from tests.infra.tree import walk

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
COMPOSE_FILE = INFRA / "docker-compose.yml"
VERSIONS_FILE = INFRA / "versions.env"
DOCKER_DIR = INFRA / "docker"
CONNECT_PROPERTIES = DOCKER_DIR / "connect-distributed.properties"

REQUIRED_SERVICES = {
    "kafka",
    "flink-jobmanager",
    "flink-taskmanager",
    "kafka-connect",
    "postgres",
    "superset",
    "minio",
    "mlflow",
    "rabbitmq",
    "kafka-topics",
}
ONE_SHOT = {"kafka-topics"}  # runs once and exits: restarted on failure only

# ${VAR}, ${VAR:?message}, ${VAR?message}, ${VAR:-default}, ${VAR-default}; `$${` is an escape.
VAR_REF = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])[^}]*)?\}")
WHOLE_VAR_REF = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-?+][^}]*)?\}$")
SECRET_KEY = re.compile(r"PASS|SECRET", re.IGNORECASE)
DOCKERFILE_ARG = re.compile(r"^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)
DOCKERFILE_DEFAULTED_ARG = re.compile(r"^\s*ARG\s+[A-Za-z_][A-Za-z0-9_]*\s*=", re.MULTILINE)


def parse_env_file(path: Path) -> dict[str, str]:
    return load_versions(path)


def parse_properties(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "!")):
            continue
        key, _, value = line.partition("=")
        out[key.strip()] = value.strip()
    return out


def environment(service: dict[str, Any]) -> dict[str, Any]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.partition("=") for item in env)
        return {key: value for key, _, value in pairs}
    return dict(env)


def depends_on(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: {} for name in deps}
    return {name: (spec or {}) for name, spec in deps.items()}


def image_tag(image: str) -> str | None:
    """The tag of an image reference, or None when it has none (a digest is not a tag)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def dockerfile_path(service: dict[str, Any]) -> Path:
    build = service["build"]
    context = INFRA / (build if isinstance(build, str) else build.get("context", "."))
    name = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    return (context / name).resolve()


@pytest.fixture(scope="module")
def versions() -> dict[str, str]:
    return parse_env_file(VERSIONS_FILE)


@pytest.fixture(scope="module")
def compose_text() -> str:
    return COMPOSE_FILE.read_text()


@pytest.fixture(scope="module")
def compose(compose_text: str) -> dict[str, Any]:
    data = yaml.safe_load(compose_text)
    assert isinstance(data, dict) and isinstance(data.get("services"), dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def built(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in services.items() if "build" in svc}


def test_versions_env_parses(versions: dict[str, str]) -> None:
    for key in ("FLINK_VERSION", "FLINK_KAFKA_CONNECTOR_VERSION", "KAFKA_VERSION"):
        assert key in versions


def test_required_services_exist(services: dict[str, dict[str, Any]]) -> None:
    missing = REQUIRED_SERVICES - services.keys()
    assert not missing, f"services missing from docker-compose.yml: {sorted(missing)}"


def test_service_names_and_restart_policy(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", name), f"service name {name!r} not lowercase"
        assert "container_name" not in svc, f"{name}: container_name pins a single instance"
        policy = "on-failure" if name in ONE_SHOT else "unless-stopped"
        assert svc.get("restart") == policy, f"{name}: restart is {svc.get('restart')}"


def test_every_version_variable_is_in_versions_env(
    compose_text: str, versions: dict[str, str]
) -> None:
    referenced = {m.group(1) for m in VAR_REF.finditer(compose_text)}
    for dockerfile in DOCKER_DIR.glob("*Dockerfile"):
        referenced |= {m.group(1) for m in VAR_REF.finditer(dockerfile.read_text())}
    version_vars = {v for v in referenced if v.endswith("_VERSION")}
    assert version_vars, "no ${..._VERSION} reference found at all"
    unknown = version_vars - versions.keys()
    assert not unknown, f"version variables not defined in infra/versions.env: {sorted(unknown)}"


def test_version_variables_have_no_fallback(compose_text: str) -> None:
    """A `${X_VERSION:-1.2.3}` default would be a second source of versions."""
    for m in VAR_REF.finditer(compose_text):
        if m.group(1).endswith("_VERSION"):
            assert m.group(2) in (None, ":?", "?"), (
                f"{m.group(0)}: a fallback version would bypass versions.env"
            )


def test_image_tags_come_from_versions_env(
    services: dict[str, dict[str, Any]], versions: dict[str, str]
) -> None:
    for name, svc in services.items():
        image = svc.get("image")
        assert image or "build" in svc, f"{name}: neither image nor build"
        if not image:
            continue
        tag = image_tag(image)
        assert tag is not None, f"{name}: image {image!r} has no tag (it would mean latest)"
        assert "latest" not in tag.lower(), f"{name}: image {image!r} uses latest"
        tag_vars = [m.group(1) for m in VAR_REF.finditer(tag)]
        assert tag_vars, f"{name}: tag of {image!r} is a literal, not a ${{..._VERSION}}"
        for var in tag_vars:
            assert var.endswith("_VERSION") and var in versions, f"{name}: {var} in {image!r}"
        # What is left of the tag once the variables are removed must not be a version.
        literal = VAR_REF.sub("", tag)
        assert not re.search(r"\d+\.\d+", literal), f"{name}: literal version in {image!r}"


def test_no_literal_version_anywhere_in_image_lines(compose_text: str) -> None:
    for lineno, line in enumerate(compose_text.splitlines(), start=1):
        stripped = line.split("#", 1)[0]
        if re.match(r"\s*image:", stripped):
            assert not re.search(r":\s*v?\d", VAR_REF.sub("", stripped.split("image:", 1)[1])), (
                f"docker-compose.yml:{lineno}: literal version in {line.strip()!r}"
            )


def test_build_args_are_versions_env_variables(
    built: dict[str, dict[str, Any]], versions: dict[str, str]
) -> None:
    assert {"flink-jobmanager", "flink-taskmanager", "kafka-connect"} <= built.keys()
    for name, svc in built.items():
        args = svc["build"].get("args") or {}
        if isinstance(args, list):
            args = dict(item.partition("=")[::2] for item in args)
        assert args, f"{name}: a built service must pass its versions as build args"
        for arg, value in args.items():
            if not arg.endswith("_VERSION"):
                continue
            assert arg in versions, f"{name}: build arg {arg} is not in versions.env"
            assert value == f"${{{arg}}}", (
                f"{name}: build arg {arg}={value!r} must be exactly ${{{arg}}} from versions.env"
            )


def test_dockerfiles_declare_their_build_args(built: dict[str, dict[str, Any]]) -> None:
    for name, svc in built.items():
        dockerfile = dockerfile_path(svc)
        assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"
        text = dockerfile.read_text()
        declared = set(DOCKERFILE_ARG.findall(text))
        args = svc["build"].get("args") or {}
        missing = set(args) - declared
        assert not missing, f"{dockerfile.name} lacks ARG {sorted(missing)} passed by {name}"
        used = {m.group(1) for m in VAR_REF.finditer(text) if m.group(1).endswith("_VERSION")}
        undeclared = used - declared
        assert not undeclared, f"{dockerfile.name} uses {sorted(undeclared)} without an ARG"
        assert not DOCKERFILE_DEFAULTED_ARG.search(text), (
            f"{dockerfile.name}: an ARG default would be a second source of versions"
        )


def test_dockerfile_bases(built: dict[str, dict[str, Any]]) -> None:
    flink = dockerfile_path(built["flink-jobmanager"]).read_text()
    assert re.search(r"^FROM flink:\$\{FLINK_VERSION\}-java17\s*$", flink, re.MULTILINE)
    assert 'apache-flink==${FLINK_VERSION}"' in flink
    assert "flink-sql-connector-kafka-${FLINK_KAFKA_CONNECTOR_VERSION}.jar" in flink
    assert "https://repo1.maven.org/maven2/org/apache/flink/flink-sql-connector-kafka/" in flink
    assert "/opt/flink/lib/" in flink
    connect = dockerfile_path(built["kafka-connect"]).read_text()
    assert re.search(r"^FROM apache/kafka:\$\{KAFKA_VERSION\}\s*$", connect, re.MULTILINE)
    assert (
        "https://repo1.maven.org/maven2/io/debezium/debezium-connector-jdbc/${DEBEZIUM_VERSION}/"
        in connect
    )
    assert "debezium-connector-jdbc-${DEBEZIUM_VERSION}-plugin.tar.gz" in connect
    assert dockerfile_path(built["flink-taskmanager"]) == dockerfile_path(built["flink-jobmanager"])


def test_no_secret_literals(compose: dict[str, Any]) -> None:
    offenders = []
    for path, key, value in walk(compose):
        if key is None and isinstance(value, str) and "=" in value:
            key, _, value = value.partition("=")  # KEY=VALUE list items
        if key is None or not SECRET_KEY.search(key) or isinstance(value, dict | list):
            continue
        if not (isinstance(value, str) and WHOLE_VAR_REF.match(value.strip())):
            offenders.append(f"{'.'.join(path)}.{key}={value!r}")
    assert not offenders, f"secrets must be ${{VAR:?...}} references: {offenders}"


def test_required_secrets_fail_fast(services: dict[str, dict[str, Any]]) -> None:
    assert environment(services["postgres"])["POSTGRES_PASSWORD"].startswith(
        "${IVICA_PG_PASSWORD:?"
    )
    assert environment(services["superset"])["SUPERSET_SECRET_KEY"].startswith(
        "${SUPERSET_SECRET_KEY:?"
    )
    minio = environment(services["minio"])
    for key in ("MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"):
        assert minio[key].startswith(f"${{{key}:?"), f"minio {key}: {minio[key]!r}"


def test_depends_on_targets_exist_and_wait_for_health(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, svc in services.items():
        for target, spec in depends_on(svc).items():
            assert target in services, f"{name} depends on unknown service {target!r}"
            assert target != name, f"{name} depends on itself"
            condition = spec.get("condition", "service_started")
            has_healthcheck = "healthcheck" in services[target]
            if condition == "service_healthy":
                assert has_healthcheck, f"{name} waits for {target} health, it has no healthcheck"
            if has_healthcheck:
                assert condition == "service_healthy", (
                    f"{name} -> {target}: {target} has a healthcheck, wait for service_healthy"
                )


def test_kafka_single_node_kraft(services: dict[str, dict[str, Any]]) -> None:
    kafka = services["kafka"]
    env = {k: str(v) for k, v in environment(kafka).items()}
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "KAFKA_NODE_ID" in env
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert "EXTERNAL://localhost:29092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert "CONTROLLER" in env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    for key in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
    ):
        assert env[key] == "1", f"{key}={env[key]}"
    assert any(p.endswith("29092:29092") for p in kafka["ports"])
    assert "kafka-broker-api-versions.sh" in str(kafka["healthcheck"]["test"])


def test_raw_topics_keep_the_stacks_retention(services: dict[str, dict[str, Any]]) -> None:
    """The one-shot kafka-topics service sets retention.ms on the contract's raw topics, and only
    those, to the stack's default (`kafka.raw_retention_hours` of infra/stack.yaml)."""
    default = StackConfig().kafka.raw_retention_ms
    assert load_config(DEFAULT_CONFIG).kafka.raw_retention_ms == default
    svc = services["kafka-topics"]
    env = {k: str(v) for k, v in environment(svc).items()}
    assert env["RAW_TOPICS"].split() == list(RAW_TOPICS)
    assert int(env["RAW_RETENTION_MS"]) == default, f"RAW_RETENTION_MS={env['RAW_RETENTION_MS']}"
    assert svc["image"] == services["kafka"]["image"]
    script = "\n".join(svc["command"])
    assert "for topic in $$RAW_TOPICS" in script
    assert "--create --if-not-exists" in script
    assert '--add-config "retention.ms=$$RAW_RETENTION_MS"' in script
    assert depends_on(svc) == {"kafka": {"condition": "service_healthy"}}


def test_flink_cluster(services: dict[str, dict[str, Any]], compose: dict[str, Any]) -> None:
    for name in ("flink-jobmanager", "flink-taskmanager"):
        svc = services[name]
        props = str(environment(svc)["FLINK_PROPERTIES"])
        assert "jobmanager.rpc.address: flink-jobmanager" in props
        assert "taskmanager.numberOfTaskSlots: 4" in props
        assert re.search(
            r"(execution\.checkpointing|state\.checkpoints)\.dir: file:///checkpoints", props
        )
        assert "execution.checkpointing.interval: 10s" in props
        volumes = [str(v) for v in svc["volumes"]]
        assert any(v.startswith("flink-checkpoints:/checkpoints") for v in volumes)
        for part in ("jobs", "contracts"):
            mount = next(v for v in volumes if v.endswith(f":/opt/ivica/{part}:ro"))
            source = (INFRA / mount.split(":", 1)[0]).resolve()
            assert source == REPO / part, f"{name}: {mount} does not mount the repo's {part}/"
    assert "flink-checkpoints" in (compose.get("volumes") or {})
    assert any(str(p).endswith("8081:8081") for p in services["flink-jobmanager"]["ports"])


def test_connect_properties(services: dict[str, dict[str, Any]]) -> None:
    props = parse_properties(CONNECT_PROPERTIES)
    assert props["bootstrap.servers"] == "kafka:9092"
    assert props["group.id"] == "ivica-connect"
    assert props["value.converter"] == "org.apache.kafka.connect.json.JsonConverter"
    assert props["key.converter"] == "org.apache.kafka.connect.json.JsonConverter"
    assert props["value.converter.schemas.enable"] == "true"
    for kind, topic in (
        ("config", "ivica-connect-configs"),
        ("offset", "ivica-connect-offsets"),
        ("status", "ivica-connect-status"),
    ):
        assert props[f"{kind}.storage.topic"] == topic
        assert props[f"{kind}.storage.replication.factor"] == "1"
    assert props["listeners"] == "http://0.0.0.0:8083"

    dockerfile = dockerfile_path(services["kafka-connect"]).read_text()
    unpack = re.search(r"tar\s+[^;\n]*-C\s+[\"']?([^\s;\"']+)", dockerfile)
    assert unpack, "connect.Dockerfile does not unpack the plugin with tar -C DIR"
    assert props["plugin.path"] == unpack.group(1), (
        f"plugin.path={props['plugin.path']} but the Dockerfile unpacks into {unpack.group(1)}"
    )

    connect = services["kafka-connect"]
    command = (
        " ".join(connect["command"]) if isinstance(connect["command"], list) else connect["command"]
    )
    assert "/opt/kafka/bin/connect-distributed.sh" in command
    mounted = {
        str(v).split(":")[1]: (INFRA / str(v).split(":")[0]).resolve()
        for v in connect.get("volumes", [])
    }
    in_container = command.split()[-1]
    assert mounted.get(in_container) == CONNECT_PROPERTIES.resolve(), (
        f"{in_container} is not infra/docker/connect-distributed.properties"
    )


def published_ports(service: dict[str, Any]) -> list[str]:
    """Host ports a service publishes (short `[IP:]HOST:CONTAINER[/proto]` or long syntax)."""
    out = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            if port.get("published") is not None:
                out.append(str(port["published"]))
            continue
        parts = str(port).split("/")[0].rsplit(":", 2)
        if len(parts) >= 2:  # a bare container port gets a random host port
            out.append(parts[-2])
    return out


def test_published_host_ports_are_unique(services: dict[str, dict[str, Any]]) -> None:
    owner: dict[str, str] = {}
    for name, svc in services.items():
        for port in published_ports(svc):
            assert port not in owner, f"host port {port} published by {owner[port]} and {name}"
            owner[port] = name
    assert owner, "no service publishes a port"


def test_named_volumes_are_declared(
    services: dict[str, dict[str, Any]], compose: dict[str, Any]
) -> None:
    declared = set(compose.get("volumes") or {})
    for name, svc in services.items():
        for volume in svc.get("volumes") or []:
            source = str(volume).split(":", 1)[0]
            if source.startswith((".", "/", "~", "$")):
                continue  # bind mount
            assert source in declared, f"{name}: named volume {source!r} not declared"
