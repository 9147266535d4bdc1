"""Population: a network, a strategy, a seeded generator and the evolution loop."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from neuroevo._checks import check_float, check_int
from neuroevo.evaluators import make_evaluator
from neuroevo.io.checkpoint import CheckpointError, read_npz, write_npz_atomic
from neuroevo.network.spec import NetworkSpec, as_spec
from neuroevo.simulators.base import GenerationKey, Simulator
from neuroevo.strategies import STRATEGIES, make_strategy, strategy_name
from neuroevo.strategies.base import Strategy, state_from_arrays, state_to_arrays
from neuroevo.strategies.restarts import RestartState, check_restartable, check_restarts, restarted
from neuroevo.strategies.shaping import fitness_stats


def copy_generator(rng: np.random.Generator) -> np.random.Generator:
    """An independent generator in the same state: it draws what ``rng`` would, without advancing it."""
    twin = np.random.Generator(type(rng.bit_generator)())
    twin.bit_generator.state = rng.bit_generator.state
    return twin


class History:
    """Per-generation records. ``history["fitness_max"]`` is a float64 array over generations.

    Each row holds ``generation``, ``evaluations`` (genomes scored so far), ``rollouts`` (the
    episodes they cost, :meth:`Simulator.rollouts`), ``time_s`` (wall time of the generation),
    the fitness summary (``fitness_max``, ``fitness_mean``, ``fitness_p10`` ... ``fitness_p90``,
    ``nonfinite``), ``best_so_far`` and the strategy's own metrics.
    """

    def __init__(self, rows: list[dict] | None = None):
        self.rows: list[dict] = list(rows or [])

    def append(self, row: dict) -> None:
        self.rows.append(dict(row))

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key: str) -> np.ndarray:
        if not self.rows or key not in self.rows[-1]:
            known = sorted(self.rows[-1]) if self.rows else []
            raise KeyError(f"no column {key!r} in the history; columns: {known}")
        return np.array([r.get(key, np.nan) for r in self.rows], dtype=np.float64)

    @property
    def columns(self) -> list[str]:
        return list(self.rows[-1]) if self.rows else []

    def __repr__(self) -> str:
        if not self.rows:
            return "History(0 generations)"
        return f"History({len(self)} generations, best {self.rows[-1]['best_so_far']:.6g})"


class Population:
    """A population of flat-genome networks evolved by one strategy.

    Args:
        network: a :class:`NetworkSpec` or a layer list such as ``[7, 8, 4, 1]`` (sigmoid).
        strategy: a registry name (``"rank_ga"``, ...), a Strategy class or instance.
        seed: seed of the run's single ``np.random.Generator``.
        x0: starting point of the search, float64 ``(D,)``; zeros when None.
        evaluator: how generations are scored: ``"local"`` (None, this process), ``"dask"`` (a
            Dask cluster: the default client's, else a LocalCluster), a ``distributed.Client``, or
            an :class:`~neuroevo.evaluators.Evaluator` such as ``DaskEvaluator(workers=4)``.
        restarts: ``"ipop"`` or ``"bipop"`` to restart the strategy (from ``x0``, with a new
            population size) whenever it meets a termination criterion; None never restarts.
        max_restarts: how many restarts at most (None: as many as the budget allows).
        **settings: fields of the strategy's Config, e.g. ``population_size=50, rate=0.1``.

    Example:
        >>> pop = Population([7, 8, 4, 1], "rank_ga", seed=1, population_size=50)
        >>> history = pop.evolve(TrackSimulator(seed_training_track()), generations=120)
        >>> pop.best_genome.shape
        (105,)
    """

    def __init__(self, network, strategy: str | type | Strategy = "rank_ga", *, seed: int = 0,
                 x0=None, evaluator=None, restarts: str | None = None, max_restarts: int | None = None,
                 **settings):
        self.network: NetworkSpec = as_spec(network)
        self.evaluator = make_evaluator(evaluator)
        self.strategy: Strategy = make_strategy(strategy, self.network.num_params, **settings)
        self.seed = check_int("seed", seed, minimum=0, owner="Population")
        self.restarts: RestartState | None = None
        if check_restarts(restarts, "Population") is not None:
            check_restartable(self.strategy, "Population")
            self.restarts = RestartState.start(restarts, self.strategy.population_size,
                                               self.strategy.config.sigma0, max_restarts=max_restarts)
        self.rng = np.random.default_rng(self.seed)
        self.state = self.strategy.init(x0)
        self.x0 = np.array(self.strategy.mean(self.state))   # where every restart begins
        self.generation = 0
        self.evaluations = 0
        self.rollouts = 0                        # episodes the evaluations cost (Simulator.rollouts)
        self.history = History()
        self.best_genome: np.ndarray | None = None
        self.best_fitness = -math.inf
        self.genomes: np.ndarray | None = None   # last evaluated generation (P, D)
        self.fitness: np.ndarray | None = None   # its fitness (P,), as the simulator returned it

    @property
    def population_size(self) -> int:
        return self.strategy.population_size

    def step(self, simulator: Simulator) -> dict:
        """Run one generation and return its history row.

        The run's generator is drawn from in a fixed order: the strategy's ``ask`` first, then one
        :class:`GenerationKey` for the evaluation (its common and per-genome streams).
        """
        t0 = time.perf_counter()
        before = self.rng.bit_generator.state
        genomes, state = self.strategy.ask(self.state, self.rng)
        key = GenerationKey.draw(self.rng)
        try:
            evaluation = self.evaluator.evaluate(simulator, genomes, self.network, key)
        except BaseException:
            # a generation that could not be scored never happened: the run can be saved and go on
            self.rng.bit_generator.state = before
            raise
        fitness = evaluation.fitness
        self.rollouts += simulator.rollouts(genomes.shape[0])
        sim_metrics = simulator.end_generation(evaluation.extras)
        self.state, metrics = self.strategy.tell(state, genomes, fitness)
        self.generation += 1
        self.evaluations += genomes.shape[0]
        self.genomes, self.fitness = genomes, fitness
        finite = np.isfinite(fitness)
        if finite.any():
            i = int(np.argmax(np.where(finite, fitness, -np.inf)))
            if fitness[i] > self.best_fitness:
                self.best_fitness = float(fitness[i])
                self.best_genome = genomes[i].copy()
        row = {"generation": self.generation, "evaluations": self.evaluations, "rollouts": self.rollouts,
               "time_s": time.perf_counter() - t0}
        row |= fitness_stats(fitness)
        row |= {k: float(v) for k, v in metrics.items() if k not in row}
        row |= {k: float(v) for k, v in (sim_metrics or {}).items() if k not in row}
        row["best_so_far"] = self.best_fitness
        self._after_tell(row, genomes.shape[0])
        self.history.append(row)
        return row

    def _after_tell(self, row: dict, evaluated: int) -> None:
        """Record the strategy's termination criteria in ``row`` and restart it if the schedule says so.

        ``row["stop"]`` names the criteria met (joined by ``+``); with restarts, ``row["restarts"]``
        counts the restarts so far and ``row["restarted"]`` is 1.0 when this generation began a new run.
        """
        reasons = self.strategy.stop(self.state)
        if self.restarts is None:
            if reasons:
                row["stop"] = "+".join(reasons)
            return
        schedule = self.restarts.counted(evaluated)
        if not reasons and schedule.over_budget:
            reasons = ("runbudget",)          # a BIPOP small run used its share of evaluations
        row["restarted"] = 0.0
        if reasons:
            row["stop"] = "+".join(reasons)
            if not schedule.exhausted:
                schedule = schedule.next_run(self.rng)
                self.strategy = restarted(self.strategy, schedule)
                self.state = self.strategy.init(self.x0)
                row["restarted"] = 1.0
        self.restarts = schedule
        row["restarts"] = float(schedule.restarts)

    def evolve(self, simulator: Simulator, generations: int, *, target: float | None = None,
               progress: bool | None = None, callback: Callable[[Population, dict], bool | None] | None = None,
               ) -> History:
        """Run up to ``generations`` more generations.

        Args:
            simulator: scores the population (see :class:`neuroevo.Simulator`).
            generations: how many generations to run at most.
            target: stop as soon as a generation's best fitness is ``>= target``.
            progress: show a progress bar; None shows it when stderr is a terminal.
            callback: called as ``callback(population, row)`` after each generation; returning
                True stops the run.

        Returns:
            The full :class:`History` (earlier generations included).
        """
        generations = check_int("generations", generations, minimum=0, owner="Population.evolve")
        if target is not None:
            target = check_float("target", target, owner="Population.evolve")
        if not isinstance(simulator, Simulator):
            raise TypeError(f"simulator must be a neuroevo Simulator; got {type(simulator).__name__}")
        simulator.check_network(self.network)
        show = sys.stderr.isatty() if progress is None else bool(progress)
        bar = None
        if show:
            from tqdm.auto import tqdm
            bar = tqdm(total=generations, desc="evolving", unit="gen", leave=False)
        try:
            for _ in range(generations):
                row = self.step(simulator)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(best=f"{row['best_so_far']:.4g}", mean=f"{row['fitness_mean']:.4g}")
                if callback is not None and callback(self, row):
                    break
                if target is not None and row["fitness_max"] >= target:
                    break
        finally:
            if bar is not None:
                bar.close()
        return self.history

    def ask_next(self) -> np.ndarray:
        """The genomes the next generation would evaluate, without advancing the run (for tests)."""
        return self.strategy.ask(self.state, copy_generator(self.rng))[0]

    # -- checkpoints -------------------------------------------------------------------------
    def checkpoint_payload(self) -> tuple[dict[str, np.ndarray], dict]:
        """Everything the run needs to continue exactly, as ``(arrays, json_record)``."""
        arrays, scalars = state_to_arrays(self.state)
        arrays = {f"state__{k}": v for k, v in arrays.items()}
        for name in ("best_genome", "genomes", "fitness", "x0"):
            value = getattr(self, name)
            if value is not None:
                arrays[name] = value
        meta = {
            "network": self.network.to_dict(),
            "strategy": strategy_name(self.strategy),
            "strategy_config": asdict(self.strategy.config),
            "state_scalars": scalars,
            "seed": self.seed,
            "rng_state": self.rng.bit_generator.state,
            "generation": self.generation,
            "evaluations": self.evaluations,
            "rollouts": self.rollouts,
            "best_fitness": self.best_fitness,
            "history": self.history.rows,
            "restarts": None if self.restarts is None else asdict(self.restarts),
        }
        return arrays, meta

    def save(self, path, *, previous=None) -> Path:
        """Write a checkpoint (``.npz``, atomically); :meth:`load` resumes it exactly.

        Args:
            path: file name ending in ``.npz``.
            previous: keep the file being replaced under this name.
        """
        arrays, meta = self.checkpoint_payload()
        return write_npz_atomic(path, arrays, meta, previous=previous)

    @classmethod
    def from_payload(cls, arrays: dict[str, np.ndarray], meta: dict, *, source: str = "checkpoint") -> Population:
        """Inverse of :meth:`checkpoint_payload`; raises :class:`CheckpointError` on a record that does not fit."""
        try:
            name = meta["strategy"]
            if name not in STRATEGIES:
                raise CheckpointError(f"{source} uses strategy {name!r}, which is not registered; "
                                      f"known: {sorted(STRATEGIES)}")
            strategy_cls = STRATEGIES[name]
            spec = NetworkSpec.from_dict(meta["network"])
            strategy = strategy_cls(strategy_cls.Config(**meta["strategy_config"]), num_params=spec.num_params)
            pop = cls(spec, strategy, seed=meta["seed"])
            state_arrays = {k.removeprefix("state__"): v for k, v in arrays.items() if k.startswith("state__")}
            pop.state = state_from_arrays(strategy_cls.State, state_arrays, meta["state_scalars"])
            pop.rng.bit_generator.state = meta["rng_state"]
            pop.generation = check_int("generation", meta["generation"], minimum=0)
            pop.evaluations = check_int("evaluations", meta["evaluations"], minimum=0)
            pop.rollouts = check_int("rollouts", meta.get("rollouts", pop.evaluations), minimum=0)
            pop.best_fitness = float(meta["best_fitness"])
            pop.best_genome = arrays.get("best_genome")
            pop.genomes = arrays.get("genomes")
            pop.fitness = arrays.get("fitness")
            pop.history = History(meta["history"])
            if meta.get("restarts") is not None:
                pop.restarts = RestartState(**meta["restarts"])
            if "x0" in arrays:
                pop.x0 = np.array(arrays["x0"], dtype=np.float64)
        except CheckpointError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            what = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc).splitlines()[0]
            raise CheckpointError(f"{source} does not hold a usable population ({what})") from None
        for name, want in (("best_genome", (spec.num_params,)), ("genomes", (None, spec.num_params)),
                           ("fitness", (None,))):
            value = getattr(pop, name)
            if value is not None and (value.ndim != len(want) or
                                      any(w is not None and s != w for s, w in zip(value.shape, want))):
                raise CheckpointError(f"{source}: {name} has shape {value.shape}, which does not fit the "
                                      f"network {list(spec.sizes)} ({spec.num_params} parameters)")
        if len(pop.history) != pop.generation:
            raise CheckpointError(f"{source}: its history has {len(pop.history)} rows for "
                                  f"{pop.generation} generations")
        return pop

    @classmethod
    def load(cls, path) -> Population:
        """Rebuild a population from :meth:`save`; its next generation equals the unbroken run's.

        Raises:
            FileNotFoundError: no file at ``path``.
            CheckpointError: the file is damaged, truncated, or not a neuroevo checkpoint.
        """
        arrays, meta = read_npz(path)
        return cls.from_payload(arrays, meta, source=f"checkpoint {str(path)!r}")

    def __repr__(self) -> str:
        return (f"Population({self.network!r}, {type(self.strategy).__name__}, "
                f"population_size={self.population_size}, generation={self.generation})")
