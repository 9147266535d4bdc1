"""neuroevo: neuroevolution on the CPU.

Flat-genome population networks, evolution strategies behind one ask/tell interface,
and vectorized simulators that score a whole population at once.
"""

from neuroevo.network import NetworkSpec, forward
from neuroevo.population import History, Population
from neuroevo.robustness import perturbation_fitness
from neuroevo.simulators import XOR, FunctionFit, Simulator, SupervisedSimulator
from neuroevo.strategies import (
                                 CMAES,
                                 PGPE,
                                 SNES,
                                 STRATEGIES,
                                 CrossoverGA,
                                 OpenAIES,
                                 RankGA,
                                 SepCMAES,
                                 Strategy,
                                 make_strategy,
)

__version__ = "0.1.0"

__all__ = ["CMAES", "PGPE", "SNES", "STRATEGIES", "XOR", "CrossoverGA", "FunctionFit", "History", "NetworkSpec",
           "OpenAIES", "Population", "RankGA", "SepCMAES", "Simulator", "Strategy", "SupervisedSimulator", "forward",
           "make_strategy", "perturbation_fitness"]
