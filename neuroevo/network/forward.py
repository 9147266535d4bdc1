"""Batched forward pass of a population of networks.

The NumPy ``einsum`` path is the readable reference. The ``"numba"`` path is the fast one: per
block of genomes, each layer is one call of the tiled matrix-product kernel
:func:`neuroevo.kernels.forward.dense_block` (all the block's cases against each genome's weight
matrix), followed by the same NumPy activation functions as the reference, applied in place.
Blocks run on a shared pool of threads (the kernel releases the GIL).

Determinism: the kernel adds the ``n_in`` terms of every output in the fixed order
``i = 0 .. n_in - 1`` starting from 0.0, then the bias (the order of
:func:`neuroevo.kernels.forward.forward_single`; no fastmath, so nothing is reassociated or
fused), and the activations are elementwise NumPy ufuncs (their SIMD loops treat an array's tail
with the same code as its body). So every output is the same double whatever the population,
the cases, the blocks or the thread count, and a subset of genomes or cases gives the rows it
gives inside the full call; ``tests/network/test_forward_blocked.py`` checks this bit for bit.
BLAS (``np.matmul``) would be faster on wide layers but promises no such thing: OpenBLAS picks
kernels and splits by matrix size and thread count.

Agreement with the reference: both paths round the same sums, in different orders. Whatever the
order, a pre-activation ``z = sum_i h_i W_io + b_o`` is off by at most ``gamma(n_in + 1) *
(sum_i |h_i W_io| + |b_o|)`` (``gamma(n) = n u / (1 - n u)``, ``u = 2**-53``), so the paths differ
by at most twice that plus the previous layer's difference carried through ``|W|``; the
activations (slope <= 1, at most 4 ulp of their own) pass it on. :func:`forward_error_bound`
propagates this layer by layer and the tests check ``|numba - numpy| <= bound`` elementwise. On
uniform(-1, 1) genomes and inputs (the shapes of ``benchmarks/bench_forward.py``) the observed
differences are at most 5% of the bound (9e-16 absolute, 9e-15 relative on ``[7, 64, 64, 1]``
with sigmoids, P = 1000, B = 64), and often zero: einsum then happens to add in the same order.
"""

from __future__ import annotations

import functools
import math
import os

import numpy as np

from neuroevo._checks import check_choice, check_genomes, check_int, is_numeric
from neuroevo._threads import in_turn
from neuroevo.network.spec import NetworkSpec, as_spec

BACKENDS = ("numpy", "numba")

#: Scratch a block of genomes may use per layer (bytes): blocks stay in the L2 cache.
BLOCK_BYTES = 1 << 19
#: Fewest work units worth sharing between threads: one unit per multiply-add plus
#: ACTIVATION_COST per activated value, ~2**23 is a few milliseconds on one core. Below it one
#: thread is as fast, and on a busy machine a helper thread that is preempted mid-block would
#: stall the whole call.
THREAD_MIN_WORK = 1 << 23
#: An activated value costs about as much as this many multiply-adds (NumPy tanh, exp).
ACTIVATION_COST = 25


@functools.cache
def _cpu_count() -> int:
    """``os.cpu_count()``, read once (it takes microseconds, a small call's whole budget)."""
    return os.cpu_count() or 1


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function that never overflows: ``exp`` only sees non-positive arguments."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


ACTIVATIONS = {
    "identity": lambda x: x,
    "sigmoid": sigmoid,
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
}


def check_inputs(x, spec: NetworkSpec, population: int) -> np.ndarray:
    """Return ``x`` as float64 of shape ``(P, n_in)`` or ``(P, B, n_in)``, or raise."""
    arr = np.asarray(x)
    if not is_numeric(arr):
        raise TypeError(f"inputs must be numeric; got dtype {arr.dtype}")
    if arr.ndim not in (2, 3) or arr.shape[0] != population or arr.shape[-1] != spec.num_inputs:
        raise ValueError(f"inputs must have shape ({population}, {spec.num_inputs}) or "
                         f"({population}, B, {spec.num_inputs}): one row (or batch of rows) per genome; "
                         f"got {arr.shape}. To feed the same cases to every genome use "
                         f"np.broadcast_to(cases, ({population},) + cases.shape)")
    return arr.astype(np.float64, copy=False)


def activate_inplace(z: np.ndarray, act: str, scratch: np.ndarray) -> None:
    """Apply ``ACTIVATIONS[act]`` to the C-contiguous float64 ``z`` in place, with the same formulas.

    ``scratch`` is a float64 vector of at least ``z.size`` (the sigmoid's ``exp(-|z|)``).
    Every function is elementwise, so a value never depends on its neighbours or on ``z.size``.
    """
    if act == "tanh":
        np.tanh(z, out=z)
    elif act == "relu":
        np.maximum(z, 0.0, out=z)
    elif act == "sigmoid":
        from neuroevo.kernels.forward import neg_abs, sigmoid_from_exp

        flat, e = z.reshape(-1), scratch[:z.size]
        neg_abs(flat, e)
        np.exp(e, out=e)
        sigmoid_from_exp(flat, e)
    elif act != "identity":
        raise ValueError(f"unknown activation {act!r}; choose one of {sorted(ACTIVATIONS)}")


def forward_blocks(genomes: np.ndarray, spec: NetworkSpec, x: np.ndarray, blocks, out: np.ndarray) -> None:
    """The network of each block of genomes ``(p_start, p_stop)`` in ``blocks``, on all their cases.

    float64 genomes ``(P, D)`` C-contiguous, x ``(P, B, n_in)`` (any strides) -> writes
    ``out[p_start:p_stop]`` of the float64 C-contiguous ``(P, B, n_out)`` output, layer by layer:
    :func:`neuroevo.kernels.forward.dense_block`, then :func:`activate_inplace`. ``blocks`` may be
    an iterator shared by several threads; each thread allocates its scratch once.
    """
    from neuroevo.kernels.forward import dense_block

    B = x.shape[1]
    last = len(spec.kernel_layers) - 1
    scratch = None
    for p0, p1 in blocks:
        G = p1 - p0
        if scratch is None or scratch.shape[1] < G * B * spec.max_output_width:
            scratch = np.empty((3, G * B * spec.max_output_width))   # two ping-pong layers, the exp
        h = x[p0:p1]
        for k, (w0, b0, n_out, act) in enumerate(spec.kernel_layers):
            z = out[p0:p1] if k == last else scratch[k % 2, :G * B * n_out].reshape(G, B, n_out)
            dense_block(genomes, p0, w0, b0, h, z)
            if act != "identity":
                activate_inplace(z, act, scratch[2])
            h = z


def _split(P: int, B: int, spec: NetworkSpec, threads: int) -> tuple[list[tuple[int, int]], int]:
    """Blocks of genomes (largest first) small enough for the cache, and the threads worth using."""
    per_genome = max(1, B * spec.max_output_width * 8)     # B = 0 (no cases) is one empty block
    size = max(1, min(P, BLOCK_BYTES // per_genome))
    work = P * B * (spec.macs_per_case + ACTIVATION_COST * spec.activations_per_case)
    workers = threads if work >= THREAD_MIN_WORK else 1
    if workers > 1:
        size = min(size, math.ceil(P / (4 * workers)))
    if size == P:
        return [(0, P)], 1
    edges = list(range(0, P, size)) + [P]
    blocks = list(zip(edges[:-1], edges[1:]))
    return blocks, min(workers, len(blocks))


def forward_numba(genomes: np.ndarray, spec: NetworkSpec, x: np.ndarray, threads: int) -> np.ndarray:
    """The fast path of :func:`forward`: float64 genomes ``(P, D)``, x ``(P, B, n_in)`` -> ``(P, B, n_out)``.

    Inputs are assumed checked (:func:`forward` does it). Blocks of genomes are taken in turn by
    the calling thread and ``threads - 1`` pool workers; neither the split nor the threads change
    an output bit (see the module docstring).
    """
    P, B = x.shape[0], x.shape[1]
    out = np.empty((P, B, spec.num_outputs))
    blocks, workers = _split(P, B, spec, threads)
    in_turn(blocks, workers, lambda shared: forward_blocks(genomes, spec, x, shared, out))
    return out


def forward(genomes, network, x, backend: str = "numpy", threads: int | None = None) -> np.ndarray:
    """Run every genome's network on its own inputs.

    Args:
        genomes: float64 ``(P, D)`` population, ``D == spec.num_params``.
        network: a :class:`NetworkSpec` or a layer list.
        x: float64 ``(P, n_in)`` (one case per genome) or ``(P, B, n_in)`` (B cases per genome).
        backend: ``"numpy"`` (einsum reference) or ``"numba"`` (blocked matrix products; agrees
            with ``"numpy"`` within :func:`forward_error_bound`, and gives the same bits for any
            split of the genomes or cases and any ``threads``).
        threads: threads of the numba backend; None uses ``os.cpu_count()``. Calls of less than
            a few milliseconds' work (:data:`THREAD_MIN_WORK`) run on one thread whatever it says.

    Returns:
        float64 ``(P, n_out)`` or ``(P, B, n_out)``, matching the shape of ``x``.
    """
    spec = as_spec(network)
    check_choice("backend", backend, BACKENDS, owner="forward")
    if threads is not None:
        threads = check_int("threads", threads, minimum=1, owner="forward")
    genomes = check_genomes(genomes, spec.num_params)
    x = check_inputs(x, spec, genomes.shape[0])
    single = x.ndim == 2
    h = x[:, None, :] if single else x
    if backend == "numba":
        out = forward_numba(genomes, spec, h, _cpu_count() if threads is None else threads)
    else:
        for layer in spec.layers:   # slices of the flat genome are views, not copies
            W = genomes[:, layer.w].reshape(-1, layer.n_in, layer.n_out)
            h = ACTIVATIONS[layer.act](np.einsum("pbi,pio->pbo", h, W) + genomes[:, None, layer.b])
        out = h
    return out[:, 0, :] if single else out


def forward_error_bound(genomes, network, x) -> np.ndarray:
    """A bound on ``|forward(..., backend="numba") - forward(..., backend="numpy")|``, elementwise.

    Each path computes every pre-activation ``z = sum_i h_i W_io + b_o`` with ``n_in`` rounded
    products and additions, in some order; whatever the order, its error is at most
    ``gamma(n_in + 1) * S`` with ``S = sum_i |h_i W_io| + |b_o|`` and ``gamma(n) = n u / (1 - n u)``,
    ``u = 2**-53`` (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed. 2002, §3.1),
    so the two paths differ by at most twice that, plus what the previous layer's difference ``e``
    becomes through the weights, ``sum_i e_i |W_io|``. The activations are the same NumPy
    functions on both paths, with slope at most 1 and an own error of at most 4 ulp per
    evaluation (NumPy's exp and tanh are within 1-2 ulp; the sigmoid adds an addition and a
    division), so ``e_out <= 1.01 * e_z + 16 u |y|``. The 1.01 covers second-order terms and the
    rounding of the bound itself.

    Args:
        genomes, network, x: as for :func:`forward`.

    Returns:
        float64 ``(P, n_out)`` or ``(P, B, n_out)``, the shape of ``forward``'s result.
    """
    spec = as_spec(network)
    genomes = check_genomes(genomes, spec.num_params)
    x = check_inputs(x, spec, genomes.shape[0])
    single = x.ndim == 2
    h = x[:, None, :] if single else x
    u = np.finfo(np.float64).eps / 2
    err = np.zeros_like(h)
    for layer in spec.layers:
        W = np.abs(genomes[:, layer.w].reshape(-1, layer.n_in, layer.n_out))
        n = layer.n_in + 1
        gamma = n * u / (1 - n * u)
        terms = np.einsum("pbi,pio->pbo", np.abs(h), W) + np.abs(genomes[:, None, layer.b])
        err_z = np.einsum("pbi,pio->pbo", err, W) + 2 * gamma * terms
        W_signed = genomes[:, layer.w].reshape(-1, layer.n_in, layer.n_out)
        h = ACTIVATIONS[layer.act](np.einsum("pbi,pio->pbo", h, W_signed) + genomes[:, None, layer.b])
        err = 1.01 * err_z + 16 * u * np.abs(h)
    return err[:, 0, :] if single else err
