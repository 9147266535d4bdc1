"""Racing benchmark: the fused Numba rollout against its baselines and the machine's limit, in one run.

Every side scores the same populations on the 400-step training track (391 steps with sensors
0, 5, 9), and the scores are checked to agree before anything is timed. Throughput is
genome-steps per second, ``P * max_score / seconds``: the steps a population would run with no
early exit, so every side is credited with the same work whatever it skips.

Populations, per size P:
  - "evolved": evolved champions of several rank-GA runs plus N(0, 0.04) noise; about 60% of
    them finish the track, the rest crash along the way (the fraction is recorded). The targets
    are judged on these.
  - "random": uniform(-1, 1) genomes. Most crash within a few steps; early exit pays off.

Sides, each on 1 and 2 threads (repeats interleaved, best of each):
  - today's kernel, through ``TrackSimulator(track, threads=t).scores`` (threads chosen by the
    expected work, so small calls stay on one thread);
  - the kernel of commit 5bbc16a (:mod:`tracks.bench_baseline`), driven as it was then;
  - the JAX peer (:mod:`tracks.jax_peer`, jit + vmap + scan, float64) in a subprocess per thread
    count, when jax is installed;
  - the step-by-step NumPy loop of the reference post (one thread of NumPy), written fresh below:
    an ``einsum`` per layer, ``1/(1+exp(-x))``, a Player object, no early exit.

The machine's limit: per genome-step the network does ``2 * 92`` multiply-add flops, 13 bias
additions, 6 input differences and 6 physics operations (209 flops) and 13 sigmoids. The limit
is ``threads / (209 / F + 13 / S)``, with F the float64 rate of a BLAS matrix product of
L2-resident matrices (BLAS runs within a few percent of a core's peak there) and S the rate of
the kernel's own vectorized sigmoid on an L1-resident block, both measured in this run per
thread count. It leaves out everything else the rollout must do (reading the track, checking
the corridor, dropping crashed genomes), so no rollout can reach it. The share of it a rollout
reaches counts the steps it really ran (a genome that crashes at step i ran i + 1).

Also measured: a sweep of the block width on one thread, and the time of the first call in a
fresh process with a cold and a warm on-disk cache. Each row records the share of the machine
other processes used while it was timed ("others"); rerun when it is not near 0.

It is the racing part of ``neuroevo bench throughput`` (which names it lazily, as a string:
neuroevo never imports tracks). ``--quick`` there measures populations of 50 and 1,000 only,
with fewer repeats and no sweep or fresh-process timings.

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
import threading
import time
from pathlib import Path

import numpy as np
from numba import njit

from neuroevo import NetworkSpec, Population
from neuroevo.bench.common import best_time, machine
from tracks import DEFAULT_SENSORS, TrackSimulator, seed_training_track
from tracks import kernels as tk
from tracks.bench_baseline import baseline_scores

POPULATIONS = (50, 100, 1_000, 10_000, 100_000)
#: Sizes the speed targets are judged at (evolved populations).
TARGET_SIZES = (1_000, 10_000, 100_000)
#: Today's kernel against 5bbc16a's: at least this ratio, or 80% of the machine's limit if lower.
MIN_RATIO_BASELINE = 1.6
#: Today's kernel against the JAX peer.
MIN_RATIO_JAX = 2.5
LAYERS = [7, 8, 4, 1]
EVOLVED_NOISE = 0.04
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


# -- helpers ----------------------------------------------------------------------------------------

def cpu_snapshot():
    """(wall s, machine busy s, cpu s of this process and its finished children, such as the JAX
    peer's timing subprocesses) from /proc/stat and os.times; None off Linux."""
    try:
        ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except OSError:
        return None
    t = os.times()
    busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")   # all but idle and iowait
    return time.monotonic(), busy, t.user + t.system + t.children_user + t.children_system


def others_load(before, after) -> float | None:
    """Share of the machine's cores (0..1) that other processes used between two snapshots."""
    if before is None or after is None:
        return None
    wall = after[0] - before[0]
    others = (after[1] - before[1]) - (after[2] - before[2])
    return round(max(0.0, others / (wall * (os.cpu_count() or 1))), 3)


def champions(spec, track, count: int = 3) -> tuple[np.ndarray, list[int]]:
    """Best genomes of ``count`` rank-GA runs that finish the track: float64 ``(count, D)`` and their seeds."""
    sim = TrackSimulator(track)
    found, seeds = [], []
    for seed in range(40):
        pop = Population(spec, "rank_ga", seed=seed, population_size=100, elitism=2)
        pop.evolve(sim, 150, progress=False)
        if pop.fitness.max() == sim.max_score:
            found.append(pop.genomes[int(np.argmax(pop.fitness))].copy())
            seeds.append(seed)
            if len(found) == count:
                return np.array(found), seeds
    raise RuntimeError(f"only {len(found)} of 40 rank-GA runs finished the training track; cannot build "
                       f"an evolved population")


def evolved_population(best: np.ndarray, P: int, rng, noise: float = EVOLVED_NOISE) -> np.ndarray:
    """``P`` genomes: champions drawn at random plus N(0, noise) on every weight (about 60% finish,
    and 72% of the steps of a full run are run)."""
    return best[rng.integers(len(best), size=P)] + rng.normal(0, noise, (P, best.shape[1]))


# -- the machine's limit -------------------------------------------------------------------------------

@njit(cache=True, nogil=True, error_model="numpy")
def _sigmoid_loop(x, reps):
    """``reps`` passes of the kernel's sigmoid over the block ``x`` (in place, each pass feeding the next)."""
    for _ in range(reps):
        for b in range(x.shape[0]):
            x[b] = tk.sigmoid(x[b]) * 8.0 - 4.0


def _concurrently(threads: int, fn) -> float:
    """Seconds for ``threads`` threads to run ``fn()`` at once (fn releases the GIL)."""
    barrier = threading.Barrier(threads + 1)

    def run():
        barrier.wait()
        fn()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    t0 = time.perf_counter()
    barrier.wait()
    for w in workers:
        w.join()
    return time.perf_counter() - t0


def machine_limit(spec, sensors, threads: int, repeats: int = 5) -> dict:
    """The genome-steps per second no rollout of ``spec`` can beat on ``threads`` threads (module docstring)."""
    from threadpoolctl import threadpool_limits

    sigmoids = sum(layer.n_out for layer in spec.layers if layer.act == "sigmoid")
    flops = sum(2 * layer.n_in * layer.n_out + layer.n_out for layer in spec.layers) + 2 * len(sensors) + 6
    n = 192                                   # 3 x 288 KB: L2-resident, large enough for BLAS's peak
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(n, n)), rng.normal(size=(n, n))
    outs = [np.empty((n, n)) for _ in range(threads)]
    reps_mm = 20

    def matmuls(out):
        for _ in range(reps_mm):
            np.matmul(a, b, out=out)

    block = [rng.uniform(-4, 4, tk.LANES) for _ in range(threads)]
    reps_sig = 4000
    _sigmoid_loop(block[0], 1)
    with threadpool_limits(limits=1, user_api="blas"):     # one BLAS thread per Python thread
        t_mm = min(_concurrently(threads, _round_robin(matmuls, outs)) for _ in range(repeats))
    t_sig = min(_concurrently(threads, _round_robin(lambda x: _sigmoid_loop(x, reps_sig), block))
                for _ in range(repeats))
    flop_rate = threads * reps_mm * 2 * n ** 3 / t_mm
    sigmoid_rate = threads * reps_sig * tk.LANES / t_sig
    return {"threads": threads, "flops_per_genome_step": flops, "sigmoids_per_genome_step": sigmoids,
            "blas_gflops": flop_rate / 1e9, "sigmoids_per_s": sigmoid_rate,
            "limit_gsps": 1.0 / (flops / flop_rate + sigmoids / sigmoid_rate)}


def _round_robin(fn, args):
    """A callable that gives each calling thread the next of ``args``."""
    lock, it = threading.Lock(), iter(args)

    def call():
        with lock:
            arg = next(it)
        fn(arg)
    return call


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
    parser.add_argument("--no-jax", action="store_true", help="leave out the JAX peer")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON results")
    args = parser.parse_args(argv)
    result = measure(POPULATIONS[:4] if args.quick else POPULATIONS, quick=args.quick, jax=not args.no_jax)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return result


def _jax_available() -> bool:
    try:
        import jax  # noqa: F401
    except ImportError:
        return False
    return True


def _interleaved_best(sides: dict, repeats: int) -> dict:
    """Best seconds of each ``name -> fn`` over ``repeats`` rounds that call every side in turn.

    Each side is called once untimed just before its timed call: a call right after another
    side's threaded one was measured up to 1.6x slower (threads going to sleep), whichever side
    it was."""
    best = dict.fromkeys(sides, float("inf"))
    for _ in range(repeats):
        for name, fn in sides.items():
            fn()
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def measure(populations=POPULATIONS, *, quick: bool = False, extras: bool = True, jax: bool = True,
            echo=print) -> dict:
    """Time the fused rollout against its baselines; returns every figure (see the module docstring).

    Args:
        populations: population sizes to time.
        quick: fewer repeats.
        extras: also sweep the block width and time the first call in fresh processes.
        jax: include the JAX peer when jax is installed.
        echo: where progress lines go (``print``; a function that drops them to stay quiet).
    """
    track = seed_training_track()
    spec = NetworkSpec(LAYERS)
    sims = {t: TrackSimulator(track, threads=t) for t in (1, 2)}
    max_score = sims[1].max_score
    post_net = NeuralNetwork(LAYERS)
    rng = np.random.default_rng(0)
    load_start = os.getloadavg()
    use_jax = jax and _jax_available()
    jax_info = None
    if use_jax:
        from tracks import jax_peer

    # compile and warm up everything before any timing
    warm = rng.uniform(-1, 1, (200, spec.num_params))
    for t in (1, 2):
        sims[t].scores(warm, spec)
        baseline_scores(warm, spec, track, DEFAULT_SENSORS, t)
    limits = {t: machine_limit(spec, DEFAULT_SENSORS, t, repeats=3 if quick else 5) for t in (1, 2)}
    for t, lim in limits.items():
        echo(f"machine limit, {t} thread(s): {lim['limit_gsps'] / 1e6:.1f} M genome-steps/s "
             f"(BLAS {lim['blas_gflops']:.1f} GFLOP/s, sigmoid {lim['sigmoids_per_s'] / 1e6:.0f} M/s)")

    best, seeds = champions(spec, track)
    echo(f"evolved populations: champions of rank-GA seeds {seeds} + N(0, {EVOLVED_NOISE})")

    rows = []
    header = (f"{'population':<10} {'P':>7} {'done':>5} {'numpy':>7} {'5bbc16a 1t':>10} {'today 1t':>9} "
              f"{'x':>5} {'5bbc16a 2t':>10} {'today 2t':>9} {'x':>5} {'jax 1t':>7} {'jax 2t':>7} "
              f"{'limit':>6} {'others':>6}")
    echo(header)
    echo("-" * len(header))
    for P in populations:
        for kind in ("evolved", "random"):
            genomes = (evolved_population(best, P, rng) if kind == "evolved"
                       else rng.uniform(-1, 1, (P, spec.num_params)))
            scores = sims[1].scores(genomes, spec)
            agree = {"numpy_loop": bool(np.array_equal(numpy_scores(genomes, track.top, track.bottom, post_net),
                                                        scores)) if P <= 10_000 or not quick else None}
            for t in (1, 2):
                agree[f"today_{t}"] = bool(np.array_equal(sims[t].scores(genomes, spec), scores))
                agree[f"5bbc16a_{t}"] = bool(np.array_equal(
                    baseline_scores(genomes, spec, track, DEFAULT_SENSORS, t), scores))
            snap = cpu_snapshot()
            reps = (3 if P >= 100_000 else 5 if P >= 10_000 else 15) if not quick else 3
            sides = {}
            for t in (1, 2):
                sides[f"today_{t}"] = lambda t=t, g=genomes: sims[t].scores(g, spec)
                sides[f"5bbc16a_{t}"] = lambda t=t, g=genomes: baseline_scores(g, spec, track, DEFAULT_SENSORS, t)
            times = _interleaved_best(sides, reps)
            if P <= 10_000 or not quick:
                times["numpy_loop"] = best_time(1 if P >= 100_000 or quick else 2, numpy_scores, genomes,
                                                track.top, track.bottom, post_net)
            threads_used = {t: sims[t].threads_for(P) for t in (1, 2)}
            if use_jax and P >= 1_000:
                for t in (1, 2):
                    peer = jax_peer.measure(genomes, spec, track, threads=t, repeats=3 if quick else 5)
                    times[f"jax_{t}"] = peer["best_s"]
                    agree[f"jax_{t}"] = bool(np.array_equal(np.asarray(peer["scores"]), scores))
                    jax_info = (jax_info or {}) | {k: peer[k] for k in ("variant", "dtype", "jax_version",
                                                                            "jaxlib_version")}
                    jax_info[f"threads_verified_{t}"] = peer["threads_verified"]
            work = P * max_score
            steps_run = int(np.minimum(scores + 1, max_score).sum())      # what the kernel really stepped
            gsps = {k: work / v for k, v in times.items()}
            row = {
                "population": kind, "P": P, "completed_fraction": float(np.mean(scores == max_score)),
                "mean_score": float(scores.mean()), "scores_agree": agree,
                "all_scores_agree": all(v is not False for v in agree.values()),
                "seconds": times, "gsps": gsps, "repeats": reps,
                "threads_used_by_today": threads_used,
                "ratio_today_vs_5bbc16a": {t: gsps[f"today_{t}"] / gsps[f"5bbc16a_{t}"] for t in (1, 2)},
                "ratio_today_vs_jax": {t: gsps[f"today_{t}"] / gsps[f"jax_{t}"] for t in (1, 2)
                                       if f"jax_{t}" in gsps},
                "steps_run": steps_run,
                # the limit counts steps done, so the share uses the steps the kernel really ran
                "share_of_machine_limit": {t: steps_run / times[f"today_{t}"] / limits[t]["limit_gsps"]
                                           for t in (1, 2)},
                "other_processes_cpu_share": others_load(snap, cpu_snapshot()),
            }
            if "numpy_loop" in gsps:
                row["ratio_today_2_vs_numpy_loop"] = gsps["today_2"] / gsps["numpy_loop"]
            rows.append(row)

            def m(key, gsps=gsps):
                return f"{gsps[key] / 1e6:.1f}M" if key in gsps else "-"
            echo(f"{kind:<10} {P:>7} {row['completed_fraction']:>5.2f} {m('numpy_loop'):>7} {m('5bbc16a_1'):>10} "
                 f"{m('today_1'):>9} {row['ratio_today_vs_5bbc16a'][1]:>4.2f}x {m('5bbc16a_2'):>10} "
                 f"{m('today_2'):>9} {row['ratio_today_vs_5bbc16a'][2]:>4.2f}x {m('jax_1'):>7} {m('jax_2'):>7} "
                 f"{row['share_of_machine_limit'][2]:>6.0%} {row['other_processes_cpu_share']!s:>6}"
                 + ("" if row["all_scores_agree"] else f"  (scores differ: {agree})"))

    sweep, first_call = {}, {}
    if extras:
        genomes = evolved_population(best, 10_000, rng)
        none = np.empty((0, 0))
        args = (genomes, np.array(spec.layout), np.array(spec.act_codes), np.array(track.top),
                np.array(track.bottom), np.array(DEFAULT_SENSORS, dtype=np.int64), max_score)
        out = np.empty(len(genomes), dtype=np.int64)
        for lanes in (64, 128, 192, 256, 384, 512):
            t = best_time(5, tk.rollout, *args, 0, len(genomes), lanes, out, none)
            sweep[str(lanes)] = len(genomes) * max_score / t
        echo("block width sweep (1 thread, evolved, P=10,000): "
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

    targets = _targets(rows, limits)
    for t in targets:
        echo(f"target {t['what']}, P={t['P']:>6}, {t['threads']} thread(s): >= {t['min_ratio']:.2f}x, "
             f"measured {t['ratio']:.2f}x -> {'met' if t['met'] else 'NOT met'}")

    return {
        "benchmark": "racing rollout: today's fused kernel vs the kernel of 5bbc16a, the JAX peer, the NumPy "
                     "loop of the reference post and the machine's limit",
        "units": "genome-steps per second = P * max_score / seconds (best of interleaved repeats)",
        "track": {"name": track.name, "length": track.length, "max_score": max_score,
                  "sensors": list(DEFAULT_SENSORS)},
        "network": LAYERS,
        "lanes": tk.LANES,
        "machine": machine(),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "evolved_population": {"champion_seeds": seeds, "noise_sd": EVOLVED_NOISE},
        "jax": jax_info,
        "machine_limit": limits,
        "results": rows,
        "targets": targets,
        "lanes_sweep_1thread_evolved_P10000_gsps": sweep,
        "first_call": first_call,
    }


def _targets(rows: list[dict], limits: dict) -> list[dict]:
    """The speed targets: against 5bbc16a and JAX on the evolved rows, and small P on both kinds."""
    out = []
    for row in rows:
        P = row["P"]
        if row["population"] != "evolved":
            if P <= 100:                    # small populations: no slower than today on random ones either
                for t in (1, 2):
                    got = row["ratio_today_vs_5bbc16a"][t]
                    out.append({"what": "small P, random, no slower", "P": P, "threads": t, "min_ratio": 1.0,
                                "ratio": got, "met": got >= 1.0})
            continue
        for t in (1, 2):
            if P in TARGET_SIZES:
                base = row["gsps"][f"5bbc16a_{t}"]
                need = min(MIN_RATIO_BASELINE, 0.8 * limits[t]["limit_gsps"] / base)
                got = row["ratio_today_vs_5bbc16a"][t]
                out.append({"what": "vs 5bbc16a", "P": P, "threads": t, "min_ratio": need, "ratio": got,
                            "met": got >= need})
                if t in row["ratio_today_vs_jax"]:
                    got = row["ratio_today_vs_jax"][t]
                    out.append({"what": "vs JAX", "P": P, "threads": t, "min_ratio": MIN_RATIO_JAX,
                                "ratio": got, "met": got >= MIN_RATIO_JAX})
            elif P <= 100:
                got = row["ratio_today_vs_5bbc16a"][t]
                out.append({"what": "small P, no slower", "P": P, "threads": t, "min_ratio": 1.0,
                            "ratio": got, "met": got >= 1.0})
    return out


def racing_tables(result: dict) -> list[tuple[str, list[str], list[list]]]:
    """The figures of :func:`measure` as (title, columns, rows) tables for ``neuroevo bench``."""
    def m(row, key):
        v = row["gsps"].get(key)
        return None if v is None else round(v / 1e6, 2)
    speed = ("Racing rollout on the 400-step training track, million genome-steps per second "
             "(today's kernel against the kernel of 5bbc16a, the JAX peer and the NumPy loop)",
             ["population", "P", "completed", "NumPy loop", "5bbc16a 1 thread", "today 1 thread", "ratio",
              "5bbc16a 2 threads", "today 2 threads", "ratio", "JAX 1 thread", "JAX 2 threads",
              "share of the limit (2 threads)", "scores agree", "others' CPU share"],
             [[r["population"], r["P"], round(r["completed_fraction"], 2), m(r, "numpy_loop"), m(r, "5bbc16a_1"),
               m(r, "today_1"), round(r["ratio_today_vs_5bbc16a"][1], 2), m(r, "5bbc16a_2"), m(r, "today_2"),
               round(r["ratio_today_vs_5bbc16a"][2], 2), m(r, "jax_1"), m(r, "jax_2"),
               round(r["share_of_machine_limit"][2], 2), r["all_scores_agree"], r["other_processes_cpu_share"]]
              for r in result["results"]])
    limit = ("The machine's limit for the racing network (209 flops and 13 sigmoids per genome-step)",
             ["threads", "BLAS GFLOP/s", "sigmoids per s (M)", "limit, M genome-steps/s"],
             [[t, round(v["blas_gflops"], 1), round(v["sigmoids_per_s"] / 1e6, 1), round(v["limit_gsps"] / 1e6, 1)]
              for t, v in result["machine_limit"].items()])
    targets = ("Racing targets (evolved populations)", ["target", "P", "threads", "at least", "measured", "met"],
               [[t["what"], t["P"], t["threads"], round(t["min_ratio"], 2), round(t["ratio"], 2), t["met"]]
                for t in result["targets"]])
    return [speed, limit, targets]


if __name__ == "__main__":
    main()
