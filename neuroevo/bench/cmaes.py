"""Suite ``cmaes``: restarts and termination against pycma, measured in the same run.

1. IPOP on Rastrigin (10-D; 5-D with ``--quick``): ``x0 = (3, ..., 3)``, ``sigma0 = 2``, at most 9
   restarts, a budget of ``1e5 D`` evaluations, target ``f <= 1e-8``; success rate, ERT with a
   95% bootstrap interval, and the median evaluations of the solved runs, for neuroevo and pycma
   on the same seeds (31; 3 with ``--quick``).
2. BIPOP on BBOB f21 (Gallagher's 101 peaks; through COCO's ``cocoex``) in 10-D (5-D quick):
   ``x0 = 0``, ``sigma0 = 2``, budget ``2e4 D``, target ``f - f_opt <= 1e-8``, seed ``s`` on
   instance ``s + 1``; the same figures.
3. Separable CMA-ES on 10-D Rosenbrock without restarts: why and when each run stopped (ours
   and pycma's ``CMA_diagonal``), and sigma at the stop.
4. No NaN: every registered strategy on sphere, Rosenbrock and Rastrigin in 10-D for a fixed
   number of generations *ignoring* its termination criteria (as a task that ignores them does).
"""

from __future__ import annotations

import math
import time

import numpy as np

from neuroevo.bench.common import SuiteResult, Table, bootstrap_ert, ert, same_run_ratio, say
from neuroevo.bench.functions import (
    FUNCTIONS,
    BBOBFunction,
    Counted,
    bbob_optimum,
    bbob_problem,
    have_cocoex,
    have_pycma,
    rastrigin,
    rosenbrock,
    run_neuroevo,
    run_pycma,
)

NAME = "cmaes"
DESCRIPTION = "IPOP/BIPOP CMA-ES and the termination criteria against pycma"


def _summary(rows: list[dict], rng: np.random.Generator) -> dict:
    evals = [r["evaluations"] if not r["solved"] else r["hits"][-1] for r in rows]
    solved = [r["solved"] for r in rows]
    lo, hi = bootstrap_ert(evals, solved, rng)
    hit = [e for e, s in zip(evals, solved) if s]
    return {"runs": len(rows), "solved": int(sum(solved)), "success_rate": float(np.mean(solved)),
            "ert": ert(evals, solved), "ert_95": [lo, hi],
            "median_evaluations_solved": float(np.median(hit)) if hit else None,
            "seconds_total": float(sum(r["seconds"] for r in rows))}


def _compare(name: str, make, x0, sigma0: float, budget: int, seeds, restarts: str, result: SuiteResult,
             title: str) -> None:
    rows = {"neuroevo": [], "pycma": []}
    say(f"cmaes: {name}, {len(seeds)} seeds")
    for seed in seeds:
        f = make(seed)
        rows["neuroevo"].append(run_neuroevo(Counted(f, budget), x0, sigma0, seed, restarts) | {"seed": seed})
        f = make(seed)
        rows["pycma"].append(run_pycma(Counted(f, budget), x0, sigma0, seed, restarts) | {"seed": seed})
    rng = np.random.default_rng(12345)
    summary = {k: _summary(v, rng) for k, v in rows.items()}
    ours, base = summary["neuroevo"], summary["pycma"]
    ratio = same_run_ratio(ours["ert"], base["ert"])
    result.figures[name] = {"settings": {"x0": list(map(float, x0)), "sigma0": sigma0, "budget": budget,
                                         "seeds": list(seeds), "restarts": restarts, "target": 1e-8},
                            "summary": summary, "ert_ratio": ratio,
                            "time_ratio": same_run_ratio(ours["seconds_total"], base["seconds_total"]),
                            "runs": rows}
    t = Table(title, ["implementation", "solved", "ERT (evaluations)", "95% bootstrap", "median evals (solved)",
                      "wall time s"])
    for k in ("neuroevo", "pycma"):
        s = summary[k]
        t.rows.append([k, f"{s['solved']}/{s['runs']}", s["ert"], f"[{s['ert_95'][0]:.4g}, {s['ert_95'][1]:.4g}]",
                       s["median_evaluations_solved"], round(s["seconds_total"], 1)])
    t.note = (f"ERT ratio neuroevo / pycma: {ratio:.3f}" if ratio is not None else "ERT ratio: -") + \
        " (target: success >= pycma's and ratio <= 1.1)."
    result.tables.append(t)


def _sep_rosenbrock(seeds, result: SuiteResult) -> None:
    from neuroevo.strategies import SepCMAES

    D, rows = 10, []
    say(f"cmaes: separable CMA-ES on Rosenbrock, {len(seeds)} seeds")
    for seed in seeds:
        strategy = SepCMAES(num_params=D, sigma0=0.5)
        rng = np.random.default_rng(seed)
        state = strategy.init(np.zeros(D))
        reasons, g = (), 0
        while not reasons and g < 50000:
            genomes, state = strategy.ask(state, rng)
            state, _ = strategy.tell(state, genomes, -rosenbrock(genomes))
            reasons, g = strategy.stop(state), g + 1
        ours = {"seed": seed, "generations": g, "stop": "+".join(reasons), "sigma": state.sigma,
                "sigma_over_sqrt_max_c": state.sigma / math.sqrt(state.c.max()), "f": -state.best_fitness}
        theirs = run_pycma(Counted(rosenbrock, 10**7), np.zeros(D), 0.5, seed, None, CMA_diagonal=True,
                           ftarget=-np.inf)
        rows.append({"neuroevo": ours, "pycma": theirs})
    stops = sorted({r["neuroevo"]["stop"] for r in rows})
    result.figures["sep_cmaes_rosenbrock"] = {"dimension": D, "x0": 0.0, "sigma0": 0.5, "runs": rows}
    t = Table("Separable CMA-ES on 10-D Rosenbrock, no restarts: why the runs stopped",
              ["implementation", "stop reasons (runs)", "median generations / evaluations", "max sigma at the stop",
               "median best f"])
    ours = [r["neuroevo"] for r in rows]
    t.rows.append(["neuroevo sep_cmaes", ", ".join(f"{s} ({sum(o['stop'] == s for o in ours)})" for s in stops),
                   f"{int(np.median([o['generations'] for o in ours]))} generations",
                   max(o["sigma"] for o in ours), float(np.median([o["f"] for o in ours]))])
    theirs = [r["pycma"] for r in rows]
    tstops = sorted({o["stop"] for o in theirs})
    t.rows.append(["pycma CMA_diagonal", ", ".join(f"{s} ({sum(o['stop'] == s for o in theirs)})" for s in tstops),
                   f"{int(np.median([o['evaluations'] for o in theirs]))} evaluations", None,
                   float(np.median([o["best"] for o in theirs]))])
    result.tables.append(t)


def _no_nan(generations: int, result: SuiteResult) -> None:
    from neuroevo.strategies import STRATEGIES

    D, rows = 10, []
    say(f"cmaes: every strategy for {generations} generations, looking for NaN")
    for name, cls in sorted(STRATEGIES.items()):
        for fname, f in FUNCTIONS.items():
            strategy = cls(num_params=D)
            rng = np.random.default_rng(0)
            state = strategy.init(np.full(D, 0.5))
            bad, stopped_at, t0 = 0, None, time.perf_counter()
            for g in range(generations):
                genomes, state = strategy.ask(state, rng)
                values = f(genomes)
                state, metrics = strategy.tell(state, genomes, -values)
                bad += int(not np.all(np.isfinite(genomes))) + sum(not np.isfinite(v) for v in metrics.values())
                if stopped_at is None and strategy.stop(state):
                    stopped_at = g + 1
            rows.append({"strategy": name, "function": fname, "generations": generations,
                         "non_finite": bad, "first_stop": stopped_at, "best": float(values.min()),
                         "seconds": time.perf_counter() - t0})
    result.figures["no_nan"] = rows
    t = Table(f"Every strategy, 10-D, {generations} generations ignoring its termination criteria",
              ["strategy", *[f"{f}: non-finite values" for f in FUNCTIONS], "criteria met first at (generation)"])
    for name in sorted(STRATEGIES):
        mine = [r for r in rows if r["strategy"] == name]
        t.rows.append([name, *[r["non_finite"] for r in mine],
                       ", ".join(f"{r['function']} {r['first_stop']}" for r in mine if r["first_stop"]) or "-"])
    result.tables.append(t)


def run(quick: bool, folder) -> SuiteResult:
    result = SuiteResult()
    if not have_pycma():
        result.skipped = "pycma, the baseline, is not installed: pip install 'neuroevo[bench]'"
        return result
    seeds = range(3) if quick else range(31)
    D = 5 if quick else 10
    _compare("ipop_rastrigin", lambda seed: rastrigin, np.full(D, 3.0), 2.0, 100000 * D, seeds, "ipop", result,
             f"IPOP-CMA-ES on {D}-D Rastrigin to 1e-8, x0 = 3, sigma0 = 2, budget {100000 * D:,}, "
             f"{len(seeds)} seeds")
    if have_cocoex():
        def gallagher(seed):
            return BBOBFunction(bbob_problem(21, D, seed + 1), bbob_optimum(21, D, seed + 1))

        _compare("bipop_f21", gallagher, np.zeros(D), 2.0, 20000 * D, seeds, "bipop", result,
                 f"BIPOP-CMA-ES on BBOB f21 (Gallagher 101 peaks) {D}-D to 1e-8, x0 = 0, sigma0 = 2, "
                 f"budget {20000 * D:,}, {len(seeds)} seeds (instance = seed + 1)")
    else:
        result.notes.append("BIPOP on BBOB f21 skipped: COCO's cocoex is not installed (pip install "
                            "'neuroevo[bench]')")
    _sep_rosenbrock(range(3) if quick else range(11), result)
    _no_nan(300 if quick else 3000, result)
    return result
