"""The blocked forward pass (backend="numba"): its layer kernel, its agreement with the einsum
reference, and outputs that do not depend on blocks, threads, subsets or input layout."""

import importlib
import re

import numpy as np
import pytest

from neuroevo.kernels.forward import NARROW, dense_block, dense_reference, forward_single
from neuroevo.network import ACTIVATIONS, NetworkSpec, forward
from neuroevo.network.forward import activate_inplace, forward_error_bound, forward_numba

forward_module = importlib.import_module("neuroevo.network.forward")   # the package re-exports the function

ACTS = sorted(ACTIVATIONS)


def population(layers, P, B, act="tanh", seed=0, scale=1.0):
    spec = NetworkSpec(layers, activation=act)
    rng = np.random.default_rng(seed)
    genomes = rng.normal(0, scale, (P, spec.num_params))
    x = rng.normal(0, 2, (P, B, spec.num_inputs))
    return spec, genomes, x


@pytest.mark.parametrize("G, B, n_in, n_out", [
    (1, 1, 1, 1), (3, 5, 7, NARROW - 1), (2, 4, 4, NARROW), (2, 9, 13, 9), (1, 3, 6, 33), (4, 8, 17, 2),
    (2, 7, 1, 16), (1, 4, 9, 1), (2, 5, 6, 12), (3, 8, 7, 64)])
def test_dense_block_is_its_loop_reference_bit_for_bit(G, B, n_in, n_out):
    rng = np.random.default_rng(G * 1000 + B * 100 + n_in * 10 + n_out)
    w0, b0 = 3, 3 + n_in * n_out
    genomes = rng.normal(size=(G + 2, b0 + n_out + 5))
    h = rng.normal(size=(G, B, n_in))
    z, expected = np.empty((G, B, n_out)), np.empty((G, B, n_out))
    dense_block(genomes, 2, w0, b0, h, z)
    dense_reference(genomes, 2, w0, b0, h, expected)
    np.testing.assert_array_equal(z, expected)


def test_dense_block_reference_can_tell_a_reordered_sum():
    """The bit-for-bit test above is not vacuous: adding the same terms in reverse order changes bits."""
    rng = np.random.default_rng(5)
    n_in = 64
    genomes = rng.normal(size=(1, n_in + 1))
    h = rng.normal(size=(1, 50, n_in))
    z = np.empty((1, 50, 1))
    dense_reference(genomes, 0, 0, n_in, h, z)
    reverse = np.array([sum(float(h[0, c, i]) * float(genomes[0, i]) for i in reversed(range(n_in)))
                        for c in range(50)]) + genomes[0, n_in]
    assert not np.array_equal(z[0, :, 0], reverse)


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("size", [1, 7, 64, 1001])
def test_activations_in_place_are_the_reference_functions_bit_for_bit(act, size):
    rng = np.random.default_rng(size)
    z = rng.normal(0, 5, size)
    z[:min(size, 7)] = [-1e4, -40.0, -0.0, 0.0, 1e-300, 40.0, 1e4][:min(size, 7)]
    expected = ACTIVATIONS[act](z.copy())
    activate_inplace(z, act, np.empty(size))
    np.testing.assert_array_equal(z, expected)


def test_activate_inplace_rejects_an_unknown_name():
    with pytest.raises(ValueError, match=re.escape("unknown activation 'swish'; choose one of")):
        activate_inplace(np.zeros(3), "swish", np.empty(3))


@pytest.mark.parametrize("layers, P, B", [([7, 8, 4, 1], 13, 6), ([1, 1], 3, 1), ([3, 9, 2], 5, 4),
                                          ([2, 17, 33, 3], 4, 9), ([5, 64, 1], 3, 64)])
@pytest.mark.parametrize("act", ACTS + [["relu", "tanh", "sigmoid", "identity"]])
def test_agrees_with_einsum_within_the_rounding_bound(layers, P, B, act):
    if isinstance(act, list):
        act = act[:len(layers) - 1]
    spec, genomes, x = population(layers, P, B, act, scale=2.0)
    ref = forward(genomes, spec, x)
    fast = forward(genomes, spec, x, backend="numba")
    bound = forward_error_bound(genomes, spec, x)
    assert fast.shape == ref.shape == bound.shape == (P, B, spec.num_outputs) and fast.dtype == np.float64
    assert np.all(np.abs(fast - ref) <= bound)
    # the bound is a few ulp of the terms' size, not a blanket tolerance
    assert np.all(bound <= 1e-12 * (1 + np.abs(ref)) * max(spec.sizes) ** 2)


def test_error_bound_is_tight_enough_to_catch_a_one_in_a_million_error():
    spec, genomes, x = population([7, 8, 4, 1], 20, 8, "identity")
    ref = forward(genomes, spec, x)
    wrong = ref * (1 + 1e-6)
    assert not np.all(np.abs(wrong - ref) <= forward_error_bound(genomes, spec, x))


@pytest.mark.parametrize("act", ["identity", "relu"])
def test_exact_activations_give_forward_single_bit_for_bit(act):
    """With activations that round nothing, the blocked pass is the per-case kernel, bit for bit."""
    spec, genomes, x = population([6, 11, 8, 3], 9, 7, act)
    out = forward(genomes, spec, x, backend="numba")
    h_a, h_b = np.empty(spec.max_width), np.empty(spec.max_width)
    layout, codes = np.array(spec.layout), np.array(spec.act_codes)
    expected = np.array([[forward_single(g, layout, codes, xc, h_a, h_b).copy() for xc in xp]
                         for g, xp in zip(genomes, x)])
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("act", ACTS)
def test_outputs_do_not_depend_on_blocks_or_threads(act, monkeypatch):
    spec, genomes, x = population([5, 24, 9, 2], 37, 11, act)
    whole = forward(genomes, spec, x, backend="numba", threads=1)
    monkeypatch.setattr(forward_module, "THREAD_MIN_WORK", 0)       # use threads even for this small call
    for block_bytes in (1, 11 * 24 * 8 * 3, 1 << 30):                # one genome, three, all of them per block
        monkeypatch.setattr(forward_module, "BLOCK_BYTES", block_bytes)
        for threads in (1, 2, 3):
            np.testing.assert_array_equal(forward_numba(genomes, spec, x, threads), whole)


def test_the_split_really_changes_with_the_settings(monkeypatch):
    """The test above compares different splits: check that the settings do change the split."""
    spec = NetworkSpec([5, 24, 9, 2])
    monkeypatch.setattr(forward_module, "THREAD_MIN_WORK", 0)
    monkeypatch.setattr(forward_module, "BLOCK_BYTES", 1)
    assert forward_module._split(37, 11, spec, 1) == ([(p, p + 1) for p in range(37)], 1)
    monkeypatch.setattr(forward_module, "BLOCK_BYTES", 1 << 30)
    assert forward_module._split(37, 11, spec, 1) == ([(0, 37)], 1)
    blocks, workers = forward_module._split(37, 11, spec, 2)
    assert workers == 2 and len(blocks) == 8


@pytest.mark.parametrize("act", ACTS)
def test_subsets_of_genomes_and_cases_give_the_same_rows(act):
    spec, genomes, x = population([4, 16, 2], 30, 10, act)
    whole = forward(genomes, spec, x, backend="numba")
    np.testing.assert_array_equal(forward(genomes[7:19], spec, x[7:19], backend="numba"), whole[7:19])
    cases = [9, 2, 3]
    np.testing.assert_array_equal(forward(genomes, spec, x[:, cases], backend="numba"), whole[:, cases])
    single = forward(genomes, spec, x[:, 4], backend="numba")                    # (P, n_in): B = 1
    assert single.shape == (30, 2)
    np.testing.assert_array_equal(single, whole[:, 4])


def test_large_call_on_threads_equals_one_thread():
    """A call big enough to be split over the threads by the default settings."""
    spec, genomes, x = population([7, 64, 64, 1], 80, 16, "sigmoid")
    blocks, workers = forward_module._split(80, 16, spec, 2)
    assert workers == 2 and len(blocks) > 2
    np.testing.assert_array_equal(forward(genomes, spec, x, backend="numba", threads=2),
                                  forward(genomes, spec, x, backend="numba", threads=1))


def test_read_only_strided_broadcast_and_other_dtypes_give_the_same_bits():
    spec, genomes, x = population([3, 10, 2], 6, 5, "sigmoid")
    expected = forward(genomes, spec, x, backend="numba")
    g_ro, x_ro = genomes.copy(), x.copy()
    g_ro.setflags(write=False)
    x_ro.setflags(write=False)
    np.testing.assert_array_equal(forward(g_ro, spec, x_ro, backend="numba"), expected)
    np.testing.assert_array_equal(forward(np.asfortranarray(genomes), spec, x, backend="numba"), expected)
    wide = np.zeros((6, 10, 3))
    wide[:, ::2] = x
    np.testing.assert_array_equal(forward(genomes, spec, wide[:, ::2], backend="numba"), expected)
    np.testing.assert_array_equal(forward(genomes, spec, np.swapaxes(np.swapaxes(x, 0, 2).copy(), 0, 2),
                                          backend="numba"), expected)
    cases = x[0]
    shared = forward(genomes, spec, np.broadcast_to(cases, (6,) + cases.shape), backend="numba")
    np.testing.assert_array_equal(shared, forward(genomes, spec, np.repeat(cases[None], 6, 0), backend="numba"))
    small = x.astype(np.float32)
    np.testing.assert_array_equal(forward(genomes, spec, small, backend="numba"),
                                  forward(genomes, spec, small.astype(np.float64), backend="numba"))
    assert not g_ro.flags.writeable and not x_ro.flags.writeable


@pytest.mark.parametrize("act", ACTS)
def test_no_cases_give_an_empty_result_like_einsum(act):
    spec, genomes, x = population([2, 3, 1], 4, 0, act)
    out = forward(genomes, spec, x, backend="numba")
    assert out.shape == forward(genomes, spec, x).shape == (4, 0, 1)


@pytest.mark.parametrize("threads, exc, msg", [
    (0, ValueError, "forward: threads must be >= 1; got 0"),
    (1.5, TypeError, "forward: threads must be an integer"),
])
def test_bad_thread_counts(threads, exc, msg):
    spec, genomes, x = population([2, 2, 1], 2, 3)
    with pytest.raises(exc, match=re.escape(msg)):
        forward(genomes, spec, x, backend="numba", threads=threads)
