"""neuroevo: neuroevolution on the CPU.

Flat-genome population networks, evolution strategies behind one ask/tell interface,
and vectorized simulators that score a whole population at once.

``GymSimulator`` is imported on first use, so that ``import neuroevo`` (and every run that
does not use it) does not pay for its module.
"""

from neuroevo.engine import (
                             LoadedRun,
                             RunError,
                             RunInterrupted,
                             RunResult,
                             evaluate_run,
                             load_policy,
                             load_run,
                             resume,
                             run,
)
from neuroevo.minimize import MinimizeResult, minimize
from neuroevo.network import NetworkSpec, forward
from neuroevo.population import History, Population
from neuroevo.robustness import perturbation_fitness, robust_order
from neuroevo.simulators import XOR, FunctionFit, GenerationKey, Simulator, SupervisedSimulator
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
from neuroevo.tasks import Selection, StopRule, TargetRule, Task, register_task, task_names

__version__ = "0.1.0"

#: public names imported on first use: name -> module
_LAZY = {"GymSimulator": "neuroevo.simulators.gym"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'neuroevo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

__all__ = ["CMAES", "PGPE", "SNES", "STRATEGIES", "XOR", "CrossoverGA", "FunctionFit", "GenerationKey",
           "GymSimulator", "History", "LoadedRun", "MinimizeResult", "NetworkSpec", "OpenAIES", "Population", "RankGA",
           "RunError", "RunInterrupted", "RunResult", "SepCMAES", "Selection", "Simulator", "StopRule", "Strategy",
           "SupervisedSimulator", "TargetRule", "Task", "evaluate_run", "forward", "load_policy", "load_run",
           "make_strategy", "minimize", "perturbation_fitness", "register_task", "resume", "robust_order", "run",
           "task_names"]
