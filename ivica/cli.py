"""The `ivica` command: a thin face over the packages that own the work."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pydantic import ValidationError

from connectors.connect import ConnectError
from edge_producer.errors import EdgeError, ModelError, SourceError
from infra.config import load_config
from infra.proc import StackError
from mlops.datasets import DatasetError


def _stack(args: argparse.Namespace) -> int:
    from infra import stack
    from infra.config import load_config
    from infra.fetch import fetch

    if args.action == "fetch":
        print("JARs fetched" if fetch(force=True) else "JARs up to date")
        return 0
    if args.with_ and args.action != "up":
        raise StackError("--with goes with `up`; `down` and `status` cover every service")
    cfg = load_config(args.config)
    if args.action == "up":
        from demo import topics

        stack.up(cfg, with_=args.with_ or ())
        made = topics.ensure_raw(cfg).created  # their retention bounds a replay's reach
        if made:
            print(f"raw topics created: {', '.join(made)}")
    elif args.action == "down":
        stack.down(cfg)
    else:
        rows = stack.status(cfg)
        for r in rows:
            state = "healthy" if r.healthy else ("running, unhealthy" if r.running else "stopped")
            if r.optional and not r.running:
                state = "stopped (optional)"
            print(f"{r.name:<9} {state:<19} {r.address}")
        return 0 if all(r.ok for r in rows) else 3
    return 0


def _demo(args: argparse.Namespace) -> int:
    from demo import run

    cfg = load_config(args.config)
    if args.down:
        run.down(cfg)
    else:
        run.up(cfg, port=args.port, mlops=not args.no_mlops)
    return 0


def _jobs(args: argparse.Namespace) -> int:
    from jobs import replay

    try:
        replay.backfill(
            load_config(args.config), start=args.start, end=args.end, cameras=args.camera,
            site=args.site, everything=args.all, yes=args.yes,
        )  # fmt: skip
    except replay.Refused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    return 0


def _db(args: argparse.Namespace) -> int:
    from connectors.migrate import migrate, set_k_min
    from infra.config import load_config
    from infra.services.postgres import Postgres

    dsn = Postgres(load_config(args.config)).dsn()
    if args.action == "migrate":
        applied = migrate(dsn)
        print(f"{len(applied)} migration(s) applied" if applied else "schema up to date")
    else:
        set_k_min(dsn, args.k)
        print(f"dashboard views now suppress demographic counts below {args.k}")
    return 0


def _connect(args: argparse.Namespace) -> int:
    from connectors import connect
    from infra.config import load_config

    cfg = load_config(args.config)
    settings = connect.stack_settings(cfg)
    configs = connect.render(settings)
    if args.action == "apply":
        states = connect.apply(cfg.connect_url, configs)
    elif args.action == "restart":
        states = connect.restart_failed(cfg.connect_url, [c["name"] for c in configs])
    elif args.action == "delete":
        gone = connect.delete(cfg.connect_url, [c["name"] for c in configs])
        print(f"deleted {len(gone)} connector(s)")
        return 0
    else:
        states = connect.status(cfg.connect_url, [c["name"] for c in configs])
    print(connect.format_status(states))
    ok = all(t["state"] == "RUNNING" for s in states for t in s["tasks"])
    return 0 if ok else 3


def _superset(args: argparse.Namespace) -> int:
    import dashboards
    from infra.config import load_config

    cfg = load_config(args.config)
    if args.action == "bootstrap":
        dashboards.bootstrap(cfg)
    elif args.action == "import":
        dashboards.import_bundle(cfg)
    elif args.action == "export":
        dashboards.export_bundle(cfg)
    elif args.action == "serve":
        dashboards.serve(cfg, args.port)
    else:
        dashboards.stop(cfg)
    return 0


def _edge(args: argparse.Namespace) -> int:
    from edge_producer import app, probe

    if args.action == "geometry":
        from edge_producer.geometry.draw import draw_on_source

        if args.what != "draw" or not (args.source and args.geometry and args.out):
            raise EdgeError("usage: ivica edge geometry draw --source S --geometry F --out PNG")
        print(draw_on_source(args.source, args.geometry, args.out))
        return 0
    cfg = app.edge_config(
        args.config,
        source=args.source,
        pipeline=args.pipeline,
        output_file=args.output_file,
        site_id=args.site_id,
        camera_id=args.camera_id,
        start_time=args.start_time,
        max_frames=args.max_frames,
        preview=args.preview,
        geometry=args.geometry,
    )
    if args.action == "probe":
        checks = probe.probe(cfg)
        for c in checks:
            print(f"{'ok  ' if c.ok else 'FAIL'} {c.name:<13} {c.detail}")
        return 0 if all(c.ok for c in checks) else 3
    report = app.run_with_progress(cfg)
    print(report.summary(), file=sys.stderr)
    return 0


def _eval(args: argparse.Namespace) -> int:
    if args.kind == "tracking":
        from mlops.eval_tracking import evaluate_tracking, summary

        report = evaluate_tracking(
            args.folder, args.report_json, source=args.source, events=args.events,
            tracks=args.tracks, config=args.config, max_frames=args.max_frames,
            first_frame=args.first_frame, benchmark=args.benchmark,
            tracking_uri=args.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI"),
        )  # fmt: skip
        print(f"{summary(report)}; report {args.report_json}")
        return 0
    if args.kind in ("detector", "faces"):
        from mlops.eval_detector import evaluate_detector

        if args.images is None:
            raise DatasetError(f"eval {args.kind} needs --images DIR (the annotated images)")
        role = "people" if args.kind == "detector" else "faces"
        r = evaluate_detector(
            args.folder, args.images, args.report_json, args.model, args.decoder, role
        )
        at = r["at_threshold"]
        print(
            f"{r['model']['name']} {r['model']['version']} on {r['images']} images, "
            f"{r['objects']} {role}: mAP {r['map']:.3f}, mAP@0.5 {r['map50']:.3f}; at score "
            f"{at['score_threshold']}: precision {at['precision']:.3f}, recall {at['recall']:.3f}"
        )
        return 0
    from mlops.evaluate import evaluate_gender

    uri = args.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    report = evaluate_gender(args.folder, args.report_json, model=args.model, tracking_uri=uri)
    female, male = report["per_class"]["female"], report["per_class"]["male"]
    print(
        f"{report['model']['name']} {report['model']['version']} on {report['n']} faces: "
        f"accuracy {report['accuracy']:.3f}, F1 female {female['f1']:.3f}, male {male['f1']:.3f}"
        f" ({report['detector_missed']} faces the detector missed); report {args.report_json}"
    )
    return 0


def _model(args: argparse.Namespace) -> int:
    if args.action == "build-engine":
        from mlops.engine import build_engine

        out = build_engine(
            args.onnx, args.out, args.precision, calibration=args.calibration,
            calibration_cache=args.calibration_cache, role=args.role, decoder=args.decoder,
            workspace_mb=args.workspace_mb,
        )  # fmt: skip
        print(f"{args.precision} engine written to {out}")
        return 0
    if args.action == "pull":
        from edge_producer import app
        from edge_producer.registry import pull_all

        cfg = app.edge_config(args.config, source="-")
        uri = args.tracking_uri or cfg.registry.uri
        if uri is None:
            raise EdgeError("no registry: pass --tracking-uri or set registry.uri in --config")
        for role, ref in pull_all(cfg.registry.model_copy(update={"uri": uri})).items():
            print(f"{role:<7} " + (f"{ref.name} {ref.version} {ref.path}" if ref else "bundled"))
        return 0
    from mlops import registry

    uri = args.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or load_config().mlflow_url
    if args.action == "register":
        version = registry.register(uri, args.onnx, args.name, args.role, args.decoder)
        print(f"{args.name} version {version} registered at {uri}")
    elif args.action == "promote":
        registry.promote(uri, args.name, args.version, args.alias)
        print(f"{args.name}@{args.alias} is version {args.version}")
    else:
        for r in registry.versions(uri):
            print(f"{r.name:<16} {r.version:>4} {r.role:<7} {r.sha256[:12]} {','.join(r.aliases)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ivica", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    st = sub.add_parser(
        "stack",
        help="the local stack: Kafka, PostgreSQL, Kafka Connect, Flink (+ RabbitMQ, S3 on request)",
    )
    st.add_argument("action", choices=["up", "down", "status", "fetch"])
    st.add_argument(
        "--with",
        dest="with_",
        action="append",
        metavar="NAMES",
        help="up: optional services too, comma-separated or repeated: rabbitmq, s3, mlops",
    )
    st.add_argument(
        "--config", help="stack YAML (default: $IVICA_STACK_CONFIG or infra/stack.yaml)"
    )
    st.set_defaults(func=_stack)
    con = sub.add_parser("connect", help="Kafka Connect JDBC sinks (connectors/sinks/*.json)")
    con.add_argument(
        "action",
        choices=["apply", "status", "restart", "delete"],
        help="restart: the failed sinks and tasks, which resume where they stopped",
    )
    con.add_argument("--config", help="stack YAML (default: infra/stack.yaml)")
    con.set_defaults(func=_connect)
    db = sub.add_parser("db", help="PostgreSQL schema: migrations, privacy threshold")
    db.add_argument("action", choices=["migrate", "set-k"])
    db.add_argument("--k", type=int, default=5, help="set-k: smallest count shown (k-anonymity)")
    db.add_argument("--config", help="stack YAML (default: infra/stack.yaml)")
    db.set_defaults(func=_db)
    ss = sub.add_parser("superset", help="dashboards as code: local Superset and the bundle")
    ss.add_argument("action", choices=["bootstrap", "import", "export", "serve", "stop"])
    ss.add_argument("--port", type=int, default=8088, help="serve: web server port")
    ss.add_argument("--config", help="stack YAML (default: infra/stack.yaml)")
    ss.set_defaults(func=_superset)
    jo = sub.add_parser("jobs", help="the Flink jobs on the stack (docs/backfill.md)")
    jo_sub = jo.add_subparsers(dest="action", required=True)
    bf = jo_sub.add_parser(
        "backfill", help="replace the results of a range by a replay of the raw topics"
    )
    bf.add_argument("--from", dest="start", help="the range's start, ISO-8601 with zone")
    bf.add_argument("--to", dest="end", help="the range's end, ISO-8601 with zone (default: now)")
    bf.add_argument("--camera", action="append", help="only this camera (repeatable)")
    bf.add_argument("--site", help="only this site's cameras")
    bf.add_argument(
        "--all", action="store_true", help="empty every result table, then replay everything"
    )
    bf.add_argument("--yes", action="store_true", help="--all without asking")
    bf.add_argument("--config", help="stack YAML (default: infra/stack.yaml)")
    bf.set_defaults(func=_jobs)
    demo = sub.add_parser(
        "demo", help="the whole system on this machine: real clips in, a live dashboard out"
    )
    demo.add_argument("--config", help="stack YAML (default: infra/stack.yaml)")
    demo.add_argument("--down", action="store_true", help="stop the cameras, Superset, the stack")
    demo.add_argument("--port", type=int, default=8088, help="Superset's port")
    demo.add_argument("--no-mlops", action="store_true", help="without MLflow and S3")
    demo.set_defaults(func=_demo)
    edge = sub.add_parser("edge", help="the edge: camera frames to contract events")
    edge.add_argument("action", choices=["run", "probe", "geometry"])
    edge.add_argument("what", nargs="?", choices=["draw"], help="geometry: draw")
    edge.add_argument("--config", help="edge YAML (see docs/edge.md); flags override it")
    edge.add_argument("--source", help="video file, image folder, webcam index, csi://N or URL")
    edge.add_argument("--pipeline", choices=["people", "gender", "all"])
    edge.add_argument("--output-file", help="write every event as one JSON line here")
    edge.add_argument("--site-id")
    edge.add_argument("--camera-id")
    edge.add_argument("--start-time", help="file sources: capture time of frame 0 (ISO 8601)")
    edge.add_argument("--max-frames", type=int, help="stop after this many processed frames")
    edge.add_argument("--preview", help="debug: annotated frames to a folder or a .mp4 file")
    edge.add_argument("--geometry", help="lines and zones YAML (docs/zones.md)")
    edge.add_argument("--out", help="geometry draw: the PNG to write")
    edge.set_defaults(func=_edge)
    ev = sub.add_parser("eval", help="evaluate a model on labelled data (docs/mlops.md)")
    ev.add_argument("kind", choices=["gender", "detector", "faces", "tracking"])
    ev.add_argument(
        "folder",
        type=Path,
        help="gender: labels.csv + images/, or UTKFace-named images; detector (people) and "
        "faces: a COCO annotation file; tracking: a MOTChallenge ground truth (gt.txt)",
    )
    ev.add_argument("--images", type=Path, help="detector, faces: the annotated images' folder")
    ev.add_argument("--decoder", help="detector, faces: output format of an ONNX given by path")
    ev.add_argument("--report-json", type=Path, required=True, help="the JSON report")
    ev.add_argument("--model", help="ONNX path or bundled model name (default: the edge's)")
    ev.add_argument("--tracking-uri", help="log to this MLflow (default: $MLFLOW_TRACKING_URI)")
    ev.add_argument("--source", help="tracking: run the edge's people pipeline over this clip")
    ev.add_argument(
        "--events", type=Path, help="tracking: an events file of `ivica edge run --output-file`"
    )
    ev.add_argument("--tracks", type=Path, help="tracking: a MOTChallenge tracker output file")
    ev.add_argument("--config", type=Path, help="tracking --source: edge YAML (default: defaults)")
    ev.add_argument("--max-frames", type=int, help="tracking: evaluate at most this many frames")
    ev.add_argument(
        "--first-frame",
        type=int,
        default=0,
        help="tracking --source/--events: the clip's frame index (0-based) of ground-truth "
        "frame 1; earlier frames run unscored (default 0)",
    )
    ev.add_argument(
        "--benchmark",
        choices=["auto", "MOT15", "MOT16", "MOT17", "MOT20"],
        default="auto",
        help="tracking: the ground truth's rules, as TrackEval's (auto: MOT17 when the 8th "
        "column holds classes 1..13, else MOT15)",
    )
    ev.set_defaults(func=_eval)
    mo = sub.add_parser("model", help="the model registry (MLflow): register, list, promote, pull")
    mo_sub = mo.add_subparsers(dest="action", required=True)
    reg = mo_sub.add_parser("register", help="an ONNX file as a new version of a model")
    reg.add_argument("onnx", type=Path)
    reg.add_argument("--name", required=True, help="registered model, e.g. ivica-gender")
    reg.add_argument("--role", required=True, choices=["people", "faces", "gender"])
    reg.add_argument("--decoder", help="output format (yolox, yolov5, nanodet, yunet)")
    mo_sub.add_parser("list", help="every version, its role, sha256 and aliases")
    pro = mo_sub.add_parser("promote", help="point an alias (production) at a version")
    pro.add_argument("name")
    pro.add_argument("version")
    pro.add_argument("--alias", default="production")
    eng = mo_sub.add_parser("build-engine", help="a TensorRT engine from an ONNX file (on a GPU)")
    eng.add_argument("onnx", type=Path)
    eng.add_argument("--out", type=Path, required=True, help="the engine file (.plan)")
    eng.add_argument("--precision", choices=["fp32", "fp16", "int8"], default="fp16")
    eng.add_argument("--calibration", type=Path, help="int8: a folder of images to calibrate on")
    eng.add_argument("--calibration-cache", type=Path, help="int8: written, or read when given")
    eng.add_argument("--role", choices=["people", "faces", "gender"], help="int8 calibration")
    eng.add_argument("--decoder", help="int8 calibration of a detector given by path")
    eng.add_argument("--workspace-mb", type=int, default=1024)
    pul = mo_sub.add_parser("pull", help="fetch the edge's models into its cache, as at start")
    pul.add_argument("--config", help="edge YAML (its registry section)")
    for p in (reg, mo_sub.choices["list"], pro, pul):
        p.add_argument(
            "--tracking-uri",
            help="MLflow URI (default: $MLFLOW_TRACKING_URI, else the local stack's; pull: "
            "the config's registry.uri)",
        )
    mo.set_defaults(func=_model)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (StackError, ConnectError, EdgeError, ModelError, SourceError, DatasetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ValidationError as exc:
        print(f"error: invalid configuration: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
