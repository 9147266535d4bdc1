"""Fused racing rollout: network forward pass, physics and scoring in one compiled loop.

Reference: :func:`tracks.reference.rollout_reference` (NumPy, the whole population one step at a
time). The kernels take arrays and ints only; :mod:`tracks.sim` validates everything first.

How the loop is laid out, and why:

- **Lanes.** Genomes run in blocks of ``lanes`` in lockstep. A block's weights are transposed
  into a ``(D, lanes)`` scratch, so every multiply-add of the forward pass is an inner loop over
  lanes with unit stride, which LLVM vectorizes. The block's weights stay in cache for all steps.
- **Early exit.** When a genome leaves the corridor, its score is written and the last active
  lane (weights, position, speed, genome index) moves into its slot. The block shrinks, so a
  crashed genome costs nothing more, and the block ends when every lane is out.
- **exp.** The sigmoid needs ``exp(-|x|)``. A call to libm's ``exp`` cannot be vectorized, so
  :func:`exp_nonpositive` evaluates it with plain arithmetic: Cody-Waite range reduction, a
  degree-13 Taylor polynomial in fused multiply-adds, and the power of two built directly in the
  exponent bits of a float64 (no table, no float -> int conversion). It stays within 1 ulp of libm
  (tested) down to -708, where results stop being normal floats; NumPy's own SIMD ``exp``
  differs from libm by up to 1 ulp as well.
- **Fused multiply-adds, spelled out.** The polynomial and the weighted sums use
  :func:`neuroevo.kernels.ops.fma` (``a * b + c`` rounded once). That halves the length of the
  dependency chains, and because each fused operation is written in the source (no fastmath),
  the results are the same on every machine, and :func:`tracks.reference.kernel_forward` repeats
  them bit for bit with :func:`neuroevo.kernels.ops.fma_reference`.
- **error_model="numpy".** Numba's default inserts a zero check before every division, which
  stops LLVM from vectorizing the sigmoid; the NumPy error model leaves plain IEEE division.
- **No fastmath.** Every operation happens in a fixed order, the one
  :func:`tracks.reference.kernel_forward` spells out in NumPy, so tests compare the two bit for bit.

Serial kernels with ``cache=True`` and ``nogil=True``; :mod:`tracks.sim` runs chunks of genomes on
a thread pool.

Shared arguments:
    genomes: float64 ``(P, D)`` C-contiguous flat genomes.
    layout: int64 ``(L, 4)``, per layer ``[w_start, b_start, n_in, n_out]`` (NetworkSpec.layout).
    act_codes: int64 ``(L,)`` activation codes (0 identity, 1 sigmoid, 2 tanh, 3 relu).
    lanes: genomes per block (>= 1).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from neuroevo.kernels.ops import bits_float, float_bits, fma

#: Genomes per lockstep block; measured on the [7, 8, 4, 1] network (see benchmarks/bench_racing.py).
LANES = 256

LOG2E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01     # high part of ln 2 (trailing zero bits: k * LN2_HI is exact)
LN2_LO = 1.90821492927058770002e-10     # ln 2 - LN2_HI
#: Arguments below are raised to it: 2**k stays a normal float64 (k >= -1022), exp(-708) = 3.3e-308.
EXP_MIN = -708.0
#: 1.5 * 2**52: adding it rounds to an integer k held in the low mantissa bits (|k| < 2**51).
SHIFTER = 6755399441055744.0
#: Taylor coefficients 1/n!, n = 0..13: the error of the truncation on |r| <= ln2/2 is below 1e-17.
EXP_COEFFS = tuple(1.0 / math.factorial(n) for n in range(14))

_C0, _C1, _C2, _C3, _C4, _C5, _C6, _C7, _C8, _C9, _C10, _C11, _C12, _C13 = EXP_COEFFS


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def exp_nonpositive(x: float) -> float:
    """``exp(x)`` for float64 ``x <= 0`` in plain vectorizable arithmetic.

    ``x`` below :data:`EXP_MIN` (and NaN) is taken as ``EXP_MIN``: the result is then
    ``exp(-708)``, less than 3.4e-308 from the true value.
    Reference: :func:`tracks.reference.exp_nonpositive` (the same operations in NumPy);
    accuracy against ``math.exp`` is tested (at most 1 ulp apart).
    """
    x = x if x > EXP_MIN else EXP_MIN
    kf = fma(x, LOG2E, SHIFTER)                      # SHIFTER + k, k = round(x / ln2)
    k = kf - SHIFTER
    r = fma(k, -LN2_HI, x)                           # x = k ln2 + r, |r| <= ln2/2 (exact: k LN2_HI is)
    r = fma(k, -LN2_LO, r)
    q = _C13
    q = fma(q, r, _C12)
    q = fma(q, r, _C11)
    q = fma(q, r, _C10)
    q = fma(q, r, _C9)
    q = fma(q, r, _C8)
    q = fma(q, r, _C7)
    q = fma(q, r, _C6)
    q = fma(q, r, _C5)
    q = fma(q, r, _C4)
    q = fma(q, r, _C3)
    q = fma(q, r, _C2)
    q = fma(q, r, _C1)
    q = fma(q, r, _C0)
    # the low bits of kf's pattern are those of k + 2**51: adding the bias 1023 and shifting them
    # into the exponent field gives the bits of 2**k (the shift drops everything above)
    return q * bits_float((float_bits(kf) + 1023) << 52)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def sigmoid(x: float) -> float:
    """Logistic function of float64 ``x``; ``exp`` only sees non-positive arguments, so no overflow.

    Reference: :func:`neuroevo.network.sigmoid` (same formula, libm-accurate exp).
    """
    e = exp_nonpositive(-abs(x))
    num = 1.0 if x >= 0.0 else e
    return num / (1.0 + e)


@njit(cache=True, nogil=True, error_model="numpy")
def sigmoid_many(x, out):
    """float64 ``x (N,)`` -> ``out (N,)`` through :func:`sigmoid`; lets tests check its accuracy."""
    for i in range(x.shape[0]):
        out[i] = sigmoid(x[i])


@njit(cache=True, nogil=True, error_model="numpy")
def forward_lanes_block(wt, layout, act_codes, h, n):
    """Forward pass of ``n`` lanes in lockstep; returns which half of ``h`` holds the outputs.

    Args:
        wt: float64 ``(D, lanes)`` transposed weights, lane ``b`` in column ``b``.
        h: float64 ``(2, width, lanes)`` scratch; the inputs are in ``h[0, :n_in, :n]``.
        n: active lanes (``n <= lanes``).

    Returns:
        int ``k``: the outputs are in ``h[k, :n_out, :n]``.

    Per neuron: the sum ``h_0 W_0o + h_1 W_1o + ...`` accumulated from 0.0 in input order, one
    fused multiply-add per term, then the bias added, then the activation (:func:`sigmoid` with
    :func:`exp_nonpositive`, libm's ``tanh``).
    Reference: :func:`tracks.reference.kernel_forward`.
    """
    src = 0
    for layer in range(layout.shape[0]):
        w0 = layout[layer, 0]
        b0 = layout[layer, 1]
        n_in = layout[layer, 2]
        n_out = layout[layer, 3]
        code = act_codes[layer]
        x = h[src]
        y = h[1 - src]
        for o in range(n_out):
            for b in range(n):
                y[o, b] = 0.0
        for i in range(n_in):
            row = w0 + i * n_out
            for o in range(n_out):
                for b in range(n):
                    y[o, b] = fma(x[i, b], wt[row + o, b], y[o, b])
        for o in range(n_out):
            bias = b0 + o
            if code == 1:
                for b in range(n):
                    y[o, b] = sigmoid(y[o, b] + wt[bias, b])
            elif code == 2:
                for b in range(n):
                    y[o, b] = math.tanh(y[o, b] + wt[bias, b])
            elif code == 3:
                for b in range(n):
                    z = y[o, b] + wt[bias, b]
                    y[o, b] = z if z > 0.0 else 0.0
            else:
                for b in range(n):
                    y[o, b] = y[o, b] + wt[bias, b]
        src = 1 - src
    return src


@njit(cache=True, nogil=True, error_model="numpy")
def _width(layout, n_inputs):
    width = n_inputs
    for layer in range(layout.shape[0]):
        width = max(width, layout[layer, 2], layout[layer, 3])
    return width


@njit(cache=True, nogil=True, error_model="numpy")
def forward_lanes(genomes, layout, act_codes, x, lanes, out):
    """float64 genomes ``(P, D)`` and inputs ``x (P, n_in)`` -> ``out (P, n_out)``, one case per genome.

    The forward pass of :func:`rollout`, exposed so tests can compare it with
    :func:`tracks.reference.kernel_forward` (bit for bit) and :func:`neuroevo.network.forward`.
    """
    P, D = genomes.shape
    n_in = layout[0, 2]
    n_out = layout[layout.shape[0] - 1, 3]
    wt = np.empty((D, lanes))
    h = np.empty((2, _width(layout, n_in), lanes))
    for g0 in range(0, P, lanes):
        n = min(lanes, P - g0)
        for b in range(n):
            for d in range(D):
                wt[d, b] = genomes[g0 + b, d]
            for i in range(n_in):
                h[0, i, b] = x[g0 + b, i]
        k = forward_lanes_block(wt, layout, act_codes, h, n)
        for b in range(n):
            for o in range(n_out):
                out[g0 + b, o] = h[k, o, b]


@njit(cache=True, nogil=True, error_model="numpy")
def rollout(genomes, layout, act_codes, top, bottom, sensors, max_score, start, stop, lanes, scores, paths):
    """Race genomes ``start .. stop-1`` along one track; writes their scores (and paths).

    Args:
        top, bottom: float64 ``(T,)`` barriers.
        sensors: int64 ``(S,)`` look-ahead offsets, ``max(sensors) < T``.
        max_score: steps to run, ``T - max(sensors)``.
        start, stop: the genome rows this call handles.
        scores: int64 ``(P,)`` output; row ``g`` gets the step at which genome ``g`` left the
            corridor, or ``max_score`` if it never did.
        paths: float64 ``(P, max_score)`` output, or ``(0, 0)`` to skip recording. Entry
            ``[g, i]`` is the position at the start of step ``i``; it is written only while the
            genome is on the track (steps ``0 .. score``), the caller pre-fills NaN.

    Each step: inputs ``[v, p - top[i+s0], p - bottom[i+s0], ...]``, force = output 0 minus 0.5,
    then ``p += v/2; v += force; p += v/2``; out when not ``bottom[i] <= p <= top[i]``.
    """
    D = genomes.shape[1]
    S = sensors.shape[0]
    record = paths.shape[0] > 0
    wt = np.empty((D, lanes))
    h = np.empty((2, _width(layout, 1 + 2 * S), lanes))
    p = np.empty(lanes)
    v = np.empty(lanes)
    idx = np.empty(lanes, dtype=np.int64)
    for g0 in range(start, stop, lanes):
        n = min(lanes, stop - g0)
        for b in range(n):
            idx[b] = g0 + b
            p[b] = 0.0
            v[b] = 0.0
            for d in range(D):
                wt[d, b] = genomes[g0 + b, d]
        for index in range(max_score):
            if record:
                for b in range(n):
                    paths[idx[b], index] = p[b]
            x = h[0]
            for b in range(n):
                x[0, b] = v[b]
            for s in range(S):
                j = index + sensors[s]
                t = top[j]
                u = bottom[j]
                for b in range(n):
                    x[1 + 2 * s, b] = p[b] - t
                    x[2 + 2 * s, b] = p[b] - u
            y = h[forward_lanes_block(wt, layout, act_codes, h, n)]
            for b in range(n):
                force = y[0, b] - 0.5
                pb = p[b] + v[b] / 2
                vb = v[b] + force
                p[b] = pb + vb / 2
                v[b] = vb
            t = top[index]
            u = bottom[index]
            for b in range(n - 1, -1, -1):          # descending: a lane moved into b was checked already
                if not (p[b] <= t and p[b] >= u):   # out of the corridor (a NaN position is out too)
                    scores[idx[b]] = index
                    n -= 1
                    if b != n:                       # move the last active lane into slot b
                        idx[b] = idx[n]
                        p[b] = p[n]
                        v[b] = v[n]
                        for d in range(D):
                            wt[d, b] = wt[d, n]
            if n == 0:
                break
        for b in range(n):
            scores[idx[b]] = max_score
