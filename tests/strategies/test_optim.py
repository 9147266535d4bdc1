"""Optimizers (Adam, ClipUp, SGD) and the shared search-gradient helpers, against hand-computed values."""

from __future__ import annotations

import re

import numpy as np
import pytest

from neuroevo.strategies.optim import OPTIMIZERS, Optimizer, adam, clipup, sgd
from neuroevo.strategies.search_gradient import (
    average_ties,
    check_even_population,
    mirrored_genomes,
    mirrored_gradient,
    mirrored_perturbations,
)


def frozen(*arrays):
    for a in arrays:
        a.setflags(write=False)
    return arrays


def test_adam_two_steps_by_hand():
    g1, g2 = np.array([1.0, -2.0]), np.array([0.5, 0.0])
    m, v = frozen(np.zeros(2), np.zeros(2))
    update, m, v = adam(g1, m, v, 1, lr=0.1, beta1=0.9, beta2=0.999, eps=0.0)
    # Step 1: m = 0.1 g, v = 0.001 g^2, bias correction gives m_hat = g, v_hat = g^2: update = lr sign(g).
    np.testing.assert_allclose(m, [0.1, -0.2])
    np.testing.assert_allclose(v, [0.001, 0.004])
    np.testing.assert_allclose(update, [0.1, -0.1])
    frozen(m, v)
    update, m, v = adam(g2, m, v, 2, lr=0.1, beta1=0.9, beta2=0.999, eps=0.0)
    m_expected = np.array([0.9 * 0.1 + 0.1 * 0.5, 0.9 * -0.2])                 # [0.14, -0.18]
    v_expected = np.array([0.999 * 0.001 + 0.001 * 0.25, 0.999 * 0.004])      # [0.001249, 0.003996]
    np.testing.assert_allclose(m, m_expected)
    np.testing.assert_allclose(v, v_expected)
    m_hat, v_hat = m_expected / (1 - 0.9**2), v_expected / (1 - 0.999**2)
    np.testing.assert_allclose(update, 0.1 * m_hat / np.sqrt(v_hat))
    np.testing.assert_allclose(update, [0.0932180, -0.0670058], rtol=1e-6)  # 0.1 * [0.7368, -0.9474] / [0.7905, 1.4139]


def test_adam_eps_in_denominator():
    update, _, _ = adam(np.array([1e-12]), np.zeros(1), np.zeros(1), 1, lr=1.0)
    np.testing.assert_allclose(update, [1e-12 / (1e-12 + 1e-8)])


def test_clipup_normalises_and_clips():
    velocity, = frozen(np.zeros(2))
    update, new_velocity = clipup(np.array([3.0, 4.0]), velocity, lr=0.5, max_speed=0.4, momentum=0.9)
    # Unit gradient [0.6, 0.8] * 0.5 has norm 0.5 > 0.4: clipped to 0.4 * [0.6, 0.8].
    np.testing.assert_allclose(update, [0.24, 0.32])
    np.testing.assert_allclose(new_velocity, [0.24, 0.32])
    assert update is not new_velocity


def test_clipup_momentum_below_max_speed():
    update, velocity = clipup(np.array([0.0, 2.0]), np.array([1.0, 0.0]), lr=0.1, max_speed=1.0,
                              momentum=0.9)
    np.testing.assert_allclose(update, [0.9, 0.1])          # 0.9 [1, 0] + 0.1 [0, 1]; norm 0.906 < 1
    np.testing.assert_allclose(velocity, [0.9, 0.1])


def test_clipup_zero_gradient_keeps_coasting():
    update, _ = clipup(np.zeros(2), np.array([0.2, 0.0]), lr=0.1, max_speed=1.0, momentum=0.5)
    np.testing.assert_allclose(update, [0.1, 0.0])


def test_sgd_momentum_by_hand():
    velocity, = frozen(np.array([1.0, 0.0]))
    update, velocity = sgd(np.array([0.0, 2.0]), velocity, lr=0.1, momentum=0.9)
    np.testing.assert_allclose(update, [0.9, 0.2])
    np.testing.assert_allclose(velocity, [0.9, 0.2])


def test_optimizer_dispatch_matches_functions():
    g = np.array([0.3, -1.2, 2.0])
    for name in OPTIMIZERS:
        opt = Optimizer(name, 0.05, momentum=0.8)
        m, v = opt.init_moments(3)
        assert (v is None) == (name != "adam")
        update, m2, v2 = opt.step(g, m, v, 1)
        if name == "adam":
            expected = adam(g, m, v, 1, lr=0.05)[0]
        elif name == "clipup":
            expected = clipup(g, m, lr=0.05, max_speed=0.1, momentum=0.8)[0]
        else:
            expected = sgd(g, m, lr=0.05, momentum=0.8)[0]
        np.testing.assert_array_equal(update, expected)


def test_optimizer_clipup_default_max_speed_is_twice_lr():
    assert Optimizer("clipup", 0.15).max_speed == pytest.approx(0.3)
    assert Optimizer("clipup", 0.15, max_speed=1.0).max_speed == 1.0


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(name="rmsprop", lr=0.1), ValueError,
     "Optimizer: unknown optimizer 'rmsprop'; choose one of ['adam', 'clipup', 'sgd']"),
    (dict(name="adam", lr=-0.1), ValueError, "Optimizer: lr must be > 0; got -0.1"),
    (dict(name="sgd", lr=0.1, momentum=1.0), ValueError,
     "Optimizer: momentum must be in [0, 1) (a decay factor); got 1.0"),
    (dict(name="adam", lr=0.1, beta2=-0.5), ValueError, "Optimizer: beta2 must be >= 0.0; got -0.5"),
    (dict(name="clipup", lr=0.1, max_speed=0.0), ValueError, "Optimizer: max_speed must be > 0; got 0.0"),
    (dict(name="adam", lr="0.1"), TypeError, "Optimizer: lr must be a real number; got '0.1' (str)"),
])
def test_optimizer_bad_settings(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        Optimizer(**kwargs)


def test_mirrored_gradient_by_hand():
    weights = np.array([0.5, -0.5, -0.5, 0.5])          # pairs (0, 2) and (1, 3)
    noise = np.array([[1.0, 0.0], [0.0, 2.0]])
    # (1/2) [ (0.5 + 0.5)/2 [1, 0] + (-0.5 - 0.5)/2 [0, 2] ] = [0.25, -0.5]
    np.testing.assert_allclose(mirrored_gradient(weights, noise), [0.25, -0.5])


def test_mirrored_genomes_round_trip_and_order_check():
    rng = np.random.default_rng(0)
    mean, eps = rng.normal(size=4) * 100, rng.normal(size=(3, 4)) * 1e-3
    genomes = mirrored_genomes(mean, eps)
    np.testing.assert_allclose(genomes[3:], mean - eps)
    np.testing.assert_allclose(mirrored_perturbations(genomes, mean, owner="T"), eps, rtol=1e-9, atol=1e-13)
    msg = "T: genomes must be the mirrored pairs ask() returned (row j and row j + 3 symmetric around the mean)"
    with pytest.raises(ValueError, match=re.escape(msg)):
        mirrored_perturbations(genomes[[1, 0, 2, 3, 4, 5]], mean, owner="T")


def test_average_ties():
    weights = np.array([0.5, 0.25, 0.0, -0.25, -0.5])
    fitness = np.array([3.0, 1.0, 1.0, -np.inf, np.nan])
    np.testing.assert_allclose(average_ties(weights, fitness), [0.5, 0.125, 0.125, -0.375, -0.375])
    distinct = np.array([3.0, 2.0, 1.0, 0.0, -1.0])
    np.testing.assert_array_equal(average_ties(weights, distinct), weights)


def test_check_even_population_message():
    msg = ("X: population_size must be even for mirrored sampling (pairs mean + eps, mean - eps); "
           "got 9. Use 8 or 10")
    with pytest.raises(ValueError, match=re.escape(msg)):
        check_even_population(9, owner="X")
