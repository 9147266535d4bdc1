"""JAX peer of the racing rollout: the same scores as :class:`tracks.TrackSimulator`, written as a JAX user would.

It exists to be measured next to the fused Numba kernel (:mod:`tracks.kernels`) in the racing
benchmark, so it is meant to be a fair, competent JAX program, not a strawman: ``jax.jit``, the
population batched (``jax.vmap`` or arrays with the population as one axis), ``jax.lax.scan`` (or
``lax.while_loop``) over the steps, float64 (``jax_enable_x64``), the weights sliced out of the
flat genomes once, before the loop. A genome that leaves the corridor is masked: it keeps its
score and its position and speed stay frozen. Semantics: see :mod:`tracks.sim`.

Variants (``VARIANTS``), all float64 unless ``dtype="float32"`` is asked for:

- ``"vmap"``: a per-genome rollout (``h @ W + b`` per layer, scalar state) under ``jax.vmap``.
- ``"einsum"``: the population as arrays, ``einsum("pi,pio->po")`` per layer.
- ``"lanes"``: population-last arrays (``W`` as ``(n_in, n_out, P)``), each layer an unrolled sum
  of ``h[i] * W[i]`` that XLA fuses into one elementwise loop, in the kernel's order of operations.
- ``"lanes_while"``: ``"lanes"`` with ``lax.while_loop`` stopping once every genome is out.
- ``"blocks_while"``: ``"lanes_while"`` per block of ``BLOCK`` genomes under ``lax.map``, so each
  block stops when its own genomes are out (the JAX analogue of the kernel's early exit).

``PEER`` names the fastest float64 variant measured on the benchmark's populations; it is what
:func:`scores` runs by default. jax is imported on first use only (``pip install "neuroevo[bench]"``).

Measured with :func:`compare` (``python -m tracks.jax_peer compare OUT.json``; 2-core AMD EPYC,
jax 0.10.2, numba 0.68.1, other load near 0 for most rows), genome-steps per second on the
[7, 8, 4, 1] network and the training track, P = 1e4, one thread: completing population (every
genome runs all 391 steps) blocks_while 2.3e7, lanes_while 2.5e7, lanes 2.7e7, einsum 1.5e7,
vmap 1.5e7, the fused kernel 2.3e7, blocks_while in float32 5.3e7; random population (most crash
within a few steps) blocks_while 3.1e8, lanes_while 1.8e8, the scan variants 1.4e7 to 2.5e7, the
kernel 5.9e8. So the scan variants lead by up to 15% when nobody crashes and fall 10x behind when
most do; blocks_while is within 15% of the best on both, hence the peer. The kernel / peer ratio
was 0.98 to 1.07 on completing populations and 1.9 to 2.3 on random ones, at P = 1e3, 1e4, 1e5 on
1 and 2 threads (one noisy row excepted).

Timing runs in a subprocess per thread count, since XLA sizes its CPU thread pool once, at
start-up, from the cores the process may run on: ``python -m tracks.jax_peer --genomes FILE.npy
--threads 1`` pins itself to that many cores before jax is imported (XLA's thread flags alone do
not stop it using every core), times the compiled rollout and prints one JSON line;
:func:`measure` does that from Python. With ``--devices N`` the population is also split over
``N`` XLA CPU devices (``--xla_force_host_platform_device_count``, ``jax.shard_map``), the way JAX
runs one program on several cores; it is the default (``devices = threads``), as one device
kept only one core busy with this rollout (measured with ``os.times``: CPU / wall about 1.0).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from neuroevo._checks import check_choice, check_genomes, check_int
from neuroevo.network.spec import NetworkSpec, as_spec
from tracks.generate import Track, seed_training_track
from tracks.sim import DEFAULT_SENSORS, TrackSimulator, check_driver_network, check_sensors, check_track

VARIANTS = ("vmap", "einsum", "lanes", "lanes_while", "blocks_while")
DTYPES = ("float64", "float32")
#: Fastest float64 variant over the benchmark's random and completing populations (module docstring).
PEER = "blocks_while"
#: Genomes per block of the "blocks_while" variant (64..512 measured; 128 is close to the best on
#: both random and completing populations).
BLOCK = 128

_compiled: dict[tuple, object] = {}


def _jax():
    """Import jax with float64 enabled, or raise one line saying how to install it."""
    try:
        import jax
    except ImportError as e:
        raise ImportError('tracks.jax_peer needs jax: pip install "neuroevo[bench]" (or pip install jax)') from e
    jax.config.update("jax_enable_x64", True)
    return jax


def _activation(name: str):
    import jax.numpy as jnp

    if name == "sigmoid":           # exp only sees -|z| <= 0: never overflows (as neuroevo.network.sigmoid)
        def sigmoid(z):
            e = jnp.exp(-jnp.abs(z))
            return jnp.where(z >= 0, 1.0, e) / (1.0 + e)
        return sigmoid
    if name == "tanh":
        return jnp.tanh
    if name == "relu":
        return lambda z: jnp.where(z > 0, z, 0.0)
    return lambda z: z


def _build(spec: NetworkSpec, sensors: tuple[int, ...], max_score: int, variant: str):
    """The jitted ``f(genomes (P, D), track_rows) -> int (P,)`` of one variant (see :func:`_track_rows`)."""
    jax = _jax()
    import jax.numpy as jnp
    from jax import lax

    layers = [(layer.w, layer.b, layer.n_in, layer.n_out, _activation(layer.act)) for layer in spec.layers]
    S = len(sensors)

    def physics(p, v, force, alive, score, i, gate_top, gate_bottom):
        pn = p + v / 2                      # half a step at the old speed,
        vn = v + force                      # the force changes the speed (mass 1),
        pn = pn + vn / 2                    # half a step at the new speed
        out = ~((pn <= gate_top) & (pn >= gate_bottom))     # NaN counts as out
        score = jnp.where(alive & out, i, score)
        alive = alive & ~out
        return jnp.where(alive, pn, p), jnp.where(alive, vn, v), alive, score

    # -- population-last arrays: W (n_in, n_out, P), state (P,) ------------------------------------
    def lanes_params(genomes):
        P = genomes.shape[0]
        return [(genomes[:, w].reshape(P, a, b).transpose(1, 2, 0), genomes[:, bias].T, act)
                for w, bias, a, b, act in layers]

    def lanes_force(params, p, v, sens_top, sens_bottom):
        rows = [v]
        for s in range(S):
            rows += [p - sens_top[s], p - sens_bottom[s]]
        h = jnp.stack(rows)                                     # (n_in, P)
        for W, bias, act in params:
            y = 0.0
            for i in range(W.shape[0]):                         # the kernel's order: from 0, input by input
                y = y + h[i][None, :] * W[i]
            h = act(y + bias)
        return h[0] - 0.5

    def lanes_init(genomes):
        P = genomes.shape[0]
        zero = jnp.zeros(P, dtype=genomes.dtype)
        return zero, zero, jnp.ones(P, dtype=bool), jnp.full(P, max_score)

    def lanes_scan(genomes, rows):
        params = lanes_params(genomes)

        def step(carry, row):
            p, v, alive, score = carry
            i, sens_top, sens_bottom, gate_top, gate_bottom = row
            force = lanes_force(params, p, v, sens_top, sens_bottom)
            return physics(p, v, force, alive, score, i, gate_top, gate_bottom), None

        return lax.scan(step, lanes_init(genomes), rows)[0][3]

    def lanes_while(genomes, rows):
        params = lanes_params(genomes)
        index, sens_top, sens_bottom, gate_top, gate_bottom = rows

        def cond(carry):
            return (carry[0] < max_score) & jnp.any(carry[3])

        def body(carry):
            i, p, v, alive, score = carry
            force = lanes_force(params, p, v, sens_top[i], sens_bottom[i])
            return (i + 1, *physics(p, v, force, alive, score, i, gate_top[i], gate_bottom[i]))

        return lax.while_loop(cond, body, (0, *lanes_init(genomes)))[4]

    def blocks_while(genomes, rows):
        P, D = genomes.shape
        blocks = -(-P // BLOCK)
        padded = jnp.concatenate([genomes, jnp.zeros((blocks * BLOCK - P, D), genomes.dtype)])
        scores = lax.map(lambda g: lanes_while(g, rows), padded.reshape(blocks, BLOCK, D))
        return scores.reshape(-1)[:P]

    # -- batched matmuls: W (P, n_in, n_out), state (P,) -------------------------------------------
    def einsum_scan(genomes, rows):
        P = genomes.shape[0]
        params = [(genomes[:, w].reshape(P, a, b), genomes[:, bias], act) for w, bias, a, b, act in layers]

        def step(carry, row):
            p, v, alive, score = carry
            i, sens_top, sens_bottom, gate_top, gate_bottom = row
            h = jnp.stack([v, *[x for s in range(S) for x in (p - sens_top[s], p - sens_bottom[s])]], axis=1)
            for W, bias, act in params:
                h = act(jnp.einsum("pi,pio->po", h, W) + bias)
            return physics(p, v, h[:, 0] - 0.5, alive, score, i, gate_top, gate_bottom), None

        return lax.scan(step, lanes_init(genomes), rows)[0][3]

    # -- one genome, vmapped -------------------------------------------------------------------------
    def one_genome(genome, rows):
        params = [(genome[w].reshape(a, b), genome[bias], act) for w, bias, a, b, act in layers]

        def step(carry, row):
            p, v, alive, score = carry
            i, sens_top, sens_bottom, gate_top, gate_bottom = row
            h = jnp.concatenate([v[None], jnp.stack([p - sens_top, p - sens_bottom], axis=1).reshape(-1)])
            for W, bias, act in params:
                h = act(h @ W + bias)
            return physics(p, v, h[0] - 0.5, alive, score, i, gate_top, gate_bottom), None

        zero = jnp.zeros((), genome.dtype)
        return lax.scan(step, (zero, zero, jnp.array(True), jnp.array(max_score)), rows)[0][3]

    fn = {"vmap": jax.vmap(one_genome, in_axes=(0, None)), "einsum": einsum_scan, "lanes": lanes_scan,
          "lanes_while": lanes_while, "blocks_while": blocks_while}[variant]
    return jax.jit(fn)


def _track_rows(track: Track, sensors: tuple[int, ...], dtype: str):
    """Per step ``i``: ``(i, top[i+s] for s, bottom[i+s] for s, top[i], bottom[i])`` as NumPy arrays."""
    max_score = track.length - max(sensors)
    index = np.arange(max_score, dtype=np.int64)
    sens = index[:, None] + np.array(sensors)[None, :]
    top, bottom = np.asarray(track.top, dtype=dtype), np.asarray(track.bottom, dtype=dtype)
    return index, top[sens], bottom[sens], top[:max_score].copy(), bottom[:max_score].copy()


def compiled(network, track: Track, sensors: Sequence[int] = DEFAULT_SENSORS, variant: str = PEER):
    """The jitted rollout of one network, sensor set and track length (built once, then cached).

    Returns:
        ``f(genomes, rows)``: float64 (or float32) ``(P, D)`` genomes and the arrays of
        :func:`_track_rows` -> integer ``(P,)`` scores, a jax array.
    """
    spec = as_spec(network)
    sensors = tuple(sensors)
    key = (spec, sensors, track.length, variant)
    fn = _compiled.get(key)
    if fn is None:
        fn = _compiled[key] = _build(spec, sensors, track.length - max(sensors), variant)
    return fn


def _check(genomes, network, track, sensors, variant, dtype, owner):
    spec = as_spec(network)
    track = check_track(track, owner)
    sensors = check_sensors(sensors, track, owner)
    check_driver_network(spec, sensors, owner)
    check_choice("variant", variant, VARIANTS, owner=owner)
    check_choice("dtype", dtype, DTYPES, owner=owner)
    return check_genomes(genomes, spec.num_params), spec, track, sensors


def scores(genomes, network, track: Track, sensors: Sequence[int] = DEFAULT_SENSORS, *, variant: str = PEER,
           dtype: str = "float64") -> np.ndarray:
    """Steps each genome survives, computed with JAX; the same as ``TrackSimulator(track, sensors).scores``.

    Args:
        genomes: float64 ``(P, D)`` population.
        network: the :class:`NetworkSpec` (or layer list) the genomes encode, one output.
        track: the corridor.
        sensors: look-ahead offsets, each ``< track.length``.
        variant: one of ``VARIANTS`` (all float64 ones give the same scores).
        dtype: ``"float64"``, or ``"float32"`` to run in single precision (scores may then differ).

    Returns:
        int64 ``(P,)`` in ``0 .. max_score``: the step at which each genome left the corridor,
        ``max_score = track.length - max(sensors)`` if it never did.
    """
    genomes, spec, track, sensors = _check(genomes, network, track, sensors, variant, dtype, "jax_peer.scores")
    fn = compiled(spec, track, sensors, variant)
    out = fn(genomes.astype(dtype), _track_rows(track, sensors, dtype))
    return np.asarray(out).astype(np.int64)


# -- timing in a subprocess per thread count -----------------------------------------------------------

def _limit_threads(threads: int, devices: int) -> list[int]:
    """Pin this process to ``threads`` cores and set XLA's CPU flags; call before jax is imported.

    XLA sizes its intra-op thread pool from the cores the process may run on, and
    ``--xla_cpu_multi_thread_eigen=false`` alone does not stop it from using every core, so the
    affinity mask is what holds it to ``threads`` cores. Returns the cores kept.
    """
    if "jax" in sys.modules:
        raise RuntimeError("jax_peer: the thread count must be set before jax is imported; run the timing "
                           "through `python -m tracks.jax_peer` or jax_peer.measure()")
    allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count()))
    if threads > len(allowed):
        raise ValueError(f"jax_peer: threads must be at most the {len(allowed)} cores this process may use; "
                         f"got {threads}")
    cores = allowed[:threads]
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, cores)
    flags = [os.environ.get("XLA_FLAGS", "")]
    if threads == 1:
        flags.append("--xla_cpu_multi_thread_eigen=false")
    if devices > 1:
        flags.append(f"--xla_force_host_platform_device_count={devices}")
    os.environ["XLA_FLAGS"] = " ".join(f for f in flags if f)
    return cores


#: Timed calls go on (up to MAX_CALLS) until they add up to this many seconds: enough for a steady
#: best time and a CPU-time reading at millisecond scale.
MIN_SECONDS = 0.3
MAX_CALLS = 50


def time_rollout(genomes: np.ndarray, spec: NetworkSpec, track: Track, sensors: tuple[int, ...], *,
                 variant: str, dtype: str, repeats: int, devices: int = 1) -> dict:
    """Compile, warm up and time the rollout in this process (whose thread count is already set).

    Returns:
        dict: ``best_s`` (shortest timed call, compile excluded; at least ``repeats`` calls, more
        up to ``MAX_CALLS`` until they add up to ``MIN_SECONDS``), ``times_s``,
        ``compile_s`` (lower + compile), ``cpu_per_wall`` (CPU seconds of this process per wall
        second over the timed calls: about the number of cores it kept busy), ``scores``
        (int64 ``(P,)``), ``devices``, jax and jaxlib versions.
    """
    jax = _jax()
    import jax.numpy as jnp

    fn = compiled(spec, track, sensors, variant)
    P = genomes.shape[0]
    x = genomes.astype(dtype)
    if devices > 1:                                 # split the population over CPU devices, padded to fit
        from jax.sharding import Mesh, NamedSharding, PartitionSpec
        if len(jax.devices()) < devices:
            raise RuntimeError(f"jax_peer: asked for {devices} CPU devices, jax sees {len(jax.devices())}")
        x = np.concatenate([x, np.zeros((-P % devices, x.shape[1]), dtype)])
        mesh = Mesh(np.array(jax.devices()[:devices]), ("p",))
        # each device runs the whole rollout on its own share of the genomes
        fn = jax.jit(jax.shard_map(fn, mesh=mesh, in_specs=(PartitionSpec("p"), PartitionSpec()),
                                   out_specs=PartitionSpec("p"), check_vma=False))
        x = jax.device_put(x, NamedSharding(mesh, PartitionSpec("p")))
    else:
        x = jnp.asarray(x)
    rows = tuple(jnp.asarray(r) for r in _track_rows(track, sensors, dtype))
    t0 = time.perf_counter()
    run = fn.lower(x, rows).compile()
    compile_s = time.perf_counter() - t0
    out = run(x, rows).block_until_ready()          # warm-up
    times, cpu, wall = [], 0.0, 0.0
    while len(times) < repeats or (wall < MIN_SECONDS and len(times) < MAX_CALLS):
        c0, t0 = time.process_time(), time.perf_counter()        # CPU seconds of all this process's threads
        out = run(x, rows).block_until_ready()
        t1, c1 = time.perf_counter(), time.process_time()
        times.append(t1 - t0)
        wall += t1 - t0
        cpu += c1 - c0
    import jaxlib
    return {"best_s": min(times), "times_s": times, "compile_s": compile_s,
            "cpu_per_wall": cpu / wall if wall > 0 else None, "scores": np.asarray(out)[:P].astype(np.int64),
            "devices": devices, "jax_version": jax.__version__, "jaxlib_version": jaxlib.__version__}


def main(argv=None) -> dict:
    """``python -m tracks.jax_peer --genomes FILE.npy --threads N``: time the JAX rollout, print one JSON line."""
    parser = argparse.ArgumentParser(description="Time the JAX peer of the racing rollout on N cores; "
                                                 "prints one JSON line.")
    parser.add_argument("--genomes", type=Path, required=True, help="float64 (P, D) genomes saved with np.save")
    parser.add_argument("--threads", type=int, default=1, help="cores XLA may use (the process is pinned to them)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed calls after the warm-up (more if they take under 0.3 s); the best is kept")
    parser.add_argument("--layers", default="7,8,4,1", help="layer sizes, comma-separated")
    parser.add_argument("--activation", default="sigmoid",
                        help="one activation for every layer, or one per layer, comma-separated")
    parser.add_argument("--sensors", default=",".join(map(str, DEFAULT_SENSORS)), help="look-ahead offsets")
    parser.add_argument("--track", type=Path, default=None,
                        help="npz with arrays top and bottom (and name); default: the training track")
    parser.add_argument("--variant", default=PEER, choices=VARIANTS, help="which JAX formulation")
    parser.add_argument("--dtype", default="float64", choices=DTYPES)
    parser.add_argument("--devices", type=int, default=None,
                        help="XLA CPU devices to split the population over (at most --threads); default: "
                             "--threads, since one device runs this rollout on one core")
    parser.add_argument("--scores-out", type=Path, default=None,
                        help="write the int64 scores there (np.save) instead of into the JSON line")
    args = parser.parse_args(argv)
    threads = check_int("--threads", args.threads, minimum=1, owner="jax_peer")
    devices = threads if args.devices is None else check_int("--devices", args.devices, minimum=1,
                                                             maximum=threads, owner="jax_peer")
    repeats = check_int("--repeats", args.repeats, minimum=1, owner="jax_peer")
    cores = _limit_threads(threads, devices)
    acts = args.activation.split(",")
    spec = NetworkSpec([int(s) for s in args.layers.split(",")], acts[0] if len(acts) == 1 else acts)
    if args.track is None:
        track = seed_training_track()
    else:
        with np.load(args.track) as f:
            track = Track(f["top"], f["bottom"], str(f["name"]) if "name" in f else "")
    sensors = [int(s) for s in args.sensors.split(",")]
    genomes, spec, track, sensors = _check(np.load(args.genomes), spec, track, sensors, args.variant, args.dtype,
                                           "jax_peer")
    result = time_rollout(genomes, spec, track, sensors, variant=args.variant, dtype=args.dtype,
                          repeats=repeats, devices=devices)
    scores_ = result.pop("scores")
    P = genomes.shape[0]
    max_score = track.length - max(sensors)
    result.update(variant=args.variant, dtype=args.dtype, threads=threads, cores=cores, P=P,
                  max_score=max_score, gsps=P * max_score / result["best_s"],
                  # never more busy cores than asked (os.times ticks: allow some slack)
                  threads_verified=result["cpu_per_wall"] is not None and result["cpu_per_wall"] <= threads + 0.15)
    if args.scores_out is not None:
        np.save(args.scores_out, scores_)
        result["scores_file"] = str(args.scores_out)
    else:
        result["scores"] = scores_.tolist()
    print(json.dumps(result))
    return result


def measure(genomes, network, track: Track, threads: int, repeats: int = 5, *,
            sensors: Sequence[int] = DEFAULT_SENSORS, variant: str = PEER, dtype: str = "float64",
            devices: int | None = None, timeout: float = 600.0) -> dict:
    """Time the JAX rollout in a fresh subprocess held to ``threads`` cores.

    Args:
        genomes: float64 ``(P, D)`` population.
        network: the :class:`NetworkSpec` (or layer list) of the genomes.
        track: the corridor.
        threads: cores the subprocess (and so XLA) may use.
        repeats: timed calls after a warm-up; the best counts.
        sensors: look-ahead offsets.
        variant: one of ``VARIANTS``; dtype: ``"float64"`` or ``"float32"``.
        devices: XLA CPU devices to split the population over (``<= threads``); None: ``threads``.
        timeout: seconds before the subprocess is stopped.

    Returns:
        dict: ``best_s``, ``gsps`` (``P * max_score / best_s``), ``compile_s``, ``times_s``,
        ``cpu_per_wall``, ``threads_verified``, ``cores``, ``scores`` (int64 ``(P,)``),
        versions and the settings.
    """
    genomes, spec, track, sensors = _check(genomes, network, track, sensors, variant, dtype, "jax_peer.measure")
    threads = check_int("threads", threads, minimum=1, owner="jax_peer.measure")
    devices = threads if devices is None else check_int("devices", devices, minimum=1, maximum=threads,
                                                        owner="jax_peer.measure")
    with tempfile.TemporaryDirectory(prefix="jax_peer") as tmp:
        tmp = Path(tmp)
        np.save(tmp / "genomes.npy", genomes)
        np.savez(tmp / "track.npz", top=track.top, bottom=track.bottom, name=track.name)
        cmd = [sys.executable, "-m", "tracks.jax_peer", "--genomes", str(tmp / "genomes.npy"),
               "--threads", str(threads), "--repeats", str(repeats), "--layers", ",".join(map(str, spec.sizes)),
               "--activation", ",".join(spec.activations), "--sensors", ",".join(map(str, sensors)),
               "--track", str(tmp / "track.npz"), "--variant", variant, "--dtype", dtype,
               "--devices", str(devices), "--scores-out", str(tmp / "scores.npy")]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"jax_peer.measure: the timing subprocess failed (exit {done.returncode}):\n"
                               f"{done.stderr.strip()[-2000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["scores"] = np.load(result.pop("scores_file"))
    return result


def compare(populations: Sequence[int] = (1_000, 10_000, 100_000), threads: Sequence[int] = (1, 2), *,
            repeats: int = 3, rounds: int = 2, sweep_at: int | None = 10_000, echo=print) -> dict:
    """The JAX peer next to ``TrackSimulator(track, threads=t).scores`` on the benchmark's populations.

    For each population size, population kind ("random": uniform(-1, 1); "completing": the
    champion of :func:`tracks.bench.champion` plus N(0, 0.001) noise, every genome finishing) and
    thread count, the peer (float64, in a subprocess held to ``t`` cores) and the kernel are timed
    in turn, ``rounds`` times, each the best of ``repeats`` calls; the best round counts, so a burst
    of load on a shared machine hits both alike. At ``sweep_at`` genomes every variant, float32 and
    the peer on a single device are timed too (one round).

    Returns:
        dict: ``machine`` (:func:`neuroevo.bench.common.machine`), load averages, and ``rows`` with
        genome-steps per second (``P * max_score / seconds``) of each side, ``numba_over_jax`` and
        whether the scores agree.
    """
    from neuroevo.bench.common import machine
    from tracks.bench import champion, completing_population, cpu_snapshot, others_load

    def snapshot():                                 # as cpu_snapshot, the timing subprocesses counted as ours
        snap, t = cpu_snapshot(), os.times()
        return None if snap is None else (snap[0], snap[1], snap[2] + t.children_user + t.children_system)

    def best_of(fn, *args):                         # the rule of time_rollout: >= repeats calls, >= MIN_SECONDS
        times = []
        while len(times) < repeats or (sum(times) < MIN_SECONDS and len(times) < MAX_CALLS):
            t0 = time.perf_counter()
            fn(*args)
            times.append(time.perf_counter() - t0)
        return min(times)

    spec, track = NetworkSpec([7, 8, 4, 1]), seed_training_track()
    sim = TrackSimulator(track)
    rng = np.random.default_rng(0)
    best, seed = champion(spec, track)
    load_start = os.getloadavg()
    rows = []
    for P in populations:
        for kind in ("random", "completing"):
            genomes = (rng.uniform(-1, 1, (P, spec.num_params)) if kind == "random"
                       else completing_population(best, P, sim, spec, rng))
            work = P * sim.max_score
            for t in threads:
                numba_sim = TrackSimulator(track, threads=t)
                want = numba_sim.scores(genomes, spec)              # also the warm-up
                configs = [(PEER, "float64", t)]
                if P == sweep_at:
                    configs += [(v, "float64", t) for v in VARIANTS if v != PEER] + [(PEER, "float32", t)]
                    configs += [(PEER, "float64", 1)] if t > 1 else []
                for variant, dtype, devices in configs:
                    snap = snapshot()
                    jax_s, numba_s, jax_run = np.inf, np.inf, None
                    for _ in range(rounds if (variant, dtype, devices) == (PEER, "float64", t) else 1):
                        run = measure(genomes, spec, track, t, repeats, variant=variant, dtype=dtype,
                                      devices=devices)
                        if run["best_s"] < jax_s:
                            jax_s, jax_run = run["best_s"], run
                        numba_s = min(numba_s, best_of(numba_sim.scores, genomes, spec))
                    row = {"population": kind, "P": P, "threads": t, "variant": variant, "dtype": dtype,
                           "devices": devices, "jax_gsps": work / jax_s, "numba_gsps": work / numba_s,
                           "numba_over_jax": jax_s / numba_s, "jax_s": jax_s, "numba_s": numba_s,
                           "jax_compile_s": jax_run["compile_s"], "jax_cpu_per_wall": jax_run["cpu_per_wall"],
                           "threads_verified": jax_run["threads_verified"],
                           "scores_agree": bool(np.array_equal(jax_run["scores"], want)),
                           "completed_fraction": float(np.mean(want == sim.max_score)),
                           "other_processes_cpu_share": others_load(snap, snapshot())}
                    rows.append(row)
                    echo(f"{kind:<10} P={P:>6} threads={t} {variant:<12} {dtype} dev={devices}: jax "
                         f"{row['jax_gsps']:.3g} gs/s, numba {row['numba_gsps']:.3g} gs/s, numba/jax "
                         f"{row['numba_over_jax']:.2f}x, jax cpu/wall {row['jax_cpu_per_wall']:.2f}, "
                         f"agree {row['scores_agree']}, others {row['other_processes_cpu_share']}")
    return {"benchmark": "racing rollout: fused numba kernel vs the JAX peer (tracks.jax_peer)",
            "units": "genome-steps per second = P * max_score / seconds (best of the repeats and rounds)",
            "peer": PEER, "block": BLOCK, "network": list(spec.sizes), "sensors": list(DEFAULT_SENSORS),
            "track": {"name": track.name, "length": track.length, "max_score": sim.max_score},
            "completing_population": {"champion_seed": seed, "noise_sd": 0.001},
            "repeats": repeats, "rounds": rounds, "machine": machine(),
            "load_average_start": [round(x, 2) for x in load_start],
            "load_average_end": [round(x, 2) for x in os.getloadavg()], "rows": rows}


if __name__ == "__main__":
    if sys.argv[1:2] == ["compare"]:                # python -m tracks.jax_peer compare OUT.json [P ...]
        sizes = tuple(int(p) for p in sys.argv[3:]) or (1_000, 10_000, 100_000)
        Path(sys.argv[2]).write_text(json.dumps(compare(sizes), indent=2) + "\n")
    else:
        main()
