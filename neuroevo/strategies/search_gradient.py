"""Search-gradient helpers shared by the Gaussian strategies (OpenAI-ES, PGPE, SNES).

- Mirrored (antithetic, symmetric) sampling: a population of ``P = 2n`` genomes holds ``n``
  pairs ``mean + eps_j`` (rows ``0..n-1``) and ``mean - eps_j`` (rows ``n..2n-1``)
  (Sehnke et al. 2010, symmetric sampling; Salimans et al. 2017, mirrored sampling).
- :func:`average_ties`: genomes with equal fitness share one utility, so that a generation
  in which nothing is finite (every value ranked last) moves nothing.
- :func:`mirrored_gradient`: the finite-difference gradient estimate of a mirrored population.
"""

from __future__ import annotations

import numpy as np

from neuroevo._checks import check_int


def check_even_population(population_size, *, owner: str) -> int:
    """Return ``population_size`` if it is an even integer >= 2, else raise with a fix."""
    p = check_int("population_size", population_size, minimum=2, owner=owner)
    if p % 2:
        raise ValueError(f"{owner}: population_size must be even for mirrored sampling "
                         f"(pairs mean + eps, mean - eps); got {p}. Use {p - 1} or {p + 1}")
    return p


def mirrored_genomes(mean: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """Mirrored population around ``mean``.

    Args:
        mean: float64 ``(D,)`` centre.
        eps: float64 ``(n, D)`` perturbations (already scaled by sigma).

    Returns:
        float64 ``(2n, D)``: rows ``0..n-1`` are ``mean + eps``, rows ``n..2n-1`` are ``mean - eps``.
    """
    return np.concatenate([mean + eps, mean - eps])


def mirrored_perturbations(genomes: np.ndarray, mean: np.ndarray, *, owner: str) -> np.ndarray:
    """Recover the perturbations ``eps`` of a mirrored population (inverse of :func:`mirrored_genomes`).

    Args:
        genomes: float64 ``(2n, D)`` population as returned by ``ask``.
        mean: float64 ``(D,)`` centre the population was sampled around.
        owner: name used in the error message.

    Returns:
        float64 ``(n, D)`` perturbations ``genomes[:n] - mean``.

    Raises:
        ValueError: if the rows are not mirrored pairs around ``mean`` (reordered or edited genomes).
    """
    n = genomes.shape[0] // 2
    plus, minus = genomes[:n], genomes[n:]
    # x+ + x- = 2 mean up to rounding of the two sums mean +/- eps.
    err = np.abs(plus + minus - 2.0 * mean)
    tol = 1e-9 * (np.abs(plus) + np.abs(minus) + np.abs(mean)) + 1e-300
    if np.any(err > tol):
        raise ValueError(f"{owner}: genomes must be the mirrored pairs ask() returned (row j and row "
                         f"j + {n} symmetric around the mean), in the same order; pass them unchanged")
    return plus - mean


def split_mirrored(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split per-genome ``(2n,)`` values into ``(plus, minus)``, each ``(n,)``, matching the pairs."""
    n = values.shape[0] // 2
    return values[:n], values[n:]


def average_ties(weights: np.ndarray, fitness: np.ndarray) -> np.ndarray:
    """Give genomes with equal fitness the mean of their weights.

    Rank-based weights break ties by position; averaging them removes that arbitrary order and
    keeps the sum. Non-finite fitness counts as one tied worst value.

    Args:
        weights: float64 ``(P,)`` shaped fitness (centered ranks, NES utilities...).
        fitness: float64 ``(P,)`` raw fitness the weights were computed from.

    Returns:
        float64 ``(P,)`` new array.
    """
    key = np.where(np.isfinite(fitness), fitness, -np.inf)
    _, group, counts = np.unique(key, return_inverse=True, return_counts=True)
    if counts.size == key.size:
        return np.array(weights, dtype=np.float64)
    sums = np.bincount(group, weights=weights, minlength=counts.size)
    return (sums / counts)[group]


def mirrored_gradient(weights: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Symmetric finite-difference estimate ``(1/n) sum_j (w+_j - w-_j) / 2 * noise_j``.

    Sehnke et al. (2010), symmetric-sampling update of the centre; with unit ``noise`` and divided
    by sigma it is Salimans et al. (2017), Algorithm 1 (``1/(P sigma) sum_i F_i eps_i``) for a
    mirrored population.

    Args:
        weights: float64 ``(2n,)`` shaped fitness of a mirrored population.
        noise: float64 ``(n, D)`` perturbations of the pairs.

    Returns:
        float64 ``(D,)`` gradient estimate.
    """
    plus, minus = split_mirrored(weights)
    return (0.5 * (plus - minus)) @ noise / noise.shape[0]
