"""The edge and its contract on Python 3.10, the Python of JetPack 6 (Ubuntu 22.04): a venv
with only the `edge` extra, then the edge's and the contract's own tests under it (those that
need no stack; the stack runs on 3.11). Skipped, with the reason, where no 3.10 is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from infra.config import REPO_ROOT

VENV = REPO_ROOT / "state" / "py310"


def python310() -> str | None:
    """A working Python 3.10: pyenv's (its shim on PATH fails unless 3.10 is selected) or
    the system's."""
    candidates = [str(p) for p in sorted(Path.home().glob(".pyenv/versions/3.10*/bin/python3.10"))]
    candidates += [found for found in [shutil.which("python3.10")] if found]
    for candidate in candidates:
        ran = subprocess.run([candidate, "--version"], capture_output=True, text=True, check=False)
        if ran.returncode == 0 and ran.stdout.startswith("Python 3.10"):
            return candidate
    return None


@pytest.mark.integration  # the inner run deselects integration tests, this one included
def test_edge_and_contract_tests_pass_on_python_310() -> None:
    interpreter = python310()
    if interpreter is None:
        pytest.skip("no Python 3.10 here (python3.10 or pyenv): the edge's JetPack 6 Python")
    python = VENV / "bin" / "python"
    if not (VENV / ".installed").is_file():
        shutil.rmtree(VENV, ignore_errors=True)
        subprocess.run([interpreter, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "-e", f"{REPO_ROOT}[edge]",
             "pytest", "pytest-timeout", "onnx>=1.16,<1.19"],
            check=True, timeout=900,
        )  # fmt: skip
        (VENV / ".installed").touch()
    done = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not integration",
         "tests/contracts", "tests/edge_producer"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    print(done.stdout[-1500:])
    version = subprocess.run([str(python), "--version"], capture_output=True, text=True).stdout
    assert version.startswith("Python 3.10")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
