"""Score a population on many tracks at once, and train on many tracks.

A genome that only memorised one track fails on the next; the mean fraction of each track
survived, over a suite of procedural tracks (:func:`tracks.generate.track_suite`), rewards
genomes that learned to drive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from neuroevo._checks import check_genomes
from neuroevo.network.spec import NetworkSpec
from neuroevo.simulators.base import Simulator
from tracks.generate import Track
from tracks.sim import DEFAULT_SENSORS, TrackSimulator


@dataclass(frozen=True, eq=False)
class SuiteResult:
    """Scores of ``P`` genomes on ``T`` tracks.

    Attributes:
        scores: int64 ``(P, T)``, steps survived on each track.
        max_scores: int64 ``(T,)``, the score of finishing each track.
        completed: bool ``(P, T)``, ``scores == max_scores``.
        mean_score: float64 ``(P,)``, mean over tracks of ``scores / max_scores`` (fraction survived).
        fraction_completed: float64 ``(P,)``, fraction of the tracks finished.
    """

    scores: np.ndarray
    max_scores: np.ndarray
    completed: np.ndarray
    mean_score: np.ndarray
    fraction_completed: np.ndarray


class SuiteSimulator(Simulator):
    """Fitness = mean fraction of each track survived, over a list of tracks (in ``[0, 1]``).

    Args:
        tracks: non-empty sequence of :class:`Track`; each must be longer than ``max(sensors)``.
        sensors: look-ahead offsets, shared by every track.
        backend: ``"numba"`` or ``"numpy"``, as in :class:`TrackSimulator`.
        threads: worker threads of the numba backend; None uses ``os.cpu_count()``.
    """

    num_outputs = 1

    def __init__(self, tracks: Sequence[Track], sensors: Sequence[int] = DEFAULT_SENSORS,
                 backend: str = "numba", threads: int | None = None):
        owner = type(self).__name__
        if isinstance(tracks, Track):
            raise TypeError(f"{owner}: tracks must be a list of Track; got a single Track, pass [track] "
                            f"(or use TrackSimulator)")
        if isinstance(tracks, (str, bytes)) or not isinstance(tracks, Sequence):
            raise TypeError(f"{owner}: tracks must be a list of Track, e.g. track_suite(10); "
                            f"got {type(tracks).__name__}")
        if len(tracks) == 0:
            raise ValueError(f"{owner}: tracks is empty; pass at least one Track, e.g. track_suite(10)")
        for i, track in enumerate(tracks):
            if not isinstance(track, Track):
                raise TypeError(f"{owner}: tracks[{i}] must be a Track; got {type(track).__name__}")
        self.tracks = tuple(tracks)
        self.simulators = tuple(TrackSimulator(t, sensors, backend=backend, threads=threads)
                                for t in self.tracks)
        self.sensors = self.simulators[0].sensors
        self.backend = backend
        self.num_inputs = self.simulators[0].num_inputs

    @property
    def max_scores(self) -> np.ndarray:
        """int64 ``(T,)``: the score of finishing each track."""
        return np.array([s.max_score for s in self.simulators], dtype=np.int64)

    def run(self, genomes, network) -> SuiteResult:
        """Race every genome on every track.

        Args:
            genomes: float64 ``(P, D)`` population.
            network: the :class:`NetworkSpec` (or layer list) the genomes encode.

        Returns:
            :class:`SuiteResult` with ``(P, T)`` scores.
        """
        spec = self.check_network(network)
        return self._run(check_genomes(genomes, spec.num_params), spec)

    def _run(self, genomes: np.ndarray, spec: NetworkSpec) -> SuiteResult:
        scores = np.stack([sim._run(genomes, spec, record=False)[1] for sim in self.simulators], axis=1)
        max_scores = self.max_scores
        completed = scores == max_scores
        return SuiteResult(scores=scores, max_scores=max_scores, completed=completed,
                           mean_score=np.mean(scores / max_scores, axis=1),
                           fraction_completed=np.mean(completed, axis=1))

    def _evaluate(self, genomes: np.ndarray, spec: NetworkSpec, rng) -> np.ndarray:
        """Validated float64 ``(P, D)`` genomes -> float64 ``(P,)`` mean fraction survived (rng unused)."""
        return self._run(genomes, spec).mean_score

    def __repr__(self) -> str:
        return (f"SuiteSimulator({len(self.tracks)} tracks, sensors={self.sensors}, "
                f"backend={self.backend!r})")


def evaluate_suite(genomes, network, tracks: Sequence[Track] | str, sensors: Sequence[int] = DEFAULT_SENSORS,
                   backend: str = "numba", *, threads: int | None = None,
                   version: int | None = None) -> SuiteResult | dict[float, SuiteResult]:
    """Scores of every genome on every track, or on every level of a named suite.

    Args:
        genomes: float64 ``(P, D)`` population.
        network: the :class:`NetworkSpec` (or layer list) the genomes encode.
        tracks: non-empty sequence of :class:`Track` (``T`` of them), or the name of a suite
            (``"twisty"``...; ``neuroevo suites`` lists them).
        sensors: look-ahead offsets, shared by every track.
        backend: ``"numba"`` or ``"numpy"``.
        threads: worker threads of the numba backend; None uses ``os.cpu_count()``.
        version: with a suite name, its version (None: the newest).

    Returns:
        :class:`SuiteResult`: int64 ``(P, T)`` scores, ``(T,)`` max scores, bool ``(P, T)``
        completed, float64 ``(P,)`` mean fraction survived and fraction completed; for a suite
        name, ``{level: SuiteResult}`` over its levels (1.0x first).
    """
    if isinstance(tracks, str):
        from tracks.suites import suite_levels

        return {level: SuiteSimulator(level_tracks, sensors, backend=backend, threads=threads).run(genomes, network)
                for level, level_tracks in suite_levels(tracks, version=version).items()}
    if version is not None:
        raise TypeError("evaluate_suite: version is for a suite name; got a list of tracks")
    return SuiteSimulator(tracks, sensors, backend=backend, threads=threads).run(genomes, network)
