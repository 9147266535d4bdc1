"""Simulators: score a ``(P, D)`` population with ``(P,)`` fitness in one call."""

from neuroevo.simulators.base import GenerationKey, Simulator
from neuroevo.simulators.supervised import XOR, FunctionFit, SupervisedSimulator

__all__ = ["XOR", "FunctionFit", "GenerationKey", "Simulator", "SupervisedSimulator"]
