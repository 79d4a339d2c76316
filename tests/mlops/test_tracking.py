"""The MLflow tracking server of `ivica stack up --with mlops`, for real: runs land in the
stack's PostgreSQL (database mlflow) and artifacts in its S3 server (bucket mlflow), checked
there directly, not through MLflow."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import mlflow
import psycopg
import pytest

from infra.services.postgres import Postgres
from infra.services.s3 import S3
from ivica.cli import main

pytestmark = pytest.mark.integration


def test_a_run_lands_in_postgres_and_its_artifact_in_s3(mlflow_server, tmp_path):
    mlflow.set_tracking_uri(mlflow_server.mlflow_url)
    experiment = f"test-tracking-{uuid.uuid4().hex[:8]}"
    mlflow.set_experiment(experiment)
    note = tmp_path / "note.txt"
    note.write_text("trained on nothing, for the test")
    with mlflow.start_run() as run:
        mlflow.log_param("epochs", 3)
        for step, loss in enumerate([0.9, 0.5, 0.2]):
            mlflow.log_metric("loss", loss, step=step)
        mlflow.log_artifact(str(note))
    run_id = run.info.run_id

    with psycopg.connect(Postgres(mlflow_server).dsn("mlflow")) as conn:
        losses = conn.execute(
            "SELECT step, value FROM metrics WHERE run_uuid = %s AND key = 'loss' ORDER BY step",
            (run_id,),
        ).fetchall()
        params = conn.execute(
            "SELECT key, value FROM params WHERE run_uuid = %s", (run_id,)
        ).fetchall()
        name = conn.execute(
            "SELECT e.name FROM runs r JOIN experiments e USING (experiment_id) "
            "WHERE r.run_uuid = %s",
            (run_id,),
        ).fetchone()
    assert losses == [(0, 0.9), (1, 0.5), (2, 0.2)]
    assert params == [("epochs", "3")]
    assert name == (experiment,)

    s3 = S3(mlflow_server).client()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="mlflow").get("Contents", [])]
    (key,) = [k for k in keys if run_id in k and k.endswith("note.txt")]
    assert s3.get_object(Bucket="mlflow", Key=key)["Body"].read() == note.read_bytes()


def test_eval_gender_logs_its_report(mlflow_server, tmp_path):
    report_json = tmp_path / "report.json"
    folder = Path(__file__).resolve().parents[3] / "shared" / "media" / "faces_london"
    assert main(["eval", "gender", str(folder), "--report-json", str(report_json),
                 "--tracking-uri", mlflow_server.mlflow_url]) == 0  # fmt: skip
    report = json.loads(report_json.read_text())
    with psycopg.connect(Postgres(mlflow_server).dsn("mlflow")) as conn:
        run_uuid, accuracy = conn.execute(
            "SELECT r.run_uuid, m.value FROM runs r JOIN experiments e USING (experiment_id) "
            "JOIN metrics m ON m.run_uuid = r.run_uuid AND m.key = 'accuracy' "
            "WHERE e.name = 'ivica-eval-gender' ORDER BY r.start_time DESC LIMIT 1"
        ).fetchone()
    assert accuracy == pytest.approx(report["accuracy"]) and report["n"] == 51
    keys = [o["Key"] for o in S3(mlflow_server).client().list_objects_v2(
        Bucket="mlflow", Prefix="").get("Contents", []) if run_uuid in o["Key"]]  # fmt: skip
    names = {k.rsplit("/", 1)[-1] for k in keys}
    assert {"report.json", "predictions.csv", "confusion.png", "pr_curve.png"} <= names
