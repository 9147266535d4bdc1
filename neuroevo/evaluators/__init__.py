"""Evaluators: how a generation's genomes get scored (in this process, or elsewhere)."""

from neuroevo.evaluators.base import EvaluationLost, Evaluator, EvaluatorUnavailable, LocalEvaluator, make_evaluator

__all__ = ["EvaluationLost", "Evaluator", "EvaluatorUnavailable", "LocalEvaluator", "make_evaluator"]
