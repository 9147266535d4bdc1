"""Suite ``race``: every registered strategy on the racing task, under the protocol of ``neuroevo race``.

Each strategy runs the task with its defaults (the task's settings for that strategy) on seeds
0-19 (0-1 with ``--quick``, with the generation budget cut to 60), through
``neuroevo.run("race", write=False, ...)``. Counted: runs whose best genome completes both the
training track and the unseen test track, the median generation of the first completion, and
the median wall time, as a ratio to the task's default strategy measured in the same run.
"""

from __future__ import annotations

import numpy as np

from neuroevo.bench.common import SuiteResult, Table, same_run_ratio, say

NAME = "race"
DESCRIPTION = "every strategy on the racing task"


def _median(values) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.median(values)) if values else None


def run(quick: bool, folder) -> SuiteResult:
    import neuroevo
    from neuroevo.strategies import STRATEGIES
    from neuroevo.tasks import get_task, task_names

    result = SuiteResult()
    if "race" not in task_names():
        result.skipped = "the race task is not registered (the tracks package is not installed)"
        return result
    task = get_task("race")
    seeds = range(2) if quick else range(20)
    extra = {"generations": 60} if quick else {}
    neuroevo.run("race", write=False, progress=False, seed=0, generations=1)        # compile the kernels first
    figures = {}
    for name in [task.default_strategy, *sorted(set(STRATEGIES) - {task.default_strategy})]:
        rows = []
        say(f"race: {name}, {len(seeds)} seeds")
        for seed in seeds:
            s = neuroevo.run("race", write=False, progress=False, seed=seed, strategy=name, **extra).summary
            rows.append({k: s.get(k) for k in ("seed", "generations", "evaluations", "train_completed",
                                               "best_test_completed", "completed_at", "wall_time_s", "stopped")})
        figures[name] = {"runs": rows,
                         "completes_both": int(sum(bool(r["train_completed"] and r["best_test_completed"])
                                                   for r in rows)),
                         "completed_at_median": _median(r["completed_at"] for r in rows),
                         "wall_time_median_s": _median(r["wall_time_s"] for r in rows)}
    base = figures[task.default_strategy]["wall_time_median_s"]
    t = Table(f"Race, every strategy with the task's defaults, {len(seeds)} seeds"
              + (" (60 generations)" if quick else ""),
              ["strategy", "best completes both tracks", "first completion (median generation)",
               "median wall time s", f"time / {task.default_strategy}"])
    for name, f in figures.items():
        f["wall_time_ratio"] = same_run_ratio(f["wall_time_median_s"], base)
        t.rows.append([name, f"{f['completes_both']}/{len(seeds)}", f["completed_at_median"],
                       f["wall_time_median_s"], None if f["wall_time_ratio"] is None
                       else round(f["wall_time_ratio"], 2)])
    result.figures = {"seeds": list(seeds), "settings": extra, "strategies": figures}
    result.tables.append(t)
    return result
