"""Robustness of genomes to small weight perturbations.

Genomes that sit on a wide plateau of fitness (most of their mutated copies still score well)
tend to generalize better than genomes on a narrow peak. Ranking equally fit genomes by
:func:`perturbation_fitness` is a way to pick a driver using the training task only.
"""

from __future__ import annotations

import numpy as np

from neuroevo._checks import check_float, check_genomes, check_int
from neuroevo.network.spec import as_spec


def perturbation_fitness(genomes, simulator, network, *, noise: float = 0.1, samples: int = 20,
                         rng: np.random.Generator) -> np.ndarray:
    """Mean fitness of ``samples`` perturbed copies of each genome.

    Args:
        genomes: float64 ``(P, D)``.
        simulator: a :class:`neuroevo.Simulator` (higher fitness is better).
        network: the spec the genomes encode.
        noise: each copy gets ``Uniform(-noise, noise)`` added to every gene.
        samples: copies per genome.
        rng: generator of the perturbations.

    Returns:
        float64 ``(P,)``; a copy with non-finite fitness counts as ``-inf``.
    """
    spec = as_spec(network)
    genomes = check_genomes(genomes, spec.num_params)
    noise = check_float("noise", noise, minimum=0.0, owner="perturbation_fitness")
    samples = check_int("samples", samples, minimum=1, owner="perturbation_fitness")
    P, D = genomes.shape
    copies = np.repeat(genomes, samples, axis=0) + rng.uniform(-noise, noise, size=(P * samples, D))
    fitness = simulator.evaluate(copies, spec, rng)
    fitness = np.where(np.isfinite(fitness), fitness, -np.inf)
    return fitness.reshape(P, samples).mean(axis=1)


def robust_order(genomes, fitness, simulator, network, *, noise: float = 0.1, samples: int = 20,
                 rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Genomes best first: by fitness, then, among equal fitness, by :func:`perturbation_fitness`.

    The driver choice of ``neuroevo race``, for any simulator: genomes that tie on the training
    score are told apart by how well their mutated copies score. ``samples=0`` ranks by fitness
    only (stable: earlier genomes first among ties).

    Args:
        genomes: float64 ``(P, D)``.
        fitness: float64 ``(P,)``, higher is better; non-finite values rank last.
        simulator: the simulator that scored them (it scores the mutated copies).
        network: the spec the genomes encode.
        noise, samples: as in :func:`perturbation_fitness`.
        rng: generator of the perturbations.

    Returns:
        int64 ``(P,)`` order (best first), and the rollouts the copies cost.
    """
    spec = as_spec(network)
    genomes = check_genomes(genomes, spec.num_params)
    fitness = np.asarray(fitness, dtype=np.float64)
    if fitness.shape != (genomes.shape[0],):
        raise ValueError(f"fitness must have shape ({genomes.shape[0]},), one value per genome; got {fitness.shape}")
    samples = check_int("samples", samples, minimum=0, owner="robust_order")
    fitness = np.where(np.isfinite(fitness), fitness, -np.inf)
    if samples == 0:
        return np.argsort(-fitness, kind="stable"), 0
    robust = perturbation_fitness(genomes, simulator, spec, noise=noise, samples=samples, rng=rng)
    return np.lexsort((-robust, -fitness)), simulator.rollouts(genomes.shape[0] * samples)
