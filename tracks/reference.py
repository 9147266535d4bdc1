"""NumPy reference of the racing rollout: slow, step by step, easy to check by eye.

:func:`rollout_reference` is what ``TrackSimulator(..., backend="numpy")`` runs and what the fused
kernel (:mod:`tracks.kernels`) is tested against. By default it uses the project's NumPy forward
pass, :func:`neuroevo.network.forward`. That pass sums with ``einsum`` and exponentiates with
NumPy's SIMD ``exp``, so single network outputs can differ from the kernel's in the last bit; the
scores still agree exactly. :func:`kernel_forward` spells out the kernel's own arithmetic
in NumPy; with it the reference reproduces the kernel's positions bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from neuroevo.kernels.ops import fma_reference as fma
from neuroevo.network import forward
from neuroevo.network.spec import NetworkSpec, as_spec
from tracks.generate import Track
from tracks.kernels import EXP_COEFFS, EXP_MIN, LN2_HI, LN2_LO, LOG2E, SHIFTER

ForwardFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def rollout_reference(genomes, network, track: Track, sensors: Sequence[int],
                      forward_fn: ForwardFn | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Race every genome along ``track``, the whole population one step at a time.

    Args:
        genomes: float64 ``(P, D)`` population.
        network: the :class:`NetworkSpec` (or layer list) of the genomes, ``1 + 2 * len(sensors)``
            inputs and at least one output (output 0 drives).
        track: the corridor.
        sensors: look-ahead offsets, each ``< track.length``.
        forward_fn: ``f(genomes (N, D), x (N, n_in)) -> (N, n_out)``; None uses
            ``neuroevo.network.forward(..., backend="numpy")``.

    Returns:
        paths: float64 ``(P, max_score)``, the position at the start of each step while on the
            track (steps ``0 .. score``), NaN after the crash step.
        scores: int64 ``(P,)``, the step at which each genome left the corridor, ``max_score``
            (``track.length - max(sensors)``) if it never did.
    """
    spec = as_spec(network)
    genomes = np.asarray(genomes, dtype=np.float64)
    if forward_fn is None:
        def forward_fn(g, x):
            return forward(g, spec, x, backend="numpy")
    sensors = [int(s) for s in sensors]
    top, bottom = track.top, track.bottom
    max_score = track.length - max(sensors)
    P = genomes.shape[0]
    p = np.zeros(P)
    v = np.zeros(P)
    scores = np.full(P, max_score, dtype=np.int64)
    paths = np.full((P, max_score), np.nan)
    active = np.arange(P)                      # genomes still on the track; the others are frozen
    for index in range(max_score):
        if active.size == 0:
            break
        pa, va = p[active], v[active]
        paths[active, index] = pa
        columns = [va]
        for s in sensors:
            columns += [pa - top[index + s], pa - bottom[index + s]]
        force = forward_fn(genomes[active], np.stack(columns, axis=1))[:, 0] - 0.5
        pa = pa + va / 2                       # half a step at the old speed,
        va = va + force                        # the force changes the speed (mass 1),
        pa = pa + va / 2                       # half a step at the new speed
        p[active], v[active] = pa, va
        out = ~((pa <= top[index]) & (pa >= bottom[index]))   # NaN counts as out
        scores[active[out]] = index
        active = active[~out]
    return paths, scores


def exp_nonpositive(x: np.ndarray) -> np.ndarray:
    """The kernel's ``exp`` for float64 ``x <= 0``, operation for operation (see :mod:`tracks.kernels`)."""
    x = np.where(x > EXP_MIN, x, EXP_MIN)
    kf = fma(x, LOG2E, SHIFTER)
    k = kf - SHIFTER
    r = fma(k, -LN2_HI, x)
    r = fma(k, -LN2_LO, r)
    q = np.full_like(r, EXP_COEFFS[13])
    for c in EXP_COEFFS[12::-1]:
        q = fma(q, r, c)
    return q * ((kf.view(np.int64) + 1023) << 52).view(np.float64)


def kernel_sigmoid(x: np.ndarray) -> np.ndarray:
    """The kernel's sigmoid: ``1/(1+e)`` for ``x >= 0`` and ``e/(1+e)`` below, ``e = exp(-|x|)``."""
    e = exp_nonpositive(-np.abs(x))
    return np.where(x >= 0.0, 1.0, e) / (1.0 + e)


_libm_tanh = np.frompyfunc(math.tanh, 1, 1)

_KERNEL_ACTIVATIONS = {
    "identity": lambda z: z,
    "sigmoid": kernel_sigmoid,
    "tanh": lambda z: _libm_tanh(z).astype(np.float64),
    "relu": lambda z: np.where(z > 0.0, z, 0.0),
}


def kernel_forward(genomes, network, x) -> np.ndarray:
    """The kernel's forward pass in NumPy: float64 genomes ``(P, D)``, x ``(P, n_in)`` -> ``(P, n_out)``.

    Each neuron sums ``h_i * W_io`` from 0.0 in input order, one fused multiply-add per term
    (:func:`neuroevo.kernels.ops.fma_reference`), then adds its bias, then applies the kernel's
    activation (libm ``tanh``; the polynomial ``exp`` in the sigmoid). Only the order and the
    rounding of the operations differ from :func:`neuroevo.network.forward`.
    """
    spec: NetworkSpec = as_spec(network)
    genomes = np.asarray(genomes, dtype=np.float64)
    h = np.asarray(x, dtype=np.float64)
    for layer in spec.layers:
        W = genomes[:, layer.w].reshape(-1, layer.n_in, layer.n_out)
        acc = np.zeros((genomes.shape[0], layer.n_out))
        for i in range(layer.n_in):
            acc = fma(h[:, i, None], W[:, i, :], acc)
        h = _KERNEL_ACTIVATIONS[layer.act](acc + genomes[:, layer.b])
    return h
