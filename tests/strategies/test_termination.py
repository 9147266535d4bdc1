"""Termination criteria: each triggers where it should and not before, and never on a search that is still moving."""

import math

import numpy as np
import pytest

from neuroevo.strategies import CMAES, PGPE, SNES, STRATEGIES, OpenAIES, SepCMAES
from neuroevo.strategies.termination import stagnation_window, tolfun_window


def sphere(x):
    return np.sum(x**2, axis=1)


def rosenbrock(x):
    return np.sum(100 * (x[:, 1:] - x[:, :-1] ** 2) ** 2 + (1 - x[:, :-1]) ** 2, axis=1)


def ellipsoid(x, condition):
    D = x.shape[1]
    return np.sum(condition ** (np.arange(D) / (D - 1)) * x**2, axis=1)


def until_stop(strategy, f, x0, seed=0, max_generations=20000):
    """Run ask/tell on ``f`` (minimised) until ``stop``; returns (state, generations, reasons, best f per gen)."""
    rng = np.random.default_rng(seed)
    state = strategy.init(x0)
    best = []
    for g in range(1, max_generations + 1):
        genomes, state = strategy.ask(state, rng)
        values = f(genomes)
        state, metrics = strategy.tell(state, genomes, -values)
        assert all(np.isfinite(v) for v in metrics.values()), metrics
        best.append(float(values.min()))
        reasons = strategy.stop(state)
        if reasons:
            return state, g, reasons, np.array(best)
    return state, max_generations, (), np.array(best)


@pytest.mark.parametrize("cls", [CMAES, SepCMAES])
def test_a_sphere_run_stops_on_tolfun_near_its_optimum_and_not_before(cls):
    strategy = cls(num_params=8, sigma0=0.5)
    state, generations, reasons, best = until_stop(strategy, sphere, np.ones(8), seed=3)
    assert reasons == ("tolfun",)
    assert -state.best_fitness < 1e-12                       # converged, within tolfun of the optimum 0
    window = tolfun_window(8, strategy.population_size)
    recent = best[-window:]
    assert recent.max() - recent.min() < 1e-12
    # one generation earlier the window still held a best value more than tolfun above the others
    earlier = best[-window - 1:-1]
    assert earlier.max() - earlier.min() >= 1e-12 or generations == window
    assert generations < 400


def test_tolx_stops_a_sphere_run_when_tolfun_is_off():
    strategy = CMAES(num_params=4, sigma0=0.5, tolfun=0.0, tolx=1e-9)
    state, _, reasons, _ = until_stop(strategy, sphere, np.ones(4), seed=1)
    assert reasons == ("tolx",)
    stds = state.sigma * np.sqrt(np.diag(state.C))
    assert stds.max() < 1e-9 and np.abs(state.sigma * state.p_c).max() < 1e-9


def test_sep_cmaes_on_rosenbrock_stops_on_tolupsigma_instead_of_drifting():
    strategy = SepCMAES(num_params=10, sigma0=0.5)
    state, generations, reasons, _ = until_stop(strategy, rosenbrock, np.zeros(10), seed=0)
    assert "tolupsigma" in reasons
    assert state.sigma / 0.5 > 1e20 * np.sqrt(state.c.max())
    assert np.all(np.isfinite(state.c)) and np.all(state.c > 0) and math.isfinite(state.sigma)
    assert state.sigma < 1e12                                  # stopped long before 1e50
    assert generations < 5000


def test_conditioncov_stops_an_ill_conditioned_ellipsoid():
    strategy = CMAES(num_params=4, sigma0=1.0, tolfun=0.0, tolx=0.0, noeffect=False, tolconditioncov=1e8)
    state, _, reasons, _ = until_stop(strategy, lambda x: ellipsoid(x, 1e12), np.ones(4), seed=2)
    assert reasons == ("conditioncov",)
    assert (state.d.max() / state.d.min()) ** 2 >= 1e8 * (1 - 1e-9)


def test_stagnation_stops_a_search_on_pure_noise_after_its_window_and_not_before():
    strategy = CMAES(num_params=3, sigma0=1.0, tolupsigma=0.0)
    noise = np.random.default_rng(7)
    state, generations, reasons, _ = until_stop(strategy, lambda x: noise.uniform(size=x.shape[0]), np.zeros(3))
    assert reasons == ("stagnation",)
    assert generations >= stagnation_window(generations, 3, strategy.population_size) >= 120


def test_a_search_that_still_improves_meets_no_criterion():
    for cls in (CMAES, SepCMAES):
        strategy = cls(num_params=10, sigma0=0.5)
        _, generations, reasons, _ = until_stop(strategy, lambda x: ellipsoid(x, 1e6), np.ones(10),
                                                max_generations=150)
        assert reasons == () and generations == 150


@pytest.mark.parametrize("cls", [SNES, PGPE, OpenAIES])
def test_gradient_strategies_stop_after_patience_generations_without_improvement(cls):
    strategy = cls(num_params=4, population_size=8, patience=5)
    state, generations, reasons, _ = until_stop(strategy, lambda x: np.ones(x.shape[0]), np.zeros(4))
    assert reasons == ("noimprovement",) and generations == 6 and state.stale == 5
    assert cls(num_params=4, population_size=8).stop(state) == ()       # patience None: never


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_strategy_keeps_stop_a_tuple_of_names_and_empty_early(name):
    cls = STRATEGIES[name]
    strategy = cls(cls.Config(population_size=8), num_params=5)
    rng = np.random.default_rng(0)
    state = strategy.init(np.ones(5))
    for _ in range(10):
        genomes, state = strategy.ask(state, rng)
        state, _ = strategy.tell(state, genomes, -sphere(genomes))
        assert strategy.stop(state) == ()
    genome, fitness = strategy.best(state)
    if genome is not None:
        assert fitness > -sphere(np.ones((1, 5)))[0] and genome.shape == (5,)


def test_best_so_far_is_tracked_by_the_state():
    strategy = CMAES(num_params=3, sigma0=0.3)
    rng = np.random.default_rng(4)
    state = strategy.init(np.ones(3))
    seen = math.inf
    for _ in range(30):
        genomes, state = strategy.ask(state, rng)
        values = sphere(genomes)
        seen = min(seen, values.min())
        state, _ = strategy.tell(state, genomes, -values)
        assert -state.best_fitness == seen
        assert sphere(state.best_genome[None])[0] == seen


@pytest.mark.parametrize("cls", [CMAES, SepCMAES])
def test_a_sigma_that_creeps_up_while_c_shrinks_is_rescaled_to_the_same_distribution(cls):
    strategy = cls(num_params=4, sigma0=1.0)
    base = strategy.init(np.ones(4))
    tiny = 1e-300
    if cls is CMAES:
        drifted = type(base)(**{**base.__dict__, "sigma": 1e150, "C": np.eye(4) * tiny, "d": np.full(4, 1e-150)})
    else:
        drifted = type(base)(**{**base.__dict__, "sigma": 1e150, "c": np.full(4, tiny)})
    genomes_a, a = strategy.ask(base, np.random.default_rng(0))
    genomes_b, b = strategy.ask(drifted, np.random.default_rng(0))
    np.testing.assert_allclose(genomes_b, genomes_a, rtol=1e-12)
    a, ma = strategy.tell(a, genomes_a, -sphere(genomes_a))
    b, mb = strategy.tell(b, genomes_b, -sphere(genomes_b))
    assert 1e-10 < b.sigma < 1e10                           # the scale moved from C back into sigma
    np.testing.assert_allclose(mb["std_max"], ma["std_max"], rtol=1e-10)
    np.testing.assert_allclose(strategy.ask(b, np.random.default_rng(1))[0],
                               strategy.ask(a, np.random.default_rng(1))[0], rtol=1e-10)


@pytest.mark.parametrize("cls", [CMAES, SepCMAES])
def test_a_search_that_no_longer_moves_keeps_finite_step_sizes(cls):
    strategy = cls(num_params=3, sigma0=1e-280)
    rng = np.random.default_rng(0)
    state = strategy.init(np.ones(3))
    for _ in range(600):               # genomes equal the mean: sigma shrinks by ~e^-0.3 a step, past 1e-308
        genomes, state = strategy.ask(state, rng)
        state, metrics = strategy.tell(state, genomes, np.zeros(genomes.shape[0]))
        assert all(np.isfinite(v) for v in metrics.values())
        assert metrics["std_max"] >= 1e-251               # unbounded, it underflows to 0 near generation 400
    assert np.all(np.isfinite(strategy.ask(state, rng)[0]))
