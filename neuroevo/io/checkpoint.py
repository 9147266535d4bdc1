"""Checkpoints: one ``.npz`` file holding arrays plus a JSON record (config, RNG state, history).

Files are written to a temporary name and renamed into place, so a checkpoint on disk is
always whole.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

FORMAT_VERSION = 1
_META = "__meta__"


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"cannot store {type(o).__name__} in a checkpoint")


def write_npz_atomic(path: str | os.PathLike, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Path:
    """Write ``arrays`` and the JSON ``meta`` to ``path`` atomically; returns the path."""
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"checkpoint path must end in .npz; got {str(path)!r}")
    if _META in arrays:
        raise ValueError(f"array name {_META!r} is reserved")
    text = json.dumps(meta | {"format_version": FORMAT_VERSION}, default=_json_default)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays, **{_META: np.array(text)})
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def read_npz(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Inverse of :func:`write_npz_atomic`: ``(arrays, meta)``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {str(path)!r}")
    with np.load(path, allow_pickle=False) as data:
        if _META not in data.files:
            raise ValueError(f"{str(path)!r} is not a neuroevo checkpoint (no {_META} record)")
        meta = json.loads(str(data[_META]))
        arrays = {k: data[k] for k in data.files if k != _META}
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"checkpoint format {meta.get('format_version')} is not supported "
                         f"(this neuroevo reads format {FORMAT_VERSION})")
    return arrays, meta
