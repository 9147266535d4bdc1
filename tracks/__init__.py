"""tracks: a racing-track simulator family for neuroevo.

A dot drives along a corridor, steered by a network that senses the barriers a few steps
ahead; fitness is how far it gets. Built on neuroevo's public pieces (NetworkSpec, Simulator,
the network kernels); neuroevo itself never imports this package.

Example:
    >>> from neuroevo import Population
    >>> from tracks import TrackSimulator, seed_training_track, seed_test_track
    >>> pop = Population([7, 8, 4, 1], "rank_ga", seed=3, population_size=50, elitism=2)
    >>> history = pop.evolve(TrackSimulator(seed_training_track()), generations=100)
    >>> TrackSimulator(seed_test_track()).scores(pop.genomes, pop.network)   # unseen track

With Gymnasium installed, ``import tracks`` also registers the track as the env
``neuroevo/Track-v0`` (:mod:`tracks.env`); tracks itself does not need Gymnasium.
"""

import importlib.util

from tracks.generate import Track, random_track, seed_test_track, seed_training_track, track_suite
from tracks.render import plot_paths
from tracks.sim import DEFAULT_SENSORS, TrackSimulator
from tracks.suite import SuiteResult, SuiteSimulator, evaluate_suite
from tracks.suites import suite_names, suite_tracks, training_track

__all__ = ["DEFAULT_SENSORS", "SuiteResult", "SuiteSimulator", "Track", "TrackSimulator", "evaluate_suite",
           "plot_paths", "random_track", "seed_test_track", "seed_training_track", "suite_names", "suite_tracks",
           "track_suite", "training_track"]

if importlib.util.find_spec("gymnasium") is not None:
    try:
        from tracks.env import register as _register_env
    except ImportError:         # a gymnasium that cannot be imported: the env is not registered
        pass
    else:
        _register_env()
