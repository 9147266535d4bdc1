"""Generalization to held-out suites: the `suite` recipe against default `neuroevo race` drivers, in one run.

Runs ``neuroevo run suite`` (its defaults: the recipe) for ``--seeds`` seeds and default
``neuroevo race`` for ``--baseline-seeds`` seeds, each as the CLI runs it (a run folder in a
scratch directory), then scores each run's driver on every level of every held-out suite.
Writes ``benchmarks/results/generalization.json`` (per run: wall time, rollouts, per suite and
level the fraction of tracks completed; per suite and level: the median over seeds and how many
seeds complete at least 95%) and ``docs/generalization.png``.

    python benchmarks/suites/generalization.py                       # 10 recipe seeds, 20 race seeds
    python benchmarks/suites/generalization.py --variants            # what did not work, 3 seeds each
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

import neuroevo as ne
from neuroevo.bench.common import machine
from tracks.evaluation import evaluate_suites, parse_suites
from tracks.suites import HELD_OUT, LEVELS

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
TARGET, EASY = 0.95, (1.0, 1.25, 1.5)

#: Variants of the recipe that were measured against it (``--variants``): task settings.
VARIANTS = {
    "recipe": {},
    "one set of knobs (spread 1)": {"spread": 1.0},
    "fixed training tracks (never fresh)": {"fresh_every": 10**9},
    "4 training tracks": {"tracks": 4},
    "curriculum from spread 1": {"spread_start": 1.0},
}


def table_of(parts: dict) -> dict[str, list[float]]:
    return {name: [r["completed"] for r in part["levels"]] for name, part in parts.items()}


def one_run(task: str, seed: int, out: Path, **settings) -> dict:
    t0 = time.perf_counter()
    r = ne.run(task, seed=seed, out=str(out), progress=False, plots=False, **settings)
    wall = time.perf_counter() - t0
    s = r.summary
    if task == "suite" and "held_out" in s and set(s["held_out"]) == set(HELD_OUT):
        parts = s["held_out"]
    else:
        parts = evaluate_suites(r.selection.best[None], r.population.network, parse_suites(["all"], "bench"),
                                r.plan.task.sensors)
    return {"task": task, "seed": seed, "settings": settings, "wall_time_s": round(wall, 2),
            "evolution_s": s["evolution_s"], "generations": s["generations"], "evaluations": s["evaluations"],
            "selection_rollouts": s.get("selection_rollouts"), "completed": table_of(parts),
            "network": r.population.network.to_dict(), "sensors": list(r.plan.task.sensors),
            "driver": r.selection.best.tolist()}


def rescore(row: dict) -> dict:
    """The run's stored driver scored again on the suites as they are now (no training)."""
    genome = np.array(row["driver"])[None]
    parts = evaluate_suites(genome, ne.NetworkSpec.from_dict(row["network"]), parse_suites(["all"], "bench"),
                            tuple(row["sensors"]))
    return row | {"completed": table_of(parts)}


def summarize(rows: list[dict]) -> dict:
    out = {}
    for name in HELD_OUT:
        per_seed = np.array([r["completed"][name] for r in rows])          # (seeds, levels)
        out[name] = {"median": np.median(per_seed, axis=0).tolist(), "min": per_seed.min(axis=0).tolist(),
                     "seeds_at_target": (per_seed >= TARGET).sum(axis=0).tolist()}
    easy = [i for i, lv in enumerate(LEVELS) if lv in EASY]
    passing = [all(min(r["completed"][n][i] for i in easy) >= TARGET for n in HELD_OUT) for r in rows]
    return {"suites": out, "seeds": len(rows), "seeds_passing_easy_levels": int(sum(passing)),
            "wall_time_s_median": float(np.median([r["wall_time_s"] for r in rows])),
            "wall_time_s_max": float(max(r["wall_time_s"] for r in rows)),
            "evaluations_median": float(np.median([r["evaluations"] for r in rows]))}


def print_table(title: str, summary: dict) -> None:
    print(f"\n{title}: {summary['seeds_passing_easy_levels']} of {summary['seeds']} seeds complete >= 95% of every "
          f"suite at 1x, 1.25x and 1.5x; wall time median {summary['wall_time_s_median']:.1f} s "
          f"(max {summary['wall_time_s_max']:.1f} s), rollouts median {summary['evaluations_median']:,.0f}")
    print(f"  {'suite':9s}" + "".join(f"{lv:>12g}x" for lv in LEVELS))
    for name, s in summary["suites"].items():
        cells = "".join(f"{m:>8.0%} {k:>2d}/{summary['seeds']:<2d}" for m, k in zip(s["median"], s["seeds_at_target"]))
        print(f"  {name:9s}{cells}")


def plot(summaries: dict[str, dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(summaries), figsize=(6 * len(summaries), 4.2), sharey=True)
    for ax, (title, summary) in zip(np.atleast_1d(axes), summaries.items()):
        for name, s in summary["suites"].items():
            ax.plot(LEVELS, s["median"], marker="o", label=name)
        ax.axhline(TARGET, color="grey", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_xticks(LEVELS, [f"{x:g}x" for x in LEVELS])
        ax.minorticks_off()
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("difficulty (1x: the seed test track's knobs)")
        ax.set_title(f"{title} ({summary['seeds']} seeds)", fontsize=10)
    np.atleast_1d(axes)[0].set_ylabel("tracks completed, median over seeds")
    np.atleast_1d(axes)[0].legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10, help="seeds of the recipe")
    ap.add_argument("--baseline-seeds", type=int, default=20, help="seeds of default neuroevo race")
    ap.add_argument("--variants", action="store_true", help="measure the variants of the recipe instead")
    ap.add_argument("--variant-seeds", type=int, default=3)
    ap.add_argument("--rescore", action="store_true",
                    help="score the drivers stored in the results again on the suites as they are now (no training)")
    args = ap.parse_args()
    if args.rescore:
        for name in ("generalization.json", "generalization_variants.json"):
            path = RESULTS / name
            if not path.is_file():
                continue
            data = json.loads(path.read_text())
            if "variants" in data:
                for v in data["variants"].values():
                    v["runs"] = [rescore(r) for r in v["runs"]]
                    v["summary"] = summarize(v["runs"])
                    print_table(next(k for k, x in data["variants"].items() if x is v), v["summary"])
            else:
                data["recipe"] = [rescore(r) for r in data["recipe"]]
                data["baseline"] = [rescore(r) for r in data["baseline"]]
                titles = list(data["summaries"])
                data["summaries"] = {titles[0]: summarize(data["recipe"]), titles[1]: summarize(data["baseline"])}
                for title, summary in data["summaries"].items():
                    print_table(title, summary)
                plot(data["summaries"], ROOT / "docs" / "generalization.png")
            data["rescored"] = True
            path.write_text(json.dumps(data, indent=1) + "\n")
            print(f"rescored {path}")
        return
    ne.run("race", generations=2, write=False, progress=False)               # compile the kernels first
    with tempfile.TemporaryDirectory() as tmp:
        if args.variants:
            results = {}
            for label, settings in VARIANTS.items():
                rows = [one_run("suite", s, Path(tmp), **settings) for s in range(args.variant_seeds)]
                results[label] = {"settings": settings, "runs": rows, "summary": summarize(rows)}
                print_table(label, results[label]["summary"])
            out = RESULTS / "generalization_variants.json"
            out.write_text(json.dumps({"machine": machine(), "variants": results}, indent=1) + "\n")
            print(f"wrote {out}")
            return
        recipe = []
        for s in range(args.seeds):
            recipe.append(one_run("suite", s, Path(tmp)))
            print(f"suite seed {s}: {recipe[-1]['wall_time_s']:.1f} s", flush=True)
        baseline = [one_run("race", s, Path(tmp)) for s in range(args.baseline_seeds)]
    summaries = {"neuroevo run suite (the recipe)": summarize(recipe),
                 "neuroevo race (one training track)": summarize(baseline)}
    for title, summary in summaries.items():
        print_table(title, summary)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "generalization.json"
    out.write_text(json.dumps({"machine": machine(), "levels": list(LEVELS), "target": TARGET,
                               "summaries": summaries, "recipe": recipe, "baseline": baseline}, indent=1) + "\n")
    plot(summaries, ROOT / "docs" / "generalization.png")
    print(f"wrote {out} and docs/generalization.png")


if __name__ == "__main__":
    main()
