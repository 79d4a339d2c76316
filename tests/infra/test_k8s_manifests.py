"""Structure of the Kubernetes manifests in infra/k8s (Apache Flink Kubernetes Operator).

There is no Kubernetes cluster in CI, so nothing is applied. The checks hold every YAML
document in infra/k8s/*.yaml, and the backfill example in infra/k8s/README.md, to the code
they run: the job module and its flags (jobs/config.py), the job YAML in the ConfigMap
(JobConfig), the versions in infra/versions.env, and the rule that secrets come from Secrets.
"""

from __future__ import annotations

import importlib.util
import re
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from contracts.topics import RAW_TOPICS
from infra.config import DEFAULT_CONFIG, load_config
from infra.versions import load_versions
from jobs.config import JobConfig, _parser, parse_args
from jobs.runtime import outputs
from jobs.specs import JOBS, STREAM_JOBS
from tests.infra.tree import walk

REPO = Path(__file__).resolve().parents[2]
K8S_DIR = REPO / "infra" / "k8s"
README = K8S_DIR / "README.md"
JOB_IMAGE_DOCKERFILE = K8S_DIR / "job-image.Dockerfile"
VERSIONS_FILE = REPO / "infra" / "versions.env"
COMPOSE_FILE = REPO / "infra" / "docker-compose.yml"

API_VERSION = "flink.apache.org/v1beta1"
PYTHON_DRIVER = "org.apache.flink.client.python.PythonDriver"
MAIN_CONTAINER = "flink-main-container"  # the operator merges pod templates into this one
JOBS_DIR_IN_IMAGE = PurePosixPath("/opt/ivica/jobs")
TOPICS_FILE = "kafka-topics.yaml"  # Strimzi KafkaTopics for the raw topics
EXPECTED_FILES = {"people.yaml", "gender.yaml", TOPICS_FILE}
STRIMZI_API_VERSION = "kafka.strimzi.io/v1beta2"
RUNNABLE = STREAM_JOBS | JOBS  # a stream job, or one of its outputs alone

# A mapping key or env var name that holds a credential.
SENSITIVE = re.compile(r"pass|secret|jaas|token|credential|access.?key|private.?key", re.I)
# `password="hunter2"`, `password: hunter2`, `password=hunter2` (a JAAS line, a URL, ...).
LITERAL_PASSWORD = re.compile(r"""password\s*[=:]\s*["']?[^"'\s$;{}]+""", re.I)
ENV_REF = re.compile(r"env:([A-Za-z_][A-Za-z0-9_]*)")
DURATION = re.compile(r"(\d+)\s*([a-z]*)")
DURATION_UNITS = {
    "": 0.001,  # Flink reads a bare number as milliseconds
    "ms": 0.001,
    "milli": 0.001,
    "millis": 0.001,
    "millisecond": 0.001,
    "milliseconds": 0.001,
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
}


# --- loading -------------------------------------------------------------------------------


def parse_env_file(path: Path) -> dict[str, str]:
    return load_versions(path)


def load_documents(text: str, origin: str) -> list[dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    for i, doc in enumerate(docs):
        assert isinstance(doc, dict), f"{origin}: document {i} is not a mapping"
        assert doc.get("kind") and doc.get("apiVersion"), f"{origin}: document {i} lacks kind"
        assert (doc.get("metadata") or {}).get("name"), f"{origin}: document {i} has no name"
    return docs


def readme_yaml_blocks() -> list[str]:
    return re.findall(r"^```yaml\n(.*?)^```", README.read_text(), re.S | re.M)


MANIFEST_FILES = sorted(K8S_DIR.glob("*.yaml"))
FILE_DOCS: dict[str, list[dict[str, Any]]] = {
    p.name: load_documents(p.read_text(), p.name) for p in MANIFEST_FILES
}
README_DOCS: list[dict[str, Any]] = [
    doc
    for i, block in enumerate(readme_yaml_blocks())
    for doc in load_documents(block, f"README.md yaml block {i}")
]
ALL_DOCS: list[tuple[str, dict[str, Any]]] = [
    (name, doc) for name, docs in FILE_DOCS.items() for doc in docs
] + [("README.md", doc) for doc in README_DOCS]
CONFIGMAPS: dict[str, dict[str, Any]] = {
    doc["metadata"]["name"]: doc for origin, doc in ALL_DOCS if doc["kind"] == "ConfigMap"
}
DEPLOYMENTS = [(origin, doc) for origin, doc in ALL_DOCS if doc["kind"] == "FlinkDeployment"]
FILE_DEPLOYMENTS = [(o, d) for o, d in DEPLOYMENTS if o != "README.md"]


def _ids(items: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [f"{origin}:{doc['metadata']['name']}" for origin, doc in items]


every_deployment = pytest.mark.parametrize("origin,deployment", DEPLOYMENTS, ids=_ids(DEPLOYMENTS))
file_deployment = pytest.mark.parametrize(
    "origin,deployment", FILE_DEPLOYMENTS, ids=_ids(FILE_DEPLOYMENTS)
)


@pytest.fixture(scope="module")
def flink_version() -> str:
    versions = parse_env_file(VERSIONS_FILE)
    assert re.fullmatch(r"\d+\.\d+\.\d+", versions.get("FLINK_VERSION", "")), versions
    return versions["FLINK_VERSION"]


# --- helpers -------------------------------------------------------------------------------


def flink_seconds(text: str) -> float:
    """A Flink duration ('10s', '10 s', '10000 ms', '1 min') in seconds."""
    m = DURATION.fullmatch(str(text).strip().lower())
    assert m and m.group(2) in DURATION_UNITS, f"not a Flink duration: {text!r}"
    return int(m.group(1)) * DURATION_UNITS[m.group(2)]


def image_tag(image: str) -> str | None:
    """The tag of an image reference, or None when it has none (a digest is not a tag)."""
    last = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def job_args(deployment: dict[str, Any]) -> list[str]:
    args = deployment["spec"]["job"].get("args")
    assert isinstance(args, list) and all(isinstance(a, str) for a in args), args
    return args


def job_name(deployment: dict[str, Any]) -> str:
    return PurePosixPath(job_args(deployment)[1]).stem


def flag_value(args: list[str], flag: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == flag:
            assert i + 1 < len(args), f"{flag} has no value"
            return args[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


def pod_templates(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The shared pod template first, then the JobManager's and the TaskManager's."""
    found = [spec.get("podTemplate")]
    found += [(spec.get(role) or {}).get("podTemplate") for role in ("jobManager", "taskManager")]
    return [t for t in found if t]


def main_containers(template: dict[str, Any]) -> list[dict[str, Any]]:
    containers = (template.get("spec") or {}).get("containers") or []
    return [c for c in containers if c.get("name") == MAIN_CONTAINER]


def env_entries(spec: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for template in pod_templates(spec):
        for container in (template.get("spec") or {}).get("containers") or []:
            out += container.get("env") or []
        for container in (template.get("spec") or {}).get("initContainers") or []:
            out += container.get("env") or []
    return out


def secret_env_names(spec: dict[str, Any]) -> set[str]:
    """Env var names of the main container that are filled from a Secret."""
    names = set()
    for template in pod_templates(spec):
        for container in main_containers(template):
            for entry in container.get("env") or []:
                ref = (entry.get("valueFrom") or {}).get("secretKeyRef") or {}
                if ref.get("name") and ref.get("key") and "value" not in entry:
                    names.add(entry["name"])
    return names


def mounted_job_yaml(deployment: dict[str, Any]) -> tuple[str, str]:
    """(ConfigMap name, job YAML text) of the file that `--config` points at."""
    spec = deployment["spec"]
    config_path = flag_value(job_args(deployment)[2:], "--config")
    assert config_path, "no --config in spec.job.args"
    path = PurePosixPath(config_path)
    # The driver runs in the JobManager: the file must be in its pod, via the shared
    # template or the JobManager's own.
    templates = [spec.get("podTemplate"), (spec.get("jobManager") or {}).get("podTemplate")]
    for template in filter(None, templates):
        volumes = {v["name"]: v for v in (template.get("spec") or {}).get("volumes") or []}
        for container in main_containers(template):
            for mount in container.get("volumeMounts") or []:
                mount_dir = PurePosixPath(mount["mountPath"])
                if mount_dir != path.parent:
                    continue
                volume = volumes.get(mount["name"])
                assert volume and "configMap" in volume, f"{mount_dir} is not a ConfigMap volume"
                cm_name = volume["configMap"]["name"]
                assert cm_name in CONFIGMAPS, f"ConfigMap {cm_name!r} is in no manifest"
                items = {i["path"]: i["key"] for i in volume["configMap"].get("items") or []}
                key = items.get(path.name, path.name) if items else path.name
                data = CONFIGMAPS[cm_name].get("data") or {}
                assert key in data, f"ConfigMap {cm_name} has no key {key!r}"
                return cm_name, data[key]
    raise AssertionError(f"nothing is mounted at {path.parent} in the JobManager's container")


def literal_secrets(node: Any) -> list[str]:
    """Paths of string values that look like credentials written in the clear."""
    found = []
    for path, key, value in walk(node):
        if not isinstance(value, str):
            continue
        where = "/".join((*path, key or "[]"))
        if key is not None and SENSITIVE.search(key) and not ENV_REF.fullmatch(value):
            found.append(f"{where}: {key} is a literal value, not env:NAME")
        if LITERAL_PASSWORD.search(value):
            found.append(f"{where}: literal password in {value!r}")
    return found


# --- the set of manifests ------------------------------------------------------------------


def test_expected_manifests_exist() -> None:
    assert FILE_DOCS.keys() >= EXPECTED_FILES, f"infra/k8s has {sorted(FILE_DOCS)}"


@pytest.mark.parametrize("filename", sorted(set(FILE_DOCS) - {TOPICS_FILE}))
def test_one_deployment_per_file_named_after_it(filename: str) -> None:
    docs = FILE_DOCS[filename]
    kinds = Counter(doc["kind"] for doc in docs)
    assert set(kinds) <= {"ConfigMap", "FlinkDeployment"}, f"{filename}: kinds {dict(kinds)}"
    assert kinds["FlinkDeployment"] == 1, f"{filename}: {kinds['FlinkDeployment']} deployments"
    (deployment,) = (d for d in docs if d["kind"] == "FlinkDeployment")
    assert deployment["metadata"]["name"] == Path(filename).stem
    # Every ConfigMap in the file is the one its deployment mounts.
    cm_name, _ = mounted_job_yaml(deployment)
    own = {d["metadata"]["name"] for d in docs if d["kind"] == "ConfigMap"}
    assert own == {cm_name}, f"{filename}: ConfigMaps {sorted(own)}, mounted {cm_name!r}"


def test_configmap_names_are_unique() -> None:
    names = Counter(d["metadata"]["name"] for _, d in ALL_DOCS if d["kind"] == "ConfigMap")
    assert all(n == 1 for n in names.values()), names
    for _, doc in ALL_DOCS:
        if doc["kind"] == "ConfigMap":
            assert doc["apiVersion"] == "v1"


def test_every_deployment_has_its_own_state_paths() -> None:
    """Two clusters writing one checkpoint or HA directory would corrupt each other."""
    keys = (
        "execution.checkpointing.dir",
        "execution.checkpointing.savepoint-dir",
        "high-availability.storageDir",
    )
    paths = Counter(d["spec"]["flinkConfiguration"][k] for _, d in DEPLOYMENTS for k in keys)
    assert all(n == 1 for n in paths.values()), f"shared state paths: {paths}"


# --- each FlinkDeployment ------------------------------------------------------------------


@every_deployment
def test_api_version_and_application_mode(origin: str, deployment: dict[str, Any]) -> None:
    assert deployment["apiVersion"] == API_VERSION
    job = deployment["spec"].get("job")
    assert job, "no spec.job: that would be a session cluster"
    assert job.get("state") == "running"


@every_deployment
def test_python_driver(origin: str, deployment: dict[str, Any], flink_version: str) -> None:
    job = deployment["spec"]["job"]
    assert job["jarURI"] == f"local:///opt/flink/opt/flink-python-{flink_version}.jar"
    assert job["entryClass"] == PYTHON_DRIVER


def test_flink_distribution_names_the_python_jar_like_the_manifests(flink_version: str) -> None:
    spec = importlib.util.find_spec("pyflink")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("PyFlink is not installed")
    pyflink_dir = Path(next(iter(spec.submodule_search_locations)))
    jars = sorted(p.name for p in (pyflink_dir / "opt").glob("flink-python*.jar"))
    assert f"flink-python-{flink_version}.jar" in jars, f"pyflink/opt has {jars}"


@every_deployment
def test_runs_a_job_module(origin: str, deployment: dict[str, Any]) -> None:
    args = job_args(deployment)
    assert args[0] == "-py", args
    script = PurePosixPath(args[1])
    assert script.parent == JOBS_DIR_IN_IMAGE, args
    name = script.stem
    assert name in RUNNABLE, f"{name} is not one of {sorted(RUNNABLE)}"
    assert args[0:2] == ["-py", f"{JOBS_DIR_IN_IMAGE}/{name}.py"]
    assert (REPO / "jobs" / f"{name}.py").is_file()
    resource = deployment["metadata"]["name"].replace("-", "_")
    assert resource == name or resource.startswith(f"{name}_"), (
        f"FlinkDeployment {deployment['metadata']['name']!r} runs {name}"
    )


@every_deployment
def test_every_flag_is_accepted_by_the_job(origin: str, deployment: dict[str, Any]) -> None:
    args = job_args(deployment)[2:]
    parser = _parser(f"jobs.{job_name(deployment)}")
    options = {o for action in parser._actions for o in action.option_strings}
    flags = [a.split("=", 1)[0] for a in args if a.startswith("-")]
    assert flags, "no flags at all"
    unknown = [f for f in flags if f not in options]
    assert not unknown, f"flags the job does not accept: {unknown}"
    try:
        parser.parse_args(args)
    except SystemExit as exc:  # argparse reports type and choice errors this way
        pytest.fail(f"the job's parser rejects {args}: exit {exc.code}")


@every_deployment
def test_image_tag_carries_the_flink_version(
    origin: str, deployment: dict[str, Any], flink_version: str
) -> None:
    image = deployment["spec"]["image"]
    tag = image_tag(image)
    assert tag, f"{image!r} has no tag"
    assert tag == flink_version or tag.startswith(f"{flink_version}-"), (
        f"tag of {image!r} does not start with FLINK_VERSION {flink_version}"
    )


@every_deployment
def test_flink_version_enum_matches(
    origin: str, deployment: dict[str, Any], flink_version: str
) -> None:
    major, minor = flink_version.split(".")[:2]
    assert deployment["spec"]["flinkVersion"] == f"v{major}_{minor}"


@file_deployment
def test_live_jobs_upgrade_with_savepoints(origin: str, deployment: dict[str, Any]) -> None:
    job = deployment["spec"]["job"]
    assert job["upgradeMode"] == "savepoint"
    assert job["state"] == "running"


@every_deployment
def test_checkpoints_ha_and_resources(origin: str, deployment: dict[str, Any]) -> None:
    spec = deployment["spec"]
    conf = spec["flinkConfiguration"]
    bad = {k: v for k, v in conf.items() if not isinstance(v, str)}
    assert not bad, f"flinkConfiguration values must be strings (quote them): {bad}"
    assert flink_seconds(conf["execution.checkpointing.interval"]) > 0
    name = deployment["metadata"]["name"]
    for key in (
        "execution.checkpointing.dir",
        "execution.checkpointing.savepoint-dir",
        "high-availability.storageDir",
    ):
        assert conf.get(key, "").startswith("s3://"), f"{key} = {conf.get(key)!r}"
        assert conf[key].rstrip("/").endswith(f"/{name}"), f"{key} is not per deployment"
    assert conf["high-availability.type"] == "kubernetes"
    assert conf.get("s3.endpoint", "").startswith("http"), "s3:// paths need s3.endpoint (MinIO)"
    for role in ("jobManager", "taskManager"):
        resource = (spec.get(role) or {}).get("resource") or {}
        assert resource.get("memory") and resource.get("cpu"), f"{role}.resource: {resource}"
    assert spec.get("serviceAccount"), "Kubernetes HA needs a service account"


@every_deployment
def test_no_literal_secrets(origin: str, deployment: dict[str, Any]) -> None:
    spec = deployment["spec"]
    assert not literal_secrets(deployment), literal_secrets(deployment)
    for entry in env_entries(spec):
        if not SENSITIVE.search(entry["name"]):
            continue
        assert "value" not in entry, f"env {entry['name']} has a literal value"
        ref = (entry.get("valueFrom") or {}).get("secretKeyRef") or {}
        assert ref.get("name") and ref.get("key"), f"env {entry['name']} is not a secretKeyRef"


@pytest.mark.parametrize("name", sorted(CONFIGMAPS))
def test_configmap_job_yaml_validates_and_has_no_secrets(name: str) -> None:
    data = CONFIGMAPS[name].get("data") or {}
    assert "job.yaml" in data, f"ConfigMap {name} has no job.yaml"
    job = yaml.safe_load(data["job.yaml"])
    JobConfig.model_validate(job)
    assert not literal_secrets(job), literal_secrets(job)
    assert not literal_secrets(CONFIGMAPS[name]), literal_secrets(CONFIGMAPS[name])


@every_deployment
def test_effective_job_config(
    origin: str, deployment: dict[str, Any], tmp_path: Path, flink_version: str
) -> None:
    """The job's own parse of its args and mounted YAML agrees with the cluster spec."""
    spec = deployment["spec"]
    name = job_name(deployment)
    job_spec = RUNNABLE[name]
    _, text = mounted_job_yaml(deployment)
    local = tmp_path / "job.yaml"
    local.write_text(text)
    args = job_args(deployment)[2:]
    i = args.index("--config")
    argv = [*args[: i + 1], str(local), *args[i + 2 :]]
    cfg = parse_args(f"jobs.{name}", argv)

    # The job's settings win over the cluster's: the two must agree.
    assert cfg.parallelism == spec["job"].get("parallelism", 1), "parallelism differs"
    interval = flink_seconds(spec["flinkConfiguration"]["execution.checkpointing.interval"])
    assert cfg.checkpoint_interval_s == interval, "checkpoint interval differs"
    # The operator owns state: the cluster's checkpoint dir, its own restores.
    assert cfg.checkpoint_dir is None, "checkpoint_dir would override the cluster's"
    assert cfg.restore is None, "the operator restores from savepoints itself"
    # The image has the connector in /opt/flink/lib; no second copy through pipeline.jars.
    assert cfg.jars == [], cfg.jars

    assert (cfg.topics.input or job_spec.input_topic) == job_spec.input_topic
    job_spec = job_spec.select(cfg.outputs)
    topics = {o.name: o.topic for o in outputs(job_spec, cfg)}
    contract = {r.name: r.output_topic for r in job_spec.results}
    if "--backfill" in args:
        assert cfg.mode == "backfill"
        clash = {n for n, t in contract.items() if topics[n] == t}
        assert not clash, f"a backfill next to the live job needs its own topics: {clash}"
    else:
        assert cfg.mode == "kafka"
        assert {n: topics[n] for n in contract} == contract, "results go to the contract topics"

    # Every `env:NAME` property is filled from a Secret in the pod.
    refs = {m.group(1) for v in cfg.kafka.properties.values() for m in [ENV_REF.fullmatch(v)] if m}
    missing = refs - secret_env_names(spec)
    assert not missing, f"kafka.properties read {sorted(missing)}, not set from a Secret"


# --- the image and the README --------------------------------------------------------------


def test_job_image_dockerfile() -> None:
    text = JOB_IMAGE_DOCKERFILE.read_text()
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    # It builds on the image docker compose builds from infra/docker/flink.Dockerfile.
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    base = compose["services"]["flink-jobmanager"]["image"]
    assert re.search(rf"^FROM {re.escape(base)}\s*$", code, re.M), f"FROM is not {base}"
    assert re.search(r"^ARG FLINK_VERSION\s*$", code, re.M), "FLINK_VERSION needs a bare ARG"
    assert not re.search(r"^ARG \w+\s*=", code, re.M), "a defaulted ARG is a second version"
    for package in ("jobs", "contracts"):
        assert re.search(rf"^COPY .*\b{package}/? /opt/ivica/{package}/?\s*$", code, re.M), (
            f"{package}/ is not copied to /opt/ivica/{package}"
        )
    assert re.search(r"^ENV PYTHONPATH=/opt/ivica\s*$", code, re.M)
    # The manifests keep their state on s3://, which needs an S3 file system plugin.
    assert re.search(r"/opt/flink/plugins/s3-fs-", code), "no S3 plugin enabled"


def test_readme_names_one_operator_version_and_a_backfill() -> None:
    text = README.read_text()
    versions = set(re.findall(r"flink-kubernetes-operator-(\d+\.\d+\.\d+)", text))
    versions |= set(re.findall(r"--version (\d+\.\d+\.\d+)", text))
    assert len(versions) == 1, f"operator versions named in README.md: {sorted(versions)}"
    backfills = [
        d for d in README_DOCS if d["kind"] == "FlinkDeployment" and "--backfill" in job_args(d)
    ]
    assert backfills, "README.md has no backfill FlinkDeployment"
    for deployment in backfills:
        cm_name, _ = mounted_job_yaml(deployment)
        assert any(d["metadata"]["name"] == cm_name for docs in FILE_DOCS.values() for d in docs), (
            f"the backfill mounts {cm_name!r}, which no infra/k8s/*.yaml creates"
        )


# --- the raw topics ------------------------------------------------------------------------


def test_raw_topics_keep_the_stacks_retention() -> None:
    """kafka-topics.yaml gives each raw topic, and only those, retention.ms equal to the stack's
    default (`kafka.raw_retention_hours`), and at least as many partitions as its reader's
    parallelism; the README's command for other operators says the same retention."""
    retention = str(load_config(DEFAULT_CONFIG).kafka.raw_retention_ms)
    docs = FILE_DOCS[TOPICS_FILE]
    assert {(d["apiVersion"], d["kind"]) for d in docs} == {(STRIMZI_API_VERSION, "KafkaTopic")}
    specs = {d["spec"]["topicName"]: d for d in docs}
    assert sorted(specs) == sorted(RAW_TOPICS), f"{TOPICS_FILE} names {sorted(specs)}"
    for topic, doc in specs.items():
        assert doc["metadata"]["labels"].get("strimzi.io/cluster"), f"{topic}: no cluster label"
        assert doc["spec"]["config"]["retention.ms"] == retention, f"{topic}: retention.ms"
        readers = [d for _, d in FILE_DEPLOYMENTS if RUNNABLE[job_name(d)].input_topic == topic]
        assert readers, f"no deployment reads {topic}"
        most = max(d["spec"]["job"].get("parallelism", 1) for d in readers)
        assert doc["spec"]["partitions"] >= most, f"{topic}: fewer partitions than parallelism"
    in_readme = re.findall(r"retention\.ms(?:=|:\s*)\"?(\d+)", README.read_text())
    assert in_readme and set(in_readme) == {retention}, f"README.md retention.ms {in_readme}"
