"""Supervised tasks as simulators: fitness is minus the mean squared error over a fixed set of cases."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from neuroevo._checks import check_choice, check_float, check_int
from neuroevo.network.forward import forward
from neuroevo.network.spec import NetworkSpec
from neuroevo.simulators.base import Simulator


class SupervisedSimulator(Simulator):
    """Fitness = ``-mean((network(inputs) - targets)**2)`` over all cases and outputs.

    Args:
        inputs: float64 ``(B, n_in)`` cases, shared by every genome.
        targets: float64 ``(B, n_out)`` (or ``(B,)`` for one output).
        backend: forward backend, ``"numpy"`` or ``"numba"`` (blocked matrix products; it agrees
            with ``"numpy"`` within :func:`neuroevo.network.forward.forward_error_bound`).
    """

    def __init__(self, inputs, targets, backend: str = "numba"):
        x = np.asarray(inputs, dtype=np.float64)
        y = np.asarray(targets, dtype=np.float64)
        if y.ndim == 1:
            y = y[:, None]
        if x.ndim != 2 or y.ndim != 2 or x.shape[0] != y.shape[0] or x.shape[0] < 1:
            raise ValueError(f"inputs must be (B, n_in) and targets (B, n_out) with the same B >= 1; "
                             f"got {x.shape} and {y.shape}")
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            raise ValueError("inputs and targets must be finite")
        self.inputs, self.targets = x, y
        self.num_inputs, self.num_outputs = x.shape[1], y.shape[1]
        self.backend = check_choice("backend", backend, ("numpy", "numba"), owner=type(self).__name__)
        self.threads: int | None = None      # threads of the numba forward pass; None: os.cpu_count()

    def use_threads(self, threads: int) -> None:
        """Run the numba forward pass on at most ``threads`` threads (outputs do not depend on it)."""
        self.threads = check_int("threads", threads, minimum=1, owner=type(self).__name__)

    def predict(self, genomes, network) -> np.ndarray:
        """Network outputs on every case: float64 ``(P, B, n_out)``."""
        spec = self.check_network(network)
        P = np.shape(genomes)[0]
        x = np.broadcast_to(self.inputs, (P,) + self.inputs.shape)
        return forward(genomes, spec, x, backend=self.backend, threads=self.threads)

    def _evaluate(self, genomes: np.ndarray, spec: NetworkSpec, rng) -> np.ndarray:
        pred = self.predict(genomes, spec)
        return -np.mean((pred - self.targets) ** 2, axis=(1, 2))


class XOR(SupervisedSimulator):
    """The four XOR cases; a 2-2-1 sigmoid network can solve it (fitness -> 0)."""

    def __init__(self, backend: str = "numba"):
        super().__init__([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0], backend=backend)

    def solved(self, genomes, network) -> np.ndarray:
        """bool ``(P,)``: every case on the right side of 0.5."""
        pred = self.predict(genomes, network)[:, :, 0]
        return np.all((pred > 0.5) == (self.targets[:, 0] > 0.5), axis=1)


class FunctionFit(SupervisedSimulator):
    """Fit ``y = fn(x)`` on ``num_points`` evenly spaced points of ``[low, high]`` (one input, one output)."""

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray] = np.sin, low: float = -np.pi,
                 high: float = np.pi, num_points: int = 32, backend: str = "numba"):
        low = check_float("low", low, owner="FunctionFit")
        high = check_float("high", high, owner="FunctionFit")
        if high <= low:
            raise ValueError(f"FunctionFit: high must be > low; got low={low}, high={high}")
        n = check_int("num_points", num_points, minimum=2, owner="FunctionFit")
        x = np.linspace(low, high, n)
        super().__init__(x[:, None], np.asarray(fn(x), dtype=np.float64), backend=backend)
