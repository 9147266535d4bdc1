import math

import numpy as np
import pytest
from conftest import JIT

from neuroevo import NetworkSpec, forward
from tracks.kernels import EXP_MIN, forward_lanes, sigmoid_many
from tracks.reference import exp_nonpositive, kernel_forward, kernel_sigmoid


def ulps(a, b):
    return np.abs(a - b) / np.spacing(np.maximum(np.abs(b), np.finfo(float).smallest_subnormal))


def special_points():
    rng = np.random.default_rng(0)
    x = np.concatenate([-np.abs(rng.normal(0, 30, 200_000 if JIT else 2000)), -rng.uniform(0, 746, 20_000),
                        np.linspace(-746.5, -744.0, 2001), -np.logspace(-320, 2.5, 2000),
                        [0.0, -0.0, -5e-324, -1e-300, -708.4, -745.13, -745.14, -746.0, -1e6, -np.inf]])
    return x


def test_polynomial_exp_is_within_one_ulp_of_libm_down_to_its_floor():
    x = special_points()
    got = exp_nonpositive(x)
    want = np.array([math.exp(v) for v in x])
    normal = x >= EXP_MIN
    assert ulps(got[normal], want[normal]).max() <= 1.0
    assert exp_nonpositive(np.array([0.0]))[0] == 1.0
    # below the floor (and for NaN) it gives exp(EXP_MIN): a normal float64, as close to 0 as one gets
    low = np.concatenate([x[~normal], [np.nan]])
    assert (exp_nonpositive(low) == exp_nonpositive(np.array([EXP_MIN]))[0]).all()
    assert np.abs(got[~normal] - want[~normal]).max() < 3.4e-308


def test_kernel_sigmoid_is_the_reference_bit_for_bit_and_close_to_neuroevo():
    from neuroevo.network import sigmoid
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(0, 20, 100_000 if JIT else 2000), -special_points(), special_points()])
    got = np.empty_like(x)
    sigmoid_many(x, got)
    np.testing.assert_array_equal(got, kernel_sigmoid(x))
    want = sigmoid(x)
    normal = x >= EXP_MIN
    assert ulps(got[normal], want[normal]).max() <= 2.0
    assert np.abs(got[~normal] - want[~normal]).max() < 3.4e-308      # the exp floor
    assert got[x == 0.0].tolist() == [0.5] * int(np.sum(x == 0.0))   # zero output means zero force


@pytest.mark.parametrize("sizes, acts", [
    ([7, 8, 4, 1], "sigmoid"),
    ([7, 8, 4, 1], ["tanh", "relu", "sigmoid"]),
    ([3, 5, 2], ["identity", "tanh"]),
    ([9, 1], "sigmoid"),
])
@pytest.mark.parametrize("lanes", [1, 5, 64])
def test_lane_forward_matches_its_numpy_transcription_exactly(sizes, acts, lanes):
    spec = NetworkSpec(sizes, activation=acts)
    rng = np.random.default_rng(2)
    P = 150 if JIT else 11
    genomes = rng.normal(0, 1.5, (P, spec.num_params))
    x = rng.normal(0, 2, (P, sizes[0]))
    out = np.empty((P, sizes[-1]))
    forward_lanes(genomes, np.array(spec.layout), np.array(spec.act_codes), x, lanes, out)
    np.testing.assert_array_equal(out, kernel_forward(genomes, spec, x))
    np.testing.assert_allclose(out, forward(genomes, spec, x), rtol=1e-12, atol=1e-14)
