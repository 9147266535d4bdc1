"""Scoring drivers on held-out suites: per level, the fraction of tracks completed and survived.

Used by the ``suite`` task's held-out evaluation and by ``neuroevo evaluate RUN_DIR --suite NAME``
for ``race`` and ``suite`` runs; :func:`plot_generalization` draws completion against difficulty,
one line per suite, so where generalization breaks down is one picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from neuroevo.network.spec import NetworkSpec
from tracks.suites import HELD_OUT, suite_def, suite_levels


def parse_suites(names: Sequence[str], owner: str) -> list[tuple[str, int | None]]:
    """``["twisty", "narrow:1", "all"]`` -> ``[(name, version or None), ...]``, checked (``all``: every
    held-out suite)."""
    if isinstance(names, str):
        names = [names]
    out: list[tuple[str, int | None]] = []
    for text in names:
        if not isinstance(text, str) or not text:
            raise TypeError(f"{owner}: a suite is a name such as 'twisty' or 'twisty:1'; got {text!r}")
        if text == "all":
            out += [(n, None) for n in HELD_OUT]
            continue
        name, _, version_text = text.partition(":")
        version = None
        if version_text:
            digits = version_text.removeprefix("v")
            if not digits.isdigit():
                raise ValueError(f"{owner}: suite version must be a number, as in twisty:1; got {text!r}")
            version = int(digits)
        d = suite_def(name, version)                      # unknown suite / version: a clear error
        if d.kind != "held-out":
            raise ValueError(f"{owner}: suite {name!r} holds training tracks; evaluate on a held-out suite: "
                             f"{list(HELD_OUT)} or all")
        out.append((name, version))
    seen = set()
    return [s for s in out if not (s in seen or seen.add(s))]


def drivers(selection, n: int) -> np.ndarray:
    """float64 ``(<= n, D)``: the run's best genome, then the final best genomes that differ from it."""
    others = selection.top[~np.all(selection.top == selection.best, axis=1)]
    return np.concatenate([selection.best[None], others])[:n]


def file_name(name: str, version: int | None) -> str:
    """``evaluate/<name>.json``, or ``<name>-v<version>.json`` when a version was asked for."""
    return name if version is None else f"{name}-v{version}"


def evaluate_suites(genomes: np.ndarray, network: NetworkSpec, suites: Sequence[tuple[str, int | None]],
                    sensors: Sequence[int]) -> dict[str, dict[str, Any]]:
    """Figures of every genome on every level of each suite.

    Args:
        genomes: float64 ``(K, D)``, the best genome first.
        network: the spec they encode.
        suites: ``(name, version)`` pairs from :func:`parse_suites`.
        sensors: the run's sensor offsets.

    Returns:
        ``{file name: figures}``; the figures hold the suite, its version and axis, and per level
        the best genome's fraction of tracks completed and mean fraction survived, and over the
        ``K`` genomes the mean of each and the fraction completed per genome.
    """
    from tracks.suite import SuiteSimulator

    out = {}
    for name, version in suites:
        d = suite_def(name, version)
        rows = []
        for level, tracks in suite_levels(name, version=d.version).items():
            result = SuiteSimulator(tracks, sensors).run(genomes, network)
            rows.append({"level": level, "tracks": len(tracks),
                         "completed": float(result.fraction_completed[0]),
                         "survived": float(result.mean_score[0]),
                         "top_completed": float(result.fraction_completed.mean()),
                         "top_survived": float(result.mean_score.mean()),
                         "completed_per_genome": result.fraction_completed.tolist()})
        out[file_name(name, version)] = {"suite": name, "version": d.version, "axis": d.axis,
                                         "description": d.description, "genomes": int(genomes.shape[0]),
                                         "levels": rows}
    return out


def report_lines(parts: dict[str, dict[str, Any]]) -> list[str]:
    """Lines per suite: the fraction completed (and survived) at each level."""
    if not parts:
        return []
    levels = [r["level"] for r in next(iter(parts.values()))["levels"]]
    many = next(iter(parts.values()))["genomes"] > 1
    head = "  ".join(f"{lv:>5g}x" for lv in levels)
    lines = [f"  held-out      completed (survived) per level, best genome{'; top genomes below' if many else ''}",
             f"  {'suite':12s}{head}"]
    for part in parts.values():
        name = f"{part['suite']} v{part['version']}"
        cells = "  ".join(f"{r['completed']:6.0%}" for r in part["levels"])
        survived = " ".join(f"{r['survived']:.2f}" for r in part["levels"])
        lines.append(f"  {name:12s}{cells}   ({survived})")
        if many:
            cells = "  ".join(f"{r['top_completed']:6.0%}" for r in part["levels"])
            lines.append(f"  {'  top ' + str(part['genomes']):12s}{cells}")
    return lines


def plot_generalization(parts: dict[str, dict[str, Any]], path: Path | None = None, title: str = "", *, ax=None):
    """Fraction of tracks completed against difficulty level, one line per suite.

    Args:
        parts: ``{file name: figures}`` from :func:`evaluate_suites`.
        path: write the figure there when given.
        title: axes title.
        ax: draw into this Axes instead of a new 7x4.2 inch figure.

    Returns:
        The matplotlib Figure (drawn on its own Agg canvas, without pyplot).
    """
    from neuroevo.plots import new_figure

    fig, ax = new_figure((7, 4.2), layout=None) if ax is None else (ax.figure, ax)
    for part in parts.values():
        x = [r["level"] for r in part["levels"]]
        ax.plot(x, [r["completed"] for r in part["levels"]], marker="o", label=f"{part['suite']} v{part['version']}")
    ax.axhline(0.95, color="grey", lw=0.8, ls=":", label="95%")
    ax.set_xscale("log")
    levels = sorted({r["level"] for p in parts.values() for r in p["levels"]})
    ax.set_xticks(levels, [f"{x:g}x" for x in levels])
    ax.minorticks_off()
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("difficulty (1x: the seed test track's knobs)")
    ax.set_ylabel("fraction of tracks completed")
    ax.set_title(title or "held-out suites: tracks completed by the best genome")
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig
