"""Dense-network kernels.

``layout`` is the int64 ``(L, 4)`` array of :class:`neuroevo.network.NetworkSpec`
(per layer ``[w_start, b_start, n_in, n_out]``) and ``act_codes`` its int64 ``(L,)``
activation codes (0 identity, 1 sigmoid, 2 tanh, 3 relu).

:func:`forward_single` runs one genome on one case inside other kernels (the fused simulators).
:func:`dense_block` is one layer for a block of genomes and all their cases, the matrix product
of the batched forward pass (:func:`neuroevo.network.forward.forward`, ``backend="numba"``);
:func:`neg_abs` and :func:`sigmoid_from_exp` are the two elementwise halves of the sigmoid around
NumPy's ``exp``. Every sum here starts at 0.0 and adds its terms in input order, then the bias,
so the kernels agree bit for bit with each other and with :func:`dense_reference`.
No fastmath: the order of the additions is part of the result.

Reference: :func:`neuroevo.network.forward.forward` with ``backend="numpy"``.
"""

from __future__ import annotations

import math

from numba import njit


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


#: Layers with fewer outputs than this take the narrow loop of :func:`dense_block`.
NARROW = 8
#: Wide layers with at most this many inputs sum the cases left over by the 4-case tiles
#: (all of them when B < 4) 8 outputs at a time in registers.
SHORT = 16


@njit(cache=True, nogil=True)
def _dense_wide(genomes, p0, w0, b0, h, z):
    """:func:`dense_block` for wide layers: vectors over outputs, 4 cases x 4 inputs per pass over a row."""
    G, B, n_in = h.shape
    n_out = z.shape[2]
    i4 = n_in - n_in % 4
    c4 = B - B % 4
    for g in range(G):
        genome = genomes[p0 + g]
        W = genome[w0:w0 + n_in * n_out].reshape((n_in, n_out))
        H = h[g]
        Z = z[g]
        for c in range(B):
            for o in range(n_out):
                Z[c, o] = 0.0
        for c in range(0, c4, 4):
            for i in range(0, i4, 4):
                a0, a1, a2, a3 = H[c, i], H[c, i + 1], H[c, i + 2], H[c, i + 3]
                b0_, b1, b2, b3 = H[c + 1, i], H[c + 1, i + 1], H[c + 1, i + 2], H[c + 1, i + 3]
                e0, e1, e2, e3 = H[c + 2, i], H[c + 2, i + 1], H[c + 2, i + 2], H[c + 2, i + 3]
                f0, f1, f2, f3 = H[c + 3, i], H[c + 3, i + 1], H[c + 3, i + 2], H[c + 3, i + 3]
                for o in range(n_out):
                    w_0, w_1, w_2, w_3 = W[i, o], W[i + 1, o], W[i + 2, o], W[i + 3, o]
                    s = Z[c, o]          # one partial sum at a time, terms in input order
                    s += a0 * w_0
                    s += a1 * w_1
                    s += a2 * w_2
                    s += a3 * w_3
                    Z[c, o] = s
                    s = Z[c + 1, o]
                    s += b0_ * w_0
                    s += b1 * w_1
                    s += b2 * w_2
                    s += b3 * w_3
                    Z[c + 1, o] = s
                    s = Z[c + 2, o]
                    s += e0 * w_0
                    s += e1 * w_1
                    s += e2 * w_2
                    s += e3 * w_3
                    Z[c + 2, o] = s
                    s = Z[c + 3, o]
                    s += f0 * w_0
                    s += f1 * w_1
                    s += f2 * w_2
                    s += f3 * w_3
                    Z[c + 3, o] = s
            r = n_in - i4                # the last 1-3 inputs in one pass per case
            if r == 3:
                for k in range(4):
                    a0, a1, a2 = H[c + k, i4], H[c + k, i4 + 1], H[c + k, i4 + 2]
                    for o in range(n_out):
                        s = Z[c + k, o]
                        s += a0 * W[i4, o]
                        s += a1 * W[i4 + 1, o]
                        s += a2 * W[i4 + 2, o]
                        Z[c + k, o] = s
            elif r == 2:
                for k in range(4):
                    a0, a1 = H[c + k, i4], H[c + k, i4 + 1]
                    for o in range(n_out):
                        s = Z[c + k, o]
                        s += a0 * W[i4, o]
                        s += a1 * W[i4 + 1, o]
                        Z[c + k, o] = s
            elif r == 1:
                for k in range(4):
                    a0 = H[c + k, i4]
                    for o in range(n_out):
                        Z[c + k, o] += a0 * W[i4, o]
        if n_in <= SHORT:
            _short_rows(H, W, genome, b0, c4, Z)
            for c in range(c4):
                for o in range(n_out):
                    Z[c, o] = Z[c, o] + genome[b0 + o]
            continue
        for c in range(c4, B):
            for i in range(n_in):
                a0 = H[c, i]
                for o in range(n_out):
                    Z[c, o] += a0 * W[i, o]
        for c in range(B):
            for o in range(n_out):
                Z[c, o] = Z[c, o] + genome[b0 + o]


@njit(cache=True, nogil=True, inline="always")
def _short_rows(H, W, genome, b0, c_start, Z):
    """Cases ``c_start ..`` of a wide layer with few inputs: 8 outputs summed at once in registers,
    bias included (the same order as every other loop here)."""
    B, n_in = H.shape
    n_out = W.shape[1]
    o8 = n_out - n_out % 8
    for c in range(c_start, B):
        for o in range(0, o8, 8):
            s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
            for i in range(n_in):
                a = H[c, i]
                s0 += a * W[i, o]
                s1 += a * W[i, o + 1]
                s2 += a * W[i, o + 2]
                s3 += a * W[i, o + 3]
                s4 += a * W[i, o + 4]
                s5 += a * W[i, o + 5]
                s6 += a * W[i, o + 6]
                s7 += a * W[i, o + 7]
            Z[c, o] = s0 + genome[b0 + o]
            Z[c, o + 1] = s1 + genome[b0 + o + 1]
            Z[c, o + 2] = s2 + genome[b0 + o + 2]
            Z[c, o + 3] = s3 + genome[b0 + o + 3]
            Z[c, o + 4] = s4 + genome[b0 + o + 4]
            Z[c, o + 5] = s5 + genome[b0 + o + 5]
            Z[c, o + 6] = s6 + genome[b0 + o + 6]
            Z[c, o + 7] = s7 + genome[b0 + o + 7]
        for o in range(o8, n_out):
            s = 0.0
            for i in range(n_in):
                s += H[c, i] * W[i, o]
            Z[c, o] = s + genome[b0 + o]


@njit(cache=True, nogil=True)
def _dense_narrow(genomes, p0, w0, b0, h, z):
    """:func:`dense_block` for narrow layers: one output at a time, 4 cases per pass over the inputs."""
    G, B, n_in = h.shape
    n_out = z.shape[2]
    c4 = B - B % 4
    for g in range(G):
        p = p0 + g
        for c in range(0, c4, 4):
            for o in range(n_out):
                s0 = 0.0
                s1 = 0.0
                s2 = 0.0
                s3 = 0.0
                for i in range(n_in):
                    w = genomes[p, w0 + i * n_out + o]
                    s0 += h[g, c, i] * w
                    s1 += h[g, c + 1, i] * w
                    s2 += h[g, c + 2, i] * w
                    s3 += h[g, c + 3, i] * w
                bias = genomes[p, b0 + o]
                z[g, c, o] = s0 + bias
                z[g, c + 1, o] = s1 + bias
                z[g, c + 2, o] = s2 + bias
                z[g, c + 3, o] = s3 + bias
        for c in range(c4, B):
            for o in range(n_out):
                s = 0.0
                for i in range(n_in):
                    s += h[g, c, i] * genomes[p, w0 + i * n_out + o]
                z[g, c, o] = s + genomes[p, b0 + o]


@njit(cache=True, nogil=True)
def dense_block(genomes, p0, w0, b0, h, z):
    """One dense layer, before its activation, for the genomes ``p0 .. p0 + G - 1`` and all their cases.

    float64 genomes ``(P, D)`` C-contiguous, h ``(G, B, n_in)`` -> writes float64 z ``(G, B, n_out)``:
    ``z[g, c, o] = (sum_i h[g, c, i] * W[i, o]) + bias[o]``, ``W`` (row-major ``(n_in, n_out)`` at
    column ``w0``) and ``bias`` (at ``b0``) the layer of genome ``p0 + g``. Every sum starts at 0.0
    and adds its terms in the order ``i = 0, 1, ..., n_in - 1``, the order of
    :func:`forward_single`, whatever ``G``, ``B`` or ``p0``: the loops are tiled (several cases
    share each weight load) but never reassociated, so each output is the same double however the
    population and its cases are split.

    Reference: :func:`dense_reference`.
    """
    if z.shape[2] < NARROW:
        _dense_narrow(genomes, p0, w0, b0, h, z)
    else:
        _dense_wide(genomes, p0, w0, b0, h, z)


def dense_reference(genomes, p0, w0, b0, h, z):
    """:func:`dense_block` as plain loops, one output at a time (slow; for tests)."""
    G, B, n_in = h.shape
    n_out = z.shape[2]
    for g in range(G):
        genome = genomes[p0 + g]
        for c in range(B):
            for o in range(n_out):
                s = 0.0
                for i in range(n_in):
                    s += float(h[g, c, i]) * float(genome[w0 + i * n_out + o])
                z[g, c, o] = s + float(genome[b0 + o])


@njit(cache=True, nogil=True)
def neg_abs(z, e):
    """float64 z ``(n,)`` -> writes e ``(n,)`` = ``-|z|``, the argument of the sigmoid's ``exp``."""
    for k in range(z.shape[0]):
        e[k] = -abs(z[k])


@njit(cache=True, nogil=True, error_model="numpy")     # IEEE division: no zero check, so it vectorizes
def sigmoid_from_exp(z, e):
    """Overwrite float64 z ``(n,)`` with its sigmoid, given e ``(n,)`` = ``exp(-|z|)``.

    The formula of :func:`neuroevo.network.forward.sigmoid`: ``1 / (1 + e)`` where ``z >= 0``,
    ``e / (1 + e)`` elsewhere, written as one division of a selected numerator (so it vectorizes);
    the same IEEE operations, so the same bits as the NumPy version.
    """
    for k in range(z.shape[0]):
        num = 1.0 if z[k] >= 0.0 else e[k]
        z[k] = num / (1.0 + e[k])
