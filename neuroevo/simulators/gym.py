"""Gymnasium environments as a simulator: every genome plays the same episodes, in one batch.

:class:`GymSimulator` scores a population on any Gymnasium env (an id, or a factory that makes
one). Each generation draws its episode seeds from the generation's common stream, so every
genome plays the same episodes, and a block of genomes scored anywhere plays the same ones too.
All ``P x episodes`` envs step together: one batched forward pass per step over the envs still
running. For the classic-control ids a compiled port plays each episode in one loop, physics and
network fused (:mod:`neuroevo.kernels.classic_rollout`; its reference is the NumPy port
:mod:`neuroevo.kernels.classic_control`, which steps all envs as arrays); every other id steps
real Gymnasium envs.

Observation normalization keeps running statistics (count, sum and sum of squares of every
observation seen). They are frozen while a generation is scored; each genome returns the sums
of its own observations as extras, and :meth:`GymSimulator.end_generation` adds them to the
running statistics in genome order, so the result never depends on how the population was cut
into blocks. The statistics are the simulator's checkpoint state.

Gymnasium is the optional extra ``neuroevo[gym]``; this module imports it only when an env is made.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from neuroevo._checks import check_choice, check_float, check_int
from neuroevo.network.forward import ACTIVATIONS
from neuroevo.network.spec import NetworkSpec
from neuroevo.simulators.base import Evaluation, GenerationKey, Simulator

#: training episode seeds are drawn below this; held-out seeds start at it, so they are never trained on
HELD_OUT_SEEDS = 2**31
ACTION_MAPPINGS = ("auto", "scale", "tanh", "clip")
INSTALL_HINT = 'pip install "neuroevo[gym]"'


def import_gymnasium():
    """The gymnasium module, or a one-line error saying how to install it."""
    try:
        import gymnasium
    except ImportError:
        raise ImportError(f"Gymnasium environments need the gymnasium package: {INSTALL_HINT}") from None
    return gymnasium


def make_env(env, **kwargs):
    """A Gymnasium env from an id (``"CartPole-v1"``) or a factory; clear errors for unknown ids."""
    gym = import_gymnasium()
    if callable(env) and not isinstance(env, str):
        made = env(**kwargs)
        if not isinstance(made, gym.Env):
            raise TypeError(f"the env factory {env!r} returned {type(made).__name__}, not a gymnasium.Env")
        return made
    if not isinstance(env, str) or not env:
        raise TypeError(f"env must be a Gymnasium env id such as 'CartPole-v1' or a function that makes an env; "
                        f"got {env!r}")
    if env.startswith("neuroevo/") and env not in gym.registry:
        import importlib
        try:
            importlib.import_module("tracks")          # registers neuroevo/Track-v0
        except ImportError:
            pass
    if env not in gym.registry:
        import difflib
        close = difflib.get_close_matches(env, list(gym.registry), n=3)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else \
            "; `python -c \"import gymnasium; gymnasium.pprint_registry()\"` lists them"
        raise ValueError(f"unknown Gymnasium env id {env!r}{hint}")
    try:
        return gym.make(env, disable_env_checker=True, **kwargs)
    except gym.error.DependencyNotInstalled as exc:
        raise ImportError(f"env {env!r} needs more packages ({str(exc).splitlines()[0]}); {INSTALL_HINT} "
                          f"installs Box2D envs") from None


# -- spaces -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ObsMap:
    """How an observation becomes the network's input row."""

    size: int
    one_hot: int = 0          # Discrete observation space: one input per value


@dataclass(frozen=True)
class ActionMap:
    """How the network's outputs become an action."""

    kind: str                 # "discrete", "box" or "binary"
    size: int                 # network outputs
    start: int = 0            # Discrete(n, start)
    low: np.ndarray | None = None
    high: np.ndarray | None = None
    dtype: type = np.float32


def observation_map(space, env_id: str) -> ObsMap:
    gym = import_gymnasium()
    spaces = gym.spaces
    if isinstance(space, spaces.Box):
        if len(space.shape) != 1:
            raise ValueError(f"env {env_id}: observations of shape {space.shape} (an image or a grid) cannot feed "
                             f"a dense network; wrap the env in gymnasium.wrappers.FlattenObservation (or a "
                             f"feature extractor) and pass the wrapped env's factory")
        return ObsMap(int(space.shape[0]))
    if isinstance(space, spaces.Discrete):
        return ObsMap(int(space.n), one_hot=int(space.n))
    raise ValueError(f"env {env_id}: cannot map a {type(space).__name__} observation space to network inputs "
                     f"(GymSimulator takes a 1-D Box or a Discrete space); wrap the env in "
                     f"gymnasium.wrappers.FlattenObservation")


def action_map(space, env_id: str) -> ActionMap:
    gym = import_gymnasium()
    spaces = gym.spaces
    if isinstance(space, spaces.Discrete):
        return ActionMap("discrete", int(space.n), start=int(space.start))
    if isinstance(space, spaces.MultiBinary) and len(space.shape) == 1:
        return ActionMap("binary", int(space.shape[0]))
    if isinstance(space, spaces.Box) and len(space.shape) == 1:
        return ActionMap("box", int(space.shape[0]), low=space.low.astype(np.float64),
                         high=space.high.astype(np.float64), dtype=space.dtype.type)
    raise ValueError(f"env {env_id}: cannot map network outputs to a {type(space).__name__} action space "
                     f"{space}; GymSimulator maps Discrete (argmax), 1-D Box (scaled to its bounds, or "
                     f"clipped) and 1-D MultiBinary (output > 0); wrap the env in gymnasium.wrappers that "
                     f"flatten or discretize its actions")


def resolve_mapping(mapping: str, last_act: str) -> str:
    """``"auto"`` by the output layer's activation: tanh -> scale, sigmoid -> scale01, others -> tanh."""
    if mapping == "auto":
        return {"tanh": "scale", "sigmoid": "scale01"}.get(last_act, "tanh")
    return mapping


def map_actions(out: np.ndarray, amap: ActionMap, mapping: str, last_act: str) -> np.ndarray:
    """float64 network outputs ``(N, size)`` -> actions ``(N,)`` (discrete) or ``(N, size)``."""
    if amap.kind == "discrete":
        return np.argmax(out, axis=1) + amap.start
    if amap.kind == "binary":
        return (out > (0.5 if last_act == "sigmoid" else 0.0)).astype(np.int8)
    mapping = resolve_mapping(mapping, last_act)
    if mapping == "clip":
        return np.clip(out, amap.low, amap.high)
    if mapping == "scale01":                      # sigmoid outputs: [0, 1] onto [low, high]
        return amap.low + np.clip(out, 0.0, 1.0) * (amap.high - amap.low)
    unit = np.tanh(out) if mapping == "tanh" else np.clip(out, -1.0, 1.0)
    return amap.low + (unit + 1.0) * 0.5 * (amap.high - amap.low)


def rows_forward(genomes: np.ndarray, spec: NetworkSpec, x: np.ndarray) -> np.ndarray:
    """Network ``i`` on input row ``i``: float64 genomes ``(N, D)``, x ``(N, n_in)`` -> ``(N, n_out)``."""
    h = x
    for layer in spec.layers:
        W = genomes[:, layer.w].reshape(-1, layer.n_in, layer.n_out)
        h = ACTIVATIONS[layer.act](np.einsum("ni,nio->no", h, W) + genomes[:, layer.b])
    return h


# -- batches of envs --------------------------------------------------------------------------------
class _GymBatch:
    """N real Gymnasium envs, stepped one by one; ``keep`` drops the ones that finished."""

    def __init__(self, envs: list):
        self.envs = envs

    def reset(self, seeds: np.ndarray) -> np.ndarray:
        return np.stack([np.asarray(env.reset(seed=int(s))[0], dtype=np.float64).ravel()
                         for env, s in zip(self.envs, seeds)])

    def step(self, actions: np.ndarray, amap: ActionMap):
        n = len(self.envs)
        obs, reward = [None] * n, np.empty(n)
        term, trunc = np.empty(n, dtype=bool), np.empty(n, dtype=bool)
        for i, env in enumerate(self.envs):
            a = int(actions[i]) if amap.kind == "discrete" else np.asarray(actions[i], dtype=amap.dtype)
            o, reward[i], term[i], trunc[i], _ = env.step(a)
            obs[i] = np.asarray(o, dtype=np.float64).ravel()
        return np.stack(obs), reward, term, trunc

    def keep(self, mask: np.ndarray) -> None:
        self.envs = [e for e, k in zip(self.envs, mask) if k]


class _PortBatch:
    """N envs of a NumPy port, stepped as arrays."""

    def __init__(self, port):
        self.port = port
        self.state = None

    def reset(self, seeds: np.ndarray) -> np.ndarray:
        self.state = self.port.reset(seeds)
        return self.port.obs(self.state).astype(np.float64)

    def step(self, actions: np.ndarray, amap: ActionMap):
        a = actions.astype(np.float64) if amap.kind == "discrete" else \
            actions[:, 0].astype(amap.dtype).astype(np.float64)
        self.state, obs, reward, term = self.port.step(self.state, a)
        return obs.astype(np.float64), reward, term, np.zeros(len(term), dtype=bool)

    def keep(self, mask: np.ndarray) -> None:
        self.state = self.state[mask]


# -- the simulator ----------------------------------------------------------------------------------
class GymSimulator(Simulator):
    """Scores genomes by their mean return over the same episodes of a Gymnasium env.

    Args:
        env: an env id (``"CartPole-v1"``) or a function that makes a ``gymnasium.Env``.
        episodes: episodes per genome per generation; fitness is their mean return.
        max_steps: cap on an episode's length (None: the env's registered time limit, else 1000).
        action: how outputs become a ``Box`` action: ``"auto"`` (from the output layer's
            activation: tanh outputs in [-1, 1] and sigmoid outputs in [0, 1] are scaled to the
            bounds, identity ones squashed by tanh first), ``"scale"`` ([-1, 1] to the bounds),
            ``"tanh"`` or ``"clip"`` (clipped to the bounds, no scaling).
            ``Discrete`` actions take the argmax, ``MultiBinary`` ones the outputs above 0.
        normalize: feed the network observations normalized by running statistics.
        alive_bonus: subtracted from every step's reward during training (EvoTorch's
            ``decrease_rewards_by``; 1.0 removes CartPole's reward for staying up).
        fast_path: use the env's port when there is one (classic control).
        env_kwargs: keyword arguments of ``gymnasium.make`` (or of the factory).
        fast_backend: ``"numba"`` (physics and network fused in a compiled loop,
            :mod:`neuroevo.kernels.classic_rollout`) or ``"numpy"`` (the NumPy port stepping all
            envs as arrays, :mod:`neuroevo.kernels.classic_control`: the compiled loop's reference).
        threads: threads of the compiled loop (None: ``os.cpu_count()``); results never depend on it.
    """

    def __init__(self, env: str | Callable = "CartPole-v1", *, episodes: int = 1, max_steps: int | None = None,
                 action: str = "auto", normalize: bool = False, alive_bonus: float = 0.0, fast_path: bool = True,
                 env_kwargs: dict | None = None, fast_backend: str = "numba", threads: int | None = None):
        from neuroevo.kernels.classic_control import PORTS

        self.episodes = check_int("episodes", episodes, minimum=1, maximum=10**6, owner="GymSimulator")
        self.action = check_choice("action", action, ACTION_MAPPINGS, owner="GymSimulator")
        self.fast_backend = check_choice("fast_backend", fast_backend, ("numba", "numpy"), owner="GymSimulator")
        self.threads = (os.cpu_count() or 1) if threads is None else check_int("threads", threads, minimum=1,
                                                                               owner="GymSimulator")
        self.alive_bonus = check_float("alive_bonus", alive_bonus, owner="GymSimulator")
        for name, value in (("normalize", normalize), ("fast_path", fast_path)):
            if not isinstance(value, bool):
                raise TypeError(f"GymSimulator: {name} must be True or False; got {value!r}")
        self.normalize = normalize
        self.env = env
        self.env_kwargs = dict(env_kwargs or {})
        self.env_id = env if isinstance(env, str) else getattr(env, "__name__", repr(env))
        probe = make_env(env, **self.env_kwargs)
        try:
            self.obs_map = observation_map(probe.observation_space, self.env_id)
            self.action_map = action_map(probe.action_space, self.env_id)
            limit = probe.spec.max_episode_steps if probe.spec is not None else None
        finally:
            probe.close()
        if self.action_map.kind == "box" and self.action in ("auto", "scale", "tanh") and \
                not (np.all(np.isfinite(self.action_map.low)) and np.all(np.isfinite(self.action_map.high))):
            raise ValueError(f"GymSimulator: env {self.env_id} has unbounded actions, which action={self.action!r} "
                             f"cannot scale to; use action='clip'")
        if normalize and self.obs_map.one_hot:
            raise ValueError(f"GymSimulator: env {self.env_id} has Discrete observations (fed one-hot), which "
                             f"normalize=True cannot normalize; leave normalize off")
        self.time_limit = limit
        cap = limit or 1000
        if max_steps is not None:
            cap = check_int("max_steps", max_steps, minimum=1, maximum=10**8, owner="GymSimulator")
        self.max_steps = cap
        port = PORTS.get(self.env_id) if isinstance(env, str) and not self.env_kwargs else None
        self.port = port if fast_path else None
        self.num_inputs = self.obs_map.size
        self.num_outputs = self.action_map.size
        self._pool: list = []
        n = self.obs_map.size
        self.obs_count, self.obs_sum, self.obs_sumsq = 0.0, np.zeros(n), np.zeros(n)
        self.env_steps_total = 0

    def __repr__(self) -> str:
        return (f"GymSimulator({self.env_id!r}, episodes={self.episodes}, max_steps={self.max_steps}, "
                f"fast_path={self.port is not None})")

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_pool"] = []            # envs are made again where the simulator is unpickled
        return state

    # -- normalization ------------------------------------------------------------------------------
    def obs_mean_std(self) -> tuple[np.ndarray, np.ndarray]:
        """The running mean and standard deviation (0 and 1 before any observation)."""
        n = self.obs_map.size
        if not self.normalize or self.obs_count < 2:
            return np.zeros(n), np.ones(n)
        mean = self.obs_sum / self.obs_count
        var = np.maximum(self.obs_sumsq / self.obs_count - mean**2, 0.0)
        return mean, np.sqrt(var + 1e-8)

    def _inputs(self, obs: np.ndarray, mean, std) -> np.ndarray:
        if self.obs_map.one_hot:
            obs = np.eye(self.obs_map.one_hot)[obs[:, 0].astype(np.int64)]
        return obs if not self.normalize else (obs - mean) / std

    # -- rollouts -----------------------------------------------------------------------------------
    def _batch(self, n: int, fast: bool):
        if fast and self.port is not None:
            return _PortBatch(self.port)
        while len(self._pool) < n:
            self._pool.append(make_env(self.env, **self.env_kwargs))
        return _GymBatch(self._pool[:n])

    def rollout(self, genomes: np.ndarray, spec: NetworkSpec, seeds: np.ndarray, *, fast: bool = True,
                training: bool = True) -> dict[str, np.ndarray]:
        """Play every genome on every episode seed, all envs at once.

        Args:
            genomes: float64 ``(P, D)``.
            spec: the network the genomes encode.
            seeds: int64 ``(E,)`` episode seeds, the same for every genome.
            fast: use the env's port when there is one (False: always the real env).
            training: subtract ``alive_bonus`` from the rewards.

        Returns:
            ``returns`` float64 ``(P, E)``, ``steps`` int64 ``(P, E)`` and the per-genome sums of
            the raw observations seen: ``obs_count`` ``(P,)``, ``obs_sum`` and ``obs_sumsq`` ``(P, n)``.
        """
        if fast and self.port is not None and self.fast_backend == "numba":
            return self._compiled_rollout(genomes, spec, seeds, training)
        P, E = genomes.shape[0], len(seeds)
        N = P * E
        owner = np.repeat(np.arange(P), E)
        batch = self._batch(N, fast)
        obs = batch.reset(np.tile(np.asarray(seeds, dtype=np.int64), P))
        alive = np.arange(N)
        returns, steps = np.zeros(N), np.zeros(N, dtype=np.int64)
        n = obs.shape[1]
        count, total, total_sq = np.zeros(P), np.zeros((P, n)), np.zeros((P, n))
        mean, std = self.obs_mean_std()
        bonus = self.alive_bonus if training else 0.0
        last_act = spec.layers[-1].act
        for _ in range(self.max_steps):
            if alive.size == 0:
                break
            g = owner[alive]
            count += np.bincount(g, minlength=P)
            for j in range(n):
                total[:, j] += np.bincount(g, weights=obs[:, j], minlength=P)
                total_sq[:, j] += np.bincount(g, weights=obs[:, j] ** 2, minlength=P)
            out = rows_forward(genomes[g], spec, self._inputs(obs, mean, std))
            actions = map_actions(out, self.action_map, self.action, last_act)
            obs, reward, term, trunc = batch.step(actions, self.action_map)
            returns[alive] += reward - bonus
            steps[alive] += 1
            keep = ~(term | trunc | (steps[alive] >= self.max_steps))
            alive, obs = alive[keep], obs[keep]
            batch.keep(keep)
        return {"returns": returns.reshape(P, E), "steps": steps.reshape(P, E), "obs_count": count,
                "obs_sum": total, "obs_sumsq": total_sq}

    def _compiled_rollout(self, genomes, spec, seeds, training):
        from neuroevo.kernels.classic_rollout import ACTION_CODES, ENV_CODES, rollout

        amap = self.action_map
        code = 0 if amap.kind == "discrete" else ACTION_CODES[resolve_mapping(self.action, spec.layers[-1].act)]
        low, high = (0.0, 0.0) if amap.low is None else (float(amap.low[0]), float(amap.high[0]))
        mean, std = self.obs_mean_std()
        init = self.port.reset(np.asarray(seeds, dtype=np.int64))
        genomes = np.ascontiguousarray(genomes)
        layout, act_codes = np.array(spec.layout), np.array(spec.act_codes)

        def run(a, b):
            return rollout(ENV_CODES[self.env_id], genomes[a:b], layout, act_codes, spec.max_width, init,
                           self.obs_map.size, mean, std, self.normalize, code, low, high,
                           self.alive_bonus if training else 0.0, self.max_steps)

        # genomes are independent: split them over threads (the kernel releases the GIL); the
        # rows come back in genome order, so the result is the same for any number of threads
        P = genomes.shape[0]
        threads = min(self.threads, max(1, P // 8))
        if threads <= 1:
            parts = [run(0, P)]
        else:
            edges = np.linspace(0, P, threads + 1).astype(int)
            from neuroevo._threads import shared_pool
            parts = list(shared_pool(threads).map(run, edges[:-1], edges[1:]))
        returns, steps, total, total_sq = (np.concatenate([part[i] for part in parts]) for i in range(4))
        return {"returns": returns, "steps": steps, "obs_count": steps.sum(axis=1).astype(np.float64),
                "obs_sum": total.sum(axis=1), "obs_sumsq": total_sq.sum(axis=1)}

    def episode_seeds(self, key: GenerationKey | None) -> np.ndarray:
        """The generation's episode seeds, from its common stream (the same in every block)."""
        if key is None:
            return np.arange(self.episodes, dtype=np.int64)
        return key.common().integers(0, HELD_OUT_SEEDS, size=self.episodes, dtype=np.int64)

    def _evaluate_keyed(self, genomes, spec, key) -> Evaluation:
        out = self.rollout(genomes, spec, self.episode_seeds(key))
        extras = {"env_steps": out["steps"].sum(axis=1)}
        if self.normalize:
            extras |= {"obs_count": out["obs_count"], "obs_sum": out["obs_sum"], "obs_sumsq": out["obs_sumsq"]}
        return Evaluation(out["returns"].mean(axis=1), extras)

    def _evaluate(self, genomes, spec, rng):
        """Not used: :meth:`_evaluate_keyed` scores the genomes (it needs the whole key)."""
        raise NotImplementedError("GymSimulator scores through _evaluate_keyed(genomes, spec, key)")

    def end_generation(self, extras: dict[str, np.ndarray]) -> dict[str, float]:
        steps = int(np.sum(extras.get("env_steps", 0)))
        self.env_steps_total += steps
        if self.normalize and "obs_count" in extras:
            # the blocks' rows arrive joined in genome order: the same sums however the population was cut
            self.obs_count = self.obs_count + float(np.sum(extras["obs_count"]))
            self.obs_sum = self.obs_sum + np.sum(extras["obs_sum"], axis=0)
            self.obs_sumsq = self.obs_sumsq + np.sum(extras["obs_sumsq"], axis=0)
        return {"env_steps": float(steps), "env_steps_total": float(self.env_steps_total)}

    def get_state(self) -> dict[str, np.ndarray]:
        return {"obs_count": np.array(self.obs_count), "obs_sum": self.obs_sum.copy(),
                "obs_sumsq": self.obs_sumsq.copy(), "env_steps_total": np.array(self.env_steps_total)}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        want = {"obs_count", "obs_sum", "obs_sumsq", "env_steps_total"}
        if set(state) != want:
            raise ValueError(f"GymSimulator state must hold {sorted(want)}; the checkpoint holds {sorted(state)}")
        n = self.obs_map.size
        if np.shape(state["obs_sum"]) != (n,) or np.shape(state["obs_sumsq"]) != (n,):
            raise ValueError(f"GymSimulator state: observation sums of shape {np.shape(state['obs_sum'])} do "
                             f"not fit env {self.env_id} ({n} observations)")
        self.obs_count = float(state["obs_count"])
        self.obs_sum = np.array(state["obs_sum"], dtype=np.float64)
        self.obs_sumsq = np.array(state["obs_sumsq"], dtype=np.float64)
        self.env_steps_total = int(state["env_steps_total"])

    # -- one policy ---------------------------------------------------------------------------------
    def policy(self, genome: np.ndarray, spec: NetworkSpec) -> GymPolicy:
        """The callable ``policy(obs) -> action`` of one genome, with the current normalization."""
        mean, std = self.obs_mean_std()
        return GymPolicy(np.array(genome, dtype=np.float64), spec, self, mean, std)


class GymPolicy:
    """``policy(obs) -> action`` for one observation: normalization, network and action mapping.

    The action has the type the env's ``step`` takes: an int for ``Discrete``, an array of the
    space's dtype for ``Box`` and ``MultiBinary``.
    """

    def __init__(self, genome: np.ndarray, spec: NetworkSpec, sim: GymSimulator, mean, std):
        self.genome, self.spec, self.env_id = genome, spec, sim.env_id
        self._sim, self.mean, self.std = sim, mean, std

    def __call__(self, obs):
        x = np.asarray(obs, dtype=np.float64).reshape(1, -1)
        sim = self._sim
        if not sim.obs_map.one_hot and x.shape[1] != sim.obs_map.size:
            raise ValueError(f"policy for {self.env_id} takes an observation of {sim.obs_map.size} values; "
                             f"got shape {np.shape(obs)}")
        out = rows_forward(self.genome[None], self.spec, sim._inputs(x, self.mean, self.std))
        a = map_actions(out, sim.action_map, sim.action, self.spec.layers[-1].act)[0]
        if sim.action_map.kind == "discrete":
            return int(a)
        return np.asarray(a, dtype=sim.action_map.dtype if sim.action_map.kind == "box" else np.int8)

    def __repr__(self) -> str:
        return f"GymPolicy({self.env_id!r}, network {list(self.spec.sizes)})"
