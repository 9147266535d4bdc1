"""Scoring on a Dask cluster: blocks of genomes, results in genome order, dead workers replaced.

The simulator is serialized once per run (with cloudpickle; a class from the user's own file or
``__main__`` goes by value, so workers need not import it) and held on the cluster as the result
of a task: a worker that joins later, or replaces one that died, fetches it from a peer, and the
scheduler computes it again from the task if every worker holding it died.
Each generation, the population is cut into blocks of ``block_size`` genomes (boundaries set by
the population size alone, never by the number of workers); block ``b`` starting at genome ``s``
is scored on a worker with ``simulator.evaluate_block(genomes[s:s + block_size], network,
key.block(s))``, after the worker's copy of the simulator took the driver's current state
(``get_state``/``set_state``). The blocks' evaluations are joined in genome order, so fitness,
extras and what ``end_generation`` learns from them are those of a run on one process.

Faults: when a worker process dies, the scheduler runs its blocks again elsewhere (and a
LocalCluster's nanny starts a new worker). A block whose workers die ``allowed-failures + 1``
times in a row (Dask's ``distributed.scheduler.allowed-failures``, 3 by default) raises
:class:`~neuroevo.evaluators.EvaluationLost`; the generation is then not counted and the run
engine writes a checkpoint at the last finished generation.

Numba: every block runs under a process-wide lock (one block at a time per worker process, since
concurrent calls of parallel kernels can abort Numba's default threading layer) with
``threads`` kernel threads: the ``threads`` argument, else ``NUMBA_NUM_THREADS`` of the worker's
environment, else 1. The simulator's own thread pools get the same count (``use_threads``).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import socket
import sys
import threading
import time
import uuid
from collections import OrderedDict
from concurrent.futures import CancelledError

import numpy as np

from neuroevo._checks import check_int
from neuroevo.evaluators.base import EvaluationLost, Evaluator, EvaluatorUnavailable
from neuroevo.network.spec import NetworkSpec
from neuroevo.simulators.base import Evaluation, GenerationKey, Simulator

#: The population is cut into this many blocks unless ``block_size`` is given.
DEFAULT_BLOCKS = 4

#: How long to wait for a scheduler to answer and for its first worker to join.
CONNECT_SECONDS = 10.0

#: How often the list of workers that blocks are spread over is asked for again.
WORKERS_SECONDS = 2.0

INSTALL_HINT = "pip install 'neuroevo[distributed]'"

_ADDRESS = re.compile(r"^(?:(tcp|tls)://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$")

#: Code each worker of a cluster this module starts runs first: a Ctrl-C in the terminal reaches
#: every process of the foreground group, and the run (not its workers) decides what it means.
_IGNORE_SIGINT = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"


def parse_address(address: str) -> tuple[str, str, int]:
    """``(protocol, host, port)`` of a scheduler address such as ``tcp://10.0.0.5:8786``; raises on
    anything else."""
    if not isinstance(address, str):
        raise TypeError(f"scheduler must be an address such as tcp://10.0.0.5:8786; got {address!r}")
    m = _ADDRESS.match(address.strip())
    port = int(m.group(3)) if m else 0
    if m is None or not 0 < port < 65536:
        raise ValueError(f"scheduler must be an address such as tcp://10.0.0.5:8786 (what `dask scheduler` "
                         f"prints); got {address!r}")
    return m.group(1) or "tcp", m.group(2).strip("[]"), port


def _distributed():
    try:
        import distributed
    except ImportError:
        raise EvaluatorUnavailable(f"scoring on a Dask cluster (--workers, --scheduler, evaluator='dask') needs "
                                   f"Dask's distributed package: {INSTALL_HINT}") from None
    return distributed


# -- what runs on the workers -----------------------------------------------------------------------
_LOCK = threading.Lock()
_SIMULATORS: OrderedDict[str, Simulator] = OrderedDict()
_KEEP = 4


def _payload(data: bytes) -> bytes:
    """The serialized simulator, held on the cluster as a task result (recomputed if its worker dies)."""
    return data


def worker_threads(threads: int | None) -> int:
    """Kernel threads a block gets in this process: ``threads``, else NUMBA_NUM_THREADS, else 1."""
    if threads is not None:
        return threads
    try:
        return max(1, int(os.environ.get("NUMBA_NUM_THREADS", "1")))
    except ValueError:
        return 1


def _simulator(token: str, payload: bytes, threads: int) -> Simulator:
    sim = _SIMULATORS.get(token)
    if sim is None:
        import pickle
        sim = pickle.loads(payload)
        sim.use_threads(threads)
        _SIMULATORS[token] = sim
        while len(_SIMULATORS) > _KEEP:
            _SIMULATORS.popitem(last=False)
    return sim


def score_block(payload: bytes, token: str, state: dict, genomes: np.ndarray, network: NetworkSpec,
                key: GenerationKey | None, threads: int | None) -> Evaluation:
    """Score one block in a worker: the run's simulator, set to the driver's state, on its key."""
    n = worker_threads(threads)
    with _LOCK:
        import numba
        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
        sim = _simulator(token, payload, n)
        sim.set_state(state)
        return sim.evaluate_block(genomes, network, key)


def _forget(token: str) -> None:
    with _LOCK:
        _SIMULATORS.pop(token, None)


# -- serialization --------------------------------------------------------------------------------
def _user_modules(cls: type) -> list:
    """Modules of ``cls`` and its bases that a worker could not import by name."""
    from neuroevo.tasks.registry import USER_MODULE_PREFIX

    out = []
    for klass in cls.__mro__:
        module = sys.modules.get(klass.__module__)
        if module is not None and klass.__module__.startswith(USER_MODULE_PREFIX) and module not in out:
            out.append(module)
    return out


def serialize_simulator(simulator: Simulator) -> bytes:
    """The simulator as bytes a worker can load without importing the user's own files."""
    import cloudpickle

    modules = _user_modules(type(simulator))
    for m in modules:
        cloudpickle.register_pickle_by_value(m)
    try:
        return cloudpickle.dumps(simulator)
    except Exception as exc:
        name = type(simulator).__name__
        what = " ".join(str(exc).split()) or type(exc).__name__
        raise TypeError(f"the simulator {name} cannot be sent to the workers ({type(exc).__name__}: {what}); "
                        f"keep open files, locks, sockets and threads out of its attributes (make them when "
                        f"first needed, or leave them out in __getstate__), or run without --workers/--scheduler"
                        ) from None
    finally:
        for m in modules:
            cloudpickle.unregister_pickle_by_value(m)


# -- the evaluator ----------------------------------------------------------------------------------
class DaskEvaluator(Evaluator):
    """Scores each generation in blocks on a Dask cluster.

    Args:
        client: a ``distributed.Client`` to use (left open by :meth:`close`).
        workers: start a LocalCluster of this many worker processes (one thread each), owned by
            this evaluator and stopped by :meth:`close`.
        scheduler: the address of a running cluster (``tcp://HOST:PORT``, from ``dask scheduler``).
        block_size: genomes per block; None: ``ceil(P / DEFAULT_BLOCKS)`` for a population of ``P``.
        threads: kernel threads per block on a worker (None: the worker's NUMBA_NUM_THREADS, else 1).
        allowed_failures: for a LocalCluster it starts, how many workers may die running the
            same block before the generation fails (None: Dask's setting, 3 by default).

    With none of ``client``, ``workers`` and ``scheduler``, it uses the current default client
    if there is one, and otherwise starts a LocalCluster with one worker per core.
    """

    name = "dask"

    def __init__(self, client=None, *, workers: int | None = None, scheduler: str | None = None,
                 block_size: int | None = None, threads: int | None = None,
                 allowed_failures: int | None = None):
        given = [n for n, v in (("client", client), ("workers", workers), ("scheduler", scheduler)) if v is not None]
        if len(given) > 1:
            raise ValueError(f"DaskEvaluator: give one of client, workers and scheduler; got {' and '.join(given)}")
        dist = _distributed()
        if client is not None and not isinstance(client, dist.Client):
            raise TypeError(f"DaskEvaluator: client must be a distributed.Client; got {type(client).__name__}")
        self.workers = None if workers is None else check_int("workers", workers, minimum=1, maximum=4096,
                                                              owner="DaskEvaluator")
        self.scheduler = None if scheduler is None else scheduler.strip()
        if self.scheduler is not None:
            parse_address(self.scheduler)
        self.block_size = None if block_size is None else check_int("block_size", block_size, minimum=1,
                                                                    owner="DaskEvaluator")
        self.threads = None if threads is None else check_int("threads", threads, minimum=1, maximum=1024,
                                                              owner="DaskEvaluator")
        self.allowed_failures = None if allowed_failures is None else check_int(
            "allowed_failures", allowed_failures, minimum=0, owner="DaskEvaluator")
        self._client = client
        self._owns_client = False
        self._quiet = contextlib.ExitStack()
        self._cluster = None
        self._shipped: tuple | None = None      # (simulator, network, token, payload future)
        self._generation = 0
        self._worker_list: tuple[float, list[str]] | None = None

    # connection
    @property
    def client(self):
        """The ``distributed.Client`` (connecting first if needed)."""
        self.connect()
        return self._client

    @property
    def cluster_text(self) -> str:
        """Where blocks go, in words."""
        if self._cluster is not None:
            return f"a Dask LocalCluster of {self.workers} worker process{'es' if self.workers > 1 else ''}"
        if self.scheduler is not None:
            return f"the Dask cluster at {self.scheduler}"
        return "the Dask cluster of the client given"

    def connect(self) -> DaskEvaluator:
        """Connect to the cluster (or start one); raises :class:`EvaluatorUnavailable` if it cannot."""
        if self._client is not None:
            return self
        dist = _distributed()
        if self.scheduler is None and self.workers is None:
            try:
                self._client = dist.default_client()
                return self
            except ValueError:
                self.workers = os.cpu_count() or 1
        # Dask logs a lost worker or scheduler with tracebacks; the run reports what it means in one line
        self._quiet.enter_context(dist.utils.silence_logging_cmgr(logging.CRITICAL))
        try:
            if self.scheduler is not None:
                self._client = self._connect_to(dist, self.scheduler)
            else:
                self._start_cluster(dist)
        except BaseException:
            self._quiet.close()
            raise
        self._owns_client = True
        return self

    def _connect_to(self, dist, address: str):
        protocol, host, port = parse_address(address)
        hint = (f"start one with `dask scheduler` and workers with `dask worker {protocol}://{host}:{port}`, or "
                f"use --workers N for a cluster on this machine")
        if protocol == "tcp":
            try:
                socket.create_connection((host, port), timeout=CONNECT_SECONDS).close()
            except OSError as exc:
                reason = exc.strerror or type(exc).__name__
                raise EvaluatorUnavailable(f"cannot reach a Dask scheduler at {address}: {reason}; {hint}") from None
        try:
            client = dist.Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise EvaluatorUnavailable(f"no Dask scheduler answered at {address} within {CONNECT_SECONDS:g} s "
                                       f"({type(exc).__name__}); {hint}") from None
        try:
            client.wait_for_workers(1, timeout=CONNECT_SECONDS)
        except (TimeoutError, OSError):
            client.close()
            raise EvaluatorUnavailable(f"the Dask scheduler at {address} has no workers (none joined within "
                                       f"{CONNECT_SECONDS:g} s); start some with `dask worker {address}`") from None
        return client

    def _start_cluster(self, dist) -> None:
        import dask

        settings = {"distributed.scheduler.allowed-failures": self.allowed_failures} \
            if self.allowed_failures is not None else {}
        try:
            with dask.config.set(settings):
                self._cluster = dist.LocalCluster(
                    # no dashboard, and its HTTP server on a free port (a busy 8787 would print a warning)
                    n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                    scheduler_kwargs={"dashboard": False},
                    silence_logs=logging.CRITICAL, preload=[_IGNORE_SIGINT],
                    env={"NUMBA_NUM_THREADS": str(self.threads or 1)})
                self._client = dist.Client(self._cluster, set_as_default=False)
        except BaseException:           # a Ctrl-C while it starts, say
            client, cluster, self._client, self._cluster = self._client, self._cluster, None, None
            try:
                if client is not None:
                    client.close()
            finally:
                if cluster is not None:
                    cluster.close()
            raise

    # the run
    def start(self, simulator: Simulator, network) -> None:
        """Ship ``simulator`` to the cluster (once: again only for another simulator or network)."""
        spec = simulator.check_network(network)
        if self._shipped is not None and self._shipped[0] is simulator and self._shipped[1] == spec:
            return
        data = serialize_simulator(simulator)       # before connecting: a bad simulator costs no cluster
        client = self.client
        self._release()
        token = uuid.uuid4().hex[:12]
        future = client.submit(_payload, data, key=f"neuroevo-simulator-{token}", pure=False)
        self._shipped = (simulator, spec, token, future)

    def block_starts(self, population_size: int) -> list[int]:
        """First genome of each block (a function of the population size only)."""
        size = self.block_size or max(1, math.ceil(population_size / DEFAULT_BLOCKS))
        return list(range(0, population_size, size))

    def evaluate(self, simulator, genomes, network, key) -> Evaluation:
        self.start(simulator, network)
        _, spec, token, payload = self._shipped
        genomes = np.asarray(genomes)
        P = genomes.shape[0]
        starts = self.block_starts(P)
        ends = starts[1:] + [P]
        state = {k: np.asarray(v) for k, v in simulator.get_state().items()}
        self._generation += 1
        names = [f"neuroevo-block-{token}-{self._generation}-{b}" for b in range(len(starts))]
        client = self._client
        # Blocks go to the workers in turn: left to itself, the scheduler puts every block next to
        # the simulator's bytes, on one worker. The hint is loose: a block whose worker is gone or
        # busy runs on another (a dead worker's blocks, stolen work).
        workers = self._workers(client)
        futures = [client.submit(score_block, payload, token, state, np.ascontiguousarray(genomes[s:e]), spec,
                                 None if key is None else key.block(s), self.threads, key=name, pure=False,
                                 workers=[workers[b % len(workers)]] if workers else None,
                                 allow_other_workers=True)
                   for b, (name, s, e) in enumerate(zip(names, starts, ends))]
        dist = _distributed()
        try:
            parts = client.gather(futures)
        except dist.KilledWorker as exc:
            b = names.index(exc.task) if exc.task in names else None
            what = (f"block {b + 1} of {len(starts)} (genomes {starts[b]}-{ends[b] - 1})" if b is not None
                    else "a block")
            n = exc.allowed_failures + 1
            raise EvaluationLost(f"{what} was lost: {n} worker process{'es' if n > 1 else ''} died while "
                                 f"scoring it (Dask's distributed.scheduler.allowed-failures is "
                                 f"{exc.allowed_failures}); does the simulator crash its process or run out of "
                                 f"memory?") from None
        except (dist.client.FutureCancelledError, CancelledError) as exc:
            raise EvaluationLost(f"the cluster dropped the generation's blocks ({exc}); is the scheduler "
                                 f"still running?") from None
        except (OSError, TimeoutError) as exc:
            raise EvaluationLost(f"lost the connection to {self.cluster_text} ({type(exc).__name__}: {exc})") \
                from None
        finally:
            for f in futures:
                f.release()
        return Evaluation.join(list(parts))

    def _workers(self, client) -> list[str]:
        """The workers' addresses, asked again at most every WORKERS_SECONDS (a stale list only
        makes a hint point at a worker that is gone, and such a block runs elsewhere)."""
        now = time.monotonic()
        if self._worker_list is None or now - self._worker_list[0] > WORKERS_SECONDS:
            self._worker_list = (now, sorted(client.nthreads()))
        return self._worker_list[1]

    # the end
    def _release(self) -> None:
        if self._shipped is None:
            return
        _, _, token, future = self._shipped
        self._shipped = None
        future.release()
        try:
            if self._client.status == "running":
                self._client.run(_forget, token)
        except Exception:       # a cluster on its way down has nothing left to forget
            pass

    def close(self) -> None:
        """Drop the simulator from the workers; stop the cluster and client this evaluator started."""
        if self._client is None:
            return
        self._worker_list = None
        try:
            self._release()
        finally:
            if self._owns_client:
                client, cluster = self._client, self._cluster
                self._client = self._cluster = None
                try:
                    client.close()
                finally:
                    try:
                        if cluster is not None:
                            cluster.close()
                    finally:
                        self._quiet.close()

    def __repr__(self) -> str:
        where = f"scheduler={self.scheduler!r}" if self.scheduler else f"workers={self.workers}"
        return f"DaskEvaluator({where}, block_size={self.block_size})"

