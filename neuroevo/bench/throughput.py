"""Suite ``throughput``: the fast paths against their references, timed in the same run.

1. The batched forward pass: ``neuroevo.forward(..., backend="numba")`` (blocked matrix products)
   against the NumPy einsum reference and against ``np.matmul`` (BLAS) timing the layers' matrix
   products alone, on 1 and all threads: two wide networks at B = 64 cases per genome and the
   shapes the tasks use (XOR, sin, the racing network, Gym policies, single-case calls). GFLOP/s
   = ``2 * sum(n_in * n_out) * P * B / seconds``. Outputs are checked to agree within
   :func:`neuroevo.network.forward.forward_error_bound` before anything is timed.
2. The racing rollout (:mod:`tracks.bench`, named here as a string: neuroevo never imports
   tracks): the fused Numba kernel against the kernel of commit 5bbc16a, a JAX peer (jit + vmap +
   scan, when ``jax`` is installed), the step-by-step NumPy loop of the reference post, and the
   machine's limit for the network's arithmetic, on 1 and 2 threads.

Each figure is the best of a few repeats after a warm-up call (the JIT compiled first); the
forward-pass paths are timed in turn within each repeat, so a busy machine slows them alike.
"""

from __future__ import annotations

import importlib
import os
import time

import numpy as np

from neuroevo.bench.common import SuiteResult, Table

NAME = "throughput"
DESCRIPTION = ("the batched forward pass against the einsum reference and np.matmul, and the fused racing "
               "rollout against its NumPy loop")
RACING = "tracks.bench"
#: Forward-pass shapes: what it stands for, layers, activation, P, B. The first two are the
#: matrix-product targets (a call takes ~10-100 ms); the rest are the sizes the tasks use.
FORWARD_SHAPES = [
    ("hidden 64", (7, 64, 64, 1), "sigmoid", 1000, 64),
    ("hidden 256", (64, 256, 256, 8), "tanh", 100, 64),
    ("racing network", (7, 8, 4, 1), "sigmoid", 1000, 64),
    ("racing network, P=50", (7, 8, 4, 1), "sigmoid", 50, 64),
    ("xor task", (2, 3, 1), "sigmoid", 50, 4),
    ("sin task, CMA-ES population", (1, 8, 1), ("tanh", "identity"), 13, 32),
    ("sin task", (1, 8, 1), ("tanh", "identity"), 50, 32),
    ("sin task, 64 points", (1, 8, 1), ("tanh", "identity"), 50, 64),
    ("Gym policy, 10 episodes", (4, 16, 2), "tanh", 1000, 10),
    ("Gym policy, one case", (4, 16, 2), "tanh", 1000, 1),
    ("LunarLander policy, one case", (8, 16, 4), "tanh", 96, 1),
]
#: ``--quick``: the wide networks on a tenth of the population.
QUICK_POPULATION = {"hidden 64": 100, "hidden 256": 10}


def _timed(repeats: int, calls: dict) -> dict[str, float]:
    """Best wall time of each ``name -> (fn, args)``, the calls taken in turn within each repeat."""
    best = dict.fromkeys(calls, float("inf"))
    for _ in range(repeats):
        for name, (fn, args) in calls.items():
            t0 = time.perf_counter()
            fn(*args)
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def _matmuls(hs: list[np.ndarray], Ws: list[np.ndarray], outs: list[np.ndarray]) -> None:
    for h, W, o in zip(hs, Ws, outs):
        np.matmul(h, W, out=o)


def forward_figures(quick: bool, threads: tuple[int, ...] | None = None) -> list[dict]:
    """One row per shape of :data:`FORWARD_SHAPES` and thread count: einsum, the numba path, matmul.

    ``threads`` defaults to 1 and every usable core. BLAS (the einsum and matmul) is limited to the
    same thread count with threadpoolctl.
    """
    from threadpoolctl import threadpool_limits

    from neuroevo import NetworkSpec, forward
    from neuroevo.network.forward import forward_error_bound

    if threads is None:
        threads = tuple(sorted({1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                                else (os.cpu_count() or 1)}))
    rows = []
    for what, layers, act, P, B in FORWARD_SHAPES:
        P = QUICK_POPULATION.get(what, P) if quick else P
        spec = NetworkSpec(layers, act if isinstance(act, str) else list(act))
        rng = np.random.default_rng(0)
        genomes = rng.uniform(-1, 1, (P, spec.num_params))
        x = rng.uniform(-1, 1, (P, B, spec.num_inputs))
        ref, fast = forward(genomes, spec, x), forward(genomes, spec, x, backend="numba")   # also warms up
        bound = forward_error_bound(genomes, spec, x)
        diff = np.abs(fast - ref)
        agree = bool(np.all(diff <= bound))
        worst = float(np.max(np.where(bound > 0, diff / np.where(bound > 0, bound, 1.0), 0.0)))
        Ws = [np.ascontiguousarray(genomes[:, layer.w].reshape(P, layer.n_in, layer.n_out)) for layer in spec.layers]
        hs = [rng.uniform(-1, 1, (P, B, layer.n_in)) for layer in spec.layers]
        outs = [np.empty((P, B, layer.n_out)) for layer in spec.layers]
        flops = 2 * P * B * sum(layer.n_in * layer.n_out for layer in spec.layers)
        for t in threads:
            with threadpool_limits(t):
                forward(genomes, spec, x, "numba", t)
                best = _timed(3 if quick else 7, {"einsum": (forward, (genomes, spec, x)),
                                                  "numba": (forward, (genomes, spec, x, "numba", t)),
                                                  "matmul": (_matmuls, (hs, Ws, outs))})
            rows.append({"shape": what, "layers": list(layers), "activation": act, "P": P, "B": B,
                         "threads": t, "einsum_s": best["einsum"], "numba_s": best["numba"],
                         "matmul_s": best["matmul"], "einsum_gflops": flops / best["einsum"] / 1e9,
                         "numba_gflops": flops / best["numba"] / 1e9, "matmul_gflops": flops / best["matmul"] / 1e9,
                         "share_of_matmul": best["matmul"] / best["numba"],
                         "speedup_over_einsum": best["einsum"] / best["numba"],
                         "agree_within_bound": agree, "max_diff_over_bound": worst})
    return rows


def forward_table(rows: list[dict]) -> Table:
    t = Table("Batched forward pass: einsum reference, the numba path (blocked matrix products) and np.matmul "
              "(the layers' matrix products alone, BLAS), same run; GFLOP/s = 2 sum(n_in n_out) P B / s",
              ["shape", "layers", "P", "B", "threads", "einsum s", "numba s", "matmul s", "einsum GFLOP/s",
               "numba GFLOP/s", "matmul GFLOP/s", "share of matmul", "speed-up over einsum",
               "agree within bound"],
              note="agree within bound: |numba - einsum| <= forward_error_bound (2 gamma(n_in + 1) sum|terms| per "
                   "layer, propagated through |W|, plus 16 u |y| per activation, u = 2**-53)")
    t.rows = [[r["shape"], "-".join(map(str, r["layers"])), r["P"], r["B"], r["threads"], r["einsum_s"],
               r["numba_s"], r["matmul_s"], r["einsum_gflops"], r["numba_gflops"], r["matmul_gflops"],
               round(r["share_of_matmul"], 2), round(r["speedup_over_einsum"], 1), r["agree_within_bound"]]
              for r in rows]
    return t


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
    result.figures["forward"] = {"rows": rows}
    result.tables.append(forward_table(rows))
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
