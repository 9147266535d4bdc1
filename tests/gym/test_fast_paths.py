"""Each NumPy port against its Gymnasium env, step by step, with the same initial state and actions.

The port and the real env start from the same episode seed (so the same initial state) and take
the same actions; every step must give the same observation, reward, termination and (at the
registered time limit) truncation. Two ways: ``resync`` starts every step of the port from the real
env's state (one step of the physics, compared to a few float32 units in the last place), and the
free-running check lets the port run the whole episode on its own and must match bit for bit.
MountainCarContinuous is checked step by step only: its reference does its arithmetic in float32
scalars, which the float64 port rounds differently in the last bit, and the differences add up
over an episode (returns still agree to about 1e-5, see tests/gym/test_gym_simulator.py).
A port that disagrees fails here: ``test_a_wrong_port_is_caught`` checks that the comparison
notices a 1% change in the physics.
"""

from __future__ import annotations

import pytest

pytest.importorskip("gymnasium", reason='the Gymnasium tests need the gym extra: pip install -e ".[gym]"')

import dataclasses

import gymnasium as gym
import numpy as np

from neuroevo.kernels import classic_control as cc
from neuroevo.kernels.classic_control import PORTS

#: float32 observations: a few units in the last place at magnitude ~1-10
OBS_ATOL = 4e-6
#: ports that match the real env bit for bit over whole episodes (see the module docstring)
FREE_RUNNING = ("Acrobot-v1", "CartPole-v1", "MountainCar-v0", "Pendulum-v1")


def _actions(env, rng, n):
    space = env.action_space
    if isinstance(space, gym.spaces.Discrete):
        return [int(a) for a in rng.integers(0, space.n, size=n)]
    return [rng.uniform(space.low, space.high).astype(space.dtype) for _ in range(n)]


def first_mismatch(port, env_id: str, seed: int, actions_seed: int = 0, resync: bool = True) -> str | None:
    """Step ``port`` and the real env side by side until the episode ends; the first difference, or None.

    ``resync``: each port step starts from the real env's state; else the port runs on its own
    and must match exactly.
    """
    env = gym.make(env_id)
    obs, _ = env.reset(seed=seed)
    state = port.reset(np.array([seed]))
    p_obs = port.obs(state)[0]
    tol = OBS_ATOL if resync else 0.0
    if not np.allclose(obs, p_obs, rtol=0, atol=tol):
        return f"reset: {obs} != {p_obs}"
    if not np.array_equal(np.asarray(env.unwrapped.state, dtype=np.float64), state[0]):
        return f"reset: state {env.unwrapped.state} != {state[0]}"
    rng = np.random.default_rng(actions_seed)
    actions = _actions(env, rng, port.max_steps)
    for t, a in enumerate(actions, start=1):
        if resync:
            state = np.asarray(env.unwrapped.state, dtype=np.float64)[None]
        obs, reward, term, trunc, _ = env.step(a)
        action = np.array([float(np.asarray(a).ravel()[0])])
        state, p_obs, p_reward, p_term = port.step(state, action)
        p_trunc = t >= port.max_steps and not p_term[0]
        if not np.allclose(obs, p_obs[0], rtol=0, atol=tol) or obs.dtype != p_obs.dtype:
            return f"step {t}: observation {obs} != {p_obs[0]}"
        if not np.isclose(reward, p_reward[0], rtol=1e-12, atol=1e-9):
            return f"step {t}: reward {reward} != {p_reward[0]}"
        if bool(term) != bool(p_term[0]) or bool(trunc) != bool(p_trunc):
            return f"step {t}: terminated/truncated {term}/{trunc} != {p_term[0]}/{p_trunc}"
        if term or trunc:
            return None
    return "the real env did not end within the port's time limit"


@pytest.mark.parametrize("env_id", sorted(PORTS))
def test_port_steps_like_gymnasium(env_id):
    assert gym.spec(env_id).max_episode_steps == PORTS[env_id].max_steps
    for seed in (0, 1, 12345):
        assert first_mismatch(PORTS[env_id], env_id, seed, actions_seed=seed) is None
        if env_id in FREE_RUNNING:
            assert first_mismatch(PORTS[env_id], env_id, seed, actions_seed=seed, resync=False) is None


@pytest.mark.parametrize("env_id", sorted(PORTS))
def test_port_steps_many_envs_as_one(env_id):
    """Stepping N envs in one call gives what stepping each alone gives."""
    port = PORTS[env_id]
    seeds = np.arange(6)
    state = port.reset(seeds)
    rng = np.random.default_rng(3)
    for _ in range(30):
        a = rng.integers(0, 2, size=6).astype(np.float64) if env_id != "Pendulum-v1" else rng.uniform(-2, 2, 6)
        together = port.step(state, a)
        alone = [port.step(state[i:i + 1], a[i:i + 1]) for i in range(6)]
        for k in range(4):
            assert np.array_equal(together[k], np.concatenate([x[k] for x in alone]))
        state = together[0]


def test_a_wrong_port_is_caught():
    """The comparison is sharp: CartPole with a 1% stronger push disagrees within the episode."""
    def pushy_step(state, action):
        saved = cc._CP_F
        cc._CP_F = saved * 1.01
        try:
            return cc.cartpole_step(state, action)
        finally:
            cc._CP_F = saved

    wrong = dataclasses.replace(PORTS["CartPole-v1"], step=pushy_step)
    for resync in (True, False):
        found = first_mismatch(wrong, "CartPole-v1", seed=0, resync=resync)
        assert found is not None and found.startswith("step ")
    late = dataclasses.replace(PORTS["CartPole-v1"], max_steps=499)
    policy_free = [first_mismatch(late, "CartPole-v1", seed=s) for s in range(3)]
    assert all(m is None for m in policy_free)      # random actions end long before step 499
