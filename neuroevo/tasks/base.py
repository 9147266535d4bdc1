"""Tasks: what a run is for. A task says what is particular to it; the run engine does the rest.

A task is a frozen dataclass whose fields are its own settings (they become ``--options`` of
``neuroevo run TASK``). Its class variables declare the defaults the engine uses for it (network,
strategy and strategy settings, generation budget), and its methods give the simulator it trains
on, its stop rule, how the run's best genome is chosen, its held-out evaluation, the lines of its
report and its own plots. A task never writes a file: it returns arrays and figures, and the
engine puts them in the run folder.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from neuroevo._checks import check_float
from neuroevo.network.spec import NetworkSpec
from neuroevo.simulators.base import GenerationKey, Simulator

if TYPE_CHECKING:
    from neuroevo.population import Population


class StopRule:
    """Decides, one generation at a time, whether a run has done its job.

    A rule sees every history row in order; the engine replays the saved rows through a new rule
    when a run resumes, so a rule's memory never needs a checkpoint of its own.
    """

    def update(self, row: dict) -> str | None:
        """The reason to stop after this generation, or None to go on."""
        return None

    def expected(self, budget: int) -> int:
        """How many generations the run will probably take in all (the progress bar's total)."""
        return budget


class TargetRule(StopRule):
    """Stop as soon as a generation's best fitness reaches ``target``."""

    def __init__(self, target: float, what: str = ""):
        self.target = float(target)
        self.what = what or f"best fitness reached the target {self.target:g}"

    def update(self, row: dict) -> str | None:
        value = row.get("fitness_max")
        return self.what if value is not None and value >= self.target else None


#: what a run does when its strategy meets a termination criterion (``Task.strategy_stop``)
STRATEGY_STOP = ("stop", "ignore", "ipop", "bipop")


class StrategyStopRule(StopRule):
    """A task's rule, plus: stop when the strategy met a termination criterion and did not restart.

    The strategy's criteria reach the rule as ``row["stop"]`` (see :meth:`Population.step`).
    """

    def __init__(self, inner: StopRule):
        self.inner = inner

    def update(self, row: dict) -> str | None:
        reason = self.inner.update(row)
        if reason is None and row.get("stop") and not row.get("restarted"):
            return f"strategy stopped: {row['stop']}"
        return reason

    def expected(self, budget: int) -> int:
        return self.inner.expected(budget)


def run_stop_rule(task: Task) -> StopRule:
    """The rule an engine run uses: the task's own, with the strategy's criteria unless the task
    ignores them (``strategy_stop = "ignore"``)."""
    rule = task.stop_rule()
    return rule if task.strategy_stop == "ignore" else StrategyStopRule(rule)


def run_restarts(task: Task) -> str | None:
    """``"ipop"``/``"bipop"`` when the task restarts a stopped strategy, else None."""
    return task.strategy_stop if task.strategy_stop in ("ipop", "bipop") else None


@dataclass
class Selection:
    """The run's choice among its genomes.

    Attributes:
        best: float64 ``(D,)``, the run's best genome (``best_genome.npy``).
        top: float64 ``(K, D)``, the final generation's best genomes, best first (``top_genomes.npy``).
        info: JSON-ready figures about the choice, for the summary.
    """

    best: np.ndarray
    top: np.ndarray
    info: dict[str, Any]


@dataclass(frozen=True)
class Task:
    """Base class of tasks; see the module docstring.

    Subclasses set ``name`` and the ``default_*`` class variables, and implement
    :meth:`simulator`; everything else has a default.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""                 # one line for `neuroevo run --help`
    default_layers: ClassVar[tuple[int, ...] | None] = None
    default_activation: ClassVar[str] = "sigmoid"
    default_strategy: ClassVar[str] = "rank_ga"
    default_generations: ClassVar[int] = 200
    #: strategy name -> settings this task uses unless told otherwise
    strategy_defaults: ClassVar[dict[str, dict]] = {}
    #: options of ``neuroevo evaluate RUN_DIR`` for runs of this task: a frozen dataclass whose
    #: fields become ``--options`` (their comments the help), or None for no options
    evaluate_options: ClassVar[type | None] = None
    #: re-evaluate the candidates for the best genome (for noisy fitness)
    reevaluate: ClassVar[bool] = False
    #: how many of the final generation's genomes are kept in ``top_genomes.npy``
    keep_top: ClassVar[int] = 10
    #: when the strategy meets a termination criterion (CMA-ES's tolfun...): "stop" the run,
    #: "ignore" it, or restart the strategy with "ipop" or "bipop" (CMA-ES only)
    strategy_stop: ClassVar[str] = "stop"

    # -- what the run trains on -----------------------------------------------------------------
    def simulator(self) -> Simulator:
        """The simulator the population is evolved on."""
        raise NotImplementedError(f"{type(self).__name__} must implement simulator()")

    def check_network(self, network: NetworkSpec) -> None:
        """Raise if ``network`` cannot be used for this task (before any work)."""
        self.simulator().check_network(network)

    def max_fitness(self) -> float | None:
        """The highest reachable fitness, if known (drawn as a line on the fitness plot)."""
        return None

    def stop_rule(self) -> StopRule:
        """A fresh stop rule (default: none; the run uses its whole generation budget)."""
        return StopRule()

    def memory(self, population_size: int, network: NetworkSpec) -> list[tuple[int, str]]:
        """Bytes this task will need beyond the population, as ``(bytes, what)`` pairs."""
        return []

    # -- after the evolution --------------------------------------------------------------------
    def select(self, population: Population, simulator: Simulator, rng: np.random.Generator) -> Selection:
        """Choose the run's best genome; ``rng`` is a copy of the run's generator (drawing from it
        never changes the run).

        The default takes the best genome ever evaluated; with ``reevaluate`` it scores it again
        with the final generation's best on a fresh key and takes the highest.
        """
        top = top_genomes(population, self.keep_top)
        best = population.best_genome if population.best_genome is not None else top[0]
        info: dict[str, Any] = {"best_fitness": population.best_fitness}
        if self.reevaluate:
            candidates = np.concatenate([best[None], top])
            again = simulator.evaluate(candidates, population.network, key=GenerationKey.draw(rng))
            again = np.where(np.isfinite(again), again, -np.inf)
            i = int(np.argmax(again))
            best, info["reevaluated_fitness"] = candidates[i], float(again[i])
        return Selection(best=np.array(best), top=top, info=info)

    def held_out(self, selection: Selection, network: NetworkSpec) -> dict[str, Any]:
        """Figures of the held-out evaluation (flat, JSON-ready); the default has none."""
        return {}

    def evaluate(self, selection: Selection, network: NetworkSpec, options) -> dict[str, Any]:
        """Figures of ``neuroevo evaluate`` (``options``: an ``evaluate_options`` instance or None).

        The default runs the held-out evaluation again.
        """
        return self.held_out(selection, network)

    def evaluate_name(self, options) -> str | list[str]:
        """Name of the evaluation: ``RUN_DIR/evaluate/<name>.json`` holds its figures.

        An evaluation in several parts (one per suite, say) gives a list of names; :meth:`evaluate`
        then returns ``{name: figures}`` and each part gets its own file.
        """
        return "held_out"

    def evaluate_report(self, figures: dict[str, Any], options) -> list[str]:
        """Lines ``neuroevo evaluate`` prints (default: the task's report lines)."""
        return self.report(figures)

    def evaluate_plots(self, figures: dict[str, Any], options, folder: Path) -> None:
        """Draw the evaluation's figures into ``folder`` (default: none)."""

    def history_summary(self, rows: list[dict]) -> dict[str, Any]:
        """Figures read off the history for the summary (default: none)."""
        return {}

    def report(self, summary: dict[str, Any]) -> list[str]:
        """Lines of the printed summary between the generation count and the wall time."""
        return [f"  best fitness  {summary['best_fitness']:.6g}"]

    def plots(self, selection: Selection, network: NetworkSpec, summary: dict[str, Any],
              folder: Path) -> None:
        """Draw the task's own figures into ``folder`` (the engine draws the fitness curve)."""

    # -- settings -------------------------------------------------------------------------------
    @classmethod
    def setting_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


def top_genomes(population: Population, k: int) -> np.ndarray:
    """The final generation's ``k`` best genomes, best first (non-finite fitness last, stable)."""
    fitness = np.where(np.isfinite(population.fitness), population.fitness, -np.inf)
    order = np.argsort(-fitness, kind="stable")[:k]
    return population.genomes[order]


def check_target(name: str, value, owner: str) -> float | None:
    return None if value is None else check_float(name, value, owner=owner)
