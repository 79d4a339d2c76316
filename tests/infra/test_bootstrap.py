"""`make deps` (infra/bootstrap.sh): the one list of Debian packages, and what the script does
with it when everything is there and when it cannot install what is missing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from infra.config import REPO_ROOT

BOOTSTRAP = REPO_ROOT / "infra" / "bootstrap.sh"
LIST = REPO_ROOT / "infra" / "packages.txt"
INSTALL_LINE = re.compile(r"apt(?:-get)? install ([^`\n]*)")


def packages() -> list[str]:
    names = [line.split("#")[0].strip() for line in LIST.read_text().splitlines()]
    return [n for n in names if n]


def installed(names: list[str]) -> set[str]:
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${db:Status-Abbrev}\n", *names],
        capture_output=True, text=True,
    )  # fmt: skip
    return {line.split()[0] for line in done.stdout.splitlines() if line.split()[1:] == ["ii"]}


def test_one_list_of_packages() -> None:
    """Every `apt-get install` in the repository's files names only packages of the list, and
    CI runs the README's test command and installs nothing itself."""
    wanted = set(packages())
    assert {"openjdk-17-jdk-headless", "maven", "postgresql", "chromium", "rabbitmq-server"} <= (
        wanted
    )
    files = subprocess.run(
        ["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in files:
        path = REPO_ROOT / name
        if path == BOOTSTRAP or path.suffix not in {"", ".md", ".sh", ".txt", ".yml", ".yaml"}:
            continue
        if not path.is_file():
            continue
        for match in INSTALL_LINE.finditer(path.read_text(errors="replace")):
            named = {w for w in match.group(1).split() if not w.startswith(("-", "$"))}
            named -= {"&&", "sudo", "apt-get", "update"}
            assert named <= wanted, f"{name} installs {sorted(named - wanted)}, not in {LIST}"
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert "apt" not in ci and ci.rstrip().endswith("make test")
    readme = (REPO_ROOT / "README.md").read_text()
    assert "make test    #" in readme and "infra/packages.txt" in readme


needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("dpkg-query"), reason="needs root on a dpkg system"
)


@needs_root
def test_everything_present_installs_nothing_quickly() -> None:
    missing = set(packages()) - installed(packages())
    if missing:
        pytest.skip(f"not every package is installed here: {sorted(missing)}")
    status = Path("/var/lib/dpkg/status").stat().st_mtime_ns
    guard = Path("/usr/sbin/policy-rc.d").exists()
    start = time.perf_counter()
    done = subprocess.run([str(BOOTSTRAP)], capture_output=True, text=True, timeout=30)
    took = time.perf_counter() - start
    assert done.returncode == 0 and done.stdout == "" and done.stderr == "", done
    assert took < 2.0, f"{took:.2f} s"
    assert Path("/var/lib/dpkg/status").stat().st_mtime_ns == status
    assert Path("/usr/sbin/policy-rc.d").exists() == guard


@needs_root
def test_not_root_prints_the_command_and_installs_nothing() -> None:
    absent = "ivica-test-absent-package"
    assert absent not in installed([absent])
    status = Path("/var/lib/dpkg/status").stat().st_mtime_ns
    env = {**os.environ, "IVICA_APT_PACKAGES": f"{packages()[0]} {absent}"}
    done = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(BOOTSTRAP)],
        capture_output=True, text=True, timeout=30, env=env,
    )  # fmt: skip
    assert done.returncode == 2, done
    assert f"missing here: {absent}\n" in done.stderr
    expected = f"sudo apt-get update && sudo apt-get install -y --no-install-recommends {absent}"
    assert expected in done.stderr.splitlines()[-1]
    assert Path("/var/lib/dpkg/status").stat().st_mtime_ns == status
