"""File mode outputs: Flink writes part files into a staging folder; we assemble one JSONL each."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

from jobs.config import Files


class FileOutputs:
    """One JSONL file per result (`results`: the job's output names), the DLQ and late files."""

    def __init__(self, files: Files, results: list[str]) -> None:
        if isinstance(files.output, Path):
            if len(results) > 1:
                raise ValueError("with several outputs, name each file: --output-file OUTPUT=PATH")
            paths = {results[0]: files.output}
            late = files.late or files.output.with_name(files.output.name + ".late")
        else:
            paths = {name: files.output.get(name) for name in results}
            missing = [name for name, path in paths.items() if path is None]
            if missing or set(files.output) - set(results):
                raise ValueError(
                    f"--output-file: the job writes {results}, files were named for"
                    f" {sorted(files.output)}"
                )
            late = files.late or files.dlq.with_name(files.dlq.name + ".late")
        self.results = list(paths)
        self.targets: dict[str, Path] = {**paths, "dlq": files.dlq, "late": late}
        self.staging = files.dlq.with_name(f".{files.dlq.name}.parts")

    def folder(self, name: str) -> Path:
        return self.staging / name

    def prepare(self) -> None:
        if not self.staging.parent.is_dir():
            raise FileNotFoundError(f"output folder {self.staging.parent} does not exist")
        shutil.rmtree(self.staging, ignore_errors=True)
        for name in self.targets:
            self.folder(name).mkdir(parents=True)

    def assemble(self, sort_keys: dict[str, tuple[str, ...]]) -> dict[str, list[dict]]:
        """Write each target file from its committed part files; results sorted by their keys
        (`sort_keys`: per result)."""
        out: dict[str, list[dict]] = {}
        for name, target in self.targets.items():
            rows = [
                json.loads(line)
                for part in sorted(self.folder(name).glob("part-*"))
                for line in part.read_text().splitlines()
                if line.strip()
            ]
            if name in self.results:
                rows.sort(key=lambda r, keys=sort_keys[name]: tuple(r[k] for k in keys))
            tmp = target.with_name(target.name + ".tmp")
            tmp.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows))
            tmp.replace(target)
            out[name] = rows
        shutil.rmtree(self.staging, ignore_errors=True)
        return out


def summary(job: str, rows: dict[str, list[dict]], targets: dict[str, Path]) -> str:
    late = Counter(r["camera_id"] for r in rows["late"])
    results = [name for name in targets if name not in ("dlq", "late")]
    lines = [
        *(f"{job}: {len(rows[n])} {n} results -> {targets[n]}" for n in results),
        f"{job}: {len(rows['dlq'])} dead letters -> {targets['dlq']}",
        f"{job}: {len(rows['late'])} late events -> {targets['late']}",
    ]
    lines += [f"  late from {camera}: {n}" for camera, n in sorted(late.items())]
    return "\n".join(lines)
