"""Distributed scoring: what a generation costs on a 2-worker Dask LocalCluster against this process.

Everything goes through the evaluators the run engine uses (``LocalEvaluator`` and
``DaskEvaluator``), on genomes of a ``[7, 8, 4, 1]`` network (105 parameters):

- **Overhead per generation** at P = 100, 1,000 and 10,000 for a fitness that costs almost nothing
  (minus the squared norm): the Dask time minus the local time, with the default blocks (a
  quarter of the population) and with 2 blocks. Medians over repeats, local and Dask timed in
  turn.
- **Break-even per-genome cost**: the cost ``c`` at which a generation takes as long on the
  cluster as here, ``P c = overhead + P c / S``, so ``c = overhead / (P (1 - 1/S))``, with ``S``
  the speed-up the cluster reaches at 10 ms per genome with the same blocks (2 at best on 2 workers).
- **Speed-up** for a CPU-bound simulator (a busy loop on the thread's CPU clock, not a sleep)
  costing 1 ms and 10 ms per genome: local seconds over Dask seconds for the same generation.

Each row records the share of the machine's CPU that other processes used while it was timed
("others": machine busy time minus this process and its workers); the machine has 2 cores, so
any other load takes from the workers and the speed-up. Run it when the machine is quiet.

Usage:
    nice -n 10 python benchmarks/bench_distributed.py          # writes benchmarks/results/distributed.json
    python benchmarks/bench_distributed.py --quick             # fewer repeats
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from neuroevo import GenerationKey, NetworkSpec, Simulator
from neuroevo.bench.common import machine
from neuroevo.evaluators import LocalEvaluator
from neuroevo.evaluators.dask import DaskEvaluator

RESULTS = Path(__file__).resolve().parent / "results" / "distributed.json"
SPEC = NetworkSpec([7, 8, 4, 1])
WORKERS = 2


class Cheap(Simulator):
    """Almost free: minus the squared norm of each genome."""

    def _evaluate(self, genomes, spec, rng):
        return -np.einsum("pd,pd->p", genomes, genomes)


class Busy(Simulator):
    """Burns ``cost`` seconds of CPU (this thread's clock) per genome, then returns the norm."""

    def __init__(self, cost: float):
        self.cost = cost

    def _evaluate(self, genomes, spec, rng):
        out = np.empty(genomes.shape[0])
        for i in range(genomes.shape[0]):
            end = time.thread_time() + self.cost
            x = 0.0
            while time.thread_time() < end:
                x += 1.0
            out[i] = -float(genomes[i] @ genomes[i])
        return out


def cpu_snapshot(client) -> tuple[float, float, float]:
    """(wall s, machine busy s, CPU s of this process and the workers)."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    hz = os.sysconf("SC_CLK_TCK")
    busy = (sum(ticks) - ticks[3] - ticks[4]) / hz
    mine = sum(os.times()[:2]) + sum(client.run(lambda: sum(os.times()[:2])).values())
    return time.perf_counter(), busy, mine


def others_share(before, after) -> float:
    wall = after[0] - before[0]
    return round(max(0.0, ((after[1] - before[1]) - (after[2] - before[2])) / (wall * (os.cpu_count() or 1))), 3)


def timed(evaluator, sim, genomes, key) -> float:
    t0 = time.perf_counter()
    evaluator.evaluate(sim, genomes, SPEC, key)
    return time.perf_counter() - t0


def compare(local, dask, sim, P, repeats, seed=0) -> tuple[float, float, np.ndarray]:
    """Median seconds per generation here and on the cluster, timed in turn; checks equal fitness."""
    genomes = np.random.default_rng(seed).normal(size=(P, SPEC.num_params))
    key = GenerationKey(seed)
    a = local.evaluate(sim, genomes, SPEC, key).fitness
    b = dask.evaluate(sim, genomes, SPEC, key).fitness        # warm: ships the simulator
    if not np.array_equal(a, b):
        raise AssertionError("the cluster's fitness differs from this process's")
    here, there = [], []
    for _ in range(repeats):
        here.append(timed(local, sim, genomes, key))
        there.append(timed(dask, sim, genomes, key))
    return statistics.median(here), statistics.median(there), b


def markdown(result: dict) -> str:
    """The README's tables: overhead and break-even per population, speed-up per genome cost."""
    lines = ["| P | blocks | local | 2 workers | overhead per generation | break-even per genome (measured S) | "
             "(S = 2) |", "|---:|---|---:|---:|---:|---:|---:|"]
    for r in result["overhead"]:
        even = "none (no speed-up)" if r["breakeven_us_per_genome"] is None else f"{r['breakeven_us_per_genome']:,} µs"
        lines.append(f"| {r['population']:,} | {r['num_blocks']} of {r['block_size']:,} | {r['local_ms']:.2f} ms | "
                     f"{r['dask_ms']:.1f} ms | {r['overhead_ms']:.1f} ms | {even} | "
                     f"{r['breakeven_us_per_genome_ideal']:,} µs |")
    lines += ["", "| cost per genome | P | blocks | local | 2 workers | speed-up | others |",
              "|---:|---:|---|---:|---:|---:|---:|"]
    for r in result["speedup"]:
        lines.append(f"| {r['cost_per_genome_s'] * 1e3:g} ms | {r['population']} | {r['num_blocks']} | "
                     f"{r['local_s']:.3f} s | {r['dask_s']:.3f} s | {r['speedup']:.2f}x | {r['others']:.2f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--table", type=Path, default=None, help="print the tables of a results file, run nothing")
    args = parser.parse_args(argv)
    if args.table is not None:
        print(markdown(json.loads(args.table.read_text())))
        return 0
    repeats = 5 if args.quick else 15
    load_start = os.getloadavg()
    local = LocalEvaluator()
    t0 = time.perf_counter()
    dask = DaskEvaluator(workers=WORKERS).connect()
    startup = time.perf_counter() - t0
    client = dask.client
    rows, speed = [], []
    try:
        print(f"LocalCluster of {WORKERS} workers started in {startup:.2f} s; load average {load_start}")
        settings = (("default", lambda P: None), ("2 blocks", lambda P: -(-P // 2)))
        # expensive genomes first: their speed-up S enters the break-even cost
        S = {}
        for cost, P in ((0.001, 400), (0.010, 100)):
            for label, size in settings:
                dask.block_size = size(P)
                snap = cpu_snapshot(client)
                here, there, _ = compare(local, dask, Busy(cost), P, 2 if args.quick else 5)
                s = here / there
                S[label] = s
                speed.append({"cost_per_genome_s": cost, "population": P, "blocks": label,
                              "num_blocks": len(dask.block_starts(P)), "local_s": round(here, 4),
                              "dask_s": round(there, 4), "speedup": round(s, 3),
                              "ideal_s": round(P * cost / WORKERS, 4), "efficiency": round(s / WORKERS, 3),
                              "others": others_share(snap, cpu_snapshot(client))})
                print(f"busy {cost * 1e3:4.0f} ms/genome  P={P:5d}  {label:9s} local {here:7.3f} s  dask "
                      f"{there:7.3f} s  speed-up {s:5.2f}x  others {speed[-1]['others']}")
        for P in (100, 1_000, 10_000):
            for label, size in settings:
                dask.block_size = size(P)
                snap = cpu_snapshot(client)
                here, there, _ = compare(local, dask, Cheap(), P, repeats)
                overhead = there - here
                breakeven = overhead / (P * (1 - 1 / S[label])) if S[label] > 1 else None
                starts = dask.block_starts(P)
                rows.append({"population": P, "blocks": label, "num_blocks": len(starts),
                             "block_size": starts[1] if len(starts) > 1 else P,
                             "local_ms": round(here * 1e3, 3), "dask_ms": round(there * 1e3, 2),
                             "overhead_ms": round(overhead * 1e3, 2), "speedup_10ms": round(S[label], 3),
                             "breakeven_us_per_genome": None if breakeven is None else round(breakeven * 1e6, 1),
                             "breakeven_us_per_genome_ideal": round(overhead / (P * 0.5) * 1e6, 1),
                             "others": others_share(snap, cpu_snapshot(client))})
                r = rows[-1]
                print(f"cheap P={P:6d} {label:9s} local {r['local_ms']:8.3f} ms  dask {r['dask_ms']:8.2f} ms  "
                      f"overhead {r['overhead_ms']:7.2f} ms  break-even {r['breakeven_us_per_genome']} us/genome "
                      f"(ideal 2x: {r['breakeven_us_per_genome_ideal']})  others {r['others']}")
        dask.block_size = None
    finally:
        dask.close()
    result = {"benchmark": "distributed", "workers": WORKERS, "network": list(SPEC.sizes),
              "num_params": SPEC.num_params, "cluster_start_s": round(startup, 3), "repeats": repeats,
              "machine": machine(), "load_average_start": load_start, "load_average_end": os.getloadavg(),
              "speedup_used_for_breakeven": {k: round(v, 3) for k, v in S.items()}, "overhead": rows, "speedup": speed,
              "command": "nice -n 10 python benchmarks/bench_distributed.py" + (" --quick" if args.quick else "")}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
