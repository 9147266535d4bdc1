"""`neuroevo run --workers N` under real processes: equal to the run on one process bit for bit, a
worker killed during a generation, Ctrl-C with no worker left behind, a block that kills every
worker it meets, and resume on another cluster (or none)."""

from __future__ import annotations

import os
import re
import signal
import time

import pytest

pytest.importorskip("distributed")

from dask_helpers import (  # noqa: E402
    alive,
    assert_same_run,
    neuroevo,
    only_run,
    pids_in,
    rows_of,
    start,
    start_session,
    wait_for,
    wait_for_rows,
    write_keyed_sim,
)

RUN = ("--seed", "5", "--population-size", "30", "--block-size", "5", "--no-plots", "--no-progress")


@pytest.fixture(scope="module")
def sim(tmp_path_factory) -> str:
    return write_keyed_sim(tmp_path_factory.mktemp("sims"))


@pytest.fixture(scope="module")
def unbroken(tmp_path_factory, sim):
    """The run on one process that nobody stopped."""
    out = tmp_path_factory.mktemp("unbroken")
    r = neuroevo("run", sim, *RUN, "--out", out)
    assert r.returncode == 0, r.stderr
    return only_run(out)


def test_a_run_on_two_workers_equals_the_run_on_one_process(tmp_path, sim, unbroken):
    pids = tmp_path / "pids"
    pids.mkdir()
    proc = start("run", sim, *RUN, "--out", tmp_path / "out", "--workers", "2", env={"KEYED_PIDS": str(pids)})
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert err == "", err                       # nothing from Dask on stderr (no warnings, no logs)
    assert_same_run(only_run(tmp_path / "out"), unbroken)
    workers = pids_in(pids) - {proc.pid}        # the driver scores only the held-out genome
    assert len(workers) == 2                    # both workers scored blocks
    assert (pids / str(proc.pid)).read_text().splitlines() == ["1 0"]
    assert not any(alive(p) for p in workers)   # and the run stopped them


def test_a_worker_killed_during_a_generation_changes_nothing(tmp_path, sim, unbroken):
    pids = tmp_path / "pids"
    pids.mkdir()
    out = tmp_path / "out"
    proc = start("run", sim, *RUN, "--out", out, "--workers", "2",
                 env={"KEYED_PIDS": str(pids), "KEYED_SLEEP": "0.05"})
    wait_for_rows(out, 3, proc)
    victim = sorted(pids_in(pids))[0]
    os.kill(victim, signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert not alive(victim) and len(pids_in(pids) - {proc.pid}) == 3      # a new worker took its place
    assert_same_run(only_run(out), unbroken)


def test_ctrl_c_stops_the_run_and_its_workers_then_resume_on_one_worker_equals_the_unbroken_run(
        tmp_path, sim, unbroken):
    pids = tmp_path / "pids"
    pids.mkdir()
    out = tmp_path / "out"
    proc = start_session("run", sim, *RUN, "--out", out, "--workers", "2",
                         env={"KEYED_PIDS": str(pids), "KEYED_SLEEP": "0.1"})
    run = wait_for_rows(out, 4, proc)
    os.killpg(proc.pid, signal.SIGINT)         # what a terminal does: the whole foreground group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "interrupted by SIGINT" in lines[0] and f"neuroevo resume {run}" in lines[0], err
    workers = pids_in(pids) - {proc.pid}
    assert len(workers) == 2                    # the workers ignored the terminal's SIGINT: none restarted
    wait_for(lambda: not any(alive(p) for p in workers), timeout=10, what="no worker process left")
    rows = rows_of(run)
    assert 4 <= len(rows) < 12
    r = neuroevo("resume", run, "--workers", "1")
    assert r.returncode == 0, r.stderr
    assert_same_run(run, unbroken)


def test_kill_9_of_the_run_takes_its_workers_down_and_resume_on_the_cluster_equals_the_unbroken_run(
        tmp_path, sim, unbroken):
    pids = tmp_path / "pids"
    pids.mkdir()
    out = tmp_path / "out"
    proc = start("run", sim, *RUN, "--out", out, "--workers", "2", "--checkpoint-every", "1",
                 env={"KEYED_PIDS": str(pids), "KEYED_SLEEP": "0.1"})
    run = wait_for_rows(out, 3, proc)
    proc.kill()
    proc.wait()
    workers = pids_in(pids) - {proc.pid}
    assert len(workers) == 2
    wait_for(lambda: not any(alive(p) for p in workers), timeout=20, what="the workers of a killed run exit")
    r = neuroevo("resume", run)                 # on a new 2-worker LocalCluster, as the run was started
    assert r.returncode == 0, r.stderr
    assert_same_run(run, unbroken)


def test_a_block_that_kills_every_worker_fails_the_run_with_a_checkpoint_then_resume_finishes_it(
        tmp_path, sim, unbroken):
    out = tmp_path / "out"
    r = neuroevo("run", sim, *RUN, "--out", out, "--workers", "2", "--checkpoint-every", "100",
                 env={"KEYED_DIE_AT": "4", "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"}, timeout=180)
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert re.search(r"generation 4 failed: EvaluationLost: block \d of 6 \(genomes \d+-\d+\) was lost: 2 worker "
                     r"processes died while scoring it \(Dask's distributed.scheduler.allowed-failures is 1\)",
                     lines[0]), lines[0]
    run = only_run(out)
    assert f"checkpoint at generation 3 written: neuroevo resume {run}" in lines[0]
    from neuroevo.io.checkpoint import read_npz
    _, meta = read_npz(run / "checkpoints" / "last.npz")
    assert meta["generation"] == 3 and len(rows_of(run)) == 3
    t0 = time.monotonic()
    r = neuroevo("resume", run, "--local")
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - t0 < 60
    assert_same_run(run, unbroken)


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(address: str, timeout: float = 60.0) -> None:
    """Return once ``tcp://host:port`` accepts connections (a scheduler that has started), or raise."""
    import socket
    host, port = address.removeprefix("tcp://").rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, int(port)), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_a_run_on_a_cluster_started_with_dask_scheduler_and_dask_worker(tmp_path, sim, unbroken):
    """The README's recipe for several machines, on one: `dask scheduler`, `dask worker`, --scheduler;
    then a scheduler killed during a run: one line, a checkpoint, and a local resume that finishes it."""
    import subprocess
    import sys
    from pathlib import Path

    dask_cli = str(Path(sys.executable).with_name("dask"))
    address = f"tcp://127.0.0.1:{_free_port()}"
    pids = tmp_path / "pids"
    pids.mkdir()
    env = os.environ | {"KEYED_PIDS": str(pids), "KEYED_SLEEP": "0.05"}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env, "cwd": tmp_path}
    scheduler = subprocess.Popen([dask_cli, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                  "--no-dashboard"], **quiet)
    _wait_for_port(address)                        # as a user would: the scheduler is up before the run starts
    worker = subprocess.Popen([dask_cli, "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
                              **quiet)
    try:
        proc = start("run", sim, *RUN, "--out", tmp_path / "out", "--scheduler", address)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert_same_run(only_run(tmp_path / "out"), unbroken)
        assert len(pids_in(pids) - {proc.pid}) == 2       # the two worker processes of `dask worker`
        assert worker.poll() is None and scheduler.poll() is None   # a cluster the run did not start stays up

        out = tmp_path / "lost"
        proc = start("run", sim, *RUN, "--out", out, "--scheduler", address, "--checkpoint-every", "100")
        run = wait_for_rows(out, 3, proc)
        scheduler.kill()
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 1, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in err, err
        assert "failed: EvaluationLost: the cluster dropped the generation's blocks" in lines[0], lines[0]
        from neuroevo.io.checkpoint import read_npz
        _, meta = read_npz(run / "checkpoints" / "last.npz")
        assert f"checkpoint at generation {meta['generation']} written" in lines[0]
        assert meta["generation"] == len(rows_of(run)) >= 3
        r = neuroevo("resume", run, "--local")
        assert r.returncode == 0, r.stderr
        assert_same_run(run, unbroken)
    finally:
        for p in (worker, scheduler):
            p.send_signal(signal.SIGINT)
        for p in (worker, scheduler):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
