"""neuroevo.minimize: plain functions, restarts, budget, bounds, reproducibility."""

import numpy as np
import pytest

import neuroevo


def sphere(x):
    return np.sum(x**2, axis=1)


def rastrigin(x):
    return 10 * x.shape[1] + np.sum(x**2 - 10 * np.cos(2 * np.pi * x), axis=1)


def test_sphere_reaches_the_target_and_the_same_seed_gives_the_same_result():
    a = neuroevo.minimize(sphere, np.ones(5), 0.5, seed=1, target=1e-10)
    b = neuroevo.minimize(sphere, np.ones(5), 0.5, seed=1, target=1e-10)
    c = neuroevo.minimize(sphere, np.ones(5), 0.5, seed=2, target=1e-10)
    assert a.stop_reason == "target" and a.f <= 1e-10 and sphere(a.x[None])[0] == a.f
    assert (a.f, a.evaluations) == (b.f, b.evaluations) and np.array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x)
    assert a.evaluations % 8 == 0 and a.restarts == 0          # whole generations of 4 + floor(3 ln 5) = 8


def test_without_restarts_a_run_ends_on_its_termination_criterion():
    res = neuroevo.minimize(sphere, np.ones(4), 0.5, seed=0, restarts="none")
    assert res.stop_reason == "tolfun" and res.f < 1e-11 and len(res.runs) == 1


def test_ipop_solves_rastrigin_in_5d_by_restarting_with_larger_populations():
    res = neuroevo.minimize(rastrigin, np.full(5, 3.0), 2.0, seed=0, target=1e-8, max_evals=100_000)
    assert res.stop_reason == "target" and res.f <= 1e-8
    sizes = [r["population_size"] for r in res.runs]
    assert res.restarts == len(sizes) - 1 >= 1 and sizes == [8 * 2**i for i in range(len(sizes))]
    assert sum(r["evaluations"] for r in res.runs) == res.evaluations


def test_bipop_records_both_regimes_and_respects_the_budget():
    res = neuroevo.minimize(rastrigin, np.full(5, 3.0), 2.0, seed=3, restarts="bipop", max_evals=20_000,
                            max_restarts=None, tolfun=1e-6)
    assert res.evaluations <= 20_000 and res.stop_reason in ("max_evals", "target")
    sigmas = {r["sigma0"] for r in res.runs}
    assert len(res.runs) >= 3 and any(s < 2.0 for s in sigmas) and 2.0 in sigmas


def test_a_scalar_function_gives_what_the_vectorized_one_gives():
    a = neuroevo.minimize(sphere, np.ones(3), 0.5, seed=4, max_evals=600)
    b = neuroevo.minimize(lambda x: float(np.sum(x**2)), np.ones(3), 0.5, seed=4, max_evals=600, vectorized=False)
    assert (a.f, a.evaluations, a.stop_reason) == (b.f, b.evaluations, "max_evals") and np.array_equal(a.x, b.x)
    assert a.evaluations <= 600


def test_bounds_keep_every_evaluated_point_inside_the_box():
    seen = []

    def f(x):
        seen.append(x.copy())
        return np.sum((x - 2.0) ** 2, axis=1)

    res = neuroevo.minimize(f, np.zeros(3), 1.0, seed=0, bounds=(-1.0, [1.0, 1.5, 1.0]), max_evals=3000,
                            max_restarts=0)
    points = np.concatenate(seen)
    assert points.min() >= -1.0 and np.all(points <= [1.0, 1.5, 1.0])
    np.testing.assert_allclose(res.x, [1.0, 1.5, 1.0], atol=1e-4)


@pytest.mark.parametrize("strategy", ["sep_cmaes", "snes", "pgpe", "openai_es"])
def test_other_strategies_improve_a_sphere(strategy):
    restarts = "ipop" if strategy == "sep_cmaes" else "none"
    res = neuroevo.minimize(sphere, np.ones(4), 0.3, strategy=strategy, restarts=restarts, seed=0, max_evals=4000)
    assert res.f < 0.05 * 4 and np.isfinite(res.f)


def test_nan_values_count_as_worst_and_never_become_the_best():
    def f(x):
        v = sphere(x)
        v[::3] = np.nan
        return v

    res = neuroevo.minimize(f, np.ones(3), 0.5, seed=0, max_evals=2000)
    assert np.isfinite(res.f) and res.f < 1e-6
