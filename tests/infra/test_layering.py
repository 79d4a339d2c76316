"""The layering the design asks for, read from the source: `infra` starts processes and pins
versions and imports none of the parts it starts; the demo, above them all, is what ties them
together; `dashboards.bundle` and `dashboards.server` do not import each other both ways."""

from __future__ import annotations

import ast
from pathlib import Path

from infra.config import REPO_ROOT

PARTS = {"connectors", "contracts", "jobs", "edge_producer", "dashboards", "mlops", "demo"}


def imported(path: Path) -> set[str]:
    """Every module a file imports, at any depth of the file (function-level imports too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_infra_imports_no_part() -> None:
    bad = {
        str(p.relative_to(REPO_ROOT)): sorted(m for m in imported(p) if m.split(".")[0] in PARTS)
        for p in (REPO_ROOT / "infra").rglob("*.py")
    }
    assert {k: v for k, v in bad.items() if v} == {}


def test_dashboard_modules_do_not_import_each_other_both_ways() -> None:
    root = REPO_ROOT / "dashboards"
    bundle, server = imported(root / "bundle.py"), imported(root / "server.py")
    assert not ("dashboards.server" in bundle and "dashboards.bundle" in server)
    assert "dashboards.server" not in bundle
