"""Multi-seed suite of ``neuroevo run gym:ENV_ID`` with the task's defaults.

For each seed it runs the env's task through the public API (``neuroevo.run("gym:ENV_ID",
write=False, ...)``, what the CLI runs) and records the summary: the held-out mean return over
100 unseen episodes of the real gymnasium env, generations, env steps and wall time. Counted:
runs whose held-out mean return reaches the env's solved threshold (CartPole-v1 475,
Pendulum-v1 -200, LunarLander-v3 200). Results go to ``benchmarks/results/gym_<env>.json``
with a description of the machine.

    python benchmarks/suites/gym_seeds.py --env CartPole-v1 --seeds 10
    nice -n 10 python benchmarks/suites/gym_seeds.py --env LunarLander-v3 --first-seed 3 --seeds 1 --out ll_3.json
    python benchmarks/suites/gym_seeds.py --env LunarLander-v3 --seeds 0 --merge ll_0.json ll_1.json ...

``--merge`` adds the runs of earlier result files (one seed each, say, run one at a time) to
the summary, so a long suite can be run in pieces.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import neuroevo
from neuroevo.bench.common import machine, parse_settings
from neuroevo.tasks.gym import gym_task

RESULTS = Path(__file__).resolve().parents[1] / "results"


def run_one(env_id: str, seed: int, settings: dict) -> dict:
    result = neuroevo.run(f"gym:{env_id}", write=False, progress=False, seed=seed, **settings)
    return {k: v for k, v in result.summary.items() if k != "held_out_returns"}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--env", required=True, help="Gymnasium env id, such as CartPole-v1")
    ap.add_argument("--seeds", type=int, default=10, help="number of seeds")
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a run, task or strategy setting, e.g. --set episodes=3 (repeatable)")
    ap.add_argument("--out", default=None, help="result file name (default: gym_<env>.json)")
    ap.add_argument("--merge", nargs="*", default=[], metavar="FILE",
                    help="result files (under benchmarks/results/) whose runs join this summary")
    args = ap.parse_args(argv)
    settings = parse_settings(args.set)
    solved = gym_task(args.env).solved
    rows = []
    for name in args.merge:
        earlier = json.loads((RESULTS / name).read_text())
        if earlier["env"] != args.env or earlier["settings"] != settings:
            ap.error(f"{name} holds runs of {earlier['env']} with settings {earlier['settings']}, not of "
                     f"{args.env} with {settings}")
        rows += earlier["runs"]
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        row = run_one(args.env, seed, settings)
        rows.append(row)
        print(f"{args.env} seed {seed:2d}: {row['generations']:4d} gens {row['env_steps']:>11,} env steps  held-out "
              f"{row['held_out_mean_return']:8.1f} +- {row['held_out_std']:6.1f}  ({row['wall_time_s']:.1f} s)",
              flush=True)
    if len({r["seed"] for r in rows}) != len(rows):
        ap.error(f"seeds appear twice: {sorted(r['seed'] for r in rows)}")
    rows.sort(key=lambda r: r["seed"])
    held = np.array([r["held_out_mean_return"] for r in rows])
    summary = {"runs": len(rows), "solved_threshold": solved,
               "solved": None if solved is None else int(np.sum(held >= solved)),
               "failed_seeds": [] if solved is None else
               [r["seed"] for r in rows if r["held_out_mean_return"] < solved],
               "held_out_mean_return_median": float(np.median(held)), "held_out_mean_return_min": float(held.min()),
               "generations_median": float(np.median([r["generations"] for r in rows])),
               "env_steps_median": float(np.median([r["env_steps"] for r in rows])),
               "wall_time_median_s": float(np.median([r["wall_time_s"] for r in rows])),
               "wall_time_max_s": float(max(r["wall_time_s"] for r in rows))}
    print(args.env, json.dumps(summary), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / (args.out or f"gym_{args.env}.json")
    out.write_text(json.dumps({"env": args.env, "machine": machine(), "settings": settings,
                               "seeds": [r["seed"] for r in rows],
                               "summary": summary, "runs": rows}, indent=1) + "\n")
    print(f"wrote {out}", flush=True)


if __name__ == "__main__":
    main()
