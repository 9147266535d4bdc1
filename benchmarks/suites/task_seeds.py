"""Multi-seed suite of the built-in tasks: how reliably does each task's default setup solve it?

For each seed it runs the task with its defaults through the public API
(``neuroevo.run(task, write=False, ...)``, what ``neuroevo run TASK`` runs) and records the run
summary. What is counted:

    xor    runs solved (all four cases on the right side of 0.5); median generations and
           evaluations among the solved runs
    sin    runs with held-out mean squared error below 1e-3; median and max held-out MSE
    race   runs whose best genome completes both the training track and the unseen test track;
           median generation of first completion

and, for every task, the median generations and wall time. Results go to
``benchmarks/results/tasks_<task>.json``, with a description of the machine.

    python benchmarks/suites/task_seeds.py --task xor
    python benchmarks/suites/task_seeds.py --task all      # xor, sin and race, one file each
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import neuroevo
from neuroevo.bench.common import machine, parse_settings
from neuroevo.tasks import get_task

RESULTS = Path(__file__).resolve().parents[1] / "results"
TASKS = ("xor", "sin", "race")
SIN_HELD_OUT_LIMIT = 1e-3       # a sin run counts as a fit when its held-out MSE is below this


def run_one(task: str, seed: int, settings: dict) -> dict:
    result = neuroevo.run(task, write=False, progress=False, seed=seed, **settings)
    return {k: v for k, v in result.summary.items() if k not in ("top_train_scores", "top_test_scores")}


def _median(values) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.median(values)) if values else None


def summarize(task: str, rows: list[dict]) -> dict:
    out: dict = {"runs": len(rows)}
    if task == "xor":
        solved = [r for r in rows if r["solved"]]
        out |= {"solved": len(solved),
                "unsolved_seeds": [r["seed"] for r in rows if not r["solved"]],
                "generations_median_solved": _median(r["generations"] for r in solved),
                "generations_max_solved": max((r["generations"] for r in solved), default=None),
                "evaluations_median_solved": _median(r["evaluations"] for r in solved),
                "mse_median": _median(r["mse"] for r in rows)}
    elif task == "sin":
        held = np.array([r["held_out_mse"] for r in rows])
        out |= {f"held_out_mse_below_{SIN_HELD_OUT_LIMIT:g}": int(np.sum(held < SIN_HELD_OUT_LIMIT)),
                "failed_seeds": [r["seed"] for r in rows if not r["held_out_mse"] < SIN_HELD_OUT_LIMIT],
                "held_out_mse_median": float(np.median(held)),
                "held_out_mse_max": float(held.max()),
                "train_mse_median": _median(r["train_mse"] for r in rows),
                "stopped_early": sum(r["generations"] < r["budget"] for r in rows)}
    else:
        both = [r for r in rows if r["train_completed"] and r["best_test_completed"]]
        out |= {"best_completes_both": len(both),
                "failed_seeds": [r["seed"] for r in rows if not (r["train_completed"] and r["best_test_completed"])],
                "train_completed": sum(bool(r["train_completed"]) for r in rows),
                "completed_at_median": _median(r["completed_at"] for r in rows),
                "test_top_completed_median": _median(r["test_completed"] for r in rows)}
    out |= {"generations_median": _median(r["generations"] for r in rows),
            "evaluations_median": _median(r["evaluations"] for r in rows),
            "wall_time_median_s": _median(r["wall_time_s"] for r in rows),
            "wall_time_total_s": round(float(sum(r["wall_time_s"] for r in rows)), 3)}
    return out


def line(task: str, r: dict) -> str:
    head = f"{task:4s} seed {r['seed']:2d}: {r['generations']:4d} gens {r['evaluations']:6d} evals"
    if task == "xor":
        body = f"{'solved' if r['solved'] else 'NOT solved'} (mse {r['mse']:.3g})"
    elif task == "sin":
        body = f"train mse {r['train_mse']:.3g} held-out mse {r['held_out_mse']:.3g}"
    else:
        body = (f"train {r['best_train_score']}/{r['train_max']} best-on-test {r['best_test_score']}/"
                f"{r['test_max']} top-{r['top']} {r['test_completed']:2d} first at gen {r['completed_at']}")
    return f"{head}  {body}  ({r['wall_time_s']:.2f} s)"


def bench_task(task: str, seeds: range, settings: dict) -> dict:
    budget = settings.get("generations", get_task(task).default_generations)
    run_one(task, 0, settings | {"generations": 2})        # warm up the JIT (and the on-disk cache)
    rows = []
    for seed in seeds:
        row = run_one(task, seed, settings) | {"budget": budget}
        rows.append(row)
        print(line(task, row), flush=True)
    summary = summarize(task, rows)
    print(task, json.dumps(summary), flush=True)
    return {"task": task, "settings": settings, "seeds": [seeds.start, seeds.stop - 1],
            "summary": summary, "runs": rows}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", choices=[*TASKS, "all"], required=True)
    ap.add_argument("--seeds", type=int, default=20, help="number of seeds")
    ap.add_argument("--first-seed", type=int, default=0, help="seeds run from here (held-out checks: 20)")
    ap.add_argument("--generations", type=int, default=None, help="override the generation budget")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a task or strategy setting, e.g. --set rate=0.2 (repeatable)")
    ap.add_argument("--out", default=None,
                    help="result file name (default: tasks_<task>.json; with --task all, one file per task)")
    args = ap.parse_args(argv)

    settings = parse_settings(args.set)
    if args.generations is not None:
        settings["generations"] = args.generations
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    tasks = TASKS if args.task == "all" else (args.task,)
    if args.out and len(tasks) > 1:
        ap.error("--out names one file: give it with a single --task")

    RESULTS.mkdir(parents=True, exist_ok=True)
    for task in tasks:
        report = {"task": task, "machine": machine()} | bench_task(task, seeds, dict(settings))
        out = RESULTS / (args.out or f"tasks_{task}.json")
        out.write_text(json.dumps(report, indent=1) + "\n")
        print(f"wrote {out}", flush=True)


if __name__ == "__main__":
    main()
