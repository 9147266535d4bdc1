"""GymSimulator: the same episodes for every genome, fast path equal to the real env, action
mappings, observation statistics merged in genome order, state for checkpoints, and clear errors."""

from __future__ import annotations

import pytest

pytest.importorskip("gymnasium", reason='the Gymnasium tests need the gym extra: pip install -e ".[gym]"')

import re

import gymnasium as gym
import numpy as np

from neuroevo import GenerationKey, GymSimulator, NetworkSpec
from neuroevo.simulators.base import Evaluation
from neuroevo.simulators.gym import rows_forward


def _genomes(spec, n, seed=0, scale=1.0):
    return scale * np.random.default_rng(seed).normal(size=(n, spec.num_params))


@pytest.mark.parametrize("env_id, layers", [("CartPole-v1", [4, 8, 2]), ("Pendulum-v1", [3, 8, 1]),
                                            ("Acrobot-v1", [6, 8, 3]), ("MountainCar-v0", [2, 8, 3]),
                                            ("MountainCarContinuous-v0", [2, 8, 1])])
def test_fast_path_gives_the_real_envs_returns(env_id, layers):
    spec = NetworkSpec(layers, "tanh")
    g = _genomes(spec, 12)
    fast = GymSimulator(env_id, episodes=2).evaluate_block(g, spec, GenerationKey(5))
    real = GymSimulator(env_id, episodes=2, fast_path=False).evaluate_block(g, spec, GenerationKey(5))
    atol = 1e-4 if env_id == "MountainCarContinuous-v0" else 1e-9     # float32 arithmetic in the reference
    np.testing.assert_allclose(fast.fitness, real.fitness, rtol=0, atol=atol)
    assert np.array_equal(fast.extras["env_steps"], real.extras["env_steps"])


def test_returns_are_the_mean_over_a_hand_written_gymnasium_loop():
    """The simulator's fitness of a genome is what a plain gymnasium loop with the same policy gets."""
    spec = NetworkSpec([4, 8, 2], "tanh")
    g = _genomes(spec, 3, seed=1)
    sim = GymSimulator("CartPole-v1", episodes=3, fast_path=False)
    key = GenerationKey(11)
    seeds = sim.episode_seeds(key)
    fitness = sim.evaluate(g, spec, key=key)
    env = gym.make("CartPole-v1")
    for p in range(3):
        total = 0.0
        for s in seeds:
            obs, _ = env.reset(seed=int(s))
            done = False
            while not done:
                a = int(np.argmax(rows_forward(g[p:p + 1], spec, np.asarray(obs, dtype=np.float64)[None])[0]))
                obs, r, term, trunc, _ = env.step(a)
                total += r
                done = term or trunc
        assert fitness[p] == pytest.approx(total / 3, abs=1e-12)


def test_every_genome_plays_the_same_episodes_and_blocks_do_not_matter():
    spec = NetworkSpec([3, 8, 1], "tanh")
    g = _genomes(spec, 10)
    key = GenerationKey(123)
    whole_sim = GymSimulator("Pendulum-v1", episodes=2, normalize=True)
    whole = whole_sim.evaluate_block(g, spec, key)
    # the same genome twice gets the same score: the episodes are shared
    twice = whole_sim.evaluate_block(np.stack([g[0], g[0]]), spec, key.block(4))
    assert twice.fitness[0] == twice.fitness[1] == whole.fitness[0]
    # cut into blocks anywhere: the same fitness and the same statistics after end_generation
    split_sim = GymSimulator("Pendulum-v1", episodes=2, normalize=True)
    parts = [split_sim.evaluate_block(g[a:b], spec, key.block(a)) for a, b in ((0, 3), (3, 4), (4, 10))]
    joined = Evaluation.join(parts)
    assert np.array_equal(joined.fitness, whole.fitness)
    m1, m2 = whole_sim.end_generation(whole.extras), split_sim.end_generation(joined.extras)
    assert m1 == m2 and m1["env_steps"] == 10 * 2 * 200
    for k, v in whole_sim.get_state().items():
        assert np.array_equal(v, split_sim.get_state()[k])


def test_normalization_is_frozen_during_a_generation_and_updated_between():
    spec = NetworkSpec([3, 4, 1], "tanh")
    g = _genomes(spec, 6)
    sim = GymSimulator("Pendulum-v1", episodes=1, normalize=True)
    key = GenerationKey(9)
    first = sim.evaluate_block(g, spec, key)
    again = sim.evaluate_block(g, spec, key)
    assert np.array_equal(first.fitness, again.fitness)          # scoring never moves the statistics
    assert sim.get_state()["obs_count"] == 0
    sim.end_generation(first.extras)
    assert sim.get_state()["obs_count"] == 6 * 200
    mean, std = sim.obs_mean_std()
    seen = np.sum(first.extras["obs_sum"], axis=0) / 1200
    np.testing.assert_allclose(mean, seen)
    assert np.all(std > 0) and not np.array_equal(sim.evaluate_block(g, spec, key).fitness, first.fitness)
    # the state round-trips exactly
    other = GymSimulator("Pendulum-v1", episodes=1, normalize=True)
    other.set_state(sim.get_state())
    assert np.array_equal(other.evaluate_block(g, spec, key).fitness, sim.evaluate_block(g, spec, key).fitness)


def test_same_key_same_scores_and_other_key_other_episodes():
    spec = NetworkSpec([4, 2], "tanh")
    g = _genomes(spec, 8)
    sim = GymSimulator("CartPole-v1", episodes=3)
    a, b = sim.evaluate(g, spec, key=GenerationKey(1)), sim.evaluate(g, spec, key=GenerationKey(1))
    assert np.array_equal(a, b)
    assert not np.array_equal(sim.episode_seeds(GenerationKey(1)), sim.episode_seeds(GenerationKey(2)))
    assert np.all(sim.episode_seeds(GenerationKey(3)) < 2**31)      # held-out seeds start at 2**31


def test_episode_cap_and_alive_bonus():
    spec = NetworkSpec([4, 2], "tanh")
    g = np.zeros((1, spec.num_params))
    g[0, [2, 3]] = [-1.0, 1.0]        # push the way the pole falls: a policy that balances for a while
    capped = GymSimulator("CartPole-v1", episodes=2, max_steps=7)
    out = capped.rollout(g, spec, np.array([0, 1]))
    assert np.all(out["steps"] <= 7) and np.array_equal(out["returns"], out["steps"].astype(float))
    no_bonus = GymSimulator("CartPole-v1", episodes=2, alive_bonus=1.0)
    assert np.all(no_bonus.evaluate(g, spec, key=GenerationKey(0)) == 0.0)


def test_action_mappings():
    from neuroevo.simulators.gym import ActionMap, map_actions
    box = ActionMap("box", 2, low=np.array([-2.0, 0.0]), high=np.array([2.0, 1.0]))
    out = np.array([[1.0, -1.0], [0.0, 0.0], [5.0, 5.0]])
    assert np.allclose(map_actions(out, box, "scale", "tanh"), [[2.0, 0.0], [0.0, 0.5], [2.0, 1.0]])
    assert np.allclose(map_actions(out, box, "clip", "identity"), [[1.0, 0.0], [0.0, 0.0], [2.0, 1.0]])
    squashed = map_actions(out, box, "auto", "identity")           # identity outputs: tanh first
    assert np.allclose(squashed[1], [0.0, 0.5]) and np.all(squashed[2] < [2.0, 1.0])
    assert np.array_equal(map_actions(out, ActionMap("discrete", 2, start=3), "auto", "tanh"), [3, 3, 3])
    assert np.array_equal(map_actions(out, ActionMap("binary", 2), "auto", "tanh"), [[1, 0], [0, 0], [1, 1]])


class _Spaces(gym.Env):
    """A one-step env with the spaces a test asks for."""

    def __init__(self, observation_space=None, action_space=None):
        self.observation_space = observation_space or gym.spaces.Box(-1, 1, (3,), dtype=np.float32)
        self.action_space = action_space or gym.spaces.MultiBinary(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return self.observation_space.sample(), {}

    def step(self, action):
        reward = float(np.sum(action)) if self.action_space.__class__.__name__ == "MultiBinary" else 0.0
        return self.observation_space.sample(), reward, True, False, {}


def test_multibinary_actions_reach_the_env():
    spec = NetworkSpec([3, 2], "tanh")
    g = np.zeros((2, spec.num_params))
    g[0, -2:] = [1.0, 1.0]            # both outputs above 0: action [1, 1]
    g[1, -2:] = [1.0, -1.0]
    sim = GymSimulator(lambda: _Spaces(), episodes=1)
    assert np.array_equal(sim.evaluate(g, spec, key=GenerationKey(0)), [2.0, 1.0])


def test_discrete_observations_are_one_hot():
    sim = GymSimulator("FrozenLake-v1", episodes=2)
    assert sim.num_inputs == 16 and sim.num_outputs == 4
    spec = NetworkSpec([16, 4], "tanh")
    assert sim.evaluate(np.zeros((2, spec.num_params)), spec, key=GenerationKey(0)).shape == (2,)


@pytest.mark.parametrize("make, message", [
    (lambda: GymSimulator(lambda: _Spaces(action_space=gym.spaces.Dict({"a": gym.spaces.Discrete(2)}))),
     "cannot map network outputs to a Dict action space"),
    (lambda: GymSimulator(lambda: _Spaces(action_space=gym.spaces.Tuple([gym.spaces.Discrete(2)] * 2))),
     "cannot map network outputs to a Tuple action space"),
    (lambda: GymSimulator("Blackjack-v1"), "cannot map a Tuple observation space to network inputs"),
    (lambda: GymSimulator(lambda: _Spaces(gym.spaces.Box(0, 255, (8, 8, 3), dtype=np.uint8))),
     "observations of shape (8, 8, 3) (an image or a grid) cannot feed a dense network; wrap the env in "
     "gymnasium.wrappers.FlattenObservation"),
    (lambda: GymSimulator("CartPol-v1"), "unknown Gymnasium env id 'CartPol-v1'; did you mean 'CartPole-v1'"),
    (lambda: GymSimulator("CartPole-v1", episodes=0), "GymSimulator: episodes must be >= 1; got 0"),
    (lambda: GymSimulator("CartPole-v1", episodes=-3), "GymSimulator: episodes must be >= 1; got -3"),
    (lambda: GymSimulator("CartPole-v1", max_steps=0), "GymSimulator: max_steps must be >= 1; got 0"),
    (lambda: GymSimulator("CartPole-v1", action="squash"), "GymSimulator: unknown action 'squash'"),
    (lambda: GymSimulator(lambda: _Spaces(action_space=gym.spaces.Box(-np.inf, np.inf, (2,)))),
     "has unbounded actions, which action='auto' cannot scale to; use action='clip'"),
    (lambda: GymSimulator("FrozenLake-v1", normalize=True), "which normalize=True cannot normalize"),
])
def test_bad_simulator_settings(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


def test_wrong_network_and_state():
    sim = GymSimulator("CartPole-v1")
    with pytest.raises(ValueError, match=re.escape("make its first layer size 4")):
        sim.evaluate(np.zeros((2, 13)), NetworkSpec([3, 2, 1]))
    with pytest.raises(ValueError, match=re.escape("GymSimulator state must hold")):
        sim.set_state({"obs_count": np.array(1.0)})


def test_policy_of_one_genome_drives_a_plain_gymnasium_loop():
    spec = NetworkSpec([3, 8, 1], "tanh")
    g = _genomes(spec, 1, seed=4)
    sim = GymSimulator("Pendulum-v1", episodes=1, normalize=True)
    sim.end_generation(sim.evaluate_block(_genomes(spec, 4), spec, GenerationKey(1)).extras)   # some statistics
    policy = sim.policy(g[0], spec)
    env = gym.make("Pendulum-v1")
    obs, _ = env.reset(seed=77)
    total, done = 0.0, False
    while not done:
        action = policy(obs)
        assert action.dtype == np.float32 and action.shape == (1,) and env.action_space.contains(action)
        obs, r, term, trunc, _ = env.step(action)
        total, done = total + r, term or trunc
    expected = sim.rollout(g, spec, np.array([77]), fast=False, training=False)["returns"][0, 0]
    assert total == pytest.approx(expected, abs=1e-9)
    with pytest.raises(ValueError, match=re.escape("takes an observation of 3 values; got shape (4,)")):
        policy(np.zeros(4))


def test_simulator_and_task_pickle_for_worker_processes():
    import pickle

    from neuroevo.tasks.gym import gym_task

    spec = NetworkSpec([3, 4, 1], "tanh")
    g = _genomes(spec, 4)
    sim = GymSimulator("Pendulum-v1", episodes=1, normalize=True, fast_path=False)
    sim.end_generation(sim.evaluate_block(g, spec, GenerationKey(1)).extras)
    copy = pickle.loads(pickle.dumps(sim))
    assert np.array_equal(copy.evaluate(g, spec, key=GenerationKey(2)), sim.evaluate(g, spec, key=GenerationKey(2)))
    task = gym_task("Pendulum-v1")(episodes=2)
    again = pickle.loads(pickle.dumps(task))
    assert type(again) is type(task) and again == task
