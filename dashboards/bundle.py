"""The asset bundle in superset/bundle: render it for this stack, import it, export it back.

The files hold no secret and no address: the database URI reads
`postgresql+psycopg2://ivica_dashboard:XXXXXXXXXX@{{pg_host}}:{{pg_port}}/{{pg_database}}`.
`render` fills host, port and database from the stack config; the password of the read-only
role comes from $IVICA_DASHBOARD_PASSWORD at import. `export_bundle` does the reverse: it
exports the dashboard from Superset, drops what changes on every instance (ids, timestamps)
and puts the placeholders back, so that `git diff superset/bundle` shows only real edits.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import yaml

from connectors.migrate import DASHBOARD_PASSWORD_ENV
from dashboards import settings
from infra.config import StackConfig
from infra.proc import StackError

SIDE_SCRIPT = Path(__file__).with_name("superset_side.py")
PLACEHOLDERS = ("{{pg_host}}", "{{pg_port}}", "{{pg_database}}")
_URI_TAIL = re.compile(r"@[^@/]*/[^?]*")
METADATA = {"version": "1.0.0", "type": "assets"}


# ---------- YAML as the bundle writes it (block style for multi-line strings, key order kept)


class _Dumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def load_dir(root: Path) -> dict[str, Any]:
    """Every YAML file under `root`, parsed, by relative path."""
    return {
        p.relative_to(root).as_posix(): yaml.safe_load(p.read_text())
        for p in sorted(root.rglob("*.yaml"))
    }


# ---------- render and import


def dashboard_password() -> str:
    password = os.environ.get(DASHBOARD_PASSWORD_ENV)
    if not password:
        raise settings.SupersetSettingsError(
            f"{DASHBOARD_PASSWORD_ENV} is not set: it is the password of the read-only "
            "PostgreSQL role ivica_dashboard that Superset connects as (`ivica db migrate` "
            "sets it on the role from the same variable)."
        )
    return password


def render(cfg: StackConfig, dest: Path, bundle_dir: Path = settings.BUNDLE_DIR) -> Path:
    """Copy the bundle to `dest` with the stack's database address filled in."""
    values = (cfg.host, str(cfg.postgres.port), cfg.postgres.database)
    shutil.copytree(bundle_dir, dest, dirs_exist_ok=True)
    for db_file in (dest / "databases").glob("*.yaml"):
        doc = yaml.safe_load(db_file.read_text())
        uri = doc["sqlalchemy_uri"]
        for placeholder, value in zip(PLACEHOLDERS, values, strict=True):
            uri = uri.replace(placeholder, value)
        doc["sqlalchemy_uri"] = uri
        db_file.write_text(dump_yaml(doc))
    return dest


def zip_dir(src: Path, root: str = "ivica_bundle") -> bytes:
    """A Superset bundle zip: every file under one top-level folder."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(src.rglob("*")):
            if p.is_file():
                z.write(p, f"{root}/{p.relative_to(src).as_posix()}")
    return buf.getvalue()


def _side(cfg: StackConfig, *args: str, env: dict[str, str] | None = None) -> str:
    if not settings.config_path(cfg).is_file():
        raise StackError("Superset is not bootstrapped: run `ivica superset bootstrap` first")
    proc = subprocess.run(
        [str(settings.venv_bin("python")), str(SIDE_SCRIPT), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **settings.superset_env(cfg), **(env or {})},
        check=False,
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise StackError(f"superset {args[0]} failed ({proc.returncode}):\n{tail}")
    return proc.stdout


def import_bundle(cfg: StackConfig, bundle_dir: Path = settings.BUNDLE_DIR, echo=print) -> Path:
    """Render, zip and import the bundle, overwriting what an earlier import created."""
    password = dashboard_password()
    settings.check_secret_key(os.environ.get(settings.SECRET_KEY_ENV))
    out = settings.superset_dir(cfg) / "bundle.zip"
    with tempfile.TemporaryDirectory() as tmp:
        rendered = render(cfg, Path(tmp) / "bundle", bundle_dir)
        passwords = {
            p.relative_to(rendered).as_posix(): password
            for p in (rendered / "databases").glob("*.yaml")
        }
        out.write_bytes(zip_dir(rendered))
    _side(cfg, "import", str(out), env={"IVICA_SUPERSET_PASSWORDS": json.dumps(passwords)})
    echo(f"imported {bundle_dir} ({len(load_dir(bundle_dir))} files)")
    return out


# ---------- export and normalise


def _untemplate_uri(uri: str) -> str:
    return _URI_TAIL.sub(f"@{PLACEHOLDERS[0]}:{PLACEHOLDERS[1]}/{PLACEHOLDERS[2]}", uri, count=1)


_QC_VOLATILE = ("datasource", "slice_id", "dashboards", "dashboardId")


def normalize_chart(chart: dict[str, Any]) -> dict[str, Any]:
    """Drop per-instance ids from a chart (params and the saved query_context)."""
    params = chart.get("params") or {}
    for key in _QC_VOLATILE:
        params.pop(key, None)
    qc_text = chart.get("query_context")
    if qc_text:
        try:
            qc = json.loads(qc_text)
        except json.JSONDecodeError:
            qc = None
        if isinstance(qc, dict):
            qc.pop("datasource", None)
            for key in _QC_VOLATILE:
                (qc.get("form_data") or {}).pop(key, None)
            for query in qc.get("queries") or []:
                query.pop("datasource", None)
            chart["query_context"] = json.dumps(qc, indent=2, sort_keys=True)
    return chart


def _chart_ids(position: dict[str, Any]) -> dict[str, int]:
    """uuid -> chartId of the charts placed in a dashboard's position."""
    return {
        node["meta"]["uuid"]: node["meta"]["chartId"]
        for node in position.values()
        if isinstance(node, dict) and node.get("type") == "CHART" and "uuid" in node.get("meta", {})
    }


def _remap_ids(dashboard: dict[str, Any], id_map: dict[int, int]) -> None:
    """Rewrite chart ids in position and metadata with `id_map` (exported id -> bundle id)."""

    def m(i: Any) -> Any:
        return id_map.get(int(i), i) if isinstance(i, int | str) and str(i).isdigit() else i

    def ml(ids: list[Any]) -> list[Any]:
        return sorted(m(i) for i in ids)

    for node in dashboard.get("position", {}).values():
        if isinstance(node, dict) and node.get("type") == "CHART":
            node["meta"]["chartId"] = m(node["meta"]["chartId"])
    meta = dashboard.get("metadata") or {}
    meta["timed_refresh_immune_slices"] = ml(meta.get("timed_refresh_immune_slices") or [])
    for key in ("expanded_slices", "filter_scopes"):
        if isinstance(meta.get(key), dict):
            meta[key] = {str(m(k)): v for k, v in meta[key].items()}
    if isinstance(meta.get("chart_configuration"), dict):
        conf = {}
        for k, v in meta["chart_configuration"].items():
            if isinstance(v, dict):
                v["id"] = m(v.get("id", k))
                scope = (v.get("crossFilters") or {}).get("chartsInScope")
                if scope is not None:
                    v["crossFilters"]["chartsInScope"] = ml(scope)
            conf[str(m(k))] = v
        meta["chart_configuration"] = dict(sorted(conf.items(), key=lambda kv: int(kv[0])))
    gcc = meta.get("global_chart_configuration") or {}
    if "chartsInScope" in gcc:
        gcc["chartsInScope"] = ml(gcc["chartsInScope"])
    charts = sorted(_chart_ids(dashboard.get("position", {})).values())
    for f in meta.get("native_filter_configuration") or []:
        scope = f.get("scope") or {}
        if "excluded" in scope:
            scope["excluded"] = ml(scope["excluded"])
        if "chartsInScope" not in f:
            continue
        if scope.get("rootPath") == ["ROOT_ID"]:
            # Superset's import remaps a filter's `excluded` but leaves `chartsInScope` as the
            # bundle had it (its web app recomputes that from the scope): with several
            # dashboards those ids name other charts. Write it from the scope instead.
            f["chartsInScope"] = [c for c in charts if c not in scope.get("excluded", [])]
        else:
            f["chartsInScope"] = ml(f["chartsInScope"])


# Written by the UI as it renders (label colours), not by an analyst's edit.
_DASHBOARD_VOLATILE_META = ("shared_label_colors", "map_label_colors", "color_scheme_domain")


def normalize_dashboard(dashboard: dict[str, Any], bundle_ids: dict[str, int]) -> None:
    exported = _chart_ids(dashboard.get("position", {}))
    next_id = max([0, *bundle_ids.values()]) + 1
    id_map: dict[int, int] = {}
    for uuid, old in sorted(exported.items(), key=lambda kv: kv[1]):
        if uuid in bundle_ids:
            id_map[old] = bundle_ids[uuid]
        else:
            id_map[old] = next_id
            next_id += 1
    _remap_ids(dashboard, id_map)
    for key in _DASHBOARD_VOLATILE_META:
        (dashboard.get("metadata") or {}).pop(key, None)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "unnamed"


def normalize_export(files: dict[str, Any], bundle: dict[str, Any]) -> dict[str, Any]:
    """Exported files (path -> parsed YAML) as bundle files: stable names, no ids, templates."""
    by_uuid = {
        doc["uuid"]: path for path, doc in bundle.items() if isinstance(doc, dict) and "uuid" in doc
    }
    bundle_ids: dict[str, int] = {}
    for path, doc in bundle.items():
        if path.startswith("dashboards/"):
            bundle_ids.update(_chart_ids(doc.get("position", {})))
    out: dict[str, Any] = {"metadata.yaml": dict(METADATA)}
    for path, doc in files.items():
        kind = path.split("/", 1)[0]
        if kind not in ("databases", "datasets", "charts", "dashboards"):
            continue  # metadata.yaml, themes/, tags: not part of the bundle
        if kind == "databases":
            doc["sqlalchemy_uri"] = _untemplate_uri(doc["sqlalchemy_uri"])
            doc.pop("password", None)
            name = f"databases/{_slug(doc['database_name'])}.yaml"
        elif kind == "datasets":
            # Superset lists columns in database order, which differs between instances.
            doc["columns"] = sorted(doc.get("columns") or [], key=lambda c: c["column_name"])
            doc["metrics"] = sorted(doc.get("metrics") or [], key=lambda m: m["metric_name"])
            name = f"datasets/{path.split('/')[1]}/{doc['table_name']}.yaml"
        elif kind == "charts":
            normalize_chart(doc)
            name = f"charts/{_slug(doc['slice_name'])}.yaml"
        else:
            normalize_dashboard(doc, bundle_ids)
            name = f"dashboards/{_slug(doc['dashboard_title'])}.yaml"
        out[by_uuid.get(doc.get("uuid"), name)] = doc
    return out


def export_bundle(
    cfg: StackConfig, bundle_dir: Path = settings.BUNDLE_DIR, echo=print
) -> list[str]:
    """Export the bundle's dashboard(s) from Superset into `bundle_dir`; return changed paths."""
    bundle = load_dir(bundle_dir)
    dashboards = [doc["uuid"] for p, doc in bundle.items() if p.startswith("dashboards/")]
    if not dashboards:
        raise StackError(f"no dashboard in {bundle_dir}/dashboards")
    exported: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, uuid in enumerate(dashboards):
            zpath = Path(tmp) / f"export-{i}.zip"
            _side(cfg, "export", uuid, str(zpath))
            with zipfile.ZipFile(zpath) as z:
                for name in z.namelist():
                    if name.endswith(".yaml"):
                        exported[name] = yaml.safe_load(z.read(name))
    files = normalize_export(exported, bundle)
    changed = []
    for rel, doc in files.items():
        path = bundle_dir / rel
        if bundle.get(rel) != doc:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dump_yaml(doc))
            changed.append(rel)
    for rel in sorted(set(bundle) - set(files)):
        (bundle_dir / rel).unlink()
        changed.append(rel)
    for rel in changed:
        echo(f"  {rel}")
    echo(f"exported into {bundle_dir}: {len(changed)} file(s) changed")
    return sorted(changed)
