"""Multi-seed racing suite: how reliably does a strategy train a driver that generalizes?

For each strategy and seed it runs the racing task (``neuroevo.run("race", ...)``, what ``neuroevo race`` runs)
and records whether the best genome completes the training track, how many of the final best
20 complete the unseen 4000-step test track, the generation of first completion and the
wall time. Results go to ``benchmarks/results/race_<name>.json``.

    python benchmarks/suites/race_seeds.py --preset seed         # the reference post's settings
    python benchmarks/suites/race_seeds.py --preset defaults     # `neuroevo race` defaults
    python benchmarks/suites/race_seeds.py --preset strategies   # every registered strategy
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import neuroevo
from neuroevo.bench.common import machine, parse_settings
from neuroevo.strategies import STRATEGIES
from tracks.tasks import POST_SETTINGS, RACE_STRATEGY_DEFAULTS

RESULTS = Path(__file__).resolve().parents[1] / "results"



def run_one(strategy: str, seed: int, race: dict, settings: dict) -> dict:
    result = neuroevo.run("race", write=False, strategy=strategy, seed=seed, progress=False, **race, **settings)
    return result.summary


def summarize(rows: list[dict]) -> dict:
    train = np.array([r["train_completed"] for r in rows])
    test = np.array([r["test_completed"] for r in rows])
    both = train & (test == np.array([r["top"] for r in rows]))
    done_at = [r["completed_at"] for r in rows if r["completed_at"] is not None]
    return {
        "runs": len(rows),
        "train_completed": int(train.sum()),
        "test_top_completed_median": float(np.median(test)),
        "test_top_completed_min": int(test.min()),
        "train_and_all_top_test": int(both.sum()),
        "best_completes_both": int(sum(r["train_completed"] and r["best_test_completed"] for r in rows)),
        "completed_at_median": float(np.median(done_at)) if done_at else None,
        "completed_s_median": (float(np.median([r["completed_s"] for r in rows if r["completed_s"] is not None]))
                               if done_at else None),
        "completed_evals_median": (float(np.median([r["completed_evals"] for r in rows
                                                    if r["completed_evals"] is not None])) if done_at else None),
        "best_test_fraction": float(np.mean([r["best_test_completed"] for r in rows])),
        "wall_time_median_s": float(np.median([r["wall_time_s"] for r in rows])),
        "generations_median": float(np.median([r["generations"] for r in rows])),
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", choices=["seed", "defaults", "strategies"], required=True)
    ap.add_argument("--seeds", type=int, default=20, help="number of seeds")
    ap.add_argument("--first-seed", type=int, default=0, help="seeds run from here (held-out checks: 20)")
    ap.add_argument("--strategies", default=",".join(sorted(STRATEGIES)),
                    help="comma-separated strategy names (preset strategies)")
    ap.add_argument("--generations", type=int, default=None, help="override the generation budget")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a strategy setting, e.g. --set rate=0.2 (repeatable)")
    ap.add_argument("--out", default=None, help="result file name (default: race_<preset>.json)")
    args = ap.parse_args(argv)

    overrides = parse_settings(args.set)

    plans = []      # (label, strategy, race settings, strategy settings)
    if args.preset == "seed":
        race = {"generations": 120, "extra_generations": -1, "robust_samples": 0}   # plain ranking, as the post
        plans.append(("rank_ga", "rank_ga", race, POST_SETTINGS | overrides))
    elif args.preset == "defaults":
        plans.append(("rank_ga", "rank_ga", {}, RACE_STRATEGY_DEFAULTS["rank_ga"] | overrides))
    else:
        # every strategy under the protocol of `neuroevo race` (its generation budget included),
        # and the post's GA as the baseline
        plans.append(("rank_ga_post", "rank_ga", {}, POST_SETTINGS))
        for name in args.strategies.split(","):
            plans.append((name, name, {}, RACE_STRATEGY_DEFAULTS.get(name, {}) | overrides))
    if args.generations is not None:
        for plan in plans:
            plan[2]["generations"] = args.generations

    report = {"preset": args.preset, "machine": machine(),
              "started": time.strftime("%Y-%m-%d %H:%M:%S"), "results": {}}
    run_one(plans[0][1], 0, plans[0][2] | {"generations": 1}, plans[0][3])      # warm up the JIT
    for label, name, race, settings in plans:
        rows = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            rows.append(run_one(name, seed, race, settings))
            r = rows[-1]
            print(f"{label:12s} seed {seed:2d}: train {r['best_train_score']:4d}/{r['train_max']} "
                  f"best-on-test {r['best_test_score']:4d}/{r['test_max']} "
                  f"top-{r['top']} {r['test_completed']:2d} at gen {r['completed_at']} "
                  f"({r['generations']} gens, {r['wall_time_s']:.2f} s)", flush=True)
        summary = summarize(rows)
        report["results"][label] = {"strategy": name, "race": race,
                                    "settings": settings, "summary": summary, "runs": rows}
        print(label, json.dumps(summary), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / (args.out or f"race_{args.preset}.json")
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
