"""Resolve the JVM parts of the stack from Maven Central with infra/pom.xml, and build the
jobs' functions JAR (jobs/udf) next to the Kafka connector."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess

from infra.config import LIB_DIR, REPO_ROOT
from infra.proc import StackError, require_tool
from infra.versions import maven_properties

POM = REPO_ROOT / "infra" / "pom.xml"
UDF_POM = REPO_ROOT / "jobs" / "udf" / "pom.xml"
STAMP = LIB_DIR / ".versions"


def udf_digest() -> str:
    """A hash of the functions' sources: a change rebuilds the JAR."""
    h = hashlib.sha256()
    for path in sorted(UDF_POM.parent.rglob("*")):
        if path.is_file() and "target" not in path.relative_to(UDF_POM.parent).parts:
            h.update(str(path.relative_to(UDF_POM.parent)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def check_java(minimum: int = 17) -> None:
    require_tool(
        "java", f"Install a JDK {minimum} (Debian: apt-get install openjdk-17-jdk-headless)."
    )
    out = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False).stderr
    m = re.search(r'version "(\d+)', out)
    if not m or int(m.group(1)) < minimum:
        raise StackError(f"Java {minimum}+ is required, found: {out.splitlines()[:1]}")


def stamp_text() -> str:
    """What infra/lib was fetched from: the versions, the pom, the functions' sources.
    Any change re-runs Maven on the next `ivica stack up`."""
    stamp = "\n".join(f"{k}={v}" for k, v in sorted(maven_properties().items()))
    stamp += f"\npom={hashlib.sha256(POM.read_bytes()).hexdigest()}"
    return stamp + f"\nudf.sources={udf_digest()}"


def fetch(force: bool = False) -> bool:
    """Copy the JARs into infra/lib; returns False when they were already there."""
    props = maven_properties()
    stamp = stamp_text()
    if not force and STAMP.exists() and STAMP.read_text() == stamp:
        return False
    check_java()
    mvn = require_tool("mvn", "Install Maven 3.8+ (Debian: apt-get install maven).")
    common = ["-q", "-B", f"-Divica.lib={LIB_DIR}", *(f"-D{k}={v}" for k, v in props.items())]
    # No JAR of an older version stays; Maven's unpack markers go too, or it skips the unpack.
    for stale in (
        *(LIB_DIR / d for d in ("kafka", "flink", "connect-plugins", "s3proxy")),
        POM.parent / "target",
        UDF_POM.parent / "target",
    ):
        shutil.rmtree(stale, ignore_errors=True)
    for pom, what in ((POM, "resolve the stack's JARs"), (UDF_POM, "build jobs/udf")):
        done = subprocess.run(
            [mvn, *common, "-f", str(pom), "package"], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise StackError(f"Maven could not {what}:\n" + (done.stdout + done.stderr)[-3000:])
    STAMP.write_text(stamp)
    return True
