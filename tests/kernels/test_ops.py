"""The kernel primitives (neuroevo.kernels.ops) against rational arithmetic."""

import numpy as np
import pytest

from neuroevo.kernels.ops import _fma_exact, bits_float, float_bits, fma, fma_many, fma_reference


def triples(n, seed=0):
    """Random float64 triples over many magnitudes and signs, with cancellations and special values."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n) * 2.0 ** rng.integers(-60, 60, n)
    b = rng.normal(size=n) * 2.0 ** rng.integers(-60, 60, n)
    c = rng.normal(size=n) * 2.0 ** rng.integers(-60, 60, n)
    near = rng.random(n) < 0.3                       # c close to -a*b: heavy cancellation
    c[near] = -(a[near] * b[near]) * (1 + rng.normal(0, 1e-15, near.sum()))
    wide = rng.random(n) < 0.05                      # the edges of the range: tiny, huge, subnormal
    a[wide] *= 2.0 ** rng.integers(-500, 500, wide.sum())
    b[wide] *= 2.0 ** rng.integers(-500, 500, wide.sum())
    special = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 5e-324, 1.7e308, 2.0 ** -1022])
    sa, sb, sc = np.meshgrid(special, special, special)
    return np.concatenate([a, sa.ravel()]), np.concatenate([b, sb.ravel()]), np.concatenate([c, sc.ravel()])


def same_bits(x, y):
    """Equal as float64 bit patterns (NaN equal to NaN, +0 different from -0)."""
    x, y = np.asarray(x), np.asarray(y)
    return (x.view(np.int64) == y.view(np.int64)) | (np.isnan(x) & np.isnan(y))


def test_fma_rounds_once():
    # the float 0.1 times 10 is just above 1; a separate multiply rounds it to 1.0 and the sum to 0
    out = np.empty(1)
    fma_many(np.array([0.1]), np.array([10.0]), np.array([-1.0]), out)
    assert out[0] == 5.551115123125783e-17
    assert fma(0.1, 10.0, -1.0) == 5.551115123125783e-17


@pytest.mark.parametrize("seed", [0, 1])
def test_compiled_fma_and_the_numpy_reference_agree_with_rational_arithmetic(seed):
    a, b, c = triples(3000, seed)
    exact = np.array([_fma_exact(x, y, z) for x, y, z in zip(a, b, c)])
    compiled = np.empty_like(a)
    fma_many(a, b, c, compiled)
    assert same_bits(compiled, exact).all()
    assert same_bits(fma_reference(a, b, c), exact).all()


def test_fma_reference_is_exact_on_a_large_vector_without_falling_back():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 2, 200_000), rng.normal(0, 2, 200_000)
    c = -a * b + rng.normal(0, 1e-10, a.size)
    compiled = np.empty_like(a)
    fma_many(a, b, c, compiled)
    assert same_bits(fma_reference(a, b, c), compiled).all()
    assert not same_bits(a * b + c, compiled).all()     # unfused arithmetic differs somewhere


def test_fma_reference_broadcasts_and_keeps_the_shape():
    out = fma_reference(np.full((2, 3), 0.1), 10.0, -1.0)
    assert out.shape == (2, 3) and (out == 5.551115123125783e-17).all()
    assert fma_reference(0.1, 10.0, -1.0).shape == ()


def test_bit_casts_round_trip():
    for x in (0.0, -0.0, 1.0, -2.5, 5e-324, np.inf):
        assert float_bits(x) == np.float64(x).view(np.int64)
        assert np.float64(bits_float(float_bits(x))).view(np.int64) == np.float64(x).view(np.int64)
    assert bits_float(1023 << 52) == 1.0
