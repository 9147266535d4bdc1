"""Batched forward pass of a population of networks.

The NumPy ``einsum`` path is the readable reference; the Numba path
(:mod:`neuroevo.kernels.forward`) is the fast one and gives the same numbers.
"""

from __future__ import annotations

import numpy as np

from neuroevo._checks import check_choice, check_genomes, is_numeric
from neuroevo.network.spec import NetworkSpec, as_spec

BACKENDS = ("numpy", "numba")


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


def forward(genomes, network, x, backend: str = "numpy") -> np.ndarray:
    """Run every genome's network on its own inputs.

    Args:
        genomes: float64 ``(P, D)`` population, ``D == spec.num_params``.
        network: a :class:`NetworkSpec` or a layer list.
        x: float64 ``(P, n_in)`` (one case per genome) or ``(P, B, n_in)`` (B cases per genome).
        backend: ``"numpy"`` (einsum reference) or ``"numba"`` (compiled kernel).

    Returns:
        float64 ``(P, n_out)`` or ``(P, B, n_out)``, matching the shape of ``x``.
    """
    spec = as_spec(network)
    check_choice("backend", backend, BACKENDS, owner="forward")
    genomes = check_genomes(genomes, spec.num_params)
    x = check_inputs(x, spec, genomes.shape[0])
    single = x.ndim == 2
    h = x[:, None, :] if single else x
    if backend == "numba":
        from neuroevo.kernels.forward import forward_batch
        out = forward_batch(genomes, spec.layout, spec.act_codes, h, spec.max_width)
    else:
        for layer in spec.layers:   # slices of the flat genome are views, not copies
            W = genomes[:, layer.w].reshape(-1, layer.n_in, layer.n_out)
            h = ACTIVATIONS[layer.act](np.einsum("pbi,pio->pbo", h, W) + genomes[:, None, layer.b])
        out = h
    return out[:, 0, :] if single else out
