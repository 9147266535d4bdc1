"""Evaluators: how a generation's genomes get scored (in this process, or on a Dask cluster).

``DaskEvaluator`` imports Dask only when it connects, so ``neuroevo`` runs without it.
"""

from neuroevo.evaluators.base import EvaluationLost, Evaluator, EvaluatorUnavailable, LocalEvaluator, make_evaluator
from neuroevo.evaluators.dask import DaskEvaluator

__all__ = ["DaskEvaluator", "EvaluationLost", "Evaluator", "EvaluatorUnavailable", "LocalEvaluator", "make_evaluator"]
