import re

import numpy as np
import pytest

from neuroevo.network import ACTIVATION_CODES, NetworkSpec, forward, sigmoid


def slow_forward(genome, sizes, acts, x):
    """Per-neuron loops over one genome and one case: the obviously correct version."""
    funcs = {"identity": lambda v: v, "sigmoid": lambda v: 1 / (1 + np.exp(-v)) if v >= 0
             else np.exp(v) / (1 + np.exp(v)), "tanh": np.tanh, "relu": lambda v: max(v, 0.0)}
    h, k = list(x), 0
    for (a, b), act in zip(zip(sizes[:-1], sizes[1:]), acts):
        W = genome[k:k + a * b].reshape(a, b)
        bias = genome[k + a * b:k + a * b + b]
        k += a * b + b
        h = [funcs[act](sum(h[i] * W[i, o] for i in range(a)) + bias[o]) for o in range(b)]
    return np.array(h)


def test_num_params_of_the_seed_network():
    assert NetworkSpec([7, 8, 4, 1]).num_params == 105
    assert NetworkSpec([2, 2, 1]).num_params == 9


def test_layout_is_weights_then_biases_per_layer():
    spec = NetworkSpec([3, 2, 1])
    assert spec.layers[0].w == slice(0, 6) and spec.layers[0].b == slice(6, 8)
    assert spec.layers[1].w == slice(8, 10) and spec.layers[1].b == slice(10, 11)
    assert spec.layout.tolist() == [[0, 6, 3, 2], [8, 10, 2, 1]]


def test_weights_are_row_major_input_by_output():
    spec = NetworkSpec([2, 3], activation="identity")
    genome = np.zeros((1, spec.num_params))
    genome[0, 1 * 3 + 2] = 1.0            # W[1, 2]: input 1 -> output 2
    out = forward(genome, spec, np.array([[0.0, 5.0]]))
    assert out.tolist() == [[0.0, 0.0, 5.0]]


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("acts", [["sigmoid"] * 3, ["tanh", "relu", "identity"], ["relu", "sigmoid", "tanh"]])
def test_matches_per_neuron_loops(backend, acts):
    rng = np.random.default_rng(1)
    sizes = [7, 8, 4, 2]
    spec = NetworkSpec(sizes, activation=acts)
    genomes = rng.normal(0, 2, (6, spec.num_params))
    x = rng.normal(0, 3, (6, 7))
    out = forward(genomes, spec, x, backend=backend)
    expected = np.array([slow_forward(g, sizes, acts, xi) for g, xi in zip(genomes, x)])
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("acts", [["sigmoid"] * 3, ["tanh", "relu", "identity"]])
def test_numba_equals_numpy_on_batched_cases(acts):
    rng = np.random.default_rng(2)
    spec = NetworkSpec([7, 8, 4, 3], activation=acts)
    genomes = rng.uniform(-1, 1, (40, spec.num_params))
    x = rng.normal(0, 2, (40, 5, 7))
    a = forward(genomes, spec, x, backend="numpy")
    b = forward(genomes, spec, x, backend="numba")
    assert a.shape == b.shape == (40, 5, 3) and a.dtype == b.dtype == np.float64
    np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_broadcast_cases_are_accepted_by_both_backends():
    rng = np.random.default_rng(3)
    spec = NetworkSpec([2, 3, 1])
    genomes = rng.normal(size=(4, spec.num_params))
    cases = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    x = np.broadcast_to(cases, (4, 3, 2))
    np.testing.assert_allclose(forward(genomes, spec, x, "numba"), forward(genomes, spec, x), rtol=1e-13)


def test_sigmoid_is_stable_at_extremes():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = sigmoid(np.array([-1e4, -40.0, 0.0, 40.0, 1e4]))
    assert y[0] == 0.0 and y[2] == 0.5 and y[-1] == 1.0 and np.all(np.isfinite(y))
    spec = NetworkSpec([1, 1])
    big = np.array([[1e4, 0.0], [-1e4, 0.0]])
    out = forward(big, spec, np.ones((2, 1)), backend="numba")
    assert out.ravel().tolist() == [1.0, 0.0]


def test_spec_round_trips_through_dict():
    spec = NetworkSpec([7, 8, 4, 1], activation=["tanh", "relu", "sigmoid"])
    assert NetworkSpec.from_dict(spec.to_dict()) == spec
    assert set(ACTIVATION_CODES) >= {"identity", "sigmoid", "tanh", "relu"}


@pytest.mark.parametrize("layers, exc, msg", [
    ([7], ValueError, "layers needs at least 2 sizes"),
    ([], ValueError, "layers needs at least 2 sizes"),
    ([7, 0, 1], ValueError, "layers[1] must be >= 1; got 0"),
    ([7, -3], ValueError, "layers[1] must be >= 1; got -3"),
    ([7, 2.5], TypeError, "layers[1] must be an integer"),
    ("781", TypeError, "layers must be a list of layer sizes"),
])
def test_bad_layer_lists(layers, exc, msg):
    with pytest.raises(exc, match=re.escape(msg)):
        NetworkSpec(layers)


def test_unknown_activation_and_wrong_count():
    with pytest.raises(ValueError, match=re.escape("unknown activation 'sigmod'; choose one of")):
        NetworkSpec([2, 2, 1], activation="sigmod")
    with pytest.raises(ValueError, match=re.escape("activation must be one name or 2 names")):
        NetworkSpec([2, 2, 1], activation=["tanh"])


def test_bad_genomes_and_inputs():
    spec = NetworkSpec([7, 8, 4, 1])
    x = np.zeros((3, 7))
    with pytest.raises(ValueError, match=re.escape("genomes must have 105 columns (the network's num_params); "
                                                   "got shape (3, 104)")):
        forward(np.zeros((3, 104)), spec, x)
    with pytest.raises(ValueError, match=re.escape("genomes must be 2-D with shape (P, 105)")):
        forward(np.zeros(105), spec, x)
    bad = np.zeros((3, 105))
    bad[1, 4] = np.nan
    with pytest.raises(ValueError, match=re.escape("genomes must be finite; rows [1] hold NaN or inf")):
        forward(bad, spec, x)
    with pytest.raises(ValueError, match=re.escape("inputs must have shape (3, 7) or (3, B, 7)")):
        forward(np.zeros((3, 105)), spec, np.zeros((3, 6)))
    with pytest.raises(ValueError, match=re.escape("unknown backend 'cuda'")):
        forward(np.zeros((3, 105)), spec, x, backend="cuda")
    with pytest.raises(TypeError, match=re.escape("genomes must be a numeric array")):
        forward(np.array([["a"] * 105]), spec, x[:1])
