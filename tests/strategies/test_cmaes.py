"""CMA-ES and separable CMA-ES: agreement with a textbook version, regression budgets, properties."""

import json
import math
import re
import sys
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from neuroevo.strategies.base import state_from_arrays, state_to_arrays
from neuroevo.strategies.cmaes import CMAES, CMAESConfig, cma_parameters, default_population_size
from neuroevo.strategies.sep_cmaes import SepCMAES, SepCMAESConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from reference_cmaes import TextbookCMAES  # noqa: E402

BOTH = [CMAES, SepCMAES]


# -- objectives (minimised; fitness = -f) ----------------------------------------------------------
def sphere(x):
    return np.sum(x**2, axis=1)


def ellipsoid(x, condition=1e6):
    D = x.shape[1]
    return (x**2) @ (condition ** (np.arange(D) / (D - 1)))


def rotated_ellipsoid(x, seed=7, condition=1e4):
    D = x.shape[1]
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((D, D)))
    return ellipsoid((x - 0.3) @ Q, condition)


def rosenbrock(x):
    return np.sum(100 * (x[:, 1:] - x[:, :-1] ** 2) ** 2 + (1 - x[:, :-1]) ** 2, axis=1)


def minimise(strategy, f, x0, seed, budget, target=1e-8):
    """Run until ``min f < target`` or ``budget`` evaluations; returns (evaluations, best f, state)."""
    rng = np.random.default_rng(seed)
    state = strategy.init(x0)
    evals, best = 0, math.inf
    while evals < budget:
        genomes, state = strategy.ask(state, rng)
        values = f(genomes)
        evals += len(values)
        best = min(best, float(values.min()))
        state, _ = strategy.tell(state, genomes, -values)
        if best < target:
            break
    return evals, best, state


def freeze(state):
    for f in fields(state):
        v = getattr(state, f.name)
        if isinstance(v, np.ndarray):
            v.setflags(write=False)
    return state


# -- agreement with the textbook version ------------------------------------------------------------
# With mu < D the first updates leave C with a repeated eigenvalue, whose eigenvectors are arbitrary:
# both versions would then sample from equally valid but different bases. The settings below keep
# every decomposition unique (active weights use all P >= D genomes; otherwise mu >= D).
@pytest.mark.parametrize("cls, objective", [(CMAES, rotated_ellipsoid), (SepCMAES, ellipsoid)])
@pytest.mark.parametrize("active, population_size", [(True, None), (True, 12), (False, 12), (False, 16)])
def test_matches_textbook_reference_given_the_same_samples(cls, objective, active, population_size):
    D, generations = 6, 60
    settings = {"eigen_interval": 1} if cls is CMAES else {}
    strategy = cls(num_params=D, sigma0=0.7, active=active, population_size=population_size, **settings)
    P = strategy.population_size
    x0 = np.linspace(-1, 1, D)
    ref = TextbookCMAES(x0, 0.7, P, active=active, separable=cls is SepCMAES)
    np.testing.assert_allclose(strategy.params.weights, ref.weights, rtol=1e-13, atol=1e-15)
    rng, ref_rng = np.random.default_rng(11), np.random.default_rng(11)
    state = strategy.init(x0)
    f0 = objective(x0[None, :])[0]
    for g in range(generations):
        genomes, state = strategy.ask(state, rng)
        expected = ref.sample(ref_rng.standard_normal((P, D)))
        np.testing.assert_allclose(genomes, expected, rtol=1e-9, atol=1e-9 * ref.sigma, err_msg=f"gen {g}")
        values = objective(expected)
        state, _ = strategy.tell(state, genomes, -values)
        ref.update(expected, values)
        np.testing.assert_allclose(state.mean, ref.m, rtol=1e-9, atol=1e-9 * ref.sigma)
        assert state.sigma == pytest.approx(ref.sigma, rel=1e-9)
        C = state.C if cls is CMAES else np.diag(state.c)
        np.testing.assert_allclose(C, ref.C, rtol=1e-8, atol=1e-10 * np.abs(ref.C).max())
    # The run made progress and learnt a shape, so the comparison covered real updates.
    assert objective(ref.m[None, :])[0] < 1e-3 * f0
    assert np.abs(ref.C / np.trace(ref.C) * D - np.eye(D)).max() > 0.1


def test_constants_match_the_tutorial_table_for_d10():
    p = cma_parameters(10, default_population_size(10))
    assert default_population_size(10) == 10 and p.mu == 5
    assert p.weights[:5].sum() == pytest.approx(1.0) and np.all(np.diff(p.weights) < 0)
    assert p.mueff == pytest.approx(3.1672, abs=1e-4)
    assert p.c_sigma == pytest.approx((p.mueff + 2) / (10 + p.mueff + 5))
    assert p.c_1 == pytest.approx(2 / (11.3**2 + p.mueff))
    # Active weights cancel the decay of C: c_1 + c_mu * sum(w) = 0 (alpha_mu^- is the binding limit).
    assert p.c_1 + p.c_mu * p.weights.sum() == pytest.approx(0.0, abs=1e-15)
    passive = cma_parameters(10, 10, active=False)
    assert np.all(passive.weights[5:] == 0)


@pytest.mark.parametrize("D, interval", [(10, 1), (40, 1), (105, 2), (1000, 8)])
def test_default_eigen_interval(D, interval):
    # ceil(1 / (c_1 + c_mu) / D / 10), the lazy-update gap of pycma and purecma.
    assert CMAES(num_params=D).eigen_interval == interval


def test_lazy_eigendecomposition_keeps_sampling_from_the_stored_basis():
    strategy = CMAES(num_params=5, population_size=8, eigen_interval=3)
    rng = np.random.default_rng(0)
    state = strategy.init(np.ones(5))
    seen = []
    for _ in range(8):
        genomes, state = strategy.ask(state, rng)
        seen.append(state.eigen_generation)
        if state.eigen_generation == state.generation:    # just decomposed: B d^2 B^T == C
            np.testing.assert_allclose((state.B * state.d**2) @ state.B.T, state.C, atol=1e-12)
        state, _ = strategy.tell(state, genomes, -sphere(genomes))
    assert seen == [0, 0, 0, 3, 3, 3, 6, 6]


# -- regression budgets (measured; tighten them, never loosen them silently) -------------------------
def test_cmaes_solves_10d_sphere_within_budget():
    # Measured: 1400 evaluations.
    evals, best, _ = minimise(CMAES(num_params=10, sigma0=1.0), sphere, np.full(10, 2.0), seed=3, budget=1500)
    assert best < 1e-8, f"reached {best:.3g} in {evals} evaluations"


def test_sep_cmaes_solves_10d_ellipsoid_within_budget():
    # Measured: 2130 evaluations.
    evals, best, _ = minimise(SepCMAES(num_params=10, sigma0=1.0), ellipsoid, np.full(10, 2.0), seed=3,
                              budget=2250)
    assert best < 1e-8, f"reached {best:.3g} in {evals} evaluations"


def test_sep_cmaes_solves_100d_ellipsoid_within_budget():
    # Measured: 26843 evaluations.
    evals, best, _ = minimise(SepCMAES(num_params=100, sigma0=1.0), ellipsoid, np.full(100, 2.0), seed=3,
                              budget=28000)
    assert best < 1e-8, f"reached {best:.3g} in {evals} evaluations"


def test_full_cmaes_learns_a_rotated_ellipsoid_that_sep_cannot():
    # Measured: full CMA-ES 2130 evaluations; separable CMA-ES is still above 1e-8 after 100,000.
    x0 = np.zeros(8)
    full, f_full, _ = minimise(CMAES(num_params=8, sigma0=1.0), rotated_ellipsoid, x0, seed=1, budget=2300)
    _, f_sep, _ = minimise(SepCMAES(num_params=8, sigma0=1.0), rotated_ellipsoid, x0, seed=1, budget=4600)
    assert f_full < 1e-8 and f_sep > 1e-8


@pytest.mark.slow
def test_cmaes_10d_sphere_over_11_seeds():
    # Measured: 1320 to 1620 evaluations, median 1440.
    evals = [minimise(CMAES(num_params=10, sigma0=1.0), sphere, np.full(10, 2.0), seed=s, budget=1700)
             for s in range(11)]
    assert all(best < 1e-8 for _, best, _ in evals)
    assert np.median([e for e, _, _ in evals]) <= 1500


@pytest.mark.slow
def test_cmaes_10d_rosenbrock_over_11_seeds():
    # Measured: 11 of 11 solved, 4410 to 5730 evaluations, median 4880.
    runs = [minimise(CMAES(num_params=10, sigma0=0.5), rosenbrock, np.zeros(10), seed=s, budget=6000)
            for s in range(11)]
    solved = [e for e, best, _ in runs if best < 1e-8]
    assert len(solved) == 11 and np.median(solved) <= 5100


@pytest.mark.slow
def test_sep_cmaes_100d_ellipsoid_over_5_seeds():
    # Measured: 25636 to 26843 evaluations, median 25891.
    runs = [minimise(SepCMAES(num_params=100, sigma0=1.0), ellipsoid, np.full(100, 2.0), seed=s,
                     budget=28_000) for s in range(5)]
    assert all(best < 1e-8 for _, best, _ in runs)
    assert np.median([e for e, _, _ in runs]) <= 27_000


# -- properties -----------------------------------------------------------------------------------
def run(strategy, f, generations, seed=0, transform=lambda v: v, x0=None):
    rng = np.random.default_rng(seed)
    state = strategy.init(x0)
    asked = []
    for _ in range(generations):
        genomes, state = strategy.ask(freeze(state), rng)
        asked.append(genomes)
        state, metrics = strategy.tell(freeze(state), genomes, transform(-f(genomes)))
    return asked, state, metrics


def test_condition_number_is_capped_at_decomposition():
    strategy = CMAES(num_params=3, population_size=6, eigen_interval=1, max_condition=1e6)
    state = strategy.init()
    from dataclasses import replace
    state = replace(state, C=np.diag([1.0, 1e-3, 1e-12]), generation=1)
    _, state = strategy.ask(freeze(state), np.random.default_rng(0))
    assert (state.d[-1] / state.d[0]) ** 2 == pytest.approx(1e6, rel=1e-5)
    assert np.all(np.linalg.eigvalsh(state.C) > 0)


@pytest.mark.parametrize("cls", BOTH)
def test_metrics(cls):
    _, state, metrics = run(cls(num_params=5, population_size=8), sphere, 3, x0=np.ones(5))
    for key in ("fitness_max", "fitness_p50", "nonfinite", "sigma", "axis_ratio", "std_min", "std_max",
                "p_sigma_norm", "h_sigma"):
        assert np.isfinite(metrics[key]), key
    assert metrics["sigma"] == state.sigma and metrics["axis_ratio"] >= 1


# -- checkpoints ------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls, settings", [(CMAES, {"eigen_interval": 3})])
def test_checkpoint_round_trip_resumes_exactly_across_lazy_decompositions(cls, settings):
    strategy = cls(num_params=12, sigma0=0.4, **settings)
    rng = np.random.default_rng(8)
    state = strategy.init(np.full(12, 0.2))
    for _ in range(9):                     # spans decompositions and lazy skips
        arrays, scalars = state_to_arrays(state)
        scalars = json.loads(json.dumps(scalars))
        restored = state_from_arrays(cls.State, {k: v.copy() for k, v in arrays.items()}, scalars)
        rng_copy = np.random.default_rng(0)
        rng_copy.bit_generator.state = rng.bit_generator.state
        expected, _ = strategy.ask(restored, rng_copy)
        genomes, state = strategy.ask(state, rng)
        assert np.array_equal(genomes, expected)
        state, _ = strategy.tell(state, genomes, -rosenbrock(genomes))


# -- settings errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("config, kind, message", [
    (dict(sigma0=0.0), ValueError, "CMAESConfig: sigma0 must be > 0, the initial step size (about a quarter "
                                   "of the range where good genomes are expected, e.g. 0.5); got 0.0"),
    (dict(sigma0="1"), TypeError, "CMAESConfig: sigma0 must be a real number; got '1' (str)"),
    (dict(sigma0=math.inf), ValueError, "CMAESConfig: sigma0 must be finite; got inf"),
    (dict(population_size=1), ValueError, "CMAESConfig: population_size must be >= 2; got 1"),
    (dict(population_size=8.0), TypeError, "CMAESConfig: population_size must be an integer; got 8.0"),
    (dict(population_size=8, mu=9), ValueError, "CMAESConfig: mu must be <= population_size (8), the number "
                                                "of parents selected from each generation; got mu=9. Lower mu "
                                                "or raise population_size"),
    (dict(mu=0), ValueError, "CMAESConfig: mu must be >= 1; got 0"),
    (dict(active=1), TypeError, "CMAESConfig: active must be True or False; got 1 (int)"),
    (dict(eigen_interval=0), ValueError, "CMAESConfig: eigen_interval must be >= 1; got 0"),
    (dict(max_condition=1.0), ValueError, "CMAESConfig: max_condition must be > 1, the largest condition "
                                          "number allowed for the covariance matrix (e.g. 1e14); got 1.0"),
])
def test_bad_settings_raise_clear_errors(config, kind, message):
    with pytest.raises(kind, match=re.escape(message)):
        CMAESConfig(**config)
    if "eigen_interval" not in config:
        sep_message = message.replace("CMAESConfig", "SepCMAESConfig")
        with pytest.raises(kind, match=re.escape(sep_message)):
            SepCMAESConfig(**config)


@pytest.mark.parametrize("cls", BOTH)
def test_mu_larger_than_the_default_population_is_rejected(cls):
    with pytest.raises(ValueError, match=re.escape(
            f"{cls.__name__}: mu=20 is larger than the default population_size 10 for num_params=10; "
            f"lower mu or set population_size >= 20")):
        cls(num_params=10, mu=20)


def test_settings_and_config_together_are_rejected():
    with pytest.raises(TypeError, match=re.escape("CMAES: pass either a CMAESConfig or keyword settings, "
                                                  "not both; got config and ['sigma0']")):
        CMAES(CMAESConfig(), num_params=3, sigma0=0.1)
    with pytest.raises(TypeError, match=re.escape("unexpected keyword argument 'sigma'")):
        CMAES(num_params=3, sigma=0.1)


@pytest.mark.parametrize("cls", BOTH)
def test_custom_mu_and_population(cls):
    strategy = cls(num_params=6, population_size=20, mu=3)
    w = strategy.params.weights
    assert strategy.population_size == 20 and strategy.params.mu == 3
    assert np.all(w[:3] > 0) and np.all(w[3:] <= 0) and w[:3].sum() == pytest.approx(1.0)
    _, best, _ = minimise(strategy, sphere, np.ones(6), seed=0, budget=1600)   # measured: 1480 and 1220
    assert best < 1e-8
