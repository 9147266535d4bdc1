"""Run folders: ``config.json`` first, then ``metrics.jsonl`` rows, checkpoints and plots."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def make_run_dir(root: str | Path, task: str, strategy: str, seed: int) -> Path:
    """Create ``root/{task}__{strategy}__s{seed}__{time}/`` (a suffix keeps it unique)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{task}__{strategy}__s{seed}__{stamp}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    path.mkdir(parents=True)
    return path


def write_json(path: str | Path, data: dict[str, Any]) -> Path:
    path = Path(path)
    path.write_text(json.dumps({k: _clean(v) for k, v in data.items()}, indent=2, default=str) + "\n")
    return path


class RunLog:
    """Appends one JSON line per generation to ``metrics.jsonl``."""

    def __init__(self, run_dir: str | Path):
        self.path = Path(run_dir) / "metrics.jsonl"

    def append(self, row: dict[str, Any]) -> None:
        with self.path.open("a") as fh:
            fh.write(json.dumps({k: _clean(v) for k, v in row.items()}) + "\n")

    def extend(self, rows) -> None:
        for row in rows:
            self.append(row)


def read_metrics(run_dir: str | Path) -> list[dict[str, Any]]:
    """Rows of ``metrics.jsonl`` in a run folder."""
    path = Path(run_dir) / "metrics.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"no metrics.jsonl in {str(run_dir)!r}; is it a neuroevo run folder?")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
