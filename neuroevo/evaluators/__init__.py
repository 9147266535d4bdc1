"""Evaluators: how a generation's genomes get scored (in this process, or elsewhere)."""

from neuroevo.evaluators.base import Evaluator, LocalEvaluator, make_evaluator

__all__ = ["Evaluator", "LocalEvaluator", "make_evaluator"]
