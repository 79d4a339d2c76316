"""Bundled models and the resolver that turns a model name into a local ONNX file."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from edge_producer.runtime.base import ModelError

BUNDLE_DIR = Path(str(resources.files("edge_producer") / "models"))


@dataclass(frozen=True)
class ModelRef:
    """A resolved model: what events report (name, version) and where its file is."""

    name: str
    version: str
    path: Path
    decoder: str | None
    sha256: str


@functools.cache
def manifest() -> dict[str, dict[str, Any]]:
    """The bundled models' manifest (``edge_producer/models/manifest.yaml``)."""
    return yaml.safe_load((BUNDLE_DIR / "manifest.yaml").read_text(encoding="utf-8"))


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, hex (read every time: a file replaced in place gets a new hash)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def resolve_model(name_or_path: str, role: str, decoder: str | None = None) -> ModelRef:
    """A bundled model by name (checked against its sha256), or an ONNX file by path.

    A path's version is the first 12 hex digits of its SHA-256, so events name exactly the
    weights that ran. ``decoder`` overrides the bundled decoder; a path needs one unless the
    role has only one format.
    """
    entries = manifest()
    if name_or_path in entries:
        entry = entries[name_or_path]
        if entry["role"] != role:
            raise ModelError(f"model {name_or_path!r} is a {entry['role']} model, not {role}")
        path = BUNDLE_DIR / entry["file"]
        if not path.is_file():
            raise ModelError(f"bundled model file missing: {path}")
        digest = sha256_file(path)
        if digest != entry["sha256"]:
            raise ModelError(f"bundled model {path} is corrupt: sha256 {digest}")
        for extra, expected in entry.get("extra_files", {}).items():
            extra_path = BUNDLE_DIR / extra
            if not extra_path.is_file() or sha256_file(extra_path) != expected:
                raise ModelError(f"bundled model file {extra_path} is missing or corrupt")
        return ModelRef(
            name_or_path, str(entry["version"]), path, decoder or entry["decoder"], digest
        )
    path = Path(name_or_path).expanduser()
    if not path.is_file():
        bundled = sorted(k for k, v in entries.items() if v["role"] == role)
        raise ModelError(
            f"{role} model {name_or_path!r} is neither a bundled model {bundled} nor an "
            "existing ONNX file"
        )
    digest = sha256_file(path)
    return ModelRef(path.stem, digest[:12], path, decoder, digest)
