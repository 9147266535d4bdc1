"""IPOP and BIPOP restart schedules, restarts inside Population and the engine, exact resume across them."""

import json
import textwrap

import numpy as np
import pytest

import neuroevo
from neuroevo import Population, Simulator
from neuroevo.strategies.restarts import RestartState


def test_ipop_doubles_the_population_and_keeps_sigma0():
    s = RestartState.start("ipop", 10, 2.0)
    rng = np.random.default_rng(0)
    sizes = []
    for _ in range(4):
        s = s.counted(1000).next_run(rng)
        sizes.append((s.population_size, s.sigma0, s.regime))
    assert sizes == [(20, 2.0, "large"), (40, 2.0, "large"), (80, 2.0, "large"), (160, 2.0, "large")]
    assert s.restarts == 4 and s.run_budget is None


def test_bipop_alternates_regimes_by_the_budget_each_has_used():
    s = RestartState.start("bipop", 10, 2.0)
    rng = np.random.default_rng(1)
    s = s.counted(1000).next_run(rng)                     # the first restart is large
    assert (s.regime, s.population_size, s.sigma0) == ("large", 20, 2.0)
    s = s.counted(3000).next_run(rng)                     # large used 4000, small 0: a small run
    assert s.regime == "small" and 2 <= s.population_size <= 10 and 2.0 * 1e-2 <= s.sigma0 <= 2.0
    assert s.run_budget == 1500                          # half the latest large run
    assert not s.over_budget and s.counted(1500).over_budget
    while s.regime == "small":                           # small runs until their total passes the large one
        s = s.counted(1500).next_run(rng)
    assert s.regime == "large" and s.population_size == 40 and s.small_evaluations >= s.large_evaluations


def test_max_restarts_is_respected():
    s = RestartState.start("ipop", 10, 1.0, max_restarts=1)
    assert not s.exhausted
    assert s.next_run(np.random.default_rng(0)).exhausted


class Bowl(Simulator):
    """Rastrigin on the genome itself (the network is only a way to size it)."""

    def _evaluate(self, genomes, spec, rng):
        return -(10 * genomes.shape[1] + np.sum(genomes**2 - 10 * np.cos(2 * np.pi * genomes), axis=1))


@pytest.mark.parametrize("kind", ["ipop", "bipop"])
def test_population_restarts_and_a_checkpoint_after_a_restart_resumes_exactly(kind, tmp_path):
    settings = dict(restarts=kind, sigma0=2.0, tolfun=1e-3, population_size=8)
    pop = Population([2, 2, 1], "cmaes", seed=5, x0=np.full(9, 3.0), **settings)
    sim = Bowl()
    while pop.restarts.restarts < 2:
        pop.step(sim)
        assert pop.generation < 3000
    rows = pop.history.rows
    first = next(r for r in rows if r["restarted"])
    assert first["stop"] and pop.restarts.large_runs >= 1
    assert (pop.strategy.population_size, pop.strategy.config.sigma0) != (8, 2.0)
    resumed = Population.load(pop.save(tmp_path / "ck.npz"))
    assert resumed.restarts == pop.restarts and resumed.strategy.config == pop.strategy.config
    for _ in range(60):                                   # through at least one more restart for both
        a, b = pop.step(sim), resumed.step(sim)
        assert {k: v for k, v in a.items() if k != "time_s"} == {k: v for k, v in b.items() if k != "time_s"}
    np.testing.assert_array_equal(pop.ask_next(), resumed.ask_next())


def test_restarts_need_a_cma_strategy():
    with pytest.raises(ValueError, match="IPOP/BIPOP restarts need a strategy with population_size and sigma0"):
        Population([2, 2, 1], "snes", restarts="ipop")
    with pytest.raises(ValueError, match=r"restarts must be one of \['none', 'ipop', 'bipop'\]; got 'ipopp'"):
        Population([2, 2, 1], "cmaes", restarts="ipopp")


TASK_FILE = textwrap.dedent('''
    from typing import ClassVar

    import numpy as np
    from dataclasses import dataclass

    from neuroevo import Simulator, Task


    class Bowl(Simulator):
        """Rastrigin on the genome itself."""

        def _evaluate(self, genomes, spec, rng):
            return -(10 * genomes.shape[1] + np.sum(genomes**2 - 10 * np.cos(2 * np.pi * genomes), axis=1))


    @dataclass(frozen=True)
    class RestartingBowl(Task):
        """Rastrigin, CMA-ES restarted with IPOP whenever it stops."""

        name: ClassVar[str] = "restarting-bowl"
        default_layers: ClassVar[tuple] = (2, 2, 1)
        default_strategy: ClassVar[str] = "cmaes"
        default_generations: ClassVar[int] = 400
        strategy_defaults: ClassVar[dict] = {"cmaes": {"sigma0": 2.0, "tolfun": 1e-3, "population_size": 8}}
        strategy_stop: ClassVar[str] = "ipop"

        def simulator(self):
            return Bowl()


    @dataclass(frozen=True)
    class StoppingBowl(RestartingBowl):
        """The same, ended by the first termination criterion."""

        name: ClassVar[str] = "stopping-bowl"
        strategy_stop: ClassVar[str] = "stop"
''')


def _rows(run_dir):
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in r.items() if k != "time_s"} for r in rows]


def test_an_engine_run_resumed_across_a_restart_equals_the_unbroken_run(tmp_path):
    path = tmp_path / "bowl.py"
    path.write_text(TASK_FILE)
    task = f"{path}:RestartingBowl"
    whole = neuroevo.run(task, seed=2, out=str(tmp_path / "a"), generations=800, plots=False, progress=False)
    rows = _rows(whole.run_dir)
    restarted_at = [r["generation"] for r in rows if r.get("restarted")]
    assert len(restarted_at) >= 2, restarted_at
    cut = restarted_at[0] + 3                             # stop just after the first restart
    part = neuroevo.run(task, seed=2, out=str(tmp_path / "b"), generations=cut, plots=False, progress=False)
    neuroevo.resume(part.run_dir, generations=800 - cut, progress=False)
    assert _rows(part.run_dir) == rows
    assert whole.summary["stopped"] == "generation budget used"


def test_a_task_that_stops_on_the_strategy_criteria_reports_which(tmp_path):
    path = tmp_path / "bowl.py"
    path.write_text(TASK_FILE)
    res = neuroevo.run(f"{path}:StoppingBowl", seed=2, out=str(tmp_path), generations=800, plots=False, progress=False)
    assert res.summary["stopped"].startswith("strategy stopped: ")
    assert "tolfun" in res.summary["stopped"] and res.summary["generations"] < 800
