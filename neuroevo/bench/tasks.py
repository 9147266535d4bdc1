"""Suites ``generalization`` and ``gym``: a task's defaults over several seeds, once the task exists.

Each runs its task with the task's defaults through ``neuroevo.run(TASK, write=False)`` on seeds
0-9 and tabulates the run summaries: how each run stopped, its best
fitness, generations and wall time, and the task's own held-out figures. When the task (or its
extra) is not installed the suite is skipped with a note saying what is missing.
"""

from __future__ import annotations

import numpy as np

from neuroevo.bench.common import SuiteResult, Table

#: suite -> (task names to try in turn, the extra that provides them)
TASKS = {"generalization": (("suite",), "the tracks package, which registers the suite task"),
         "gym": (("gym:CartPole-v1",), "the gym extra: pip install 'neuroevo[gym]'")}
#: suite -> (seeds, settings) of --quick: a default suite run takes about 2 minutes, so the quick
#: one is a short run of one seed (its figures show that the suite works, not how well it trains)
QUICK = {"generalization": (range(1), {"generations": 10}), "gym": (range(2), {})}


def _task_suite(suite: str, quick: bool) -> SuiteResult:
    import neuroevo
    from neuroevo.tasks.registry import resolve_task

    names, needs = TASKS[suite]
    result = SuiteResult()
    task = None
    for name in names:
        try:
            resolve_task(name)
            task = name
            break
        except (ValueError, TypeError, ImportError):
            continue
    if task is None:
        result.skipped = f"no {' or '.join(repr(n) for n in names)} task in this installation (needs {needs})"
        return result
    seeds, settings = QUICK[suite] if quick else (range(10), {})
    rows = []
    for seed in seeds:
        s = neuroevo.run(task, write=False, progress=False, seed=seed, **settings).summary
        rows.append({k: v for k, v in s.items() if isinstance(v, int | float | str | bool) or v is None})
    numeric = sorted(k for k in rows[0] if isinstance(rows[0][k], int | float) and not isinstance(rows[0][k], bool)
                     and k not in ("seed", "population_size"))
    result.figures = {"task": task, "seeds": list(seeds), "runs": rows,
                      "medians": {k: float(np.median([r[k] for r in rows if r.get(k) is not None])) for k in numeric}}
    t = Table(f"{task}: the task's defaults over {len(seeds)} seeds (medians)", ["figure", "median"])
    t.rows = [[k, v] for k, v in result.figures["medians"].items()]
    result.tables.append(t)
    return result


class _Suite:
    def __init__(self, name: str):
        self.name = name

    def run(self, quick: bool, folder) -> SuiteResult:
        return _task_suite(self.name, quick)


generalization = _Suite("generalization")
gym = _Suite("gym")
