"""Figures of runs.

matplotlib is imported inside the functions, and figures are drawn on their own Agg canvas
without pyplot: nothing opens a window, changes the global backend or stays in pyplot's
figure list, and a run that draws no figure never imports matplotlib.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def new_figure(figsize: tuple[float, float], *, layout: str | None = "constrained"):
    """A matplotlib Figure of ``figsize`` inches on its own Agg canvas (no pyplot, no window).

    Args:
        figsize: ``(width, height)`` in inches.
        layout: the figure's layout engine (``"constrained"``, ``"tight"`` or None).

    Returns:
        ``(figure, axes)``: the Figure and its one Axes.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout=layout)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def warm_up() -> None:
    """Import what drawing needs and load the default font, ahead of the first figure
    (:mod:`neuroevo.engine.drawing` does it in its helper process while a run evolves)."""
    import matplotlib.legend  # noqa: F401
    fig, ax = new_figure((1, 1))
    ax.set_title("warm")
    ax.plot([0, 1], [0, 1], label="x")
    ax.legend()
    fig.canvas.draw()


def _finish(fig, ax, path, xlabel: str, ylabel: str, title: str, *, legend: dict | None = None,
            grid: bool = True):
    """Label ``ax``, add its legend (``ax.legend(**legend)``, unless None) and grid, write ``fig`` to
    ``path`` (when given, at 120 dpi) and return it: how every figure here ends."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if legend is not None:
        ax.legend(**legend)
    if grid:
        ax.grid(alpha=0.3)
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


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

    if ax is None:
        fig, ax = new_figure((6, 3.6))
    else:
        fig = ax.figure
    gen = col("generation")
    ax.fill_between(gen, col("fitness_p10"), col("fitness_p90"), color="#9ecae1", alpha=0.5,
                    label="10-90th percentile")
    ax.plot(gen, col("fitness_mean"), color="#3182bd", label="mean")
    ax.plot(gen, col("fitness_max"), color="#08306b", lw=2, label="best")
    if max_fitness is not None:
        ax.axhline(max_fitness, color="0.4", ls="--", lw=1, label="maximum")
    return _finish(fig, ax, path, "generation", "fitness", title or "fitness over generations",
                   legend={"loc": "upper left", "fontsize": 8})


def plot_surface(genome, network, path=None, *, title: str | None = None, resolution: int = 101, ax=None):
    """A 2-input network's first output over the unit square, with the four corners marked.

    Args:
        genome: float64 ``(D,)``.
        network: the :class:`NetworkSpec` the genome encodes (2 inputs).
        path: write the figure there when given.
        title: figure title.
        resolution: grid points per axis.
        ax: draw into this Axes instead of a new figure.

    Returns:
        The matplotlib Figure.
    """
    from neuroevo.network.spec import as_spec

    spec = as_spec(network)
    if spec.num_inputs != 2:
        raise ValueError(f"plot_surface draws networks with 2 inputs; this one has {spec.num_inputs}")
    g = np.linspace(0.0, 1.0, resolution)
    xx, yy = np.meshgrid(g, g)
    x = np.stack([xx.ravel(), yy.ravel()], axis=1)[None]
    z = spec.forward(np.asarray(genome, dtype=np.float64)[None], x)[0, :, 0].reshape(xx.shape)
    fig, ax = new_figure((4.4, 3.8)) if ax is None else (ax.figure, ax)
    mesh = ax.pcolormesh(xx, yy, z, shading="auto", cmap="RdBu_r", vmin=0, vmax=1)
    ax.contour(xx, yy, z, levels=[0.5], colors="k", linewidths=1)
    for (a, b), want in zip([(0, 0), (0, 1), (1, 0), (1, 1)], [0, 1, 1, 0]):
        ax.scatter([a], [b], s=80, c="white" if want == 0 else "black", edgecolors="k", zorder=3)
    fig.colorbar(mesh, ax=ax, label="output")
    return _finish(fig, ax, path, "input 1", "input 2", title or "network output", grid=False)


def plot_fit(genome, network, fn, train_x, held_out_x, path=None, *, title: str | None = None, ax=None):
    """A 1-input network's output against the function it fits, with the training and held-out points.

    ``ax``: draw into this Axes instead of a new figure.

    Returns:
        The matplotlib Figure.
    """
    from neuroevo.network.spec import as_spec

    spec = as_spec(network)
    lo, hi = float(np.min(train_x)), float(np.max(train_x))
    x = np.linspace(lo, hi, 400)
    y = spec.forward(np.asarray(genome, dtype=np.float64)[None], x[None, :, None])[0, :, 0]
    fig, ax = new_figure((6, 3.6)) if ax is None else (ax.figure, ax)
    ax.plot(x, fn(x), color="0.5", lw=3, alpha=0.5, label="target")
    ax.plot(x, y, color="#08306b", lw=1.5, label="best genome")
    ax.scatter(train_x, fn(train_x), s=14, color="#3182bd", zorder=3, label="training points")
    ax.scatter(held_out_x, fn(held_out_x), s=14, marker="x", color="#e6550d", zorder=3, label="held-out points")
    return _finish(fig, ax, path, "x", "y", title or "fit", legend={"fontsize": 8})


def plot_returns(returns, path: str | Path | None = None, *, solved: float | None = None, title: str | None = None,
                 ax=None):
    """Histogram of episode returns, with the mean and the env's solved threshold.

    Args:
        returns: float ``(E,)`` returns, one per episode.
        path: write the figure there when given.
        solved: draw the threshold the env counts as solved.
        title: figure title.
        ax: draw into this Axes instead of a new figure.

    Returns:
        The matplotlib Figure.
    """
    returns = np.asarray(returns, dtype=np.float64)
    if returns.ndim != 1 or returns.size == 0:
        raise ValueError(f"returns must be a non-empty 1-D array, one per episode; got shape {returns.shape}")
    fig, ax = new_figure((6, 3.6)) if ax is None else (ax.figure, ax)
    ax.hist(returns, bins=min(30, max(5, returns.size // 3)), color="#9ecae1", edgecolor="#3182bd")
    ax.axvline(returns.mean(), color="#08306b", lw=2, label=f"mean {returns.mean():.1f}")
    if solved is not None:
        ax.axvline(solved, color="0.4", ls="--", lw=1, label=f"solved {solved:g}")
    return _finish(fig, ax, path, "episode return", "episodes", title or "episode returns",
                   legend={"loc": "upper left", "fontsize": 8})
