"""The evaluator interface: score a generation, in blocks, with results in genome order.

An evaluator takes the simulator, the genomes, the network and the generation's
:class:`~neuroevo.GenerationKey`, and returns one :class:`~neuroevo.simulators.Evaluation` for
the whole generation. However it cuts the population into blocks, each block gets the key moved
to its first genome (``key.block(start)``) and the blocks' results are joined in genome order,
so the same seed gives the same scores on one process or on many.

:class:`LocalEvaluator` (the default) scores the whole population in this process in one block.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from neuroevo.network.spec import NetworkSpec
from neuroevo.simulators.base import Evaluation, GenerationKey, Simulator


class Evaluator(ABC):
    """Scores generations. ``start`` is called once per run, ``close`` at its end."""

    name: str = ""

    def start(self, simulator: Simulator, network: NetworkSpec) -> None:  # noqa: B027 (optional hook)
        """Prepare for a run of ``simulator`` (ship it to workers, for example)."""

    @abstractmethod
    def evaluate(self, simulator: Simulator, genomes: np.ndarray, network: NetworkSpec,
                 key: GenerationKey) -> Evaluation:
        """The generation's :class:`Evaluation`, in genome order."""

    def close(self) -> None:  # noqa: B027 (optional hook)
        """Release what :meth:`start` acquired."""

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class LocalEvaluator(Evaluator):
    """Everything in this process, the whole population as one block."""

    name = "local"

    def evaluate(self, simulator, genomes, network, key) -> Evaluation:
        return simulator.evaluate_block(genomes, network, key)


def make_evaluator(evaluator) -> Evaluator:
    """An :class:`Evaluator` from None / ``"local"`` or an Evaluator instance."""
    if evaluator is None or evaluator == "local":
        return LocalEvaluator()
    if isinstance(evaluator, Evaluator):
        return evaluator
    raise TypeError(f"evaluator must be 'local' or an Evaluator instance; got {evaluator!r}")
