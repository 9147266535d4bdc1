"""TrackSimulator: fitness = steps a genome's network keeps the player inside the corridor.

The player is a dot starting at ``p = 0`` with speed ``v = 0``. At step ``i`` the network sees
``[v, p - top[i+s], p - bottom[i+s] for each sensor offset s]``; its first output (in (0, 1)
for a sigmoid output layer) minus 0.5 is the force. Physics: ``p += v/2; v += force; p += v/2``.
If then ``p > top[i]`` or ``p < bottom[i]`` (or ``p`` is NaN) the genome scores ``i`` and stops;
surviving every step scores ``max_score = track.length - max(sensors)``.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence

import numpy as np

from neuroevo._checks import check_choice, check_genomes, check_int
from neuroevo._threads import in_turn
from neuroevo.network.spec import NetworkSpec
from neuroevo.simulators.base import Simulator
from tracks.generate import Track

DEFAULT_SENSORS = (0, 5, 9)
BACKENDS = ("numpy", "numba")

#: Fewest lanes per block when a small population is split over threads.
_MIN_LANES = 8
#: Chunks of blocks per thread: enough to even out populations that crash at different steps.
_CHUNKS_PER_THREAD = 8
#: Seconds of one core a call must be expected to take before more threads pay for waking them,
#: and the fewest genomes per thread (narrower blocks gain little: a step costs about as much for
#: a few lanes as for two dozen). Measured with benchmarks/bench_racing.py's populations: below
#: either, two threads were slower than one.
PARALLEL_MIN_SECONDS = 200e-6
PARALLEL_MIN_GENOMES = 24
#: What a genome is expected to cost before any call is timed: every step, at about 30 M/s.
_FIRST_GUESS_SECONDS_PER_STEP = 1 / 30e6
#: Populations whose genomes last fewer steps than this on average (random ones: about 4) run in
#: blocks of NARROW_LANES, whose weights stay in L1; longer-lived ones in blocks of LANES, which
#: spread each loop's overhead over more genomes (benchmarks/bench_racing.py, block width sweep).
WIDE_MIN_STEPS = 8
NARROW_LANES = 32


def check_track(track, owner: str) -> Track:
    if not isinstance(track, Track):
        raise TypeError(f"{owner}: track must be a tracks.Track (e.g. seed_training_track() or "
                        f"random_track(seed)); got {type(track).__name__}")
    return track


def check_sensors(sensors, track: Track, owner: str) -> tuple[int, ...]:
    """Return the sensor offsets as a tuple of ints, or raise if they do not fit ``track``."""
    if isinstance(sensors, (str, bytes)) or not isinstance(sensors, Sequence | np.ndarray):
        raise TypeError(f"{owner}: sensors must be a sequence of look-ahead offsets such as "
                        f"{DEFAULT_SENSORS}; got {sensors!r}")
    if len(sensors) == 0:
        raise ValueError(f"{owner}: sensors must be a non-empty sequence of look-ahead offsets "
                         f"such as {DEFAULT_SENSORS}; got {sensors!r}")
    values = tuple(check_int(f"sensors[{i}]", s, minimum=0, owner=owner) for i, s in enumerate(sensors))
    reach = max(values)
    if reach >= track.length:
        raise ValueError(f"{owner}: sensor offsets reach past the track: max(sensors) = {reach} but "
                         f"track {track.name!r} has {track.length} steps (the track is shorter than "
                         f"its sensors). Use offsets below {track.length} or a longer track")
    return values


def check_driver_network(network: NetworkSpec, sensors: Sequence[int], owner: str) -> None:
    """Raise unless ``network`` reads ``1 + 2 * len(sensors)`` inputs and gives one output (a driver)."""
    want = 1 + 2 * len(sensors)
    if network.num_inputs != want or network.num_outputs != 1:
        raise ValueError(f"{owner}: layers must start with {want} inputs (velocity + 2 per sensor for "
                         f"{len(sensors)} sensors) and end with 1 output; got {list(network.sizes)}. "
                         f"Try --layers {want},8,4,1")


class TrackSimulator(Simulator):
    """Race a population along one track; fitness is the number of steps survived.

    Args:
        track: the corridor to drive.
        sensors: look-ahead offsets; the network gets ``1 + 2 * len(sensors)`` inputs.
        backend: ``"numba"`` (fused compiled kernel, :mod:`tracks.kernels`) or ``"numpy"``
            (:func:`tracks.reference.rollout_reference`). Both give the same scores.
        threads: worker threads of the numba backend; None uses ``os.cpu_count()``.

    Attributes:
        num_inputs: ``1 + 2 * len(sensors)``; num_outputs: 1.
    """

    num_outputs = 1

    def __init__(self, track: Track, sensors: Sequence[int] = DEFAULT_SENSORS, backend: str = "numba",
                 threads: int | None = None):
        owner = type(self).__name__
        self.track = check_track(track, owner)
        self.sensors = check_sensors(sensors, track, owner)
        self.backend = check_choice("backend", backend, BACKENDS, owner=owner)
        self.threads = (os.cpu_count() or 1) if threads is None else check_int(
            "threads", threads, minimum=1, owner=owner)
        self.num_inputs = 1 + 2 * len(self.sensors)
        # private writable copies: the kernel then sees one array type whatever the caller passed
        self._top = np.array(track.top)
        self._bottom = np.array(track.bottom)
        self._sensor_array = np.array(self.sensors, dtype=np.int64)
        self._spec_arrays: tuple = (None, None, None)
        # core-seconds per genome of the last call: populations change little from one generation
        # to the next, so it predicts the cost of the next call (threads are chosen by it, scores
        # do not depend on them)
        self._seconds_per_genome = self.max_score * _FIRST_GUESS_SECONDS_PER_STEP
        self._steps_per_genome = float(self.max_score)

    def use_threads(self, threads: int) -> None:
        """Score with ``threads`` threads (scores do not depend on it)."""
        self.threads = check_int("threads", threads, minimum=1, owner=type(self).__name__)

    @property
    def max_score(self) -> int:
        """Score of a genome that never leaves the corridor: ``track.length - max(sensors)``."""
        return self.track.length - max(self.sensors)

    def _evaluate(self, genomes: np.ndarray, spec: NetworkSpec, rng) -> np.ndarray:
        """Validated float64 ``(P, D)`` genomes -> float64 ``(P,)`` steps survived (rng unused)."""
        return self._run(genomes, spec, record=False)[1].astype(np.float64)

    def scores(self, genomes, network) -> np.ndarray:
        """Steps each genome survives.

        Args:
            genomes: float64 ``(P, D)`` population.
            network: the :class:`NetworkSpec` (or layer list) the genomes encode.

        Returns:
            int64 ``(P,)`` in ``0 .. max_score``: the step at which the genome left the corridor,
            ``max_score`` if it never did.
        """
        spec = self.check_network(network)
        return self._run(check_genomes(genomes, spec.num_params), spec, record=False)[1]

    def paths(self, genomes, network) -> tuple[np.ndarray, np.ndarray]:
        """Positions along the track and scores.

        Args:
            genomes: float64 ``(P, D)`` population.
            network: the :class:`NetworkSpec` (or layer list) the genomes encode.

        Returns:
            positions: float64 ``(P, max_score)``; ``[g, i]`` is genome ``g``'s position at the
                start of step ``i`` (after ``i`` steps), for ``i <= score``; NaN after the crash step.
            scores: int64 ``(P,)``, as :meth:`scores`.
        """
        spec = self.check_network(network)
        return self._run(check_genomes(genomes, spec.num_params), spec, record=True)

    def _run(self, genomes: np.ndarray, spec: NetworkSpec, record: bool) -> tuple[np.ndarray, np.ndarray]:
        if self.backend == "numpy":
            from tracks.reference import rollout_reference
            paths, scores = rollout_reference(genomes, spec, self.track, self.sensors)
            return (paths if record else np.empty((0, 0))), scores
        from tracks.kernels import LANES, rollout
        P = genomes.shape[0]
        if genomes.flags.writeable:          # one array type for the kernel: a read-only view, no copy
            genomes = genomes.view()
            genomes.flags.writeable = False
        if self._spec_arrays[0] != spec:
            self._spec_arrays = (spec, np.array(spec.layout), np.array(spec.act_codes))
        _, layout, act_codes = self._spec_arrays
        scores = np.empty(P, dtype=np.int64)
        paths = np.full((P, self.max_score), np.nan) if record else np.empty((0, 0))
        args = (genomes, layout, act_codes, self._top, self._bottom, self._sensor_array, self.max_score)
        threads = self.threads_for(P)
        # (a population of up to two narrow blocks stays one block: one pass over the steps is cheaper)
        short_lived = self._steps_per_genome < WIDE_MIN_STEPS and P > 2 * NARROW_LANES
        widest = NARROW_LANES if short_lived else LANES
        # Small populations are split across the threads too, in narrower blocks.
        lanes = min(widest, max(_MIN_LANES, math.ceil(P / threads)))
        blocks = math.ceil(P / lanes)
        chunks = min(blocks, _CHUNKS_PER_THREAD * threads) if threads > 1 else 1
        t0 = time.perf_counter()
        if chunks <= 1:
            threads = 1
            rollout(*args, 0, P, lanes, scores, paths)
        else:
            threads = min(threads, chunks)
            self._run_chunks(args, P, lanes, blocks, threads, chunks, scores, paths)
        self._seconds_per_genome = (time.perf_counter() - t0) * threads / P
        self._steps_per_genome = float(scores.sum()) / P + 1.0     # (one too many for finishers: no matter)
        return paths, scores

    def threads_for(self, num_genomes: int) -> int:
        """Threads the next call on ``num_genomes`` genomes will use: as many of :attr:`threads` as
        leave each at least :data:`PARALLEL_MIN_GENOMES` genomes, if the call is expected to take at
        least :data:`PARALLEL_MIN_SECONDS` of one core (judged by the last call's cost per genome);
        else one, so a small call never waits for threads to wake."""
        if num_genomes * self._seconds_per_genome < PARALLEL_MIN_SECONDS:
            return 1
        return max(1, min(self.threads, num_genomes // PARALLEL_MIN_GENOMES))

    @staticmethod
    def _run_chunks(args, P, lanes, blocks, threads, chunks, scores, paths) -> None:
        """Chunks of whole blocks, taken in turn by the calling thread and threads - 1 pool workers:
        nobody waits idle, and a chunk of early crashes frees its thread for the next one."""
        from tracks.kernels import rollout
        edges = [min(P, round(blocks * c / chunks) * lanes) for c in range(chunks + 1)]

        def work(shared) -> None:
            for a, b in shared:
                rollout(*args, a, b, lanes, scores, paths)

        in_turn([(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a], threads, work)

    def __repr__(self) -> str:
        return (f"TrackSimulator({self.track!r}, sensors={self.sensors}, backend={self.backend!r}, "
                f"threads={self.threads})")
