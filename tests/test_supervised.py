import re

import numpy as np
import pytest

from neuroevo import XOR, FunctionFit, NetworkSpec, SupervisedSimulator


def test_xor_fitness_is_minus_mse_and_backends_agree():
    rng = np.random.default_rng(0)
    spec = NetworkSpec([2, 3, 1])
    genomes = rng.normal(size=(7, spec.num_params))
    a = XOR(backend="numpy").evaluate(genomes, spec)
    b = XOR(backend="numba").evaluate(genomes, spec)
    np.testing.assert_allclose(a, b, rtol=1e-13)
    pred = XOR().predict(genomes, spec)[:, :, 0]
    np.testing.assert_allclose(a, -np.mean((pred - [0, 1, 1, 0]) ** 2, axis=1), rtol=1e-13)


def test_hand_built_xor_network_solves_it():
    # h1 = OR, h2 = AND, out = h1 AND NOT h2 (large weights saturate the sigmoids)
    s = 20.0
    genome = np.array([s, s, s, s, -0.5 * s, -1.5 * s, s, -s, -0.5 * s])
    spec = NetworkSpec([2, 2, 1])
    assert XOR().solved(genome[None], spec).tolist() == [True]
    assert XOR().evaluate(genome[None], spec)[0] > -1e-6


def test_function_fit_and_errors():
    sim = FunctionFit(np.sin, num_points=16)
    assert sim.inputs.shape == (16, 1) and sim.num_outputs == 1
    with pytest.raises(ValueError, match=re.escape("FunctionFit: high must be > low; got low=1.0, high=0.0")):
        FunctionFit(low=1.0, high=0.0)
    with pytest.raises(ValueError, match=re.escape("inputs must be (B, n_in) and targets (B, n_out) with the "
                                                   "same B >= 1; got (3, 2) and (4, 1)")):
        SupervisedSimulator(np.zeros((3, 2)), np.zeros(4))


def test_use_threads_leaves_fitness_bit_for_bit_and_checks_its_argument(monkeypatch):
    import importlib

    forward_module = importlib.import_module("neuroevo.network.forward")
    monkeypatch.setattr(forward_module, "THREAD_MIN_WORK", 0)        # share even this small call
    rng = np.random.default_rng(4)
    spec = NetworkSpec([1, 8, 1], activation=["tanh", "identity"])
    genomes = rng.normal(size=(40, spec.num_params))
    sim = FunctionFit(np.sin, num_points=64)
    one = sim.evaluate(genomes, spec)
    sim.use_threads(2)
    assert sim.threads == 2
    np.testing.assert_array_equal(sim.evaluate(genomes, spec), one)
    np.testing.assert_array_equal(sim.evaluate(genomes[5:9], spec), one[5:9])
    with pytest.raises(ValueError, match=re.escape("FunctionFit: threads must be >= 1; got 0")):
        sim.use_threads(0)
