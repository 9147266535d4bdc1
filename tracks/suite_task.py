"""The task ``neuroevo run suite``: a training recipe for drivers that generalize to unseen tracks.

Its defaults are the recipe, found by measurement (README, "Generalization"):

- **Many tracks at once**: fitness is the mean fraction of each of 16 training tracks survived.
- **Widely mixed knobs**: every knob of every training track (smoothness, amplitude, width, start
  position, curvature swing) gets its own multiplier, log-uniform in ``[1, 2.5]``.
- **Fresh tracks** every 5 generations, drawn from the generation's common random stream, from
  the training seed space (disjoint from every held-out suite): nothing can be memorised.
- **Driver choice by robustness across tracks**: among the final generation's best genomes, the
  one that completes most of 64 fresh validation tracks (training space, never a held-out one).

An optional curriculum (``--spread-start``) starts the multipliers at a narrower range and widens
it while the best genomes complete the current tracks. The training simulator's state (its
generation count, the current tracks' seeds, the curriculum's spread) is kept in the run's
checkpoints, so a resumed run continues bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from neuroevo._checks import check_float, check_int
from neuroevo.network.spec import NetworkSpec
from neuroevo.simulators.base import Evaluation, GenerationKey, Simulator
from neuroevo.tasks import Selection, StopRule, Task, register_task
from tracks.evaluation import drivers, evaluate_suites, file_name, parse_suites, plot_generalization, report_lines
from tracks.generate import seed_test_track
from tracks.sim import DEFAULT_SENSORS, TrackSimulator, check_driver_network, check_sensors
from tracks.suite import SuiteSimulator
from tracks.suites import training_tracks


class TrainingSuiteSimulator(Simulator):
    """Fitness = mean fraction survived over the current training tracks, which change as the run goes.

    Every ``fresh_every`` generations (from the first) the generation's tracks are ``tracks``
    new training-space tracks whose indices come from the generation's common stream
    (``key.common()``); in between, the previous generation's tracks. Which tracks a generation
    used travels with its evaluation (the per-genome extra ``track_seeds``), and
    :meth:`end_generation` makes them current, counts the generation and widens the curriculum's
    spread (times ``spread_step``, up to ``spread``) when the best tenth of the population
    completes ``promote`` of the tracks.

    Args:
        tracks: tracks per generation.
        length: steps per track.
        spread: the largest knob multiplier (see :func:`tracks.suites.training_knobs`).
        spread_start: the curriculum's first spread (``== spread``: no curriculum).
        fresh_every: generations between fresh tracks.
        sensors: look-ahead offsets.
    """

    num_outputs = 1

    def __init__(self, tracks: int = 16, length: int = 1000, spread: float = 2.5, spread_start: float = 2.5,
                 fresh_every: int = 5, sensors=DEFAULT_SENSORS, promote: float = 0.9, spread_step: float = 1.1):
        self.num_tracks, self.length, self.fresh_every = tracks, length, fresh_every
        self.max_spread, self.promote, self.spread_step = spread, promote, spread_step
        self.sensors = tuple(sensors)
        self.num_inputs = 1 + 2 * len(self.sensors)
        self.generation = 0
        self.spread = spread_start
        self.seeds = np.arange(tracks, dtype=np.int64)   # used only by a call with no key before generation 1
        self._cache: tuple[tuple, SuiteSimulator] | None = None

    def seeds_for(self, key: GenerationKey | None) -> np.ndarray:
        """int64 ``(tracks,)``: the training-track indices the generation scored with ``key`` uses."""
        if key is not None and self.generation % self.fresh_every == 0:
            return key.common().integers(0, 2**63, size=self.num_tracks, dtype=np.int64)
        return self.seeds

    def suite(self, seeds: np.ndarray) -> SuiteSimulator:
        """The tracks of ``seeds`` at the current spread (the last one built is kept)."""
        tag = (tuple(seeds.tolist()), self.spread)
        if self._cache is None or self._cache[0] != tag:
            tracks = training_tracks(seeds, spread=self.spread, length=self.length)
            self._cache = (tag, SuiteSimulator(tracks, self.sensors))
        return self._cache[1]

    def _evaluate_keyed(self, genomes, spec, key) -> Evaluation:
        seeds = self.seeds_for(key)
        result = self.suite(seeds)._run(genomes, spec)
        P = genomes.shape[0]
        return Evaluation(result.mean_score, {"track_seeds": np.broadcast_to(seeds, (P, seeds.size)).copy(),
                                              "completed": result.fraction_completed})

    def _evaluate(self, genomes, spec, rng):  # pragma: no cover - _evaluate_keyed does the work
        raise NotImplementedError

    def rollouts(self, num_genomes: int) -> int:
        return num_genomes * self.num_tracks

    def end_generation(self, extras: dict[str, np.ndarray]) -> dict[str, float]:
        seeds = extras["track_seeds"]
        if not np.all(seeds == seeds[0]):
            raise RuntimeError("TrainingSuiteSimulator: the blocks of one generation used different tracks")
        self.seeds = np.array(seeds[0], dtype=np.int64)
        self.generation += 1
        completed = np.sort(extras["completed"])[::-1]
        best_tenth = float(completed[:max(1, completed.size // 10)].mean())
        if self.spread < self.max_spread and best_tenth >= self.promote:
            self.spread = min(self.max_spread, self.spread * self.spread_step)
        return {"spread": self.spread, "completed_best_tenth": best_tenth}

    def get_state(self) -> dict[str, np.ndarray]:
        return {"generation": np.int64(self.generation), "seeds": self.seeds.copy(), "spread": np.float64(self.spread)}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        if set(state) != {"generation", "seeds", "spread"}:
            raise ValueError(f"TrainingSuiteSimulator: the checkpoint's state holds {sorted(state)}; expected "
                             f"generation, seeds and spread")
        self.generation = int(state["generation"])
        self.seeds = np.array(state["seeds"], dtype=np.int64)
        self.spread = float(state["spread"])
        self._cache = None


@dataclass(frozen=True)
class SuiteEvaluateOptions:
    """Options of ``neuroevo evaluate`` for a suite run."""

    suite: tuple[str, ...] = ()            # held-out suites to score (NAME, NAME:VERSION or all; repeatable)
    top: int = 1                           # score the run's best genome (1) or its best N genomes

    def __post_init__(self) -> None:
        object.__setattr__(self, "suite", tuple(self.suite))
        parse_suites(self.suite, "--suite")
        check_int("top", self.top, minimum=1, owner="--top")


@dataclass(frozen=True)
class SuiteTask(Task):
    """Train a driver on many fresh, widely mixed tracks; test it on every held-out suite."""

    sensors: tuple[int, ...] = DEFAULT_SENSORS  # look-ahead offsets of the barrier sensors, in steps
    tracks: int = 16                       # training tracks per generation (fitness: mean fraction survived)
    track_length: int = 1000               # steps of each training track
    spread: float = 2.5                    # each knob's multiplier is log-uniform in [1, spread] (1: seed test knobs)
    spread_start: float | None = None      # curriculum: start at this spread, widen it as tracks get done (None: off)
    fresh_every: int = 5                   # new training tracks every N generations
    validation_tracks: int = 64            # fresh training tracks that choose the driver among the best genomes
    top: int = 20                          # how many of the final best genomes the validation tracks compare
    test_suites: tuple[str, ...] = ("all",)  # held-out suites scored at the end (names, or all)

    name: ClassVar[str] = "suite"
    description: ClassVar[str] = "evolve a driver on many fresh mixed tracks, then test it on every held-out suite"
    default_layers: ClassVar[tuple[int, ...]] = (7, 8, 4, 1)
    default_activation: ClassVar[str] = "sigmoid"
    default_strategy: ClassVar[str] = "rank_ga"
    default_generations: ClassVar[int] = 300
    strategy_defaults: ClassVar[dict[str, dict]] = {
        "rank_ga": {"population_size": 100, "elitism": 0, "rate": 0.15, "scale": 10.0}}
    evaluate_options: ClassVar[type] = SuiteEvaluateOptions

    def __post_init__(self) -> None:
        owner = "suite"
        if isinstance(self.sensors, (str, bytes)) or not isinstance(self.sensors, (tuple, list)):
            raise TypeError(f"{owner}: sensors must be a sequence of look-ahead offsets such as "
                            f"{DEFAULT_SENSORS}; got {self.sensors!r}")
        check_int("tracks", self.tracks, minimum=1, maximum=10_000, owner=owner)
        check_int("track_length", self.track_length, minimum=20, maximum=10**6, owner=owner)
        check_float("spread", self.spread, minimum=1.0, maximum=100.0, owner=owner)
        if self.spread_start is not None:
            check_float("spread_start", self.spread_start, minimum=1.0, maximum=self.spread, owner=owner)
        check_int("fresh_every", self.fresh_every, minimum=1, owner=owner)
        check_int("validation_tracks", self.validation_tracks, minimum=1, maximum=100_000, owner=owner)
        check_int("top", self.top, minimum=1, owner=owner)
        object.__setattr__(self, "test_suites", tuple(self.test_suites))
        parse_suites(self.test_suites, owner)
        check_sensors(self.sensors, seed_test_track(0), owner)
        if max(self.sensors) >= self.track_length:
            raise ValueError(f"{owner}: sensor offsets reach past the training tracks: max(sensors) = "
                             f"{max(self.sensors)} but --track-length is {self.track_length}")

    def simulator(self) -> TrainingSuiteSimulator:
        start = self.spread if self.spread_start is None else self.spread_start
        return TrainingSuiteSimulator(self.tracks, self.track_length, self.spread, start, self.fresh_every,
                                      self.sensors)

    def check_network(self, network: NetworkSpec) -> None:
        check_driver_network(network, self.sensors, "suite")

    def max_fitness(self) -> float:
        return 1.0

    def stop_rule(self) -> StopRule:
        return StopRule()

    def memory(self, population_size: int, network: NetworkSpec) -> list[tuple[int, str]]:
        steps = (self.tracks + self.validation_tracks) * self.track_length
        return [(8 * 3 * steps, "the training and validation tracks (lower --tracks or --track-length)")]

    def validation_suite(self, rng: np.random.Generator) -> SuiteSimulator:
        seeds = rng.integers(0, 2**63, size=self.validation_tracks, dtype=np.int64)
        return SuiteSimulator(training_tracks(seeds, spread=self.spread, length=self.track_length), self.sensors)

    def select(self, population, simulator, rng) -> Selection:
        """The final generation's ``top`` best genomes (by training fitness), ordered by the fraction of
        fresh validation tracks each completes, then by the mean fraction survived there; the driver
        is the first."""
        fitness = np.where(np.isfinite(population.fitness), population.fitness, -np.inf)
        candidates = population.genomes[np.argsort(-fitness, kind="stable")[:self.top]]
        result = self.validation_suite(rng).run(candidates, population.network)
        order = np.lexsort((-result.mean_score, -result.fraction_completed))
        top = candidates[order]
        return Selection(best=np.array(top[0]), top=np.array(top),
                         info={"validation_completed": float(result.fraction_completed[order[0]]),
                               "validation_tracks": self.validation_tracks,
                               "rollouts": len(candidates) * self.validation_tracks})

    def _suites(self, names) -> list[tuple[str, int | None]]:
        return parse_suites(names, "suite")

    def held_out(self, selection: Selection, network: NetworkSpec) -> dict[str, Any]:
        test = TrackSimulator(seed_test_track(0), self.sensors)
        parts = evaluate_suites(selection.best[None], network, self._suites(self.test_suites), self.sensors)
        return {"test_score": int(test.scores(selection.best[None], network)[0]), "test_max": test.max_score,
                "held_out": parts}

    def evaluate(self, selection: Selection, network: NetworkSpec, options) -> dict[str, Any]:
        names = options.suite if options is not None and options.suite else self.test_suites
        genomes = drivers(selection, 1 if options is None else options.top)
        return evaluate_suites(genomes, network, self._suites(names), self.sensors)

    def evaluate_name(self, options) -> list[str]:
        names = options.suite if options is not None and options.suite else self.test_suites
        return [file_name(n, v) for n, v in self._suites(names)]

    def evaluate_report(self, figures: dict[str, Any], options) -> list[str]:
        return report_lines({k: v for k, v in figures.items() if k in self.evaluate_name(options)})

    def evaluate_plots(self, figures: dict[str, Any], options, folder: Path) -> None:
        parts = {k: figures[k] for k in self.evaluate_name(options)}
        plot_generalization(parts, folder / "suites.png")

    def report(self, s: dict[str, Any]) -> list[str]:
        lines = [f"  driver        completes {s['validation_completed']:.0%} of {s['validation_tracks']} fresh "
                 f"validation tracks; {s['test_score']} / {s['test_max']} on the seed test track",
                 f"  rollouts      {s['evaluations']:,} track rollouts (of them {s['selection_rollouts']:,} to "
                 f"choose the driver)"]
        return lines + report_lines(s["held_out"])

    def plots(self, selection: Selection, network: NetworkSpec, summary: dict[str, Any], folder: Path) -> None:
        plot_generalization(summary["held_out"], folder / "generalization.png",
                            title="held-out suites: tracks completed by the run's driver")


register_task(SuiteTask)

