"""Racing benchmark: the fused Numba rollout against the original step-by-step NumPy loop.

Both score the same populations on the 400-step training track (391 steps with sensors 0, 5, 9).
Throughput is genome-steps per second, ``P * max_score / seconds``: the steps a population would
run with no early exit, so the two sides are credited with the same work whatever they skip.

Two populations per size:
  - "random": uniform(-1, 1) genomes. Most crash within a few steps; early exit pays off.
  - "completing": an evolved genome plus small noise, checked to finish the track. Every genome
    runs all 391 steps, so the ratio measures the kernel itself. The targets are judged on it.

The NumPy side is written fresh below after the original example: an ``einsum`` per layer,
``1/(1+exp(-x))``, a Player object, ``scores = min(scores, current)`` and no early exit.

Also measured: the kernel on one thread; a plain per-genome fused kernel (the simple design that
calls ``neuroevo.kernels.forward.forward_single`` each step, no lanes) on one thread; a sweep of the
block width; and the time of the first call in a fresh process with a cold and a warm on-disk cache.
Each row also records the share of the machine other processes used while it was timed ("others"),
since a busy core slows the two-thread kernel most; rerun when it is not near 0.

It is the racing part of ``neuroevo bench throughput`` (which names it lazily, as a string:
neuroevo never imports tracks). ``--quick`` there measures populations of 50 and 1,000 only,
once each, with no block-width sweep or fresh-process timings.

Usage:
    neuroevo bench throughput                    # with the batched forward pass, into a results folder
    python benchmarks/bench_racing.py            # this part alone: writes benchmarks/results/racing.json
    python benchmarks/bench_racing.py --quick    # populations up to 10,000, fewer repeats
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from numba import njit, prange

from neuroevo import NetworkSpec, Population
from neuroevo.bench.common import best_time, machine
from neuroevo.kernels.forward import forward_single
from tracks import DEFAULT_SENSORS, TrackSimulator, seed_training_track
from tracks import kernels as tk

POPULATIONS = (50, 1_000, 10_000, 100_000)
TARGETS = {50: 10.0, 10_000: 3.0, 100_000: 3.0}      # minimum numba/numpy ratio on "completing"
LAYERS = [7, 8, 4, 1]
RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "racing.json"


# -- the original NumPy loop ------------------------------------------------------------------------

def sigmoid(x):
    return 1 / (1 + np.exp(-x))


class NeuralNetwork:
    """Per-layer weights and biases sliced from a (P, D) population; einsum feed-forward."""

    def __init__(self, network_structure):
        self.structure = []
        i = 0
        for a, b in zip(network_structure[:-1], network_structure[1:]):
            self.structure.append((i, i + a * b, i + a * b + b, a, b))
            i += a * b + b
        self.genome_size = i

    def set_genome(self, genomes):
        P = genomes.shape[0]
        self.weights = [genomes[:, w0:w1].reshape(P, a, b) for w0, w1, _, a, b in self.structure]
        self.biases = [genomes[:, w1:b1].reshape(P, b) for _, w1, b1, _, b in self.structure]

    def feedforward(self, inputs):
        layer = inputs
        for weight, bias in zip(self.weights, self.biases):
            layer = sigmoid(np.einsum("ji,jik->jk", layer, weight) + bias)
        return layer


class Player:
    def __init__(self, p0, v0):
        self.p, self.v = p0, v0

    def step(self, force):
        self.p = self.p + self.v / 2
        self.v = self.v + force
        self.p = self.p + self.v / 2


def numpy_scores(genomes, top, bottom, network, sensors=DEFAULT_SENSORS):
    """Scores of the step-by-step NumPy loop: every genome runs every step."""
    P = genomes.shape[0]
    player = Player(np.zeros(P), np.zeros(P))
    network.set_genome(genomes)
    max_score = top.shape[0] - sensors[-1]
    scores = np.ones(P) * max_score
    with np.errstate(over="ignore"):                  # exp(-x) overflows for x << 0; the sigmoid is then 0
        for index in range(max_score):
            columns = [player.v]
            for s in sensors:
                columns += [player.p - top[index + s], player.p - bottom[index + s]]
            inputs = np.array(columns).reshape(len(columns), P).transpose()
            force = network.feedforward(inputs).flatten() - 0.5
            player.step(force)
            is_out = np.logical_or(player.p > top[index], player.p < bottom[index])
            current = (1 - is_out) * max_score + is_out * index
            scores = np.min([scores, current], axis=0).astype(np.int64)
    return scores


# -- the simple fused kernel: one genome at a time, forward_single each step ---------------------------

@njit(nogil=True)
def per_genome_rollout(genomes, layout, act_codes, top, bottom, sensors, max_score, scores):
    S = sensors.shape[0]
    x = np.empty(1 + 2 * S)
    h_a = np.empty(16)
    h_b = np.empty(16)
    for g in range(genomes.shape[0]):
        p = 0.0
        v = 0.0
        score = max_score
        for index in range(max_score):
            x[0] = v
            for s in range(S):
                x[1 + 2 * s] = p - top[index + sensors[s]]
                x[2 + 2 * s] = p - bottom[index + sensors[s]]
            force = forward_single(genomes[g], layout, act_codes, x, h_a, h_b)[0] - 0.5
            p += v / 2
            v += force
            p += v / 2
            if not (p <= top[index] and p >= bottom[index]):
                score = index
                break
        scores[g] = score


# -- the same serial kernel under Numba's own threading, for comparison with the thread pool ----------

@njit(parallel=True)
def prange_rollout(genomes, layout, act_codes, top, bottom, sensors, max_score, lanes, scores, paths):
    P = genomes.shape[0]
    for k in prange((P + lanes - 1) // lanes):
        start = k * lanes
        tk.rollout(genomes, layout, act_codes, top, bottom, sensors, max_score, start, min(P, start + lanes),
                   lanes, scores, paths)


# -- helpers ----------------------------------------------------------------------------------------

def cpu_snapshot():
    """(wall s, machine busy s, this process's cpu s) from /proc/stat and os.times; None off Linux."""
    try:
        ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except OSError:
        return None
    t = os.times()
    busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")   # all but idle and iowait
    return time.monotonic(), busy, t.user + t.system


def others_load(before, after) -> float | None:
    """Share of the machine's cores (0..1) that other processes used between two snapshots."""
    if before is None or after is None:
        return None
    wall = after[0] - before[0]
    others = (after[1] - before[1]) - (after[2] - before[2])
    return round(max(0.0, others / (wall * (os.cpu_count() or 1))), 3)


def champion(spec, track):
    """A genome of an evolved population that finishes the track."""
    sim = TrackSimulator(track)
    for seed in (3, 4, 0, 1, 2, 5, 6, 7):
        pop = Population(spec, "rank_ga", seed=seed, population_size=50, elitism=2)
        pop.evolve(sim, 150, progress=False)
        if pop.fitness.max() == sim.max_score:
            return pop.genomes[int(np.argmax(pop.fitness))].copy(), seed
    raise RuntimeError("no rank-GA run finished the training track; cannot build a completing population")


def completing_population(best, P, sim, spec, rng, noise=0.001):
    """``P`` genomes near ``best`` that all finish the track (near misses are redrawn)."""
    kept = []
    n = 0
    while n < P:
        g = best + rng.normal(0, noise, (P - n + 16, best.size))
        g = g[sim.scores(g, spec) == sim.max_score][:P - n]
        kept.append(g)
        n += len(g)
    return np.concatenate(kept)


def first_call_times(cache_dir: str, numba_first: bool) -> dict:
    """Seconds to import tracks and to run its first (and second) call, in a fresh process.

    With ``numba_first`` a trivial jitted function runs before, so ``numba_init_s`` holds Numba's
    own one-off start-up (registries, LLVM) and ``first_call_s`` only this package's compile or
    cache load.
    """
    code = (
        "import json, time\n"
        "t0 = time.perf_counter()\n"
        "import numpy as np\n"
        "from tracks import TrackSimulator, seed_training_track\n"
        "t1 = time.perf_counter()\n"
        + ("import numba\nnumba.njit(lambda x: x + 1)(1)\n" if numba_first else "")
        + "t2 = time.perf_counter()\n"
        "sim = TrackSimulator(seed_training_track())\n"
        "g = np.random.default_rng(0).uniform(-1, 1, (50, 105))\n"
        "t3 = time.perf_counter(); sim.scores(g, [7, 8, 4, 1]); t4 = time.perf_counter()\n"
        "sim.scores(g, [7, 8, 4, 1]); t5 = time.perf_counter()\n"
        "print(json.dumps({'import_s': t1 - t0, 'numba_init_s': t2 - t1, 'first_call_s': t4 - t3,\n"
        "                  'second_call_s': t5 - t4}))\n")
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    times = json.loads(out.stdout.strip().splitlines()[-1])
    if not numba_first:
        del times["numba_init_s"]
    return {k: round(v, 4) for k, v in times.items()}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="populations up to 10,000, fewer repeats")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON results")
    args = parser.parse_args(argv)
    result = measure(POPULATIONS[:3] if args.quick else POPULATIONS, quick=args.quick)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return result


def measure(populations=POPULATIONS, *, quick: bool = False, extras: bool = True, echo=print) -> dict:
    """Time the fused rollout and its references; returns every figure (see the module docstring).

    Args:
        populations: population sizes to time.
        quick: fewer repeats.
        extras: also sweep the block width and time the first call in fresh processes.
        echo: where progress lines go (``print``; a function that drops them to stay quiet).
    """
    track = seed_training_track()
    spec = NetworkSpec(LAYERS)
    sim = TrackSimulator(track)
    sim_1t = TrackSimulator(track, threads=1)
    max_score = sim.max_score
    post_net = NeuralNetwork(LAYERS)
    rng = np.random.default_rng(0)
    layout, act_codes = np.array(spec.layout), np.array(spec.act_codes)
    top, bottom, sensors = np.array(track.top), np.array(track.bottom), np.array(DEFAULT_SENSORS)
    load_start = os.getloadavg()

    # compile and warm up everything before any timing
    warm = rng.uniform(-1, 1, (200, spec.num_params))
    sim.scores(warm, spec)
    sim_1t.scores(warm, spec)
    per_genome_rollout(warm, layout, act_codes, top, bottom, sensors, max_score,
                       np.empty(200, dtype=np.int64))
    none = np.empty((0, 0))
    t0 = time.perf_counter()
    prange_rollout(warm, layout, act_codes, top, bottom, sensors, max_score, tk.LANES,
                   np.empty(200, dtype=np.int64), none)
    prange_compile_s = time.perf_counter() - t0

    best, seed = champion(spec, track)
    echo(f"completing population: rank-GA seed {seed} champion + N(0, 0.001) noise")

    rows = []
    header = (f"{'population':<11} {'P':>7} {'numpy gs/s':>11} {'numba gs/s':>11} {'ratio':>7} "
              f"{'numba 1 thr':>11} {'per-genome 1 thr':>16} {'prange':>9} {'others':>6}")
    echo(header)
    echo("-" * len(header))
    for P in populations:
        for kind in ("random", "completing"):
            if kind == "random":
                genomes = rng.uniform(-1, 1, (P, spec.num_params))
            else:
                genomes = completing_population(best, P, sim, spec, rng)
            reference = numpy_scores(genomes, track.top, track.bottom, post_net)
            scores = sim.scores(genomes, spec)
            agree = bool(np.array_equal(reference, scores))
            if kind == "completing" and not np.all(reference == max_score):
                raise RuntimeError("the completing population does not finish the track in the NumPy loop")
            snap = cpu_snapshot()
            np_reps = (3 if P <= 10_000 else 2) if not quick else 1
            nb_reps = 7 if not quick else 3
            t_np = best_time(np_reps, numpy_scores, genomes, track.top, track.bottom, post_net)
            t_nb = best_time(nb_reps, sim.scores, genomes, spec)
            t_1t = best_time(nb_reps, sim_1t.scores, genomes, spec)
            t_pg = best_time(2 if P < 100_000 else 1, per_genome_rollout, genomes, layout, act_codes, top,
                             bottom, sensors, max_score, np.empty(P, dtype=np.int64))
            lanes = min(tk.LANES, max(8, -(-P // sim.threads)))     # as TrackSimulator splits them
            t_pr = best_time(nb_reps, prange_rollout, genomes, layout, act_codes, top, bottom, sensors,
                             max_score, lanes, np.empty(P, dtype=np.int64), none)
            work = P * max_score
            row = {
                "population": kind, "P": P, "completed_fraction": float(np.mean(scores == max_score)),
                "mean_score": float(scores.mean()), "scores_agree_with_numpy_loop": agree,
                "numpy_s": t_np, "numba_s": t_nb, "numba_1thread_s": t_1t, "per_genome_1thread_s": t_pg,
                "prange_s": t_pr, "prange_gsps": work / t_pr,
                "numpy_gsps": work / t_np, "numba_gsps": work / t_nb, "ratio": t_np / t_nb,
                "numba_1thread_gsps": work / t_1t, "per_genome_1thread_gsps": work / t_pg,
                "numpy_repeats": np_reps, "numba_repeats": nb_reps,
                "other_processes_cpu_share": others_load(snap, cpu_snapshot()),
            }
            rows.append(row)
            echo(f"{kind:<11} {P:>7} {row['numpy_gsps']:>11.3g} {row['numba_gsps']:>11.3g} "
                  f"{row['ratio']:>6.1f}x {row['numba_1thread_gsps']:>11.3g} "
                  f"{row['per_genome_1thread_gsps']:>16.3g} {row['prange_gsps']:>9.3g} "
                  f"{row['other_processes_cpu_share']!s:>6}" + ("" if agree else "  (scores differ!)"))

    sweep, first_call = {}, {}
    # block width, one thread, completing population of 10,000
    genomes = completing_population(best, 10_000, sim, spec, rng) if extras else genomes[:0]
    for lanes in (8, 16, 32, 64, 128) if extras else ():
        out = np.empty(len(genomes), dtype=np.int64)
        tk.rollout(genomes[:lanes], layout, act_codes, top, bottom, sensors, max_score, 0, lanes, lanes,
                   out, none)
        t = best_time(5, tk.rollout, genomes, layout, act_codes, top, bottom, sensors, max_score, 0,
                      len(genomes), lanes, out, none)
        sweep[str(lanes)] = len(genomes) * max_score / t
    if extras:
        echo("block width sweep (1 thread, completing, P=10,000): "
              + ", ".join(f"{k}: {v / 1e6:.1f}M" for k, v in sweep.items()))
        for numba_first in (False, True):
            with tempfile.TemporaryDirectory() as cache:
                key = "after_numba_init" if numba_first else "fresh_process"
                first_call[key] = {"cold_cache": first_call_times(cache, numba_first),
                                   "warm_cache": first_call_times(cache, numba_first)}
        fresh, after = first_call["fresh_process"], first_call["after_numba_init"]
        echo(f"first call in a fresh process: cold cache {fresh['cold_cache']['first_call_s']:.2f} s, "
              f"warm cache {fresh['warm_cache']['first_call_s']:.2f} s "
              f"(import {fresh['warm_cache']['import_s']:.2f} s)")
        echo(f"  of which numba's own start-up {after['warm_cache']['numba_init_s']:.2f} s; after it: "
              f"compile {after['cold_cache']['first_call_s']:.2f} s, cache load "
              f"{after['warm_cache']['first_call_s']:.3f} s")

    targets = []
    for P, minimum in TARGETS.items():
        row = next((r for r in rows if r["P"] == P and r["population"] == "completing"), None)
        if row is not None:
            targets.append({"P": P, "population": "completing", "min_ratio": minimum,
                            "ratio": row["ratio"], "met": row["ratio"] >= minimum})
    for t in targets:
        echo(f"target P={t['P']:>6}: >= {t['min_ratio']:.0f}x, measured {t['ratio']:.1f}x "
              f"-> {'met' if t['met'] else 'NOT met'}")

    result = {
        "benchmark": "racing rollout, fused numba kernel vs the step-by-step numpy loop",
        "units": "genome-steps per second = P * max_score / seconds (best of the repeats)",
        "track": {"name": track.name, "length": track.length, "max_score": max_score,
                  "sensors": list(DEFAULT_SENSORS)},
        "network": LAYERS,
        "threads": sim.threads,
        "lanes": tk.LANES,
        "machine": machine(),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "completing_population": {"champion_seed": seed, "noise_sd": 0.001},
        "results": rows,
        "targets": targets,
        "lanes_sweep_1thread_completing_P10000_gsps": sweep,
        "first_call": first_call,
        "prange_variant_compile_s": prange_compile_s,
    }
    return result


if __name__ == "__main__":
    main()
