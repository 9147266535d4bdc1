"""Feasibility of every held-out suite level: the force an omniscient driver needs on each track.

For each held-out suite and level, solves :func:`tracks.feasibility.min_peak_force` (a linear
program over the car's update) for the level's candidate tracks in order, until the level has
its 40 tracks that need at most ``FEASIBLE_FORCE``; the candidates that need more are the ones
``tracks.suites.EXCLUDED`` leaves out. Writes ``benchmarks/results/suite_feasibility.json``
(per level: the largest and median force needed by the kept tracks, the excluded candidates)
and prints the ``EXCLUDED`` table.

    python benchmarks/suites/feasibility.py            # every held-out suite (about 20 min on one core)
    python benchmarks/suites/feasibility.py --suite twisty
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from neuroevo.bench.common import machine
from tracks.feasibility import FEASIBLE_FORCE, FORCE_LIMIT, min_peak_force
from tracks.suites import HELD_OUT, candidate, suite_def

RESULTS = Path(__file__).resolve().parents[1] / "results"


def level_feasibility(name: str, level: float) -> dict:
    d = suite_def(name)
    kept, excluded, index = [], [], 0
    t0 = time.perf_counter()
    while len(kept) < d.tracks_per_level:
        force = min_peak_force(candidate(d, level, index))
        (kept if force <= FEASIBLE_FORCE else excluded).append((index, force))
        index += 1
    forces = np.array([f for _, f in kept])
    return {"suite": name, "version": d.version, "level": level, "tracks": len(kept),
            "max_force": float(forces.max()), "median_force": float(np.median(forces)),
            "max_force_over_limit": float(forces.max() / FORCE_LIMIT),
            "excluded": [i for i, _ in excluded], "excluded_forces": [f for _, f in excluded],
            "candidates": index, "seconds": round(time.perf_counter() - t0, 2)}


def _level(task: tuple[str, float]) -> dict:
    return level_feasibility(*task)


def _show(row: dict) -> None:
    print(f"{row['suite']:8s} {row['level']:4g}x  max force {row['max_force']:.3f} ({row['max_force_over_limit']:.0%} "
          f"of the limit), median {row['median_force']:.3f}, excluded {len(row['excluded'])} of "
          f"{row['candidates']} candidates, {row['seconds']:.0f} s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", nargs="*", default=list(HELD_OUT))
    ap.add_argument("--jobs", type=int, default=1, help="levels solved in parallel processes")
    args = ap.parse_args()
    tasks = [(name, level) for name in args.suite for level in suite_def(name).levels]
    # the longest tracks first, so that the processes finish together
    order = sorted(tasks, key=lambda t: -(t[1] if t[0] in ("long", "mixed") else 1.0))
    done = {}
    if args.jobs > 1:
        from multiprocessing import Pool
        with Pool(args.jobs) as pool:
            for row in pool.imap_unordered(_level, order):
                done[row["suite"], row["level"]] = row
                _show(row)
    else:
        for task in order:
            done[task] = _level(task)
            _show(done[task])
    rows = [done[t] for t in tasks]
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("suite_feasibility.json" if args.suite == list(HELD_OUT) else
                     f"suite_feasibility_{'_'.join(args.suite)}.json")
    out.write_text(json.dumps({"machine": machine(), "force_limit": FORCE_LIMIT, "feasible_force": FEASIBLE_FORCE,
                               "levels": rows}, indent=1) + "\n")
    table = {(r["suite"], r["version"], r["level"]): tuple(r["excluded"]) for r in rows if r["excluded"]}
    print("EXCLUDED = {")
    for key, value in table.items():
        print(f"    {key!r}: {value!r},")
    print("}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
