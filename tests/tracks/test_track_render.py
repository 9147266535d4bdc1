import re

import numpy as np
import pytest

from tracks import TrackSimulator, plot_paths, random_track


def test_plot_paths_writes_a_png_with_the_best_paths(tmp_path, spec, training, evolved, random_genomes):
    genomes = np.concatenate([random_genomes[:30], evolved[0][:10]])
    out = tmp_path / "plots" / "paths.png"
    fig = plot_paths(genomes, spec, training, out, top_n=12, title="training")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ax = fig.axes[0]
    assert ax.get_title() == "training" and len(ax.get_lines()) == 12
    # the best path is drawn last (on top) and runs to the end of the track
    best = ax.get_lines()[-1]
    scores = TrackSimulator(training).scores(genomes, spec)
    assert len(best.get_xdata()) == scores.max() == 391


def test_plot_paths_draws_on_a_given_axes_and_names_the_track(spec, random_genomes):
    from matplotlib.figure import Figure
    fig = Figure()
    ax = fig.add_subplot()
    track = random_track(1, length=120)
    assert plot_paths(random_genomes[:5], spec, track, ax=ax) is fig
    assert ax.get_title().startswith("random-1: best 5 of 5 genomes")
    # a crashed path ends at its last position inside the corridor (score + 1 points)
    scores = TrackSimulator(track).scores(random_genomes[:5], spec)
    assert sorted(len(line.get_xdata()) for line in ax.get_lines()) == sorted(scores + 1)


def test_plot_paths_checks_top_n(spec, training, random_genomes):
    with pytest.raises(ValueError, match=re.escape("plot_paths: top_n must be >= 1; got 0")):
        plot_paths(random_genomes[:2], spec, training, top_n=0)


def test_plot_paths_draws_given_paths_as_its_own(spec, training, random_genomes):
    paths = TrackSimulator(training).paths(random_genomes[:6], spec)
    mine = plot_paths(random_genomes[:6], spec, training, paths=paths).axes[0].get_lines()
    theirs = plot_paths(random_genomes[:6], spec, training).axes[0].get_lines()
    assert [line.get_ydata().tolist() for line in mine] == [line.get_ydata().tolist() for line in theirs]
    with pytest.raises(ValueError, match=re.escape("plot_paths: paths must be TrackSimulator.paths of the 5 "
                                                   "genomes on this track, positions (5, 391)")):
        plot_paths(random_genomes[:5], spec, training, paths=paths)


def test_plot_paths_crops_its_picture_as_bbox_inches_tight_does(tmp_path, spec, training, random_genomes):
    from PIL import Image

    track = random_track(2, length=300, amplitude=40.0)
    plot_paths(random_genomes[:8], spec, track, tmp_path / "own.png")
    plot_paths(random_genomes[:8], spec, track).savefig(tmp_path / "tight.png", dpi=100, bbox_inches="tight")
    own, tight = (np.asarray(Image.open(tmp_path / f"{n}.png")) for n in ("own", "tight"))
    assert own.shape == tight.shape and np.array_equal(own, tight)
