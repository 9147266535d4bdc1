"""neuroevo bench: results folders are well formed, suites measure what they say, bad input is refused."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from neuroevo.bench import SUITES, check_suites, run_bench
from neuroevo.bench.common import bootstrap_ert, ert
from neuroevo.bench.functions import Counted, have_cocoex, have_pycma, rastrigin

NEUROEVO = str(Path(sys.executable).with_name("neuroevo"))


def _bench(*args, cwd, timeout=600):
    env = os.environ | {"MPLBACKEND": "Agg"}
    return subprocess.run([NEUROEVO, "bench", *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=timeout)


def _check_report(folder: Path, suites: list[str], quick: bool) -> dict:
    report = json.loads((folder / "results.json").read_text())
    assert report["quick"] is quick and list(report["suites"]) == suites
    m = report["machine"]
    assert m["cpu"] and m["cores"] >= 1 and isinstance(m["vector_extensions"], list)
    assert "numpy" in m["libraries"] and "numba" in m["libraries"]
    md = (folder / "results.md").read_text()
    assert md.startswith("## neuroevo bench") and "Machine: " in md
    for name, suite in report["suites"].items():
        assert f"### {name}" in md
        assert suite["skipped"] or suite["tables"], name
        for t in suite["tables"]:
            assert t["rows"] and all(len(r) == len(t["columns"]) for r in t["rows"]), t["title"]
            assert t["title"] in md
        for p in suite["plots"]:
            assert (folder / p).stat().st_size > 1000
    return report


def test_bench_from_outside_the_checkout_writes_a_well_formed_results_folder(tmp_path):
    proc = _bench("race", "gym", "--quick", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (folder,) = (tmp_path / "out").iterdir()
    assert folder.name.startswith("bench__") and folder.name.endswith("__quick")
    report = _check_report(folder, ["race", "gym"], True)
    race = report["suites"]["race"]["figures"]["strategies"]
    assert set(race) >= {"rank_ga", "cmaes"} and race["rank_ga"]["wall_time_ratio"] == 1.0
    gym = report["suites"]["gym"]
    assert not gym["skipped"] and gym["figures"]["task"] == "gym:CartPole-v1" and len(gym["figures"]["runs"]) == 2
    assert "wrote" in proc.stdout and "| strategy |" in proc.stdout


@pytest.mark.skipif(not (have_cocoex() and have_pycma()), reason="needs the bench extra (cocoex, cma)")
def test_a_small_bbob_run_writes_tables_the_ecdf_plot_and_cocos_exdata(tmp_path, monkeypatch):
    from neuroevo.bench import bbob

    monkeypatch.setattr(bbob, "plan", lambda quick: {"functions": [1, 21], "dimensions": [2], "instances": [1],
                                                      "budget": 300})
    folder = run_bench(["bbob"], quick=True, out=tmp_path, echo=lambda *a, **k: None)
    report = _check_report(folder, ["bbob"], True)
    suite = report["suites"]["bbob"]
    runs = suite["figures"]["runs"]
    assert len(runs) == 2 * len(bbob.ALGORITHMS)
    sphere_runs = [r for r in runs if r["function"] == 1]
    assert all(r["solved"] and r["evaluations"] <= 600 for r in sphere_runs)   # f1 to 1e-8 within 300 D
    assert all(r["hits"] == sorted(h for h in r["hits"] if h is not None) + [None] * r["hits"].count(None)
               for r in runs)                                                   # easier targets first
    for alg in bbob.ALGORITHMS:
        info = folder / "bbob" / "exdata" / alg / "bbobexp_f1.info"
        assert info.is_file() and f"algId = '{alg}'" in info.read_text()
    assert suite["plots"] == ["bbob/bbob_ecdf.png"]


def test_ert_and_its_bootstrap_interval():
    assert ert([100, 300, 200], [True, False, True]) == 300.0
    assert ert([100], [False]) == float("inf")
    lo, hi = bootstrap_ert([100, 300, 200, 150], [True, False, True, True], np.random.default_rng(0))
    assert 100 <= lo <= 250 <= hi and np.isfinite(lo)


def test_counted_records_the_evaluation_at_which_each_target_is_first_reached():
    c = Counted(rastrigin, budget=30, targets=(10.0, 1e-8))
    c(np.full((5, 2), 3.0))                # f = 18 each
    c(np.zeros((5, 2)))                    # f = 0 at evaluation 10
    assert c.hits == [10, 10] and c.evaluations == 10 and c.solved


def test_unknown_suites_are_refused_before_any_file_is_written(tmp_path):
    with pytest.raises(ValueError, match=r"unknown benchmark suite 'bbbob'; choose from \['throughput'"):
        run_bench(["bbbob"], out=tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert check_suites([]) == list(SUITES) and check_suites(["race", "cmaes"]) == ["cmaes", "race"]


@pytest.mark.slow
def test_bench_quick_runs_every_suite_within_its_budget(tmp_path):
    proc = _bench("--quick", "--out", str(tmp_path), cwd=tmp_path, timeout=900)
    assert proc.returncode == 0, proc.stderr
    (folder,) = tmp_path.iterdir()
    report = _check_report(folder, list(SUITES), True)
    assert report["seconds"] < 300
    cmaes = report["suites"]["cmaes"]
    if not cmaes["skipped"]:
        ipop = cmaes["figures"]["ipop_rastrigin"]["summary"]
        assert ipop["neuroevo"]["solved"] == ipop["neuroevo"]["runs"]          # 5-D Rastrigin, every seed
        nan = cmaes["figures"]["no_nan"]
        assert all(r["non_finite"] == 0 for r in nan)
