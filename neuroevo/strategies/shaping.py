"""Fitness checks and rank-based fitness shaping shared by the strategies.

Every function here treats NaN and +/-inf as the worst possible fitness.
"""

from __future__ import annotations

import numpy as np

from neuroevo._checks import is_numeric


def sanitize_fitness(fitness, population_size: int, *, owner: str = "tell") -> np.ndarray:
    """Return ``fitness`` as float64 ``(population_size,)`` with every non-finite value set to ``-inf``.

    Raises:
        TypeError: non-numeric fitness.
        ValueError: wrong shape.
    """
    arr = np.asarray(fitness)
    if not is_numeric(arr, allow_bool=True):
        raise TypeError(f"{owner}: fitness must be numeric; got dtype {arr.dtype}")
    if arr.shape != (population_size,):
        raise ValueError(f"{owner}: fitness must have shape ({population_size},), one value per genome "
                         f"from ask(); got {arr.shape}")
    out = np.array(arr, dtype=np.float64)
    out[~np.isfinite(out)] = -np.inf
    return out


def rank_order(fitness: np.ndarray) -> np.ndarray:
    """Indices that sort ``fitness`` best first; ties keep their order (stable)."""
    f = np.where(np.isfinite(fitness), fitness, -np.inf)
    return np.argsort(-f, kind="stable")


def ranks(fitness: np.ndarray) -> np.ndarray:
    """Rank of each entry, 0 for the best, ``P-1`` for the worst (stable for ties)."""
    order = rank_order(fitness)
    r = np.empty(order.size, dtype=np.int64)
    r[order] = np.arange(order.size)
    return r


def centered_ranks(fitness: np.ndarray) -> np.ndarray:
    """Centered ranks in ``[-0.5, 0.5]``, best +0.5 (Salimans et al. 2017, fitness shaping)."""
    n = fitness.size
    if n == 1:
        return np.zeros(1)
    return (n - 1 - ranks(fitness)) / (n - 1) - 0.5


def nes_utilities(fitness: np.ndarray) -> np.ndarray:
    """NES log-rank utilities (Wierstra et al. 2014, Eq. 11), zero-sum, best highest."""
    n = fitness.size
    u = np.maximum(0.0, np.log(n / 2 + 1) - np.log(np.arange(1, n + 1)))
    u = u / u.sum() - 1.0 / n
    return u[ranks(fitness)]


#: The last summary :func:`fitness_stats` computed, under its key (size, dtype and bytes of the finite values).
_last_stats: tuple[tuple, dict] | None = None


def fitness_stats(fitness: np.ndarray) -> dict:
    """Summary of one generation's fitness over its finite values (NaN where none is finite).

    A generation's summary is asked for twice, by the strategy's ``tell`` (on its sanitized copy)
    and by the population's history row; both see the same finite values, so the second call
    returns a copy of the first's result instead of computing it again.
    """
    global _last_stats
    finite = fitness[np.isfinite(fitness)]
    key = (fitness.size, finite.dtype.str, finite.tobytes())
    last = _last_stats
    if last is not None and last[0] == key:
        return dict(last[1])
    out = {"nonfinite": int(fitness.size - finite.size)}
    if finite.size == 0:
        nan = float("nan")
        out |= {"fitness_max": nan, "fitness_mean": nan, "fitness_min": nan, "fitness_std": nan,
                "fitness_p10": nan, "fitness_p25": nan, "fitness_p50": nan, "fitness_p75": nan,
                "fitness_p90": nan}
    else:
        q = np.percentile(finite, [10, 25, 50, 75, 90])
        out |= {"fitness_max": float(finite.max()), "fitness_mean": float(finite.mean()),
                "fitness_min": float(finite.min()), "fitness_std": float(finite.std()),
                "fitness_p10": float(q[0]), "fitness_p25": float(q[1]), "fitness_p50": float(q[2]),
                "fitness_p75": float(q[3]), "fitness_p90": float(q[4])}
    _last_stats = (key, dict(out))
    return out
