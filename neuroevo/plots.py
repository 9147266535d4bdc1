"""Figures of runs. matplotlib is imported inside the functions (Agg backend, no display needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_history(history, path: str | Path | None = None, *, title: str | None = None,
                 max_fitness: float | None = None, ax=None):
    """Fitness over generations: best, mean and the 10-90 percentile band.

    Args:
        history: a :class:`neuroevo.History`, a list of metric rows, or a run folder.
        path: write the figure there (PNG, SVG... by suffix) when given.
        title: figure title.
        max_fitness: draw a dashed line at the highest reachable fitness.
        ax: draw into this Axes instead of a new figure.

    Returns:
        The matplotlib Figure.
    """
    from neuroevo.io.runlog import read_metrics

    if isinstance(history, (str, Path)):
        rows = read_metrics(history)
    else:
        rows = getattr(history, "rows", history)
    if not rows:
        raise ValueError("history is empty: run at least one generation before plotting")

    def col(key):
        return np.array([np.nan if r.get(key) is None else float(r[key]) for r in rows])

    plt = _pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.6), constrained_layout=True)
    else:
        fig = ax.figure
    gen = col("generation")
    ax.fill_between(gen, col("fitness_p10"), col("fitness_p90"), color="#9ecae1", alpha=0.5,
                    label="10-90th percentile")
    ax.plot(gen, col("fitness_mean"), color="#3182bd", label="mean")
    ax.plot(gen, col("fitness_max"), color="#08306b", lw=2, label="best")
    if max_fitness is not None:
        ax.axhline(max_fitness, color="0.4", ls="--", lw=1, label="maximum")
    ax.set_xlabel("generation")
    ax.set_ylabel("fitness")
    ax.set_title(title or "fitness over generations")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig
