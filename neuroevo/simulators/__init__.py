"""Simulators: score a ``(P, D)`` population with ``(P,)`` fitness in one call."""

from neuroevo.simulators.base import Simulator
from neuroevo.simulators.supervised import XOR, FunctionFit, SupervisedSimulator

__all__ = ["XOR", "FunctionFit", "Simulator", "SupervisedSimulator"]
