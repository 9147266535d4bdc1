"""neuroevo: neuroevolution on the CPU.

Flat-genome population networks, evolution strategies behind one ask/tell interface,
and vectorized simulators that score a whole population at once.
"""

from neuroevo.network import NetworkSpec, forward
from neuroevo.population import History, Population
from neuroevo.simulators import XOR, FunctionFit, Simulator, SupervisedSimulator
from neuroevo.strategies import STRATEGIES, Strategy, make_strategy
from neuroevo.strategies.rank_ga import RankGA, RankGAConfig

__version__ = "0.1.0"

__all__ = ["STRATEGIES", "XOR", "FunctionFit", "History", "NetworkSpec", "Population", "RankGA",
           "RankGAConfig", "Simulator", "Strategy", "SupervisedSimulator", "forward", "make_strategy"]
