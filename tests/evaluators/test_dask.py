"""The Dask evaluator against a real LocalCluster (one for the module): the same scores, extras and
state as one process, a user's class shipped by value, a worker killed mid-block, clear errors."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from dask_helpers import alive, pids_in, wait_for, write_keyed_sim  # noqa: E402

from neuroevo import GenerationKey, NetworkSpec, Population, Simulator  # noqa: E402
from neuroevo.evaluators import EvaluationLost, EvaluatorUnavailable, LocalEvaluator, make_evaluator  # noqa: E402
from neuroevo.evaluators.dask import DaskEvaluator  # noqa: E402
from neuroevo.tasks import resolve_task  # noqa: E402
from tracks import TrackSimulator, seed_training_track  # noqa: E402

SPEC = NetworkSpec([3, 4, 1])


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                       silence_logs=50)
    client = distributed.Client(cluster, set_as_default=False)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def keyed_cls(tmp_path_factory):
    """The user's simulator class, loaded from its file as `neuroevo run file.py:Keyed` loads it."""
    task = write_keyed_sim(tmp_path_factory.mktemp("sims"))
    cls, _ = resolve_task(task)
    return cls.simulator_class


def _genomes(P, seed=0):
    return np.random.default_rng(seed).normal(0.5, 0.3, size=(P, SPEC.num_params))


def test_blocks_give_the_fitness_and_extras_of_one_process(client, keyed_cls):
    sim = keyed_cls()
    sim.set_state({"mean": np.array([0.1, 0.2, 0.3]), "seen": np.array([7.0]), "generation": np.array([2])})
    genomes, key = _genomes(103), GenerationKey(12345)
    local = LocalEvaluator().evaluate(sim, genomes, SPEC, key)
    for block_size in (None, 10, 103, 500):
        with DaskEvaluator(client, block_size=block_size) as ev:
            out = ev.evaluate(sim, genomes, SPEC, key)
        assert np.array_equal(out.fitness, local.fitness), block_size
        assert np.array_equal(out.extras["head"], local.extras["head"])
    assert DaskEvaluator(client).block_starts(103) == list(range(0, 103, 26))
    assert DaskEvaluator(client, block_size=50).block_starts(103) == [0, 50, 100]


def test_the_class_from_a_file_goes_by_value(client, keyed_cls):
    module = keyed_cls.__module__
    assert module.startswith("neuroevo_user_")
    with DaskEvaluator(client, block_size=20) as ev:
        ev.evaluate(keyed_cls(), _genomes(40), SPEC, GenerationKey(1))
        # the workers scored it without importing the user's file
        seen = client.run(lambda: module in sys.modules)
    assert not any(seen.values()), seen


def test_evolving_on_the_cluster_equals_evolving_here(client, keyed_cls):
    runs = []
    for evaluator in (None, DaskEvaluator(client, block_size=8)):
        sim = keyed_cls()
        pop = Population(SPEC, "cmaes", seed=4, population_size=30, evaluator=evaluator)
        pop.evolve(sim, generations=6)
        pop.evaluator.close()
        runs.append((pop, sim))
    (a, sa), (b, sb) = runs
    drop = lambda rows: [{k: v for k, v in r.items() if k != "time_s"} for r in rows]  # noqa: E731
    assert drop(a.history.rows) == drop(b.history.rows)
    assert np.array_equal(a.best_genome, b.best_genome) and np.array_equal(a.ask_next(), b.ask_next())
    for name, value in sa.get_state().items():
        assert np.array_equal(value, sb.get_state()[name]), name
    assert sa.generation[0] == 6


def test_a_worker_killed_mid_block_is_replaced_and_the_block_scored_again(client, keyed_cls, tmp_path,
                                                                          monkeypatch):
    genomes, key = _genomes(40), GenerationKey(99)
    sim = keyed_cls()
    local = LocalEvaluator().evaluate(sim, genomes, SPEC, key)
    pids = tmp_path / "pids"
    pids.mkdir()
    before = set(client.run(os.getpid).values())
    client.run(lambda: os.environ.update(KEYED_PIDS=str(pids), KEYED_SLEEP="0.5"))
    try:
        result = {}
        with DaskEvaluator(client, block_size=10) as ev:
            ev.start(sim, SPEC)
            thread = threading.Thread(target=lambda: result.setdefault("out", ev.evaluate(sim, genomes, SPEC, key)))
            thread.start()
            wait_for(lambda: pids_in(pids), what="a block under way")
            victim = sorted(pids_in(pids))[0]
            os.kill(victim, signal.SIGKILL)
            thread.join(120)
        assert not thread.is_alive()
    finally:
        client.run(lambda: [os.environ.pop(k, None) for k in ("KEYED_PIDS", "KEYED_SLEEP")])
    assert victim in before and not alive(victim)
    assert np.array_equal(result["out"].fitness, local.fitness)
    assert np.array_equal(result["out"].extras["head"], local.extras["head"])
    wait_for(lambda: len(client.run(os.getpid)) == 2, what="the nanny restarts the worker")
    after = set(client.run(os.getpid).values())
    assert victim not in after and len(after - before) == 1


class _Threads(Simulator):
    """Reports the Numba kernel threads and its own thread count, as set in the worker."""

    def __init__(self):
        self.threads = 8

    def use_threads(self, threads):
        self.threads = threads

    def _evaluate(self, genomes, spec, rng):
        import numba
        return np.full(genomes.shape[0], 100.0 * numba.get_num_threads() + self.threads)


def test_one_kernel_thread_per_worker_unless_configured(client):
    genomes = _genomes(8)
    with DaskEvaluator(client) as ev:
        assert set(ev.evaluate(_Threads(), genomes, SPEC, None).fitness) == {101.0}
    with DaskEvaluator(client, threads=2) as ev:
        assert set(ev.evaluate(_Threads(), genomes, SPEC, None).fitness) == {202.0}
    race = TrackSimulator(seed_training_track(), threads=4)
    track_spec = NetworkSpec([7, 8, 4, 1])
    g = np.random.default_rng(0).normal(size=(64, track_spec.num_params))
    with DaskEvaluator(client, block_size=16) as ev:
        assert np.array_equal(ev.evaluate(race, g, track_spec, None).fitness, race.evaluate(g, track_spec))
    assert race.threads == 4      # the driver's copy keeps its own setting


class _Locked(Simulator):
    def __init__(self):
        self.lock = threading.Lock()

    def _evaluate(self, genomes, spec, rng):
        return np.zeros(genomes.shape[0])


def test_a_simulator_that_cannot_be_serialized_is_refused_before_any_cluster_starts():
    ev = DaskEvaluator(workers=1)
    t0 = time.perf_counter()
    with pytest.raises(TypeError, match=r"the simulator _Locked cannot be sent to the workers \(TypeError: "
                                        r"cannot pickle '_thread.lock' object\); keep open files, locks"):
        ev.start(_Locked(), SPEC)
    assert ev._client is None and time.perf_counter() - t0 < 1.0


def test_make_evaluator_takes_a_client_and_leaves_it_open(client):
    ev = make_evaluator(client)
    assert isinstance(ev, DaskEvaluator) and ev.client is client
    ev.close()
    assert client.status == "running"
    with pytest.raises(ValueError, match="give one of client, workers and scheduler; got client and workers"):
        DaskEvaluator(client, workers=2)
    with pytest.raises(TypeError, match="evaluator must be 'local', 'dask', a distributed.Client"):
        make_evaluator("ray")


def test_an_unreachable_scheduler_is_one_clear_error():
    ev = DaskEvaluator(scheduler="tcp://127.0.0.1:1")
    with pytest.raises(EvaluatorUnavailable, match=r"cannot reach a Dask scheduler at tcp://127.0.0.1:1: "
                                                   r"Connection refused; start one with `dask scheduler`"):
        ev.connect()


def test_neuroevo_imports_without_dask_and_says_what_to_install():
    code = ("import sys; sys.modules['distributed'] = None\n"
            "import neuroevo\nfrom neuroevo.evaluators.dask import DaskEvaluator\n"
            "try:\n    DaskEvaluator(workers=2)\nexcept Exception as exc:\n    print(type(exc).__name__, exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("EvaluatorUnavailable scoring on a Dask cluster")
    assert "pip install 'neuroevo[distributed]'" in out.stdout


def test_dask_by_name_uses_the_default_client_and_leaves_it_open(client, keyed_cls):
    with distributed.Client(client.scheduler.address) as default:
        pop = Population(SPEC, "rank_ga", seed=2, population_size=12, evaluator="dask")
        pop.evolve(keyed_cls(), generations=2)
        assert pop.evaluator.client is default
        pop.evaluator.close()
        assert default.status == "running"
    here = Population(SPEC, "rank_ga", seed=2, population_size=12)
    here.evolve(keyed_cls(), generations=2)
    assert np.array_equal(here.best_genome, pop.best_genome) and np.array_equal(here.fitness, pop.fitness)


def test_the_cluster_it_starts_has_one_kernel_thread_per_worker_ignores_ctrl_c_and_stops_on_close(
        keyed_cls, monkeypatch):
    monkeypatch.setenv("KEYED_DIE_AT", "1")     # the workers inherit it: the Keyed simulator kills its worker
    with DaskEvaluator(workers=1, allowed_failures=0, block_size=10) as ev:
        assert set(ev.evaluate(_Threads(), _genomes(4), SPEC, None).fitness) == {101.0}
        assert set(ev.client.run(lambda: signal.getsignal(signal.SIGINT) == signal.SIG_IGN).values()) == {True}
        first = list(ev.client.run(os.getpid).values())
        with pytest.raises(EvaluationLost, match=re.escape(
                "block 1 of 1 (genomes 0-9) was lost: 1 worker process died while scoring it (Dask's "
                "distributed.scheduler.allowed-failures is 0)")):
            ev.evaluate(keyed_cls(), _genomes(10), SPEC, GenerationKey(3))
        wait_for(lambda: len(ev.client.run(os.getpid)) == 1, what="the nanny starts a new worker")
        pids = first + list(ev.client.run(os.getpid).values())
    assert ev._client is None and len(set(pids)) == 2
    wait_for(lambda: not any(alive(p) for p in pids), timeout=10, what="the worker stops with the evaluator")


class _Parallel(Simulator):
    """Calls a parallel=True Numba kernel (the population forward pass) a few times per block."""

    num_inputs = 3

    def _evaluate(self, genomes, spec, rng):
        from neuroevo import forward
        x = np.ones((genomes.shape[0], 32, 3))
        out = sum(forward(genomes, spec, x, backend="numba")[:, :, 0].sum(axis=1) for _ in range(10))
        return np.asarray(out)


def test_parallel_kernels_in_a_worker_with_many_threads_never_run_at_once():
    """Numba's workqueue layer aborts its process on concurrent parallel calls: a worker with four
    threads scores its blocks one at a time and survives."""
    genomes = _genomes(64)
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=4, processes=True, dashboard_address=":0",
                                       silence_logs=50, env={"NUMBA_THREADING_LAYER": "workqueue"})
    try:
        with distributed.Client(cluster, set_as_default=False) as client:
            pid = list(client.run(os.getpid).values())
            with DaskEvaluator(client, block_size=4, threads=2) as ev:
                for _ in range(3):
                    out = ev.evaluate(_Parallel(), genomes, SPEC, None)
            assert set(client.run(lambda: __import__("numba").threading_layer()).values()) == {"workqueue"}
            assert list(client.run(os.getpid).values()) == pid       # the worker never aborted
    finally:
        cluster.close()
    assert np.array_equal(out.fitness, _Parallel().evaluate(genomes, SPEC))
