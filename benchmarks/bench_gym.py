"""Env steps per second of the Gymnasium fast paths against the real Gymnasium envs, same run.

For each classic-control port, one population is scored four ways, interleaved in one process:

  numba   ``GymSimulator(env_id)``: physics and network fused in one compiled loop (the default)
  numpy   ``GymSimulator(env_id, fast_backend="numpy")``: the NumPy port, all envs as arrays
  real    ``GymSimulator(env_id, fast_path=False)``: real gymnasium envs, one batched forward per step
  loop    the loop a user writes by hand: one ``gymnasium.make`` env, genome by genome, episode by
          episode, one forward pass per step

Throughput is env steps (the steps actually played, the same for all four: every path gives the
same returns) divided by seconds; the ratio of each path to ``real`` and to ``loop`` is taken
within the same repetition, and the median over repetitions is reported. Populations: "random",
N(0, 1) genomes (CartPole's crash within tens of steps), and for CartPole also "trained", the best
genome of ``neuroevo run gym:CartPole-v1`` plus N(0, 0.05) noise (most episodes last 500 steps).

    nice -n 10 python benchmarks/bench_gym.py            # writes benchmarks/results/gym_fast_paths.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

import neuroevo
from neuroevo import GenerationKey, GymSimulator, NetworkSpec
from neuroevo.bench.common import machine
from neuroevo.kernels.classic_control import PORTS
from neuroevo.simulators.gym import map_actions, rows_forward

RESULTS = Path(__file__).resolve().parent / "results" / "gym_fast_paths.json"
HIDDEN = 8


def hand_loop(env_id: str, genomes: np.ndarray, spec: NetworkSpec, seeds: np.ndarray, sim: GymSimulator) -> int:
    """The plain gymnasium loop; returns the env steps played."""
    env = gym.make(env_id)
    steps = 0
    for g in genomes:
        for s in seeds:
            obs, _ = env.reset(seed=int(s))
            done = False
            while not done:
                out = rows_forward(g[None], spec, np.asarray(obs, dtype=np.float64)[None])
                a = map_actions(out, sim.action_map, "auto", spec.layers[-1].act)[0]
                a = int(a) if sim.action_map.kind == "discrete" else a.astype(np.float32)
                obs, _, term, trunc, _ = env.step(a)
                steps += 1
                done = term or trunc
    return steps


def measure(env_id: str, genomes: np.ndarray, spec: NetworkSpec, episodes: int, repeats: int) -> dict:
    sims = {"numba": GymSimulator(env_id, episodes=episodes), "numpy": GymSimulator(env_id, episodes=episodes,
                                                                                 fast_backend="numpy"),
            "real": GymSimulator(env_id, episodes=episodes, fast_path=False)}
    key = GenerationKey(0)
    seeds = sims["real"].episode_seeds(key)
    for sim in sims.values():
        sim.evaluate_block(genomes[:2], spec, key)          # compile, make the envs
    reps, fitness = [], {}
    for _ in range(repeats):
        rate = {}
        for name, sim in sims.items():
            t0 = time.perf_counter()
            out = sim.evaluate_block(genomes, spec, key)
            dt = time.perf_counter() - t0
            steps = int(out.extras["env_steps"].sum())
            rate[name] = steps / dt
            fitness[name] = out.fitness
        t0 = time.perf_counter()
        steps_loop = hand_loop(env_id, genomes, spec, seeds, sims["real"])
        rate["loop"] = steps_loop / (time.perf_counter() - t0)
        reps.append(rate)
    med = {k: float(np.median([r[k] for r in reps])) for k in reps[0]}
    ratios = {f"{a}_over_{b}": float(np.median([r[a] / r[b] for r in reps]))
              for a in ("numba", "numpy") for b in ("real", "loop")}
    ratios["real_over_loop"] = float(np.median([r["real"] / r["loop"] for r in reps]))
    return {"env_steps": steps, "steps_per_s": med, "ratios": ratios,
            "max_return_difference_numba_vs_real": float(np.max(np.abs(fitness["numba"] - fitness["real"]))),
            "repeats": repeats}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--population", type=int, default=64)
    ap.add_argument("--episodes", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    rows = []
    for env_id in sorted(PORTS):
        probe = GymSimulator(env_id)
        spec = NetworkSpec([probe.num_inputs, HIDDEN, probe.num_outputs], "tanh")
        populations = {"random": np.random.default_rng(0).normal(size=(args.population, spec.num_params))}
        if env_id == "CartPole-v1":
            best = neuroevo.run("gym:CartPole-v1", write=False, progress=False, seed=0).best_genome
            noise = np.random.default_rng(1).normal(0.0, 0.05, size=(args.population, spec.num_params))
            populations["trained"] = best + noise
        for label, genomes in populations.items():
            row = {"env": env_id, "population": label, "genomes": len(genomes), "episodes": args.episodes}
            row |= measure(env_id, genomes, spec, args.episodes, args.repeats)
            rows.append(row)
            r, q = row["steps_per_s"], row["ratios"]
            print(f"{env_id:26s} {label:8s} steps {row['env_steps']:>8,}  numba {r['numba']:>10,.0f}/s  numpy "
                  f"{r['numpy']:>10,.0f}/s  real {r['real']:>8,.0f}/s  loop {r['loop']:>8,.0f}/s  numba/real "
                  f"{q['numba_over_real']:5.0f}x  numba/loop {q['numba_over_loop']:5.0f}x", flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": machine(), "settings": vars(args), "rows": rows}, indent=1) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
