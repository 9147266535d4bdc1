"""The evaluator interface: score a generation, in blocks, with results in genome order.

An evaluator takes the simulator, the genomes, the network and the generation's
:class:`~neuroevo.GenerationKey`, and returns one :class:`~neuroevo.simulators.Evaluation` for
the whole generation. However it cuts the population into blocks, each block gets the key moved
to its first genome (``key.block(start)``) and the blocks' results are joined in genome order,
so the same seed gives the same scores on one process or on many.

:class:`LocalEvaluator` (the default) scores the whole population in this process in one block;
:class:`~neuroevo.evaluators.dask.DaskEvaluator` (``"dask"``, or a ``distributed.Client``) scores
blocks on a Dask cluster (``pip install 'neuroevo[distributed]'``; imported only when asked for).
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod

import numpy as np

from neuroevo.network.spec import NetworkSpec
from neuroevo.simulators.base import Evaluation, GenerationKey, Simulator


class EvaluatorUnavailable(RuntimeError):
    """The evaluator cannot be set up: its package is missing, its cluster cannot be reached."""


class EvaluationLost(RuntimeError):
    """A generation could not be scored for a reason outside the simulator (workers or scheduler
    lost). The population is left at its last finished generation."""


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
    """An :class:`Evaluator` from None / ``"local"``, ``"dask"``, a ``distributed.Client`` or an
    Evaluator instance."""
    if evaluator is None or evaluator == "local":
        return LocalEvaluator()
    if isinstance(evaluator, Evaluator):
        return evaluator
    if evaluator == "dask":
        from neuroevo.evaluators.dask import DaskEvaluator
        return DaskEvaluator()
    dist = sys.modules.get("distributed")
    if dist is not None and isinstance(evaluator, dist.Client):
        from neuroevo.evaluators.dask import DaskEvaluator
        return DaskEvaluator(evaluator)
    raise TypeError(f"evaluator must be 'local', 'dask', a distributed.Client or an Evaluator instance; "
                    f"got {evaluator!r}")
