"""``neuroevo run gym:ENV_ID``: evolve a policy for a Gymnasium env, score it on unseen episodes.

:func:`gym_task` makes one task class per env id (cached): its network comes from the env's
spaces, its strategy settings, episodes and stop rule from :data:`GYM_DEFAULTS` (measured for
the ids named there; any other id gets the generic defaults). Training runs on the compiled port
of the env when there is one (``--no-fast-path``: the real env); the held-out evaluation
always plays the real Gymnasium env, on episode seeds the training never draws.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from neuroevo._checks import check_choice, check_float, check_int
from neuroevo.network.spec import NetworkSpec
from neuroevo.simulators.base import GenerationKey
from neuroevo.simulators.gym import ACTION_MAPPINGS, HELD_OUT_SEEDS, GymSimulator, make_env
from neuroevo.tasks.base import Selection, StopRule, TargetRule, Task, top_genomes

#: Defaults per env id, measured with benchmarks/suites/gym_seeds.py (README, "Gymnasium").
#: ``hidden``: hidden layer sizes; ``solved``: the held-out mean return the env counts as solved.
GYM_DEFAULTS: dict[str, dict[str, Any]] = {
    "CartPole-v1": {"hidden": (8,), "strategy": "cmaes", "settings": {"cmaes": {"population_size": 16}},
                    "generations": 100, "episodes": 10, "normalize": False, "target": 500.0, "solved": 475.0},
    "Pendulum-v1": {"hidden": (16,), "strategy": "cmaes", "settings": {"cmaes": {"population_size": 32}},
                    "generations": 400, "episodes": 5, "normalize": False, "target": None, "solved": -200.0},
    "LunarLander-v3": {"hidden": (16,), "strategy": "cmaes", "settings": {"cmaes": {"population_size": 32}},
                       "generations": 300, "episodes": 3, "normalize": True, "target": None, "solved": 200.0},
}
GENERIC_DEFAULTS: dict[str, Any] = {"hidden": (16,), "strategy": "cmaes", "settings": {}, "generations": 200,
                                    "episodes": 3, "normalize": True, "target": None, "solved": None}


@dataclass(frozen=True)
class GymEvaluateOptions:
    """Options of ``neuroevo evaluate`` for a Gymnasium run."""

    episodes: int | None = None            # unseen episodes to play (default: the run's held_out_episodes)
    test_seed: int | None = None           # which block of unseen episode seeds (default: the run's)
    gif: bool = False                      # also write a GIF of the first episode (needs the env's rgb_array rendering)

    def __post_init__(self) -> None:
        if self.episodes is not None:
            check_int("episodes", self.episodes, minimum=1, maximum=10**6, owner="gym evaluate")
        if self.test_seed is not None:
            check_int("test_seed", self.test_seed, minimum=0, maximum=10**6, owner="gym evaluate")
        if not isinstance(self.gif, bool):
            raise TypeError(f"gym evaluate: gif must be True or False; got {self.gif!r}")


def held_out_seeds(test_seed: int, episodes: int) -> np.ndarray:
    """Episode seeds of a held-out evaluation: at or above 2**31, which training never draws."""
    return HELD_OUT_SEEDS + test_seed * 10**6 + np.arange(episodes, dtype=np.int64)


@dataclass(frozen=True)
class GymTask(Task):
    """Base of the per-env task classes :func:`gym_task` makes; ``env_id`` names the env."""

    episodes: int = 3                      # training episodes per genome per generation (fitness: their mean return)
    max_steps: int | None = None           # cap on an episode's length (None: the env's time limit)
    fast_path: bool = True                 # train on the env's compiled port if any (--no-fast-path: the real env)
    normalize: bool = True                 # normalize observations by running statistics
    action: str = "auto"                   # Box actions: auto, scale (outputs in [-1,1] to the bounds), tanh or clip
    alive_bonus: float = 0.0               # subtracted from every training reward (1.0 removes CartPole's)
    target: float | None = None            # stop when a generation's best mean return reaches this (None: never)
    held_out_episodes: int = 100           # unseen episodes of the held-out evaluation (real gymnasium env)
    test_seed: int = 0                     # which block of unseen episode seeds the held-out evaluation plays
    select_episodes: int = 20              # episodes that choose the best genome among the final best ones

    env_id: ClassVar[str] = ""
    solved: ClassVar[float | None] = None
    default_activation: ClassVar[str] = "tanh"
    evaluate_options: ClassVar[type] = GymEvaluateOptions
    reevaluate: ClassVar[bool] = True

    def __post_init__(self) -> None:
        owner = type(self).name
        check_int("episodes", self.episodes, minimum=1, maximum=10**6, owner=owner)
        if self.max_steps is not None:
            check_int("max_steps", self.max_steps, minimum=1, maximum=10**8, owner=owner)
        for name in ("fast_path", "normalize"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{owner}: {name} must be True or False; got {getattr(self, name)!r}")
        check_choice("action", self.action, ACTION_MAPPINGS, owner=owner)
        check_float("alive_bonus", self.alive_bonus, owner=owner)
        if self.target is not None:
            check_float("target", self.target, owner=owner)
        check_int("held_out_episodes", self.held_out_episodes, minimum=1, maximum=10**6, owner=owner)
        check_int("test_seed", self.test_seed, minimum=0, maximum=10**6, owner=owner)
        check_int("select_episodes", self.select_episodes, minimum=1, maximum=10**6, owner=owner)
        _ = self._sim    # make the env now: a bad setting fails before the run starts

    def __reduce__(self):
        # the per-env classes are made at run time: pickle by env id and settings (for worker processes)
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return _rebuild, (type(self).env_id, values)

    @cached_property
    def _sim(self) -> GymSimulator:
        return GymSimulator(type(self).env_id, episodes=self.episodes, max_steps=self.max_steps, action=self.action,
                            normalize=self.normalize, alive_bonus=self.alive_bonus, fast_path=self.fast_path)

    def simulator(self) -> GymSimulator:
        """The training simulator (one per task object: it carries the observation statistics)."""
        return self._sim

    def check_network(self, network: NetworkSpec) -> None:
        sim = self._sim
        if network.num_inputs != sim.num_inputs or network.num_outputs != sim.num_outputs:
            raise ValueError(f"{type(self).name}: layers must start with {sim.num_inputs} inputs (the observation) "
                             f"and end with {sim.num_outputs} outputs (the action); got {list(network.sizes)}. "
                             f"Try --layers {sim.num_inputs},16,{sim.num_outputs}")

    def stop_rule(self) -> StopRule:
        return StopRule() if self.target is None else TargetRule(self.target, f"mean return reached {self.target:g}")

    def max_fitness(self) -> float | None:
        return self.target

    def memory(self, population_size: int, network: NetworkSpec) -> list[tuple[int, str]]:
        n = population_size * self.episodes
        return [(8 * n * (network.num_params + 4 * network.max_width), f"{n:,} episodes stepped at once")]

    # -- after the evolution --------------------------------------------------------------------
    def select(self, population, simulator, rng) -> Selection:
        """The best genome ever and the final generation's best, scored again on ``select_episodes``
        fresh training episodes with the final observation statistics; the highest mean wins."""
        top = top_genomes(population, self.keep_top)
        best = population.best_genome if population.best_genome is not None else top[0]
        candidates = np.concatenate([best[None], top])
        seeds = GenerationKey.draw(rng).common().integers(0, HELD_OUT_SEEDS, size=self.select_episodes)
        again = simulator.rollout(candidates, population.network, seeds, training=False)["returns"].mean(axis=1)
        i = int(np.argmax(np.where(np.isfinite(again), again, -np.inf)))
        return Selection(best=np.array(candidates[i]), top=top,
                         info={"best_fitness": population.best_fitness, "selected_return": float(again[i])})

    def _held_out(self, genome: np.ndarray, network: NetworkSpec, episodes: int, test_seed: int) -> dict[str, Any]:
        seeds = held_out_seeds(test_seed, episodes)
        out = self._sim.rollout(genome[None], network, seeds, fast=False, training=False)
        returns = out["returns"][0]
        figures = {"held_out_mean_return": float(returns.mean()), "held_out_std": float(returns.std()),
                   "held_out_min": float(returns.min()), "held_out_episodes": int(episodes),
                   "held_out_test_seed": int(test_seed), "held_out_env_steps": int(out["steps"].sum()),
                   "held_out_returns": [round(float(r), 4) for r in returns]}
        if type(self).solved is not None:
            figures["solved_threshold"] = float(type(self).solved)
            figures["solved"] = bool(returns.mean() >= type(self).solved)
        return figures

    def held_out(self, selection: Selection, network: NetworkSpec) -> dict[str, Any]:
        return self._held_out(selection.best, network, self.held_out_episodes, self.test_seed)

    def evaluate(self, selection: Selection, network: NetworkSpec, options) -> dict[str, Any]:
        opts = options or GymEvaluateOptions()
        episodes = opts.episodes or self.held_out_episodes
        test_seed = self.test_seed if opts.test_seed is None else opts.test_seed
        return self._held_out(selection.best, network, episodes, test_seed)

    def evaluate_name(self, options) -> str:
        opts = options or GymEvaluateOptions()
        test_seed = self.test_seed if opts.test_seed is None else opts.test_seed
        return f"episodes_{opts.episodes or self.held_out_episodes}_test_seed_{test_seed}"

    def evaluate_report(self, figures: dict[str, Any], options) -> list[str]:
        lines = self._held_out_lines(figures)
        if options is not None and options.gif:
            lines.append(f"  gif           the first episode: evaluate/{self.evaluate_name(options)}.gif "
                         f"(if the env renders rgb_array frames)")
        return lines

    def evaluate_plots(self, figures: dict[str, Any], options, folder: Path) -> None:
        if options is not None and options.gif:
            from neuroevo.engine.loader import load_policy
            write_gif(load_policy(folder.parent), int(held_out_seeds(figures["held_out_test_seed"], 1)[0]),
                      folder / f"{self.evaluate_name(options)}.gif", self.max_steps)

    def history_summary(self, rows: list[dict]) -> dict[str, Any]:
        steps = rows[-1].get("env_steps_total") if rows else None
        return {"env_steps": None if steps is None else int(steps)}

    def _held_out_lines(self, s: dict[str, Any]) -> list[str]:
        verdict = ""
        if "solved" in s:
            verdict = f" ({'solved' if s['solved'] else 'not solved'}: threshold {s['solved_threshold']:g})"
        return [f"  held out      mean return {s['held_out_mean_return']:.1f} +- {s['held_out_std']:.1f} "
                f"(min {s['held_out_min']:.1f}) over {s['held_out_episodes']} unseen episodes of the real "
                f"gymnasium env{verdict}"]

    def report(self, s: dict[str, Any]) -> list[str]:
        steps = f", {s['env_steps']:,} env steps" if s.get("env_steps") is not None else ""
        return [f"  best genome   mean return {s['best_fitness']:.1f} on {self.episodes} training episodes{steps}"] \
            + self._held_out_lines(s)

    def plots(self, selection: Selection, network: NetworkSpec, summary: dict[str, Any], folder: Path) -> None:
        from neuroevo.plots import plot_returns
        plot_returns(summary["held_out_returns"], folder / "held_out_returns.png", solved=type(self).solved,
                     title=f"{type(self).env_id}: best genome on {summary['held_out_episodes']} unseen episodes")


_made: dict[str, type[GymTask]] = {}


def _rebuild(env_id: str, values: dict[str, Any]) -> GymTask:
    return gym_task(env_id)(**values)


def gym_task(env_id: str) -> type[GymTask]:
    """The task class of ``neuroevo run gym:ENV_ID`` (one per env id, made on first use)."""
    if env_id in _made:
        return _made[env_id]
    probe = GymSimulator(env_id, fast_path=False)        # unknown ids and unmappable spaces fail here
    d = GYM_DEFAULTS.get(env_id, GENERIC_DEFAULTS)
    layers = (probe.num_inputs, *d["hidden"], probe.num_outputs)
    defaults = {"episodes": d["episodes"], "normalize": d["normalize"], "target": d["target"]}
    ns = {"__annotations__": {}, "__module__": __name__}
    for f in dataclasses.fields(GymTask):
        if f.name in defaults:
            ns["__annotations__"][f.name] = f.type
            ns[f.name] = defaults[f.name]
    cls = type(f"GymTask_{env_id}", (GymTask,), ns)
    cls.name = f"gym:{env_id}"
    cls.env_id = env_id
    cls.solved = d["solved"]
    cls.description = f"evolve a policy for the Gymnasium env {env_id}"
    cls.default_layers = layers
    cls.default_strategy = d["strategy"]
    cls.default_generations = d["generations"]
    cls.strategy_defaults = d["settings"]
    cls = dataclass(frozen=True)(cls)
    # the field comments of GymTask are the --help of every env's task
    cls.__doc__ = f"Evolve a policy for the Gymnasium env {env_id}; held out: unseen episodes of the real env."
    _made[env_id] = cls
    return cls


def write_gif(policy, seed: int, path: Path, max_steps: int | None = None) -> Path | None:
    """Play one episode of ``policy`` with ``rgb_array`` rendering and write it as a GIF (None if the
    env cannot render)."""
    from matplotlib import animation
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")       # rendering off screen, no display needed
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    try:
        env = make_env(policy.env_id, render_mode="rgb_array")
    except Exception:
        return None
    frames = []
    try:
        obs, _ = env.reset(seed=seed)
        frames.append(env.render())
        for _ in range(max_steps or 10**6):
            obs, _, term, trunc, _ = env.step(policy(obs))
            frames.append(env.render())
            if term or trunc:
                break
    finally:
        env.close()
    if not frames or frames[0] is None:
        return None
    frames = frames[::max(1, len(frames) // 150)]          # at most about 150 frames
    fig = Figure(figsize=(frames[0].shape[1] / 100, frames[0].shape[0] / 100), dpi=100)
    FigureCanvasAgg(fig)                                    # its own canvas: no pyplot, no window
    ax = fig.add_axes((0, 0, 1, 1))
    ax.axis("off")
    image = ax.imshow(frames[0])
    anim = animation.FuncAnimation(fig, lambda i: (image.set_data(frames[i]),), frames=len(frames))
    anim.save(path, writer=animation.PillowWriter(fps=30))
    return path
