"""Run folders: ``config.json`` first, then ``metrics.jsonl`` rows, checkpoints and plots."""

from __future__ import annotations

import json
import math
import os
import re
import time
from pathlib import Path
from typing import Any

from neuroevo.io.checkpoint import write_bytes_atomic


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def _label(text: str) -> str:
    """A folder-name-safe version of a task or strategy name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "run"


def make_unique_dir(root: str | Path, base: str) -> Path:
    """Create ``root/base/`` (``root/base-2/``, ``-3``... if taken), unique even for processes started together.

    ``mkdir`` without ``exist_ok`` is the atomic test: of two processes that pick the same name,
    one gets ``FileExistsError`` and moves on to the next suffix.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        path = root / (base if n == 1 else f"{base}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"could not find a free folder name under {str(root)!r} for {base!r}")


def make_run_dir(root: str | Path, task: str, strategy: str, seed: int) -> Path:
    """Create ``root/{task}__{strategy}__s{seed}__{time}/`` (see :func:`make_unique_dir`)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return make_unique_dir(root, f"{_label(task)}__{_label(strategy)}__s{seed}__{stamp}")


def json_text(data: Any) -> str:
    return json.dumps(_clean(data), indent=2, default=str) + "\n"


def write_json(path: str | Path, data: dict[str, Any]) -> Path:
    """Write ``data`` as JSON, atomically (a reader never sees half a file)."""
    return write_bytes_atomic(path, json_text(data).encode())


def read_json(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{str(path)!r} is not valid JSON ({exc.msg} at line {exc.lineno}); "
                         f"was it edited by hand?") from None
    if not isinstance(data, dict):
        raise ValueError(f"{str(path)!r} must hold a JSON object; got {type(data).__name__}")
    return data


class RunLog:
    """Appends one JSON line per generation to ``metrics.jsonl``."""

    def __init__(self, run_dir: str | Path):
        self.path = Path(run_dir) / "metrics.jsonl"

    def append(self, row: dict[str, Any]) -> None:
        with self.path.open("a") as fh:
            fh.write(json.dumps(_clean(row)) + "\n")

    def extend(self, rows) -> None:
        if not rows:
            return
        with self.path.open("a") as fh:
            fh.write("".join(json.dumps(_clean(r)) + "\n" for r in rows))

    def rewrite(self, rows) -> None:
        """Replace the file with exactly ``rows`` (atomically): the rows of the checkpoint a run resumes."""
        text = "".join(json.dumps(_clean(r)) + "\n" for r in rows)
        write_bytes_atomic(self.path, text.encode())


def read_metrics(run_dir: str | Path) -> list[dict[str, Any]]:
    """Rows of ``metrics.jsonl`` in a run folder (a torn last line, from a killed process, is skipped)."""
    path = Path(run_dir) / "metrics.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"no metrics.jsonl in {str(run_dir)!r}; is it a neuroevo run folder?")
    rows = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def remove_stale_temporaries(folder: Path) -> None:
    """Delete the ``.tmp-*`` files a killed writer left behind."""
    for p in folder.glob(".tmp-*"):
        try:
            os.unlink(p)
        except OSError:
            pass
