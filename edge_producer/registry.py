"""The edge's thin client of the MLflow Model Registry: standard library only (no mlflow, no
torch on the device).

At start, for each role with a registered name, the edge asks the registry which version
carries the alias (`production`), downloads that version's ONNX file once into the cache,
checks its sha256 against the version's tag, and runs it. When the registry cannot be reached
it runs the version it pulled last (from the cache, checked again), else the bundled or
configured model, and says so in a warning. The version's tags (set by `ivica model
register`, mlops/registry.py) name the file, its sha256, role and decoder.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from edge_producer.config import RegistryConfig
from edge_producer.models import ModelRef, sha256_file
from edge_producer.runtime.base import ModelError

log = logging.getLogger(__name__)


class RegistryUnavailable(ConnectionError):
    """The registry did not answer, or has no version under the alias."""


@dataclass(frozen=True)
class RegisteredVersion:
    name: str
    version: str
    file: str
    sha256: str
    role: str
    decoder: str | None


class RegistryClient:
    """The registry's REST API, read-only: the version under an alias, and its file."""

    def __init__(self, uri: str, timeout_s: float = 10.0) -> None:
        self.uri = uri.rstrip("/")
        self.timeout_s = timeout_s

    def _get(self, endpoint: str, **query: str) -> urllib.request.Request:
        return urllib.request.Request(f"{self.uri}{endpoint}?{urllib.parse.urlencode(query)}")

    def version(self, name: str, alias: str) -> RegisteredVersion:
        request = self._get("/api/2.0/mlflow/registered-models/alias", name=name, alias=alias)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as resp:
                body = json.loads(resp.read())["model_version"]
        except urllib.error.HTTPError as exc:
            raise RegistryUnavailable(f"{name}@{alias}: HTTP {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
            raise RegistryUnavailable(f"registry {self.uri} unreachable: {exc}") from exc
        tags = {t["key"]: t["value"] for t in body.get("tags", [])}
        missing = {"file", "sha256", "role"} - tags.keys()
        if missing:
            raise ModelError(
                f"{name} version {body['version']} lacks the tags {sorted(missing)}: register "
                "models with `ivica model register`"
            )
        return RegisteredVersion(
            name, str(body["version"]), tags["file"], tags["sha256"], tags["role"],
            tags.get("decoder"),
        )  # fmt: skip

    def download(self, v: RegisteredVersion, target: Path) -> None:
        """The version's file into `target`, written under a temporary name first."""
        request = self._get(
            "/model-versions/get-artifact", name=v.name, version=v.version, path=v.file
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".download-")
        try:
            with (
                urllib.request.urlopen(request, timeout=self.timeout_s) as resp,
                os.fdopen(fd, "wb") as out,
            ):
                while block := resp.read(1 << 20):
                    out.write(block)
            os.replace(tmp, target)
        except (urllib.error.URLError, OSError) as exc:
            Path(tmp).unlink(missing_ok=True)
            raise RegistryUnavailable(f"downloading {v.name} {v.version}: {exc}") from exc


def pull(config: RegistryConfig, role: str) -> ModelRef | None:
    """The model of `role` from the registry (or its cache); None when the registry is off
    for this role, or neither it nor the cache can serve (then the caller uses its own)."""
    name = config.names.get(role)  # type: ignore[call-overload]
    if config.uri is None or name is None:
        return None
    cache = config.cache_dir.expanduser() / name
    client = RegistryClient(config.uri, config.timeout_s)
    try:
        version = client.version(name, config.alias)
        if version.role != role:
            raise ModelError(f"registered model {name} is a {version.role} model, not {role}")
        path = cache / version.version / version.file
        if not path.is_file() or sha256_file(path) != version.sha256:
            client.download(version, path)
            if sha256_file(path) != version.sha256:
                path.unlink()
                raise ModelError(f"{name} {version.version}: the download fails its sha256")
        (cache / "last.json").write_text(json.dumps(version.__dict__))
        log.info("model %s %s (%s) from the registry %s", name, version.version, role, config.uri)
        return _ref(version, path)
    except RegistryUnavailable as exc:
        last = _last_pulled(cache)
        if last is None:
            log.warning("model registry: %s; running the configured %s model", exc, role)
            return None
        log.warning(
            "model registry: %s; running %s %s, pulled before", exc, last.name, last.version
        )
        return _ref(last, cache / last.version / last.file)


def pull_all(config: RegistryConfig) -> dict[str, ModelRef | None]:
    """Every role's model as the edge would resolve it at start (`ivica model pull`: fill the
    cache before the device goes where the network is poor)."""
    return {role: pull(config, role) for role in config.names}


def _last_pulled(cache: Path) -> RegisteredVersion | None:
    try:
        last = RegisteredVersion(**json.loads((cache / "last.json").read_text()))
    except (OSError, ValueError, TypeError):
        return None
    path = cache / last.version / last.file
    if not path.is_file() or sha256_file(path) != last.sha256:
        return None
    return last


def _ref(v: RegisteredVersion, path: Path) -> ModelRef:
    return ModelRef(v.name, v.version, path, v.decoder, v.sha256)
