"""``neuroevo run gym:ENV_ID`` end to end: real processes for the CLI, real run folders, one short
seed of each env the README gives figures for (the multi-seed figures come from
benchmarks/suites/gym_seeds.py)."""

from __future__ import annotations

import pytest

pytest.importorskip("gymnasium", reason='the Gymnasium tests need the gym extra: pip install -e ".[gym]"')

import json
import os
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np

import neuroevo
from neuroevo.tasks.gym import held_out_seeds

NEUROEVO = str(Path(sys.executable).with_name("neuroevo"))
ENV = {k: v for k, v in os.environ.items() if k != "NEUROEVO_DEBUG"} | {"MPLBACKEND": "Agg"}


def _cli(*args, cwd, check=True):
    proc = subprocess.run([NEUROEVO, *args], capture_output=True, text=True, cwd=cwd, env=ENV, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"neuroevo {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
    return proc


def _run_dir(out: Path) -> Path:
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    return folder


@pytest.fixture(scope="module")
def cartpole_run(tmp_path_factory) -> tuple[Path, str]:
    """``neuroevo run gym:CartPole-v1`` with the task's defaults, seed 0 (a second or two)."""
    root = tmp_path_factory.mktemp("cartpole")
    proc = _cli("run", "gym:CartPole-v1", "--out", str(root / "runs"), "--no-progress", cwd=root)
    return _run_dir(root / "runs"), proc.stdout


def test_cartpole_defaults_solve_it_on_unseen_episodes(cartpole_run):
    run_dir, stdout = cartpole_run
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["held_out_episodes"] == 100 and summary["held_out_mean_return"] >= 475
    assert summary["solved"] is True and summary["stopped"] == "mean return reached 500"
    assert summary["env_steps"] > 0 and summary["wall_time_s"] < 30
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["generation"] for r in rows] == list(range(1, len(rows) + 1))
    assert all(r["env_steps"] > 0 for r in rows) and rows[-1]["env_steps_total"] == summary["env_steps"]
    config = json.loads((run_dir / "config.json").read_text())
    assert config["task_ref"] == {"kind": "gym", "env_id": "CartPole-v1"} and config["layers"] == [4, 8, 2]
    assert "unseen episodes of the real gymnasium env (solved: threshold 475)" in stdout
    assert (run_dir / "plots" / "held_out_returns.png").is_file() and (run_dir / "plots" / "fitness.png").is_file()


def test_evaluate_plays_other_unseen_episodes(cartpole_run):
    run_dir, _ = cartpole_run
    proc = _cli("evaluate", str(run_dir), "--episodes", "5", "--test-seed", "2", cwd=run_dir.parent)
    assert "over 5 unseen episodes of the real gymnasium env" in proc.stdout
    figures = json.loads((run_dir / "evaluate" / "episodes_5_test_seed_2.json").read_text())
    assert figures["held_out_episodes"] == 5 and figures["held_out_test_seed"] == 2
    bad = _cli("evaluate", str(run_dir), "--episodes", "0", cwd=run_dir.parent, check=False)
    assert bad.returncode == 2 and "episodes must be >= 1; got 0" in bad.stderr and "Traceback" not in bad.stderr


def test_load_policy_drops_into_a_gymnasium_loop(cartpole_run):
    run_dir, _ = cartpole_run
    policy = neuroevo.load_policy(run_dir)
    env = gym.make("CartPole-v1")
    returns = []
    for seed in held_out_seeds(0, 3):
        obs, _ = env.reset(seed=int(seed))
        total, done = 0.0, False
        while not done:
            obs, r, term, trunc, _ = env.step(policy(obs))
            total, done = total + r, term or trunc
        returns.append(total)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert returns == summary["held_out_returns"][:3]


def test_no_fast_path_trains_on_the_real_env(tmp_path):
    fast = neuroevo.run("gym:CartPole-v1", write=False, progress=False, generations=3, target=None)
    real = neuroevo.run("gym:CartPole-v1", write=False, progress=False, generations=3, target=None,
                        fast_path=False)
    assert [r["fitness_max"] for r in fast.population.history.rows] == \
        [r["fitness_max"] for r in real.population.history.rows]
    assert real.plan.task.simulator().port is None and fast.plan.task.simulator().port is not None


def test_resume_with_normalization_is_exact(tmp_path):
    """Observation statistics travel in the checkpoint: stopped and resumed gives the unbroken run."""
    settings = dict(generations=6, population_size=8, episodes=1, normalize=True, held_out_episodes=2,
                    plots=False, progress=False, checkpoint_every=1)
    whole = neuroevo.run("gym:Pendulum-v1", out=str(tmp_path / "whole"), **settings)
    part = neuroevo.run("gym:Pendulum-v1", out=str(tmp_path / "part"), **(settings | {"generations": 3}))
    resumed = neuroevo.resume(part.run_dir, generations=3, progress=False)
    a, b = whole.population.history.rows, resumed.population.history.rows
    assert [r["fitness_max"] for r in a] == [r["fitness_max"] for r in b]
    assert np.array_equal(whole.population.genomes, resumed.population.genomes)
    state_a, state_b = whole.plan.task.simulator().get_state(), resumed.plan.task.simulator().get_state()
    assert state_a["obs_count"] == 6 * 8 * 200
    for k in state_a:
        assert np.array_equal(state_a[k], state_b[k])
    # a loaded run's policy normalizes with the statistics the run ended with
    policy = neuroevo.load_policy(whole.run_dir)
    mean, _ = whole.plan.task.simulator().obs_mean_std()
    assert np.array_equal(policy.mean, mean)


def test_pendulum_short_seed(tmp_path):
    result = neuroevo.run("gym:Pendulum-v1", write=False, progress=False, generations=40, held_out_episodes=10)
    s = result.summary
    assert s["held_out_episodes"] == 10 and s["env_steps"] == 40 * 32 * 5 * 200
    history = result.population.history
    assert history["fitness_max"][-1] > history["fitness_max"][0] + 200     # it learns (random: about -1200)


def test_lunar_lander_short_seed(tmp_path):
    pytest.importorskip("Box2D", reason='LunarLander needs Box2D: pip install -e ".[gym]"')
    result = neuroevo.run("gym:LunarLander-v3", write=False, progress=False, generations=3,
                          population_size=8, held_out_episodes=2)
    s = result.summary
    assert result.plan.network.sizes == (8, 16, 4) and result.plan.task.simulator().port is None
    assert np.isfinite(s["held_out_mean_return"]) and s["env_steps"] > 3 * 8 * 3 * 50
    assert result.plan.task.simulator().get_state()["obs_count"] > 0       # normalized by default


def test_missing_gymnasium_is_one_line(tmp_path):
    """Without gymnasium installed: one line that says how to install it, exit 1, nothing written."""
    fake = tmp_path / "nogym"
    (fake / "gymnasium").mkdir(parents=True)
    (fake / "gymnasium" / "__init__.py").write_text("raise ImportError('No module named gymnasium')\n")
    env = ENV | {"PYTHONPATH": str(fake)}
    proc = subprocess.run([NEUROEVO, "run", "gym:CartPole-v1", "--out", str(tmp_path / "runs")], capture_output=True,
                          text=True, env=env, timeout=120, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        'neuroevo run: error: Gymnasium environments need the gymnasium package: pip install "neuroevo[gym]"']
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cartpole_defaults_regression(seed):
    """Measured: 10 of 10 seeds reach 475 on 100 unseen episodes (benchmarks/results/gym_CartPole-v1.json)."""
    s = neuroevo.run("gym:CartPole-v1", write=False, progress=False, seed=seed).summary
    assert s["held_out_mean_return"] >= 475 and s["generations"] <= 40
