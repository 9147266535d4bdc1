"""The racing task behind ``neuroevo run race`` (and its alias ``neuroevo race``).

Train a driver on a track, stop a few generations after the track is first completed, pick the
driver among the final best genomes by how well their mutated copies drive (robust drivers
generalize), then test the best drivers on an unseen 4000-step track. Registered with neuroevo
through the ``neuroevo.tasks`` entry point, so neuroevo itself never imports this package.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from neuroevo._checks import check_float, check_int
from neuroevo.network.spec import NetworkSpec
from neuroevo.robustness import robust_order
from neuroevo.tasks import Selection, StopRule, Task, register_task
from tracks.evaluation import drivers, evaluate_suites, file_name, parse_suites, plot_generalization, report_lines
from tracks.generate import Track, seed_test_track, seed_training_track
from tracks.sim import DEFAULT_SENSORS, TrackSimulator, check_driver_network, check_sensors
from tracks.suites import training_track

#: The reference post's GA: population 50, rate 0.1, scale 5, no elitism (run it for 120
#: generations with no early stop and plain ranking to reproduce the post).
POST_SETTINGS: dict = {"population_size": 50, "rate": 0.1, "scale": 5.0, "elitism": 0}

#: Settings of each strategy for this task, measured over 20 seeds (see README, "Defaults").
#: Fields not named here keep the strategy's own Config defaults.
RACE_STRATEGY_DEFAULTS: dict[str, dict] = {
    "rank_ga": {"population_size": 100, "elitism": 0, "rate": 0.15, "scale": 10.0},
    # CMA-ES's default population for 105 parameters (17) misses the track in 1 of 20 seeds; 32 in none
    "cmaes": {"population_size": 32},
}


class CompletionRule(StopRule):
    """Stop ``extra`` generations after a genome first completes the track (-1: never stop early)."""

    def __init__(self, max_score: int, extra: int):
        self.max_score, self.extra = max_score, extra
        self.done_at: int | None = None

    def update(self, row: dict) -> str | None:
        if self.done_at is None and row["fitness_max"] >= self.max_score:
            self.done_at = row["generation"]
        if self.done_at is not None and self.extra >= 0 and row["generation"] >= self.done_at + self.extra:
            return (f"stopped {self.extra} generations after the track was first completed, "
                    f"at generation {self.done_at}")
        return None

    def expected(self, budget: int) -> int:
        if self.done_at is None or self.extra < 0:
            return budget
        return min(budget, self.done_at + self.extra)


def completion(rows: list[dict], max_score: float) -> tuple[int | None, float | None, int | None]:
    """Generation at which a genome first reached ``max_score``, the seconds of evolution until then
    and the evaluations until then (None if none did)."""
    elapsed = 0.0
    for row in rows:
        elapsed += row["time_s"]
        if row["fitness_max"] >= max_score:
            return row["generation"], elapsed, row["evaluations"]
    return None, None, None


@dataclass(frozen=True)
class RaceEvaluateOptions:
    """Options of ``neuroevo evaluate`` for a race run."""

    test_seed: int | None = None           # seed of the unseen 4000-step test track (default: the run's)
    suite: tuple[str, ...] = ()            # held-out suites to score instead (NAME, NAME:VERSION or all; repeatable)
    top: int = 1                           # with --suite: score the run's best genome (1) or its best N genomes

    def __post_init__(self) -> None:
        if self.test_seed is not None:
            check_int("test_seed", self.test_seed, minimum=0, owner="race evaluate")
        object.__setattr__(self, "suite", tuple(self.suite))
        parse_suites(self.suite, "--suite")
        check_int("top", self.top, minimum=1, owner="--top")
        if self.suite and self.test_seed is not None:
            raise ValueError("--test-seed and --suite choose different evaluations (the test track, held-out "
                             "suites); give one of them")


@dataclass(frozen=True)
class RaceTask(Task):
    """Steer a car along a racing track; test the best drivers on an unseen 4000-step track."""

    sensors: tuple[int, ...] = DEFAULT_SENSORS  # look-ahead offsets of the barrier sensors, in steps
    track: int = -1                        # training track: -1 = the 400-step reference track, N = training track N
    test_seed: int = 0                     # seed of the unseen 4000-step test track
    extra_generations: int = 30            # generations to run after the track is first completed (-1: no early stop)
    top: int = 20                          # how many of the final best genomes are tested and plotted (at most P)
    robust_samples: int = 20               # mutated copies per genome that rank equally fit genomes (0: off)
    robust_noise: float = 0.1              # those copies get Uniform(-noise, noise) on every gene

    name: ClassVar[str] = "race"
    description: ClassVar[str] = "evolve a driver on the racing track, then test it on an unseen track"
    default_layers: ClassVar[tuple[int, ...]] = (7, 8, 4, 1)
    default_activation: ClassVar[str] = "sigmoid"
    default_strategy: ClassVar[str] = "rank_ga"
    default_generations: ClassVar[int] = 200
    strategy_defaults: ClassVar[dict[str, dict]] = RACE_STRATEGY_DEFAULTS
    evaluate_options: ClassVar[type] = RaceEvaluateOptions
    # the completion phase decides when a race ends; a flat fitness must not cut it short
    strategy_stop: ClassVar[str] = "ignore"

    def __post_init__(self) -> None:
        owner = "race"
        if isinstance(self.sensors, (str, bytes)) or not isinstance(self.sensors, (tuple, list)):
            raise TypeError(f"{owner}: sensors must be a sequence of look-ahead offsets such as "
                            f"{DEFAULT_SENSORS}; got {self.sensors!r}")
        check_int("track", self.track, minimum=-1, owner=owner)
        check_int("test_seed", self.test_seed, minimum=0, owner=owner)
        check_int("extra_generations", self.extra_generations, minimum=-1, owner=owner)
        check_int("top", self.top, minimum=1, owner=owner)
        check_int("robust_samples", self.robust_samples, minimum=0, owner=owner)
        check_float("robust_noise", self.robust_noise, minimum=0.0, owner=owner)
        for track in (self.training_track, self.test_track):
            check_sensors(self.sensors, track, owner)

    # the tracks, built once per task object
    @cached_property
    def training_track(self) -> Track:
        # procedural tracks from the training seed space, never a stretch of a test track
        return seed_training_track() if self.track < 0 else training_track(self.track, spread=1.0, length=1000)

    @cached_property
    def test_track(self) -> Track:
        return seed_test_track(self.test_seed)

    @cached_property
    def _train_sim(self) -> TrackSimulator:
        return TrackSimulator(self.training_track, sensors=self.sensors)

    @cached_property
    def _test_sim(self) -> TrackSimulator:
        return TrackSimulator(self.test_track, sensors=self.sensors)

    @cached_property
    def _last_paths(self) -> dict:
        return {}

    def _paths(self, which: str, genomes: np.ndarray, network: NetworkSpec) -> tuple[np.ndarray, np.ndarray]:
        """``TrackSimulator.paths`` of ``genomes`` on the training or test track (``which``), kept for the
        last genomes of each track: the held-out evaluation and the plots drive the same genomes once."""
        key = (genomes.shape, genomes.tobytes(), network)
        last = self._last_paths.get(which)
        if last is None or last[0] != key:
            sim = self._train_sim if which == "train" else self._test_sim
            last = self._last_paths[which] = (key, sim.paths(genomes, network))
        return last[1]

    def simulator(self) -> TrackSimulator:
        return self._train_sim

    def check_network(self, network: NetworkSpec) -> None:
        check_driver_network(network, self.sensors, "race")

    def max_fitness(self) -> float:
        return float(self._train_sim.max_score)

    def stop_rule(self) -> StopRule:
        return CompletionRule(self._train_sim.max_score, self.extra_generations)

    def memory(self, population_size: int, network: NetworkSpec) -> list[tuple[int, str]]:
        copies = population_size * self.robust_samples
        return [(8 * copies * network.num_params * 2 + 16 * copies,
                 f"the robust ranking ({self.robust_samples:,} mutated copies of each of {population_size:,} "
                 f"genomes; lower --robust-samples)"),
                (8 * min(self.top, population_size) * (self.test_track.length + self.training_track.length),
                 "the paths of the plotted drivers")]

    # after the evolution
    def select(self, population, simulator, rng) -> Selection:
        """The final generation best first: by training score, then, among equal scores, by the mean
        score of mutated copies (robust drivers generalize better), then newest first. The driver is
        the first of them, or the best genome ever seen if the final generation fell below it."""
        fitness = np.where(np.isfinite(population.fitness), population.fitness, -np.inf)
        order, rollouts = robust_order(population.genomes, fitness, simulator, population.network,
                                       noise=self.robust_noise, samples=self.robust_samples, rng=rng)
        order = order[:self.top]
        top = population.genomes[order]
        best = top[0] if fitness[order[0]] >= population.best_fitness else population.best_genome
        return Selection(best=np.array(best), top=np.array(top), info={"rollouts": rollouts})

    def held_out(self, selection: Selection, network: NetworkSpec) -> dict[str, Any]:
        train, test = self._train_sim, self._test_sim
        top_train, top_test = self._paths("train", selection.top, network)[1], self._paths("test", selection.top,
                                                                                       network)[1]
        if np.array_equal(selection.best, selection.top[0]):        # the driver is the first of them
            best_train, best_test = int(top_train[0]), int(top_test[0])
        else:
            best = selection.best[None]
            best_train, best_test = int(train.scores(best, network)[0]), int(test.scores(best, network)[0])
        return {"best_train_score": best_train, "train_max": train.max_score,
                "train_completed": best_train >= train.max_score,
                "best_test_score": best_test, "best_test_completed": best_test >= test.max_score,
                "top": len(top_test), "test_completed": int(np.sum(top_test >= test.max_score)),
                "test_max": test.max_score, "test_length": self.test_track.length,
                "test_median_score": float(np.median(top_test)),
                "top_train_scores": top_train.tolist(),
                "top_test_scores": top_test.tolist()}

    def _for(self, options: RaceEvaluateOptions | None) -> RaceTask:
        if options is None or options.test_seed is None or options.test_seed == self.test_seed:
            return self
        return replace(self, test_seed=options.test_seed)

    def evaluate(self, selection: Selection, network: NetworkSpec, options) -> dict[str, Any]:
        if options is not None and options.suite:
            return evaluate_suites(drivers(selection, options.top), network,
                                   parse_suites(options.suite, "race"), self.sensors)
        return self._for(options).held_out(selection, network) | {"test_seed": self._for(options).test_seed}

    def evaluate_name(self, options) -> str | list[str]:
        if options is not None and options.suite:
            return [file_name(n, v) for n, v in parse_suites(options.suite, "race")]
        return f"test_seed_{self._for(options).test_seed}"

    def evaluate_report(self, figures: dict[str, Any], options) -> list[str]:
        if options is not None and options.suite:
            return report_lines({k: figures[k] for k in self.evaluate_name(options)})
        return [f"  test track    seed {figures['test_seed']}"] + self.report(figures | {"completed_at": None})[1:]

    def evaluate_plots(self, figures: dict[str, Any], options, folder: Path) -> None:
        if options is not None and options.suite:
            plot_generalization({k: figures[k] for k in self.evaluate_name(options)}, folder / "suites.png",
                                title="held-out suites: tracks completed by the race run's driver")

    def history_summary(self, rows: list[dict]) -> dict[str, Any]:
        at, seconds, evals = completion(rows, self._train_sim.max_score)
        return {"completed_at": at, "completed_s": None if seconds is None else round(seconds, 4),
                "completed_evals": evals}

    def report(self, s: dict[str, Any]) -> list[str]:
        done = "completed" if s["train_completed"] else "not completed"
        first = (f"at generation {s['completed_at']} ({s['completed_evals']:,} evaluations)"
                 if s["completed_at"] else "never")
        return [f"  completed     the training track first {first}",
                f"  best genome   {s['best_train_score']} / {s['train_max']} on the training track ({done}), "
                f"{s['best_test_score']} / {s['test_max']} on the unseen test track",
                f"  test track    {s['test_completed']} of the best {s['top']} complete the unseen "
                f"{s['test_length']}-step track (median score {s['test_median_score']:.0f} / {s['test_max']})"]

    def plots(self, selection: Selection, network: NetworkSpec, summary: dict[str, Any], folder: Path) -> None:
        from tracks.render import plot_paths

        n = len(selection.top)
        plot_paths(selection.top, network, self.training_track, folder / "train_track.png",
                   title=f"training track: best {n} drivers", sensors=self.sensors,
                   paths=self._paths("train", selection.top, network))
        plot_paths(selection.top, network, self.test_track, folder / "test_track.png",
                   title=f"unseen test track: {summary['test_completed']} of {n} complete it", sensors=self.sensors,
                   paths=self._paths("test", selection.top, network))


register_task(RaceTask)
