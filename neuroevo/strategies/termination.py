"""Termination criteria and best-so-far tracking shared by the strategies.

A strategy's ``stop(state)`` returns the names of the criteria its state meets (an empty tuple
while the search should go on). The criteria read only the state, so a state restored from a
checkpoint stops exactly where the unbroken run would. What a stop does to a run (end it, restart
the strategy, or nothing) is decided by the caller: the task of an engine run, or
:func:`neuroevo.minimize`.

CMA-ES criteria, as listed by N. Hansen, "Benchmarking a BI-Population CMA-ES on the BBOB-2009
Function Testbed" (GECCO 2009 workshop), Sect. 2, with the thresholds pycma uses:

- ``tolfun``: the best values of the last ``10 + ceil(30 D / P)`` generations and all values of
  the last generation lie within ``tolfun`` of each other;
- ``tolx``: every coordinate-wise standard deviation ``sigma sqrt(C_ii)`` and every entry of
  ``sigma p_c`` is below ``tolx``;
- ``tolupsigma``: ``sigma / sigma0`` exceeds ``tolupsigma`` times the largest ``sqrt`` eigenvalue
  of ``C`` (sigma creeps up while ``C`` shrinks to compensate);
- ``conditioncov``: the condition number of ``C`` reached ``tolconditioncov``;
- ``noeffectaxis`` / ``noeffectcoord``: adding a tenth of a principal axis (one per generation,
  in turn), or a fifth of a coordinate's standard deviation, to the mean does not change it;
- ``stagnation``: over the last 20% of the generations (at least ``120 + 30 D / P``, at most
  20000) the median of the most recent 30% of the best and of the median values is no better
  than the median of the oldest 30%.

The gradient strategies (SNES, PGPE, OpenAI-ES) stop on ``noimprovement``: the best fitness
has not improved for ``patience`` generations.
"""

from __future__ import annotations

import math

import numpy as np

#: the most generations the stagnation test looks back over (Hansen 2009)
STAGNATION_MAX = 20000


def best_so_far(best_genome: np.ndarray | None, best_fitness: float, stale: int, genomes: np.ndarray,
                fitness: np.ndarray) -> tuple[np.ndarray | None, float, int]:
    """The best genome and fitness seen so far, and the generations since they last improved.

    Args:
        best_genome: float64 ``(D,)`` or None before the first finite fitness.
        best_fitness: its fitness (``-inf`` before any).
        stale: generations since the best improved.
        genomes: float64 ``(P, D)`` of this generation.
        fitness: float64 ``(P,)`` with non-finite values already set to ``-inf``.

    Returns:
        ``(best_genome, best_fitness, stale)``; the genome is a new array when it changed.
    """
    i = int(np.argmax(fitness))
    if np.isfinite(fitness[i]) and fitness[i] > best_fitness:
        return genomes[i].copy(), float(fitness[i]), 0
    return best_genome, best_fitness, stale + 1


def best_fields(state, genomes: np.ndarray, fitness: np.ndarray) -> dict:
    """``best_genome``, ``best_fitness`` and ``stale`` of a state after one generation (for ``replace``)."""
    return dict(zip(("best_genome", "best_fitness", "stale"),
                    best_so_far(state.best_genome, state.best_fitness, state.stale, genomes, fitness)))


def push(history: np.ndarray, value: float, keep: int) -> np.ndarray:
    """A new array: ``history`` with ``value`` appended, truncated to its newest ``keep`` entries."""
    out = np.append(history, value)
    return out[-keep:] if out.size > keep else out


def tolfun_window(num_params: int, population_size: int) -> int:
    """Generations of best values the ``tolfun`` test looks at: ``10 + ceil(30 D / P)``."""
    return 10 + math.ceil(30 * num_params / population_size)


def stagnation_window(generation: int, num_params: int, population_size: int) -> int:
    """Generations the stagnation test looks back over: 20% of all, at least ``120 + 30 D / P``."""
    low = 120 + math.ceil(30 * num_params / population_size)
    return min(max(math.ceil(0.2 * generation), low), STAGNATION_MAX)


def tolfun_met(best_history: np.ndarray, generation_range: float, window: int, tolfun: float) -> bool:
    """True when the last ``window`` best values and the last generation's range are below ``tolfun``."""
    if tolfun <= 0 or best_history.size < window:
        return False
    recent = best_history[-window:]
    if not np.all(np.isfinite(recent)):
        return False
    return bool(recent.max() - recent.min() < tolfun and generation_range < tolfun)


def stagnation_met(best_history: np.ndarray, median_history: np.ndarray, generation: int, num_params: int,
                   population_size: int) -> bool:
    """True when neither the best nor the median fitness improved over the stagnation window.

    Both histories are fitness values (higher is better), oldest first.
    """
    window = stagnation_window(generation, num_params, population_size)
    if generation < window or best_history.size < window:
        return False
    part = max(1, math.ceil(0.3 * window))
    for history in (best_history[-window:], median_history[-window:]):
        if np.median(history[-part:]) > np.median(history[:part]):
            return False
    return True


def tracked_fields(state, genomes: np.ndarray, fitness: np.ndarray, keep: int) -> dict:
    """The best-so-far and history fields of a state after one generation (for ``replace``).

    Args:
        state: a state with ``best_genome``, ``best_fitness``, ``stale``, ``best_history``,
            ``median_history`` and ``last_range`` fields.
        genomes: float64 ``(P, D)`` of this generation.
        fitness: float64 ``(P,)``, non-finite values set to ``-inf``, at least one finite.
        keep: how many generations of history to keep.
    """
    best_genome, best_fitness, stale = best_so_far(state.best_genome, state.best_fitness, state.stale,
                                                   genomes, fitness)
    return {"best_genome": best_genome, "best_fitness": best_fitness, "stale": stale,
            "best_history": push(state.best_history, float(fitness.max()), keep),
            "median_history": push(state.median_history, finite_median(fitness), keep),
            "last_range": generation_range(fitness)}


def check_tolerance(name: str, value, owner: str) -> float:
    """``value`` as a float >= 0 (0 turns the criterion off), or a one-line error."""
    from neuroevo._checks import check_float

    return check_float(name, value, minimum=0.0, owner=owner)


def generation_range(fitness: np.ndarray) -> float:
    """``max - min`` of a generation's fitness (``inf`` when any value is not finite)."""
    if not np.all(np.isfinite(fitness)):
        return math.inf
    return float(fitness.max() - fitness.min())


def finite_median(fitness: np.ndarray) -> float:
    """Median fitness with non-finite values counted as ``-inf`` (the worst)."""
    return float(np.median(np.where(np.isfinite(fitness), fitness, -np.inf)))


def check_patience(value, owner: str) -> int | None:
    """``patience`` as an int >= 1, or None (never stop), or a one-line error."""
    if value is None:
        return None
    from neuroevo._checks import check_int

    return check_int("patience", value, minimum=1, owner=owner)


def patience_stop(state, patience: int | None) -> tuple[str, ...]:
    """``("noimprovement",)`` when the best fitness has not improved for ``patience`` generations."""
    if patience is not None and state.stale >= patience:
        return ("noimprovement",)
    return ()
