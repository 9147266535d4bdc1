"""Dense-network kernels.

``layout`` is the int64 ``(L, 4)`` array of :class:`neuroevo.network.NetworkSpec`
(per layer ``[w_start, b_start, n_in, n_out]``) and ``act_codes`` its int64 ``(L,)``
activation codes (0 identity, 1 sigmoid, 2 tanh, 3 relu).

Reference: :func:`neuroevo.network.forward.forward` with ``backend="numpy"``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def activate(x: float, code: int) -> float:
    """Scalar activation by code; the sigmoid never overflows."""
    if code == 1:
        e = math.exp(-abs(x))
        if x >= 0.0:
            return 1.0 / (1.0 + e)
        return e / (1.0 + e)
    if code == 2:
        return math.tanh(x)
    if code == 3:
        return x if x > 0.0 else 0.0
    return x


@njit(cache=True, nogil=True)
def forward_single(genome, layout, act_codes, x, h_a, h_b):
    """One genome, one case: float64 ``x (n_in,)`` -> view of ``h_a`` or ``h_b`` holding ``(n_out,)``.

    ``h_a`` and ``h_b`` are float64 scratch vectors of at least ``max_width``; nothing is
    allocated, so simulators can call this inside their own compiled loops.
    """
    n0 = layout[0, 2]
    for i in range(n0):
        h_a[i] = x[i]
    src, dst = h_a, h_b
    for layer in range(layout.shape[0]):
        w0 = layout[layer, 0]
        b0 = layout[layer, 1]
        n_in = layout[layer, 2]
        n_out = layout[layer, 3]
        code = act_codes[layer]
        for o in range(n_out):
            dst[o] = 0.0
        for i in range(n_in):
            hi = src[i]
            row = w0 + i * n_out
            for o in range(n_out):
                dst[o] += hi * genome[row + o]
        for o in range(n_out):
            dst[o] = activate(dst[o] + genome[b0 + o], code)
        src, dst = dst, src
    return src[:layout[layout.shape[0] - 1, 3]]


@njit(parallel=True)
def forward_batch(genomes, layout, act_codes, x, max_width):
    """float64 genomes ``(P, D)``, x ``(P, B, n_in)`` -> float64 ``(P, B, n_out)``; parallel over P."""
    P, B = x.shape[0], x.shape[1]
    n_out = layout[layout.shape[0] - 1, 3]
    out = np.empty((P, B, n_out))
    for p in prange(P):
        h_a = np.empty(max_width)
        h_b = np.empty(max_width)
        for c in range(B):
            y = forward_single(genomes[p], layout, act_codes, x[p, c], h_a, h_b)
            for o in range(n_out):
                out[p, c, o] = y[o]
    return out
