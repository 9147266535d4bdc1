"""A one-call minimiser for plain functions: the strategies without networks or simulators.

``minimize(f, x0, sigma0)`` runs CMA-ES (by default with IPOP restarts) on ``f`` and returns the
best point found. Every random draw comes from one ``np.random.Generator`` seeded with ``seed``,
so the same call gives the same result. Evaluations are counted as pycma counts them: whole
generations, the target checked after each.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from neuroevo._checks import check_float, check_int, check_vector, is_numeric
from neuroevo.strategies import STRATEGIES, make_strategy
from neuroevo.strategies.restarts import RestartState, check_restartable, check_restarts, restarted

#: the setting each strategy's initial step size goes to
SIGMA_SETTING = {"cmaes": "sigma0", "sep_cmaes": "sigma0", "snes": "sigma_init", "pgpe": "sigma_init",
                 "openai_es": "sigma"}


@dataclass
class MinimizeResult:
    """What :func:`minimize` found.

    Attributes:
        x: float64 ``(D,)`` the best point evaluated (inside ``bounds`` when given).
        f: its function value.
        evaluations: function evaluations made, in all runs.
        stop_reason: ``"target"``, ``"max_evals"``, or the termination criteria that ended the
            last run (e.g. ``"tolfun"``) when no restart was left.
        restarts: restarts made.
        runs: one dict per run: ``population_size``, ``sigma0``, ``evaluations``, ``generations``,
            ``stop`` and ``f`` (the run's best value).
    """

    x: np.ndarray
    f: float
    evaluations: int
    stop_reason: str
    restarts: int = 0
    runs: list[dict] = field(default_factory=list)

    def __repr__(self) -> str:
        return (f"MinimizeResult(f={self.f:.6g}, evaluations={self.evaluations}, "
                f"stop_reason={self.stop_reason!r}, restarts={self.restarts})")


def _check_bounds(bounds, D: int) -> tuple[np.ndarray, np.ndarray] | None:
    if bounds is None:
        return None
    if not isinstance(bounds, tuple | list) or len(bounds) != 2:
        raise ValueError(f"minimize: bounds must be a pair (lower, upper) of numbers or ({D},) arrays; "
                         f"got {bounds!r}")
    lo, hi = (np.broadcast_to(np.asarray(b, dtype=np.float64), (D,)).copy() for b in bounds)
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)) and np.all(lo < hi)):
        raise ValueError(f"minimize: bounds must be finite with lower < upper in every coordinate; "
                         f"got lower={lo.tolist()}, upper={hi.tolist()}")
    return lo, hi


def reflect(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Fold ``x`` into the box ``[lo, hi]`` by reflecting it at the bounds (a triangle wave)."""
    width = hi - lo
    t = np.mod(x - lo, 2 * width)
    return lo + np.where(t > width, 2 * width - t, t)


def _values(f, xs: np.ndarray, vectorized: bool) -> np.ndarray:
    out = np.asarray(f(xs)) if vectorized else np.array([_scalar(f(x)) for x in xs])
    if not is_numeric(out, allow_bool=False):
        raise TypeError(f"minimize: f must return numbers; got dtype {out.dtype}")
    if out.shape != (xs.shape[0],):
        hint = (" (for a function of one point, pass vectorized=False)" if vectorized else "")
        raise ValueError(f"minimize: f must map ({xs.shape[0]}, {xs.shape[1]}) points to ({xs.shape[0]},) "
                         f"values; got shape {out.shape}{hint}")
    return out.astype(np.float64)


def _scalar(value) -> float:
    arr = np.asarray(value)
    if arr.size != 1:
        raise ValueError(f"minimize: with vectorized=False, f must return one number per point; got shape "
                         f"{arr.shape}")
    return float(arr.reshape(()))


def minimize(f: Callable[[np.ndarray], np.ndarray], x0, sigma0: float, *, strategy: str = "cmaes",
             restarts: str | None = "ipop", seed: int = 0, max_evals: int | None = None,
             target: float | None = None, bounds=None, vectorized: bool = True,
             population_size: int | None = None, max_restarts: int | None = 9, **settings) -> MinimizeResult:
    """Minimise ``f`` with an evolution strategy, restarting it when it stops.

    Args:
        f: maps float64 ``(P, D)`` points to ``(P,)`` values to minimise (NaN and inf count as
            worst); with ``vectorized=False``, maps one ``(D,)`` point to a number.
        x0: float64 ``(D,)`` starting point of every run; or a callable ``x0(rng) -> (D,)``
            called at each (re)start with the run's generator (e.g. uniform in a box).
        sigma0: initial step size, about a quarter of the range where the optimum is expected.
        strategy: one of ``cmaes``, ``sep_cmaes``, ``snes``, ``pgpe``, ``openai_es``.
        restarts: ``"ipop"``, ``"bipop"`` or ``"none"``/None (CMA-ES variants only).
        seed: seed of the single random generator.
        max_evals: evaluation budget; a generation that would exceed it is not started.
            None: ``100000 * D``.
        target: stop as soon as a value ``<= target`` is found.
        bounds: ``(lower, upper)``, numbers or ``(D,)`` arrays; points are reflected into the box
            before ``f`` sees them.
        vectorized: whether ``f`` takes the whole ``(P, D)`` generation at once.
        population_size: the first run's population size (None: the strategy's default).
        max_restarts: restarts allowed (None: until the budget is used).
        **settings: other fields of the strategy's config (``tolfun``, ``active``, ``patience``...).

    Returns:
        :class:`MinimizeResult` with ``x``, ``f``, ``evaluations`` and ``stop_reason``.

    Example:
        >>> res = minimize(lambda x: np.sum(x**2, axis=1), np.ones(5), 0.5, target=1e-10, seed=1)
        >>> res.f <= 1e-10
        True
    """
    if not callable(f):
        raise TypeError(f"minimize: f must be a function of (P, D) points; got {type(f).__name__}")
    if strategy not in SIGMA_SETTING:
        known = ", ".join(sorted(SIGMA_SETTING))
        extra = "" if strategy in STRATEGIES else " (not a registered strategy)"
        raise ValueError(f"minimize: strategy must be one of {known}; got {strategy!r}{extra}")
    seed = check_int("seed", seed, minimum=0, owner="minimize")
    sigma0 = check_float("sigma0", sigma0, positive=True, owner="minimize")
    restarts = check_restarts(restarts, "minimize")
    if not isinstance(vectorized, bool):
        raise TypeError(f"minimize: vectorized must be True or False; got {vectorized!r}")
    if target is not None:
        target = check_float("target", target, owner="minimize")
    rng = np.random.default_rng(seed)
    start = x0 if callable(x0) else None
    first = np.asarray(start(rng) if start is not None else x0)
    if first.ndim != 1 or first.size < 1:
        raise ValueError(f"minimize: x0 must be a (D,) starting point (or a function of the generator "
                         f"returning one); got shape {first.shape}")
    D = first.size
    first = check_vector("x0", first, D)
    budget = 100000 * D if max_evals is None else check_int("max_evals", max_evals, minimum=1, owner="minimize")
    box = _check_bounds(bounds, D)
    if population_size is not None:
        settings["population_size"] = population_size
    strat = make_strategy(strategy, D, **{SIGMA_SETTING[strategy]: sigma0}, **settings)
    if budget < strat.population_size:
        raise ValueError(f"minimize: max_evals={budget} is smaller than one generation "
                         f"({strat.population_size} evaluations); raise max_evals or lower population_size")
    schedule = None
    if restarts is not None:
        check_restartable(strat, "minimize")
        schedule = RestartState.start(restarts, strat.population_size, sigma0, max_restarts=max_restarts)

    def repair(x):
        return x if box is None else reflect(x, *box)

    best_x, best_f, evaluations, runs = repair(np.array(first, dtype=np.float64)), math.inf, 0, []
    x_run = first
    reason = "max_evals"
    while True:
        state = strat.init(x_run)
        run_evals, generations, stop = 0, 0, ()
        done = False
        while True:
            if evaluations + strat.population_size > budget:
                done, reason = True, "max_evals"
                break
            genomes, state = strat.ask(state, rng)
            values = _values(f, repair(genomes), vectorized)
            evaluations += genomes.shape[0]
            run_evals += genomes.shape[0]
            generations += 1
            state, _ = strat.tell(state, genomes, -values)
            genome, fitness = strat.best(state)
            if genome is not None and -fitness < best_f:
                best_f, best_x = -fitness, repair(np.array(genome))
            if target is not None and best_f <= target:
                done, reason = True, "target"
                break
            stop = strat.stop(state)
            if schedule is not None:
                schedule = schedule.counted(genomes.shape[0])
                if not stop and schedule.over_budget:
                    stop = ("runbudget",)
            if stop:
                break
        genome, fitness = strat.best(state)
        runs.append({"population_size": strat.population_size,
                     "sigma0": float(getattr(strat.config, SIGMA_SETTING[strategy])),
                     "evaluations": run_evals, "generations": generations,
                     "stop": reason if done else "+".join(stop), "f": -fitness})
        if done:
            break
        reason = "+".join(stop)
        if schedule is None or schedule.exhausted:
            break
        schedule = schedule.next_run(rng)
        strat = restarted(strat, schedule)
        x_run = first if start is None else check_vector("x0", start(rng), D)
    return MinimizeResult(x=best_x, f=float(best_f), evaluations=evaluations, stop_reason=reason,
                          restarts=0 if schedule is None else schedule.restarts, runs=runs)
