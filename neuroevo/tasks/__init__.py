"""Tasks a run can be for, and their registry (see :mod:`neuroevo.tasks.registry`)."""

from neuroevo.tasks.base import Selection, StopRule, TargetRule, Task, top_genomes
from neuroevo.tasks.registry import get_task, register_task, resolve_task, task_names
from neuroevo.tasks.supervised import SinTask, XORTask

__all__ = ["Selection", "SinTask", "StopRule", "TargetRule", "Task", "XORTask", "get_task", "register_task",
           "resolve_task", "task_names", "top_genomes"]
