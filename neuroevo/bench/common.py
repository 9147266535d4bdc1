"""What every benchmark suite shares: the machine description, result tables, timing and statistics."""

from __future__ import annotations

import importlib.metadata
import math
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

#: distributions whose versions a result records (when they are installed)
LIBRARIES = ("numpy", "numba", "scipy", "cma", "coco-experiment", "cocopp", "matplotlib", "jax", "gymnasium",
             "distributed", "cloudpickle")


def say(text: str) -> None:
    """A progress line on stderr (the tables go to stdout)."""
    print(f"neuroevo bench:   {text}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    """CPU model, vector extensions, cores, load and library versions of this machine."""
    model, flags = None, set()
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = row.partition(":")
            key = key.strip()
            if key == "model name" and model is None:
                model = value.strip()
            elif key == "flags" and not flags:
                flags = set(value.split())
    except OSError:
        pass
    versions = {}
    for name in LIBRARIES:          # read from the installed metadata: importing cocopp goes online
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    import neuroevo

    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count()
    return {"cpu": model or platform.processor() or platform.machine(),
            "vector_extensions": sorted(f for f in flags if f in ("sse4_2", "avx", "avx2", "fma", "avx512f",
                                                                  "avx512bw", "avx512vl", "neon", "asimd")),
            "cores": os.cpu_count(), "usable_cores": usable,
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            "python": platform.python_version(), "platform": platform.platform(),
            "neuroevo": neuroevo.__version__, "libraries": versions,
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}


def best_time(repeats: int, fn, *args) -> float:
    """Shortest wall time of ``fn(*args)`` over ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return min(times)


def parse_settings(items: list[str]) -> dict[str, Any]:
    """A benchmark's repeated ``--set KEY=VALUE`` as settings (values in JSON: ``rate=0.2``)."""
    import json

    settings = {}
    for item in items:
        key, _, value = item.partition("=")
        settings[key] = json.loads(value)
    return settings


def machine_line(m: dict[str, Any]) -> str:
    """One line naming the machine, for tables."""
    ext = "/".join(m["vector_extensions"]) or "no vector extensions listed"
    libs = ", ".join(f"{k} {v}" for k, v in m["libraries"].items())
    return (f"{m['cpu']} ({ext}), {m['usable_cores']} usable of {m['cores']} cores, load {m['load_average']}, "
            f"Python {m['python']}, {libs}; {m['date']}")


@dataclass
class Table:
    """A result table: a title, column names and rows of plain values."""

    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""

    def markdown(self) -> str:
        lines = [f"#### {self.title}", "", "| " + " | ".join(self.columns) + " |",
                 "|" + "|".join("---" for _ in self.columns) + "|"]
        lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in self.rows]
        if self.note:
            lines += ["", self.note]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "columns": self.columns, "rows": self.rows, "note": self.note}


@dataclass
class SuiteResult:
    """What one suite measured: every figure (JSON-ready), its tables, its plots and notes."""

    figures: dict[str, Any] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None


def fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return str(v)
        if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-2):
            return f"{v:.3g}"
        return f"{v:.3g}" if abs(v) < 100 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def ert(evaluations: list[int], solved: list[bool]) -> float:
    """Expected running time: all evaluations spent (failed runs in full) per solved run; inf if none."""
    n = int(np.sum(solved))
    return float(np.sum(evaluations)) / n if n else math.inf


def bootstrap_ert(evaluations: list[int], solved: list[bool], rng: np.random.Generator, *, samples: int = 2000,
                  level: float = 0.95) -> tuple[float, float]:
    """A percentile bootstrap interval of :func:`ert` (seeds resampled with replacement)."""
    ev, ok = np.asarray(evaluations, dtype=np.float64), np.asarray(solved, dtype=bool)
    idx = rng.integers(0, ev.size, size=(samples, ev.size))
    succ = ok[idx].sum(axis=1)
    values = np.where(succ > 0, ev[idx].sum(axis=1) / np.maximum(succ, 1), np.inf)
    lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2], method="inverted_cdf")
    return float(lo), float(hi)


def same_run_ratio(ours: float, baseline: float) -> float | None:
    """``ours / baseline`` (None when the baseline is zero or not finite)."""
    if not (math.isfinite(baseline) and baseline > 0) or not math.isfinite(ours):
        return None
    return ours / baseline
