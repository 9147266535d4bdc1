"""Suite ``throughput``: the fast paths against their references, timed in the same run.

1. The batched forward pass: ``neuroevo.forward(..., backend="numba")`` against the NumPy einsum
   reference on the racing network ``[7, 8, 4, 1]``, for several populations and batch sizes;
   outputs are checked to agree (to 1e-12) before anything is timed.
2. The racing rollout (:mod:`tracks.bench`, named here as a string: neuroevo never imports
   tracks): the fused Numba kernel against the kernel of commit 5bbc16a, a JAX peer (jit + vmap +
   scan, when ``jax`` is installed), the step-by-step NumPy loop of the reference post, and the
   machine's limit for the network's arithmetic, on 1 and 2 threads.

Each figure is the best of a few repeats after a warm-up call (the JIT compiled first).
"""

from __future__ import annotations

import importlib

import numpy as np

from neuroevo.bench.common import SuiteResult, Table, best_time

NAME = "throughput"
DESCRIPTION = "the fused racing rollout and the batched forward pass against their references"
RACING = "tracks.bench"
LAYERS = [7, 8, 4, 1]


def forward_figures(quick: bool) -> list[dict]:
    from neuroevo import NetworkSpec, forward

    spec = NetworkSpec(LAYERS)
    rng = np.random.default_rng(0)
    cases = [(50, 64), (1000, 64)] if quick else [(50, 64), (1000, 64), (10000, 16), (1000, 1024)]
    rows = []
    for P, B in cases:
        genomes = rng.uniform(-1, 1, (P, spec.num_params))
        x = rng.uniform(-1, 1, (P, B, spec.num_inputs))
        ref, fast = forward(genomes, spec, x), forward(genomes, spec, x, backend="numba")   # also warms up
        agree = bool(np.allclose(ref, fast, rtol=0, atol=1e-12))
        reps = 3 if quick else 7
        t_np = best_time(reps, forward, genomes, spec, x)
        t_nb = best_time(reps, forward, genomes, spec, x, "numba")
        rows.append({"P": P, "B": B, "numpy_s": t_np, "numba_s": t_nb, "ratio": t_np / t_nb,
                     "numba_forward_passes_per_s": P * B / t_nb, "agree": agree})
    return rows


def _racing(quick: bool):
    """(figures, tables) of the racing benchmark, or None when tracks is not installed."""
    try:
        bench = importlib.import_module(RACING)
    except ImportError:
        return None
    figures = bench.measure((50, 1000) if quick else bench.POPULATIONS, quick=quick, extras=not quick,
                            echo=lambda *a, **k: None)
    return figures, bench.racing_tables(figures)


def run(quick: bool, folder) -> SuiteResult:
    result = SuiteResult()
    rows = forward_figures(quick)
    result.figures["forward"] = {"layers": LAYERS, "rows": rows}
    t = Table(f"Batched forward pass {LAYERS}: Numba kernel against the NumPy einsum reference",
              ["P", "B (cases per genome)", "NumPy s", "Numba s", "ratio (NumPy / Numba)", "outputs agree"])
    t.rows = [[r["P"], r["B"], r["numpy_s"], r["numba_s"], round(r["ratio"], 1), r["agree"]] for r in rows]
    result.tables.append(t)
    racing = _racing(quick)
    if racing is None:
        result.notes.append(f"racing rollout skipped: {RACING} is not importable (tracks is not installed)")
    else:
        result.figures["racing"], tables = racing
        for title, columns, rows in tables:
            t = Table(title, columns)
            t.rows = rows
            result.tables.append(t)
        if result.figures["racing"]["jax"] is None:
            result.notes.append('JAX peer of the racing rollout skipped: jax is not installed '
                                '(pip install "neuroevo[bench]")')
    return result
