"""Suite ``bbob``: the 24 noiseless BBOB functions through COCO, against pycma in the same run.

Algorithms: neuroevo's CMA-ES with IPOP and with BIPOP restarts, separable CMA-ES with IPOP, and
SNES (no restarts; it uses the whole budget), all through :func:`neuroevo.minimize`; pycma's
``fmin2`` with IPOP and with BIPOP as the baselines. Every run starts at COCO's initial solution
(the origin) with ``sigma0 = 2`` and gets ``budget * D`` evaluations.

Full mode: functions 1-24, dimensions 2, 5 and 10, instances 1-5, budget ``1e4 D``.
``--quick``: functions 1, 8, 15 and 21 in 2 and 5 dimensions, instances 1-2, budget ``2e3 D``.

Figures: for each algorithm, dimension and function, the instances solved to ``1e-8`` and the
ERT (evaluations of all instances / instances solved); the ECDF of the (problem, target) pairs
reached against evaluations / D, over COCO's 51 targets ``10^2 ... 10^-8`` (the plot COCO users
expect); and COCO's ``exdata`` under ``exdata/<algorithm>/``, for ``python -m cocopp``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neuroevo.bench.common import SuiteResult, Table, ert, say
from neuroevo.bench.functions import (
    BBOBFunction,
    Counted,
    bbob_optimum,
    bbob_suite,
    have_cocoex,
    have_pycma,
    run_neuroevo,
    run_pycma,
)

NAME = "bbob"
DESCRIPTION = "the 24 BBOB functions through COCO, neuroevo against pycma"

#: COCO's 51 targets, 10^2 down to 10^-8
TARGETS = tuple(float(10.0 ** e) for e in np.round(np.arange(2, -8.01, -0.2), 1))

ALGORITHMS = {
    "cmaes-ipop": ("neuroevo", {"strategy": "cmaes", "restarts": "ipop"}),
    "cmaes-bipop": ("neuroevo", {"strategy": "cmaes", "restarts": "bipop"}),
    "sep_cmaes-ipop": ("neuroevo", {"strategy": "sep_cmaes", "restarts": "ipop"}),
    "snes": ("neuroevo", {"strategy": "snes", "restarts": None}),
    "pycma-ipop": ("pycma", {"restarts": "ipop"}),
    "pycma-bipop": ("pycma", {"restarts": "bipop"}),
}


def plan(quick: bool) -> dict:
    if quick:
        return {"functions": [1, 8, 15, 21], "dimensions": [2, 5], "instances": [1, 2], "budget": 2000}
    return {"functions": list(range(1, 25)), "dimensions": [2, 5, 10], "instances": [1, 2, 3, 4, 5],
            "budget": 10000}


def _one(algorithm: str, problem, f_opt: float, budget: int, seed: int) -> dict:
    side, options = ALGORITHMS[algorithm]
    counted = Counted(BBOBFunction(problem, f_opt), budget, TARGETS)
    x0 = np.array(problem.initial_solution, dtype=np.float64)
    if side == "neuroevo":
        options = dict(options)
        restarts = options.pop("restarts")
        return run_neuroevo(counted, x0, 2.0, seed, restarts, max_restarts=None, **options)
    return run_pycma(counted, x0, 2.0, seed, options["restarts"], max_restarts=50)


def run(quick: bool, folder: Path) -> SuiteResult:
    result = SuiteResult()
    if not have_pycma():
        result.skipped = "pycma, the baseline, is not installed: pip install 'neuroevo[bench]'"
        return result
    if not have_cocoex():
        result.skipped = "COCO's cocoex is not installed: pip install 'neuroevo[bench]'"
        return result
    import cocoex

    cocoex.log_level("warning")
    p = plan(quick)
    optima: dict[tuple[int, int, int], float] = {}
    runs: list[dict] = []
    exdata = folder / "exdata"
    for algorithm in ALGORITHMS:
        say(f"bbob: {algorithm}, {len(p['functions'])} functions, dimensions {p['dimensions']}")
        observer = cocoex.Observer("bbob", f"outer_folder: {exdata} result_folder: {algorithm} "
                                           f"algorithm_name: {algorithm}")
        for problem in bbob_suite(p["functions"], p["dimensions"], p["instances"]):
            key = (problem.id_function, problem.dimension, problem.id_instance)
            if key not in optima:
                optima[key] = bbob_optimum(*key)
            problem.observe_with(observer)
            seed = 1000 * key[0] + 10 * key[1] + key[2]
            row = _one(algorithm, problem, optima[key], p["budget"] * problem.dimension, seed)
            runs.append({"algorithm": algorithm, "function": key[0], "dimension": key[1], "instance": key[2]}
                        | {k: row[k] for k in ("evaluations", "solved", "hits", "best", "stop", "seconds")})
            problem.free()
        del observer                   # closes COCO's files
    result.figures = {"plan": p, "targets": list(TARGETS), "runs": runs}
    _tables(result, p, runs)
    result.plots.append(_ecdf_plot(folder, p, runs))
    result.notes.append(f"COCO exdata for cocopp: {exdata} (python -m cocopp {exdata}/*)")
    return result


def _tables(result: SuiteResult, p: dict, runs: list[dict]) -> None:
    algs = list(ALGORITHMS)
    summary = Table(f"BBOB, {len(p['functions'])} functions x {len(p['instances'])} instances, budget "
                    f"{p['budget']:,} D: problems solved to 1e-8 and (problem, target) pairs reached",
                    ["dimension", *[f"{a} solved / pairs" for a in algs]])
    figures = {}
    for D in p["dimensions"]:
        row = [D]
        for a in algs:
            mine = [r for r in runs if r["algorithm"] == a and r["dimension"] == D]
            solved = sum(r["solved"] for r in mine)
            pairs = float(np.mean([h is not None for r in mine for h in r["hits"]]))
            figures[f"{a}/{D}"] = {"solved": solved, "problems": len(mine), "pairs_reached": pairs}
            row.append(f"{solved}/{len(mine)} / {pairs:.2f}")
        summary.rows.append(row)
    result.figures["summary"] = figures
    result.tables.append(summary)
    for D in p["dimensions"]:
        t = Table(f"BBOB {D}-D: instances solved to 1e-8 and ERT / D per function", ["f", *algs])
        for f in p["functions"]:
            row = [f]
            for a in algs:
                mine = [r for r in runs if r["algorithm"] == a and r["dimension"] == D and r["function"] == f]
                evals = [r["hits"][-1] if r["solved"] else r["evaluations"] for r in mine]
                e = ert(evals, [r["solved"] for r in mine])
                row.append(f"{sum(r['solved'] for r in mine)}/{len(mine)}, {e / D:.3g}" if np.isfinite(e)
                           else f"0/{len(mine)}")
            t.rows.append(row)
        result.tables.append(t)


def ecdf(runs: list[dict], budget_per_d: float, D: int, points: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Fraction of (problem, target) pairs reached within ``x * D`` evaluations, for ``x`` on a log grid."""
    x = np.logspace(0, np.log10(budget_per_d), points)
    hits = np.array([np.inf if h is None else h / D for r in runs for h in r["hits"]])
    return x, np.array([np.mean(hits <= v) for v in x])


def _ecdf_plot(folder: Path, p: dict, runs: list[dict]) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    dims = p["dimensions"]
    fig = Figure(figsize=(5 * len(dims), 4))            # its own Agg canvas: no pyplot, no window
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(dims), squeeze=False)
    for ax, D in zip(axes[0], dims):
        for a in ALGORITHMS:
            mine = [r for r in runs if r["algorithm"] == a and r["dimension"] == D]
            x, y = ecdf(mine, p["budget"], D)
            ax.step(x, y, where="post", label=a, linestyle="--" if a.startswith("pycma") else "-")
        ax.set_xscale("log")
        ax.set_ylim(0, 1)
        ax.set_xlabel("evaluations / D")
        ax.set_ylabel("fraction of (function, instance, target) pairs")
        ax.set_title(f"BBOB {D}-D, {len(p['functions'])} functions, 51 targets 1e2..1e-8")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][-1].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path = folder / "bbob_ecdf.png"
    fig.savefig(path, dpi=110)
    return path.name
