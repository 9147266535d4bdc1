"""Start-up and whole-process wall time of a default ``neuroevo race``, against a baseline command.

    python benchmarks/bench_startup.py --baseline /work/base5bb/.venv/bin/neuroevo     # 10 pairs
    python benchmarks/bench_startup.py --baseline OTHER/neuroevo --pairs 20 --seed 3
    python benchmarks/bench_startup.py --pairs 5                                       # no baseline

Each run is a new process, ``neuroevo race --seed S --out TEMP`` (every other setting the default),
timed from outside with ``time.perf_counter`` around ``subprocess.Popen`` and ``os.wait4`` (which
also gives the CPU time and peak memory of the process). First the cold run of each command: a
fresh, empty ``NUMBA_CACHE_DIR``, so the kernels are compiled. Then one warm-up run each, and
``--pairs`` warm pairs, the two commands alternately (which goes first alternates too), every run
into its own temporary folder and with that command's warmed cache: on a shared machine a slow
moment then hits both sides of a pair. The report gives the median, min and max wall time of each
command, the median of the pair-by-pair ratios (baseline / this checkout: above 1 is faster), the
load average before and after, and a per-phase breakdown of this checkout's run (import, parsing
the command line and loading the task, task set-up, evolution, choosing the driver and the held-out
evaluation, plots, writing the genomes and the summary; the checkpoints are inside the evolution)
from an in-process timer. Writes ``benchmarks/results/startup.json``
with the machine description.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "startup.json"

#: Run in a child process of this checkout: a default race with a timer around each phase. The
#: timers wrap the engine's steps from outside; the run itself is the CLI's, unchanged.
PHASES = r'''
import json, sys, time
t0 = time.perf_counter()
import neuroevo.cli
run = sys.modules["neuroevo.engine.run"]          # the module (neuroevo.engine.run is also the function)
t_import = time.perf_counter()
marks = {}

def timed(owner, name, key):
    inner = getattr(owner, name)
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            marks[key] = marks.get(key, 0.0) + time.perf_counter() - t
    setattr(owner, name, wrapper)

timed(run, "plan_run", "plan")
inner_plan = run.plan_run
def plan_run(*args, **kwargs):
    plan = inner_plan(*args, **kwargs)
    timed(type(plan.task), "select", "select")
    timed(type(plan.task), "held_out", "held_out")
    return plan
run.plan_run = plan_run
timed(run, "Population", "population")
timed(run._Engine, "create_folder", "folder")
timed(run._Engine, "_evolve", "evolution")
timed(run._Engine, "_plots", "plots")
timed(run._Engine, "_finish", "finish")
orig_run = neuroevo.cli._run
def cli_run(args):
    marks["parse"] = time.perf_counter() - t_import
    return orig_run(args)
neuroevo.cli._run = cli_run
import contextlib, io
sys.argv = ["neuroevo", *sys.argv[1:]]            # main() as the neuroevo script calls it
with contextlib.redirect_stdout(io.StringIO()):
    code = neuroevo.cli.main()
t_end = time.perf_counter()
print(json.dumps({
    "import": t_import - t0,
    "parse_and_load_task": marks["parse"],
    "task_setup": marks["plan"] + marks["population"] + marks["folder"],
    "evolution": marks["evolution"],
    "select": marks["select"],
    "held_out": marks["held_out"],
    "plots": marks["plots"],
    "writing": marks["finish"] - marks["plots"] - marks["select"] - marks["held_out"],
    "total_in_process": t_end - t0,
    "exit_code": code,
}))
'''


def timed_run(cmd: list[str], env: dict[str, str], out: Path) -> dict:
    """Run ``cmd`` once: wall time, CPU time (user + system) and peak memory of the process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd + ["--out", str(out)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"bench_startup: {' '.join(cmd)} failed with exit code {proc.returncode}:\n"
                         f"{stderr.decode(errors='replace')[-2000:]}")
    return {"wall_s": round(wall, 4), "cpu_s": round(usage.ru_utime + usage.ru_stime, 4),
            "max_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def summary(runs: list[dict]) -> dict:
    walls, cpus = [r["wall_s"] for r in runs], [r["cpu_s"] for r in runs]
    return {"median_s": round(statistics.median(walls), 4), "min_s": min(walls), "max_s": max(walls),
            "cpu_median_s": round(statistics.median(cpus), 4), "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default=None,
                        help="the baseline's neuroevo command, such as /work/base5bb/.venv/bin/neuroevo")
    parser.add_argument("--pairs", type=int, default=10, help="warm runs of each command, alternately (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="the race's --seed (default 0)")
    parser.add_argument("--phases", type=int, default=3, help="in-process phase timings of this checkout (median)")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold runs (compiling the kernels)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"result file (default {RESULTS})")
    args = parser.parse_args()
    if args.pairs < 1:
        raise SystemExit(f"bench_startup: --pairs must be >= 1; got {args.pairs}")

    script = Path(sys.executable).with_name("neuroevo")
    ours = [str(script)] if script.is_file() else [sys.executable, "-c", "from neuroevo.cli import main; "
                                                   "raise SystemExit(main())"]
    commands = {"this checkout": ours}
    if args.baseline is not None:
        baseline = shutil.which(args.baseline)
        if baseline is None:
            raise SystemExit(f"bench_startup: no baseline command {args.baseline!r}; give the path of another "
                             f"checkout's neuroevo script, such as /work/base5bb/.venv/bin/neuroevo")
        commands["baseline"] = [baseline]
    race = ["race", "--seed", str(args.seed)]

    from neuroevo.bench.common import machine, machine_line

    load_before = list(os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="bench_startup_") as tmp:
        tmp = Path(tmp)
        counter = iter(range(10**6))

        def run(name: str) -> dict:
            env = os.environ | {"NUMBA_CACHE_DIR": str(tmp / f"numba_{list(commands).index(name)}")}
            return timed_run(commands[name] + race, env, tmp / f"run_{next(counter)}")

        cold = {}
        for name in commands:
            if not args.no_cold:
                cold[name] = run(name)                        # empty cache: the kernels are compiled
                print(f"cold   {name:14s} {cold[name]['wall_s']:6.2f} s", file=sys.stderr)
            run(name)                                         # warm-up (fills the cache under --no-cold)
        warm = {name: [] for name in commands}
        ratios = []
        for i in range(args.pairs):
            order = list(commands) if i % 2 == 0 else list(commands)[::-1]
            pair = {name: run(name) for name in order}
            for name, r in pair.items():
                warm[name].append(r)
            if "baseline" in pair:
                ratios.append(pair["baseline"]["wall_s"] / pair["this checkout"]["wall_s"])
            print(f"pair {i + 1:2d}  " + "  ".join(f"{n} {r['wall_s']:.2f} s" for n, r in pair.items()),
                  file=sys.stderr)

        phases = []
        env = os.environ | {"NUMBA_CACHE_DIR": str(tmp / "numba_0")}
        for i in range(args.phases):
            out = subprocess.run([sys.executable, "-c", PHASES, *race, "--out", str(tmp / f"phases_{i}")],
                                 env=env, capture_output=True, text=True)
            if out.returncode != 0:
                raise SystemExit(f"bench_startup: the phase timing run failed:\n{out.stderr[-2000:]}")
            phases.append(json.loads(out.stdout.strip().splitlines()[-1]))
    load_after = list(os.getloadavg())

    result = {"command": "neuroevo " + " ".join(race), "commands": {k: " ".join(v) for k, v in commands.items()},
              "pairs": args.pairs, "load_average_before": load_before, "load_average_after": load_after,
              "warm": {name: summary(runs) for name, runs in warm.items()},
              "cold": cold,
              "phases_s": {k: round(statistics.median(p[k] for p in phases), 4) for k in phases[0]} if phases else {},
              "machine": machine()}
    if ratios:
        result["ratio_median"] = round(statistics.median(ratios), 3)
        result["ratios"] = [round(r, 3) for r in ratios]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")

    print(f"{result['command']}: {args.pairs} warm runs of each, alternately; load average "
          f"{load_before[0]:.2f} before, {load_after[0]:.2f} after")
    for name, s in result["warm"].items():
        c = f", cold {cold[name]['wall_s']:.2f} s" if name in cold else ""
        print(f"  {name:14s} median {s['median_s']:.3f} s (min {s['min_s']:.3f}, max {s['max_s']:.3f}; "
              f"CPU {s['cpu_median_s']:.3f} s){c}   {result['commands'][name]}")
    if ratios:
        print(f"  baseline / this checkout, median of the pairs: {result['ratio_median']:.2f}x")
    if phases:
        print("  phases of this checkout (median of " + str(len(phases)) + "): " + ", ".join(
            f"{k} {v:.3f} s" for k, v in result["phases_s"].items() if k != "exit_code"))
    print(f"  machine: {machine_line(result['machine'])}")
    print(f"  wrote {args.out}")


if __name__ == "__main__":
    main()
