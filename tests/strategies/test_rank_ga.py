import math
import re

import numpy as np
import pytest

from neuroevo import XOR, Population
from neuroevo.strategies.rank_ga import RankGA, RankGAConfig


def evaluated(ga, seed=0):
    """A state after one generation whose fitness is the row index (row P-1 is best)."""
    rng = np.random.default_rng(seed)
    genomes, state = ga.ask(ga.init(np.zeros(ga.num_params)), rng)
    state, _ = ga.tell(state, genomes, np.arange(ga.population_size, dtype=float))
    return state, genomes, rng


def test_first_generation_is_uniform_around_x0():
    ga = RankGA(num_params=4, population_size=500, init_range=0.5)
    x0 = np.array([1.0, -2.0, 0.0, 3.0])
    genomes, _ = ga.ask(ga.init(x0), np.random.default_rng(0))
    dev = genomes - x0
    assert np.all(np.abs(dev) <= 0.5) and dev.min() < -0.45 and dev.max() > 0.45


def test_tell_sorts_parents_best_first():
    ga = RankGA(num_params=3, population_size=6)
    state, genomes, _ = evaluated(ga)
    assert np.array_equal(state.parents, genomes[::-1])
    assert state.parent_fitness.tolist() == [5, 4, 3, 2, 1, 0]
    assert np.array_equal(state.mean, genomes[-1])


def test_children_follow_exponential_rank_selection_and_uniform_mutation():
    ga = RankGA(num_params=3, population_size=6, scale=2.0, rate=0.25)
    state, _, rng = evaluated(ga)
    twin = np.random.Generator(np.random.PCG64())
    twin.bit_generator.state = rng.bit_generator.state
    children, _ = ga.ask(state, rng)
    idx = np.minimum(twin.exponential(2.0, size=6).astype(int), 5)       # min(int(Exp(scale)), P-1)
    expected = state.parents[idx] + twin.uniform(-0.25, 0.25, size=(6, 3))
    assert np.array_equal(children, expected)


def test_parent_rank_frequencies_match_the_exponential_law():
    P, scale = 50, 5.0
    ga = RankGA(num_params=1, population_size=P, scale=scale, rate=0.0)
    state = RankGA.State(mean=np.zeros(1), parents=np.arange(P, dtype=float)[:, None],
                         parent_fitness=-np.arange(P, dtype=float))
    rng = np.random.default_rng(1)
    ranks = np.concatenate([ga.ask(state, rng)[0][:, 0] for _ in range(400)]).astype(int)
    freq = np.bincount(ranks, minlength=P) / ranks.size
    for k in (0, 1, 5):
        expected = math.exp(-k / scale) - math.exp(-(k + 1) / scale)
        assert freq[k] == pytest.approx(expected, abs=0.01)
    assert freq[P - 1] == pytest.approx(math.exp(-(P - 1) / scale), abs=0.002)   # the clipped tail


def test_elites_are_copied_unchanged():
    ga = RankGA(num_params=3, population_size=6, elitism=2, rate=0.5)
    state, genomes, rng = evaluated(ga)
    children, _ = ga.ask(state, rng)
    assert np.array_equal(children[-2:], genomes[[5, 4]])
    assert not np.any(np.all(children[:-2, None, :] == genomes[None, :, :], axis=2))


def test_children_that_tie_with_elites_rank_above_them():
    ga = RankGA(num_params=2, population_size=5, elitism=1)
    state, genomes, rng = evaluated(ga)
    asked, state = ga.ask(state, rng)
    state, _ = ga.tell(state, asked, np.ones(5))          # a plateau: every genome ties
    assert np.array_equal(state.parents[0], asked[0])   # the first child, not the elite
    assert np.array_equal(state.parents[-1], genomes[-1])


def test_a_generation_without_finite_fitness_keeps_the_parents():
    ga = RankGA(num_params=3, population_size=6)
    state, genomes, rng = evaluated(ga)
    asked, state = ga.ask(state, rng)
    new, metrics = ga.tell(state, asked, np.full(6, np.nan))
    assert metrics["nonfinite"] == 6 and new.generation == state.generation + 1
    assert np.array_equal(new.parents, genomes[::-1]) and np.array_equal(new.mean, genomes[-1])


def test_mutation_stays_within_rate():
    ga = RankGA(num_params=20, population_size=40, rate=0.1, scale=1e9)
    state, _, rng = evaluated(ga)
    children, _ = ga.ask(state, rng)
    parents = state.parents
    nearest = np.min(np.max(np.abs(children[:, None, :] - parents[None]), axis=2), axis=1)
    assert np.all(nearest <= 0.1)


@pytest.mark.parametrize("kwargs, exc, msg", [
    ({"population_size": 1}, ValueError, "RankGAConfig: population_size must be >= 2; got 1"),
    ({"scale": 0.0}, ValueError, "RankGAConfig: scale must be > 0; got 0.0"),
    ({"rate": -0.1}, ValueError, "RankGAConfig: rate must be >= 0.0; got -0.1"),
    ({"elitism": 50}, ValueError, "RankGAConfig: elitism must be <= 49; got 50"),
    ({"elitism": -1}, ValueError, "RankGAConfig: elitism must be >= 0; got -1"),
    ({"rate": float("nan")}, ValueError, "RankGAConfig: rate must be finite; got nan"),
    ({"population_size": 10.0}, TypeError, "RankGAConfig: population_size must be an integer"),
])
def test_bad_settings(kwargs, exc, msg):
    with pytest.raises(exc, match=re.escape(msg)):
        RankGAConfig(**kwargs)


def test_config_and_keywords_are_exclusive():
    with pytest.raises(TypeError, match=re.escape("pass either a RankGAConfig or keyword settings, not both")):
        RankGA(RankGAConfig(), num_params=3, rate=0.2)


@pytest.mark.slow
def test_solves_xor_in_most_seeds():
    """Regression figure: solved (all four cases on the right side of 0.5) within 150 generations."""
    solved = 0
    for seed in range(10):
        pop = Population([2, 3, 1], "rank_ga", seed=seed, population_size=100, elitism=2, rate=0.3)
        pop.evolve(XOR(), 150, target=-0.02, progress=False)
        solved += bool(XOR().solved(pop.best_genome[None], pop.network)[0])
    assert solved >= 9
