"""The simulator interface: anything that scores a ``(P, D)`` population with ``(P,)`` fitness."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from neuroevo._checks import check_genomes
from neuroevo.network.spec import NetworkSpec, as_spec


class Simulator(ABC):
    """Scores a whole population at once; higher fitness is better.

    Subclasses implement :meth:`_evaluate` and may set ``num_inputs`` / ``num_outputs`` to the
    network sizes they need (``None``: any). :meth:`evaluate` validates before any work.
    """

    num_inputs: int | None = None
    num_outputs: int | None = None

    def check_network(self, network) -> NetworkSpec:
        """Return the spec, or raise if its input/output sizes do not fit this simulator."""
        spec = as_spec(network)
        name = type(self).__name__
        if self.num_inputs is not None and spec.num_inputs != self.num_inputs:
            raise ValueError(f"{name} feeds {self.num_inputs} inputs to the network, but the network "
                             f"{list(spec.sizes)} takes {spec.num_inputs}; make its first layer size "
                             f"{self.num_inputs}")
        if self.num_outputs is not None and spec.num_outputs != self.num_outputs:
            raise ValueError(f"{name} reads {self.num_outputs} outputs from the network, but the network "
                             f"{list(spec.sizes)} has {spec.num_outputs}; make its last layer size "
                             f"{self.num_outputs}")
        return spec

    def evaluate(self, genomes, network, rng: np.random.Generator | None = None) -> np.ndarray:
        """Fitness of every genome.

        Args:
            genomes: float64 ``(P, D)`` population.
            network: the :class:`NetworkSpec` (or layer list) the genomes encode.
            rng: generator for stochastic simulators; deterministic ones ignore it.

        Returns:
            float64 ``(P,)`` fitness, higher is better (NaN/inf allowed; strategies rank them last).
        """
        spec = self.check_network(network)
        genomes = check_genomes(genomes, spec.num_params)
        fitness = np.asarray(self._evaluate(genomes, spec, rng), dtype=np.float64)
        if fitness.shape != (genomes.shape[0],):
            raise RuntimeError(f"{type(self).__name__}._evaluate returned shape {fitness.shape}; "
                               f"expected ({genomes.shape[0]},)")
        return fitness

    @abstractmethod
    def _evaluate(self, genomes: np.ndarray, spec: NetworkSpec,
                  rng: np.random.Generator | None) -> np.ndarray:
        """Validated float64 ``(P, D)`` genomes -> float64 ``(P,)`` fitness."""
