"""Resolve the JVM parts of the stack from Maven Central with infra/pom.xml."""

from __future__ import annotations

import re
import shutil
import subprocess

from infra.config import LIB_DIR, REPO_ROOT
from infra.proc import StackError, require_tool
from infra.versions import maven_properties

POM = REPO_ROOT / "infra" / "pom.xml"
STAMP = LIB_DIR / ".versions"


def check_java(minimum: int = 17) -> None:
    require_tool(
        "java", f"Install a JDK {minimum} (Debian: apt-get install openjdk-17-jdk-headless)."
    )
    out = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False).stderr
    m = re.search(r'version "(\d+)', out)
    if not m or int(m.group(1)) < minimum:
        raise StackError(f"Java {minimum}+ is required, found: {out.splitlines()[:1]}")


def fetch(force: bool = False) -> bool:
    """Copy the JARs into infra/lib; returns False when they were already there."""
    props = maven_properties()
    stamp = "\n".join(f"{k}={v}" for k, v in sorted(props.items()))
    if not force and STAMP.exists() and STAMP.read_text() == stamp:
        return False
    check_java()
    mvn = require_tool("mvn", "Install Maven 3.8+ (Debian: apt-get install maven).")
    cmd = [
        mvn,
        "-q",
        "-B",
        "-f",
        str(POM),
        f"-Divica.lib={LIB_DIR}",
        *(f"-D{k}={v}" for k, v in props.items()),
        "package",
    ]
    # No JAR of an older version stays; Maven's unpack markers go too, or it skips the unpack.
    for stale in (
        *(LIB_DIR / d for d in ("kafka", "flink", "connect-plugins")),
        POM.parent / "target",
    ):
        shutil.rmtree(stale, ignore_errors=True)
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise StackError(
            "Maven could not resolve the stack's JARs:\n" + (done.stdout + done.stderr)[-3000:]
        )
    STAMP.write_text(stamp)
    return True
