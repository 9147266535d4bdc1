import re

import numpy as np
import pytest

from neuroevo import NetworkSpec, Simulator
from neuroevo.robustness import perturbation_fitness


class Plateau(Simulator):
    """Fitness 1 inside the box |g| <= width (per gene), 0 outside."""

    def __init__(self, width):
        self.width = width

    def _evaluate(self, genomes, spec, rng):
        return np.all(np.abs(genomes) <= self.width, axis=1).astype(float)


def test_zero_noise_gives_the_fitness_itself():
    spec = NetworkSpec([2, 1])
    g = np.array([[0.0, 0.0, 0.0], [5.0, 0.0, 0.0]])
    out = perturbation_fitness(g, Plateau(1.0), spec, noise=0.0, samples=3, rng=np.random.default_rng(0))
    assert out.tolist() == [1.0, 0.0]


def test_genomes_near_the_edge_of_a_plateau_score_lower():
    spec = NetworkSpec([2, 1])
    centre, edge = np.zeros(3), np.full(3, 0.95)
    out = perturbation_fitness(np.stack([centre, edge]), Plateau(1.0), spec, noise=0.1, samples=400,
                               rng=np.random.default_rng(1))
    assert out[0] == 1.0
    assert out[1] == pytest.approx(0.75 ** 3, abs=0.06)    # each gene stays inside with p = 0.75


def test_non_finite_copies_count_as_minus_inf():
    class Nan(Simulator):
        def _evaluate(self, genomes, spec, rng):
            return np.full(len(genomes), np.nan)

    out = perturbation_fitness(np.zeros((2, 3)), Nan(), [2, 1], rng=np.random.default_rng(0))
    assert np.all(out == -np.inf)


def test_errors():
    with pytest.raises(ValueError, match=re.escape("perturbation_fitness: samples must be >= 1; got 0")):
        perturbation_fitness(np.zeros((2, 3)), Plateau(1), [2, 1], samples=0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=re.escape("perturbation_fitness: noise must be >= 0.0; got -0.1")):
        perturbation_fitness(np.zeros((2, 3)), Plateau(1), [2, 1], noise=-0.1, rng=np.random.default_rng(0))
