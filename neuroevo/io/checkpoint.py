"""Checkpoints: one ``.npz`` file holding arrays plus a JSON record (config, RNG state, history).

A checkpoint is written to a temporary file in the same folder, flushed to disk (``fsync``) and
renamed into place, so the file at the final name is always whole. :func:`write_npz_atomic` can
keep the checkpoint it replaces under a second name, so that there is always an older one to
fall back on. :func:`read_npz` never unpickles and turns every way a file can be damaged
(empty, truncated, bit-flipped, not a checkpoint, a newer format) into one
:class:`CheckpointError` that names the file and what is wrong with it.

For tests, ``NEUROEVO_FAULT_KILL_CHECKPOINT=N`` makes the process kill itself (SIGKILL) half way
through writing its N-th checkpoint, leaving a torn temporary file behind.
"""

from __future__ import annotations

import io
import json
import os
import signal
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

#: Version 2 adds the last generation's genomes and fitness and the run record; version 1
#: files (``Population.save`` before the run engine) are still read.
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
_META = "__meta__"
_ZIP_MAGIC = b"PK\x03\x04"

#: Environment variable of the fault-injection setting (tests only).
FAULT_ENV = "NEUROEVO_FAULT_KILL_CHECKPOINT"
_writes = 0


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used: damaged, foreign, or of an unknown format."""


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(f"cannot store {type(o).__name__} in a checkpoint")


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (a rename inside it) to disk, where the OS allows it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fault_due() -> bool:
    global _writes
    want = os.environ.get(FAULT_ENV)
    if not want:
        return False
    _writes += 1
    return _writes == int(want)


def write_bytes_atomic(path: str | os.PathLike, data: bytes, *, previous: str | os.PathLike | None = None,
                       fault_point: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (temp file, fsync, rename).

    Args:
        path: final file name.
        data: the whole content.
        previous: if given and ``path`` exists, the old file is renamed to this name first.
        fault_point: this write honours the fault-injection setting (checkpoints only).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".tmp-{path.stem}-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            if fault_point and _fault_due():
                fh.write(data[: len(data) // 2])
                fh.flush()
                os.fsync(fh.fileno())
                os.kill(os.getpid(), signal.SIGKILL)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if previous is not None and path.exists():
            os.replace(path, previous)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)
    return path


def encode_npz(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> bytes:
    """The bytes of a checkpoint holding ``arrays`` and the JSON ``meta``."""
    if _META in arrays:
        raise ValueError(f"array name {_META!r} is reserved")
    text = json.dumps(meta | {"format_version": FORMAT_VERSION}, default=_json_default, allow_nan=True)
    buf = io.BytesIO()
    np.savez(buf, **arrays, **{_META: np.array(text)})
    return buf.getvalue()


def write_npz_atomic(path: str | os.PathLike, arrays: dict[str, np.ndarray], meta: dict[str, Any], *,
                     previous: str | os.PathLike | None = None) -> Path:
    """Write ``arrays`` and the JSON ``meta`` to ``path`` atomically; returns the path.

    Args:
        path: file name, ending in ``.npz``.
        arrays: named arrays (numeric or string; never objects).
        meta: JSON-ready record.
        previous: keep the file being replaced under this name.
    """
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"checkpoint path must end in .npz; got {str(path)!r}")
    for name, arr in arrays.items():
        if np.asarray(arr).dtype.kind == "O":
            raise TypeError(f"checkpoint array {name!r} holds Python objects; only numeric arrays are stored")
    data = encode_npz(arrays, meta)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_bytes_atomic(path, data, previous=previous, fault_point=True)


def read_npz(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Inverse of :func:`write_npz_atomic`: ``(arrays, meta)``.

    Raises:
        FileNotFoundError: no file at ``path``.
        CheckpointError: the file is not a whole, readable neuroevo checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {str(path)!r}")
    name = str(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise CheckpointError(f"cannot read checkpoint {name!r}: {exc.strerror or exc}") from None
    if len(head) == 0:
        raise CheckpointError(f"checkpoint {name!r} is empty (0 bytes); it was never written whole")
    if head != _ZIP_MAGIC:
        raise CheckpointError(f"{name!r} is not a neuroevo checkpoint: it is not an .npz archive "
                              f"(it starts with {head!r})")
    try:
        with np.load(path, allow_pickle=False) as data:
            files = data.files
            if _META not in files:
                raise CheckpointError(f"{name!r} is not a neuroevo checkpoint (no {_META} record); "
                                      f"it holds {sorted(files)[:8]}")
            meta = json.loads(str(data[_META]))
            arrays = {k: data[k] for k in files if k != _META}
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, UnicodeDecodeError,
            json.JSONDecodeError) as exc:
        what = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "allow_pickle" in what or "pickled" in what:
            what = "it holds pickled Python objects, which neuroevo never loads"
        raise CheckpointError(f"checkpoint {name!r} is damaged or truncated ({what})") from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"checkpoint {name!r} is damaged: its record is not a JSON object")
    version = meta.get("format_version")
    if version not in READABLE_VERSIONS:
        raise CheckpointError(f"checkpoint {name!r} has format {version!r}; this neuroevo reads formats "
                              f"{list(READABLE_VERSIONS)} (a newer neuroevo wrote it? upgrade neuroevo)")
    return arrays, meta
