"""Simulators: score a ``(P, D)`` population with ``(P,)`` fitness in one call."""

from neuroevo.simulators.base import Evaluation, GenerationKey, Simulator
from neuroevo.simulators.supervised import XOR, FunctionFit, SupervisedSimulator

__all__ = ["XOR", "Evaluation", "FunctionFit", "GenerationKey", "Simulator", "SupervisedSimulator"]
