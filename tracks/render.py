"""Pictures of a track and the paths genomes drive along it.

matplotlib is imported inside the functions, and figures are drawn on an Agg canvas without
pyplot: nothing opens a window or changes the global backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from neuroevo._checks import check_int
from tracks.generate import Track
from tracks.sim import DEFAULT_SENSORS, TrackSimulator

BARRIER_COLOR = "#dddddd"


def plot_paths(genomes, network, track: Track, path=None, *, top_n: int = 20, title: str | None = None,
               ax=None, sensors: Sequence[int] = DEFAULT_SENSORS, paths=None):
    """Draw the track (barriers filled grey) and the paths of the best genomes.

    Args:
        genomes: float64 ``(P, D)`` population.
        network: the :class:`NetworkSpec` (or layer list) the genomes encode.
        track: the track to race on.
        path: file to save the figure to (format from the suffix, e.g. ``.png``, ``.svg``).
        top_n: how many genomes to draw, best scores first.
        title: axes title; None writes the track name and the scores shown.
        ax: matplotlib Axes to draw on; None makes a new 16x4 inch figure.
        sensors: look-ahead offsets of the network's inputs.
        paths: ``TrackSimulator(track, sensors).paths(genomes, network)`` when the caller has it
            already (positions float64 ``(P, max_score)``, scores int64 ``(P,)``); None drives them.

    Returns:
        The matplotlib Figure. Paths are coloured by score with viridis, darker is better; each
        path ends at the last position inside the corridor.
    """
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

    top_n = check_int("top_n", top_n, minimum=1, owner="plot_paths")
    sim = TrackSimulator(track, sensors)
    if paths is None:
        positions, scores = sim.paths(genomes, network)
    else:
        positions, scores = paths
        P = np.shape(genomes)[0]
        if np.shape(positions) != (P, sim.max_score) or np.shape(scores) != (P,):
            raise ValueError(f"plot_paths: paths must be TrackSimulator.paths of the {P} genomes on this track, "
                             f"positions ({P}, {sim.max_score}) and scores ({P},); got {np.shape(positions)} "
                             f"and {np.shape(scores)}")
    best = np.argsort(-scores, kind="stable")[:top_n]

    own = ax is None
    if own:
        fig = Figure(figsize=(16, 4))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    xx = np.arange(track.length)
    ax.fill_between(xx, track.top, y2=track.top.max(), color=BARRIER_COLOR, linewidth=0)
    ax.fill_between(xx, track.bottom.min(), y2=track.bottom, color=BARRIER_COLOR, linewidth=0)

    # Darker is better: the best score maps to the dark end of viridis (as 0.05, the worst to 0.95).
    cmap = colormaps["viridis"]
    best_score = max(int(scores[best].max()), 1)
    for g in best[::-1]:                                   # worst first, so the best is drawn on top
        n = int(scores[g]) + 1 if scores[g] < sim.max_score else sim.max_score
        ax.plot(np.arange(n), positions[g, :n], color=cmap(0.95 - 0.9 * scores[g] / best_score),
                alpha=0.6, linewidth=1.2)

    norm = Normalize(vmin=0, vmax=best_score)
    mappable = ScalarMappable(norm=norm, cmap=cmap.reversed())
    fig.colorbar(mappable, ax=ax, pad=0.01, label="steps survived")
    ax.set_xlim(0, track.length - 1)
    ax.set_ylim(track.bottom.min(), track.top.max())
    ax.set_xlabel("step")
    ax.set_ylabel("position")
    if title is None:
        done = int(np.sum(scores[best] == sim.max_score))
        title = (f"{track.name or 'track'}: best {best.size} of {scores.size} genomes, "
                 f"{done} finish ({sim.max_score} steps)")
    ax.set_title(title)
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=100, bbox_inches=tight_box(fig) if own else "tight")
    return fig


def tight_box(fig):
    """The box ``savefig(bbox_inches="tight")`` crops a figure without a layout engine to, in inches.

    The same box (the tests compare the pictures pixel for pixel), computed without the extra
    draw savefig makes first: ``get_tightbbox`` lays out the ticks and labels itself. For a
    figure on its own Agg canvas at the dpi it is saved with.
    """
    import matplotlib

    return fig.get_tightbbox(fig.canvas.get_renderer()).padded(matplotlib.rcParams["savefig.pad_inches"])
