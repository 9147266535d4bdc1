"""The racing kernel of commit 5bbc16a, frozen, so benchmarks can time today's against it in one run.

Only :mod:`tracks.bench` uses it. It is the fused rollout as it stood before the second round of
speed work (blocks of 64 lanes, the sigmoid's ``exp`` with separate multiplies and adds and a
power-of-two table) and :func:`baseline_scores` drives it the way ``TrackSimulator`` did then:
chunks of blocks shared by the calling thread and a thread pool. Its scores equal today's
(the benchmark checks them).
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

#: Genomes per lockstep block; measured on the [7, 8, 4, 1] network (see benchmarks/bench_racing.py).
LANES = 64

LOG2E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01     # high part of ln 2 (trailing zero bits: k * LN2_HI is exact)
LN2_LO = 1.90821492927058770002e-10     # ln 2 - LN2_HI
EXP_MIN = -746.0                        # exp(x) rounds to 0 below about -745.13
#: Taylor coefficients 1/n!, n = 0..13: the error of the truncation on |r| <= ln2/2 is below 1e-17.
EXP_COEFFS = tuple(1.0 / math.factorial(n) for n in range(14))
#: POW2[j] = 2**-j exactly (subnormals included, 0.0 from j = 1075 on).
POW2 = np.ldexp(1.0, -np.arange(1080))
POW2.setflags(write=False)

_C0, _C1, _C2, _C3, _C4, _C5, _C6, _C7, _C8, _C9, _C10, _C11, _C12, _C13 = EXP_COEFFS


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def exp_nonpositive(x: float) -> float:
    """``exp(x)`` for float64 ``x <= 0`` (NaN gives 0), in plain vectorizable arithmetic.

    Reference: :func:`tracks.reference.exp_nonpositive` (the same operations in NumPy);
    accuracy against ``math.exp`` is tested (at most 1 ulp apart).
    """
    x = x if x > EXP_MIN else EXP_MIN
    k = math.floor(x * LOG2E + 0.5)                  # x = k ln2 + r, |r| <= ln2/2
    r = (x - k * LN2_HI) - k * LN2_LO
    q = _C13
    q = q * r + _C12
    q = q * r + _C11
    q = q * r + _C10
    q = q * r + _C9
    q = q * r + _C8
    q = q * r + _C7
    q = q * r + _C6
    q = q * r + _C5
    q = q * r + _C4
    q = q * r + _C3
    q = q * r + _C2
    q = q * r + _C1
    q = q * r + _C0
    return q * POW2[-k]


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def sigmoid(x: float) -> float:
    """Logistic function of float64 ``x``; ``exp`` only sees non-positive arguments, so no overflow.

    Reference: :func:`neuroevo.network.sigmoid` (same formula, libm-accurate exp).
    """
    e = exp_nonpositive(-abs(x))
    num = 1.0 if x >= 0.0 else e
    return num / (1.0 + e)


@njit(cache=True, nogil=True, error_model="numpy")
def forward_lanes_block(wt, layout, act_codes, h, n):
    """Forward pass of ``n`` lanes in lockstep; returns which half of ``h`` holds the outputs.

    Args:
        wt: float64 ``(D, lanes)`` transposed weights, lane ``b`` in column ``b``.
        h: float64 ``(2, width, lanes)`` scratch; the inputs are in ``h[0, :n_in, :n]``.
        n: active lanes (``n <= lanes``).

    Returns:
        int ``k``: the outputs are in ``h[k, :n_out, :n]``.

    Per neuron: the sum ``h_0 W_0o + h_1 W_1o + ...`` accumulated from 0.0 in input order, then
    the bias added, then the activation: the order of :func:`neuroevo.kernels.forward.forward_single`,
    whose sigmoid calls libm's ``exp`` where this one uses :func:`exp_nonpositive`.
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
                    y[o, b] += x[i, b] * wt[row + o, b]
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


_MIN_LANES = 8
_CHUNKS_PER_THREAD = 8
_pools: dict[int, ThreadPoolExecutor] = {}


def baseline_scores(genomes: np.ndarray, spec, track, sensors, threads: int) -> np.ndarray:
    """int64 ``(P,)`` scores of float64 ``(P, D)`` genomes, as ``TrackSimulator.scores`` computed them at 5bbc16a
    (with the same input checks, so small calls carry the same fixed cost)."""
    from neuroevo._checks import check_genomes
    genomes = check_genomes(genomes, spec.num_params)
    P = genomes.shape[0]
    max_score = track.length - max(sensors)
    layout, act_codes = np.array(spec.layout), np.array(spec.act_codes)
    scores = np.empty(P, dtype=np.int64)
    paths = np.empty((0, 0))
    args = (genomes, layout, act_codes, np.array(track.top), np.array(track.bottom),
            np.array(sensors, dtype=np.int64), max_score)
    lanes = min(LANES, max(_MIN_LANES, math.ceil(P / threads)))
    blocks = math.ceil(P / lanes)
    chunks = min(blocks, _CHUNKS_PER_THREAD * threads) if threads > 1 else 1
    if chunks <= 1:
        rollout(*args, 0, P, lanes, scores, paths)
        return scores
    edges = [min(P, round(blocks * c / chunks) * lanes) for c in range(chunks + 1)]
    todo = iter([(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a])
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                chunk = next(todo, None)
            if chunk is None:
                return
            rollout(*args, chunk[0], chunk[1], lanes, scores, paths)

    pool = _pools.get(threads - 1) or _pools.setdefault(threads - 1, ThreadPoolExecutor(threads - 1))
    helpers = [pool.submit(work) for _ in range(min(threads, chunks) - 1)]
    try:
        work()
    finally:
        for f in helpers:
            f.result()
    return scores
