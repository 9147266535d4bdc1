"""The batched forward pass: the numba path (blocked matrix products) against the einsum reference
and against ``np.matmul`` (BLAS) timing the layers' matrix products alone, same run.

Shapes (:data:`neuroevo.bench.throughput.FORWARD_SHAPES`): the wide networks ``[7, 64, 64, 1]``
(P = 1000) and ``[64, 256, 256, 8]`` (P = 100) at B = 64 cases per genome, and the sizes the tasks
use (XOR, sin, the racing network, Gym policies, single-case calls). Each shape runs on 1 thread
and on every usable core, BLAS limited to the same count. GFLOP/s = ``2 * sum(n_in * n_out) * P *
B / seconds``; "share of matmul" is the numba path's GFLOP/s over matmul's; outputs must agree
with einsum within :func:`neuroevo.network.forward.forward_error_bound`.

The targets it checks: at least half of matmul's GFLOP/s for the two wide networks, and never
slower than einsum at any shape.

Usage::

    nice -n 10 python benchmarks/bench_forward.py            # writes benchmarks/results/forward.json
    python benchmarks/bench_forward.py --quick               # a tenth of the wide populations, 3 repeats
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from neuroevo.bench.common import machine, machine_line
from neuroevo.bench.throughput import forward_figures, forward_table

RESULTS = Path(__file__).resolve().parent / "results" / "forward.json"
WIDE = ("hidden 64", "hidden 256")


def targets(rows: list[dict]) -> dict:
    """Which rows miss a target: share of matmul < 0.5 on the wide networks, slower than einsum anywhere."""
    below_half = [(r["shape"], r["threads"], round(r["share_of_matmul"], 2)) for r in rows
                  if r["shape"] in WIDE and r["share_of_matmul"] < 0.5]
    slower = [(r["shape"], r["threads"], round(r["speedup_over_einsum"], 2)) for r in rows
              if r["speedup_over_einsum"] < 1.0]
    return {"wide_networks_at_least_half_of_matmul": not below_half, "below_half": below_half,
            "never_slower_than_einsum": not slower, "slower_than_einsum": slower,
            "all_agree_within_bound": all(r["agree_within_bound"] for r in rows)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the wide populations, 3 repeats")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON results")
    args = parser.parse_args(argv)
    m = machine()
    rows = forward_figures(args.quick)
    result = {"machine": m, "quick": args.quick, "rows": rows, "targets": targets(rows)}
    print(machine_line(m))
    print(forward_table(rows).markdown())
    print(json.dumps(result["targets"], indent=1))
    if not args.quick or args.out != RESULTS:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
