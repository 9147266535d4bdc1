"""Restart schedules for CMA-ES: IPOP and BIPOP.

- IPOP (Auger & Hansen, "A Restart CMA Evolution Strategy With Increasing Population Size", CEC
  2005): whenever a run meets a termination criterion, start again from ``x0`` with the population
  multiplied by ``increase`` (2).
- BIPOP (Hansen, "Benchmarking a BI-Population CMA-ES on the BBOB-2009 Function Testbed", GECCO
  2009): two regimes share the budget. The first restart is in the *large* regime (IPOP's doubling,
  ``sigma0`` unchanged); afterwards each restart goes to the regime that has used fewer
  evaluations so far. A *small* run draws ``u ~ U(0, 1)`` and uses
  ``P = floor(P0 (P_large / (2 P0)) ** (u ** 2))`` genomes and ``sigma0 * 10 ** (-2 u)``, and it
  stops after half the evaluations of the latest large run.

The schedule is a frozen dataclass of JSON scalars, saved with a run's checkpoint, and its only
random draw comes from the run's generator, so a resumed run restarts exactly as the unbroken one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import numpy as np

from neuroevo._checks import check_float, check_int

RESTARTS = ("ipop", "bipop")


def check_restarts(value, owner: str = "") -> str | None:
    """``None``/``"none"`` -> None, else ``"ipop"`` or ``"bipop"``, or a one-line error."""
    if value is None or value == "none":
        return None
    if value not in RESTARTS:
        where = f"{owner}: " if owner else ""
        raise ValueError(f"{where}restarts must be one of {['none', *RESTARTS]}; got {value!r}")
    return value


@dataclass(frozen=True)
class RestartState:
    """Where a restart schedule stands.

    Attributes:
        kind: ``"ipop"`` or ``"bipop"``.
        base_population: population size of the first run.
        base_sigma0: ``sigma0`` of the first run.
        population_size, sigma0: the current run's settings.
        max_restarts: restarts allowed (None: as many as the budget allows).
        increase: factor of IPOP's (and BIPOP's large regime's) population growth.
        restarts: restarts made so far.
        regime: the current run's regime: ``"first"``, ``"large"`` or ``"small"``.
        large_runs: runs in the large regime so far (the first run not counted).
        run_evaluations: evaluations of the current run.
        large_evaluations, small_evaluations: evaluations spent in each regime (the first run is large).
        last_large_evaluations: evaluations of the latest run of the large regime (or the first run).
        run_budget: the current run's cap on evaluations (BIPOP's small runs), None for no cap.
    """

    kind: str
    base_population: int
    base_sigma0: float
    population_size: int
    sigma0: float
    max_restarts: int | None = None
    increase: float = 2.0
    restarts: int = 0
    regime: str = "first"
    large_runs: int = 0
    run_evaluations: int = 0
    large_evaluations: int = 0
    small_evaluations: int = 0
    last_large_evaluations: int = 0
    run_budget: int | None = None

    @classmethod
    def start(cls, kind: str, population_size: int, sigma0: float, *, max_restarts: int | None = None,
              increase: float = 2.0) -> RestartState:
        """The schedule before its first run."""
        kind = check_restarts(kind, "RestartState")
        if kind is None:
            raise ValueError("RestartState: restarts must be 'ipop' or 'bipop'; got 'none'")
        if max_restarts is not None:
            max_restarts = check_int("max_restarts", max_restarts, minimum=0, owner="restarts")
        increase = check_float("increase", increase, minimum=1.0, owner="restarts")
        return cls(kind=kind, base_population=int(population_size), base_sigma0=float(sigma0),
                   population_size=int(population_size), sigma0=float(sigma0), max_restarts=max_restarts,
                   increase=increase)

    def counted(self, evaluations: int) -> RestartState:
        """The schedule after ``evaluations`` more evaluations of the current run."""
        return replace(self, run_evaluations=self.run_evaluations + int(evaluations))

    @property
    def over_budget(self) -> bool:
        """True when the current run has used its evaluation cap."""
        return self.run_budget is not None and self.run_evaluations >= self.run_budget

    @property
    def exhausted(self) -> bool:
        """True when no restart is left."""
        return self.max_restarts is not None and self.restarts >= self.max_restarts

    def next_run(self, rng: np.random.Generator) -> RestartState:
        """The schedule of the next run (BIPOP's small regime draws one uniform from ``rng``)."""
        s = self
        if s.regime == "small":
            s = replace(s, small_evaluations=s.small_evaluations + s.run_evaluations)
        else:
            s = replace(s, large_evaluations=s.large_evaluations + s.run_evaluations,
                        last_large_evaluations=s.run_evaluations)
        s = replace(s, restarts=s.restarts + 1, run_evaluations=0, run_budget=None)
        large = s.kind == "ipop" or s.large_runs == 0 or s.large_evaluations <= s.small_evaluations
        if large:
            runs = s.large_runs + 1
            size = int(round(s.base_population * s.increase ** runs))
            return replace(s, regime="large", large_runs=runs, population_size=size, sigma0=s.base_sigma0)
        u = float(rng.uniform())
        large_size = s.base_population * s.increase ** s.large_runs
        size = max(2, int(math.floor(s.base_population * (0.5 * large_size / s.base_population) ** (u * u))))
        budget = max(1, s.last_large_evaluations // 2)
        return replace(s, regime="small", population_size=size, sigma0=s.base_sigma0 * 10 ** (-2 * u),
                       run_budget=budget)


def check_restartable(strategy, owner: str = "restarts") -> None:
    """Raise unless ``strategy``'s config has the ``population_size`` and ``sigma0`` a restart changes."""
    names = {f.name for f in fields(strategy.config)}
    if not {"population_size", "sigma0"} <= names:
        raise ValueError(f"{owner}: IPOP/BIPOP restarts need a strategy with population_size and sigma0 "
                         f"settings (cmaes, sep_cmaes); got {type(strategy).__name__}. Use restarts='none'")


def restarted(strategy, schedule: RestartState):
    """A new strategy of the same class with the schedule's population size and ``sigma0``."""
    cfg = strategy.config
    changes = {"population_size": schedule.population_size, "sigma0": schedule.sigma0}
    if getattr(cfg, "mu", None) is not None and cfg.mu > schedule.population_size:
        changes["mu"] = None
    return type(strategy)(replace(cfg, **changes), num_params=strategy.num_params)
