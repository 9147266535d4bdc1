"""The run engine: ``run``, ``resume``, ``load_run`` and ``evaluate_run`` for every task."""

from neuroevo.engine.config import RunConfig, RunPlan, plan_run
from neuroevo.engine.interrupt import RunAborted, RunInterrupted
from neuroevo.engine.loader import LoadedRun, evaluate_run, load_policy, load_run
from neuroevo.engine.run import RunError, RunFailed, RunResult, resume, run

__all__ = ["LoadedRun", "RunAborted", "RunConfig", "RunError", "RunFailed", "RunInterrupted", "RunPlan",
           "RunResult", "evaluate_run", "load_policy", "load_run", "plan_run", "resume", "run"]
