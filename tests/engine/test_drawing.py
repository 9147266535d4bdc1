"""The helper process that draws a run's plots (neuroevo.engine.drawing): same files, errors where they belong."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from neuroevo.engine.drawing import PlotProcess, can_fork

NEUROEVO = str(Path(sys.executable).with_name("neuroevo"))


@pytest.fixture
def forking():
    """Skip unless the helper can be forked now (Linux, 2+ cores, and no thread left by earlier tests)."""
    if not can_fork():
        pytest.skip("the helper is forked only on Linux with 2+ cores while one thread runs")


def _write(path, text):
    Path(path).write_text(f"{text} {os.getpid()}")


def _fails_outside(parent_pid, path):
    """Writes its file only in the parent process; raises anywhere else."""
    if os.getpid() != parent_pid:
        raise RuntimeError("not here")
    Path(path).write_text("parent")


def _always_fails():
    raise ValueError("a bad plot")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_jobs_run_in_the_helper_side_by_side_and_it_is_gone_after(tmp_path, forking):
    proc = PlotProcess.start()
    assert proc.pid is not None and _alive(proc.pid)
    pid = proc.pid
    proc.run([(_write, (tmp_path / "a", "a"), {}), (_write, (tmp_path / "b", "b"), {})])
    a, b = ((tmp_path / n).read_text().split() for n in "ab")
    assert a[0] == "a" and b[0] == "b"
    assert int(a[1]) == pid and int(b[1]) not in (pid, os.getpid())     # the second in a process of its own
    assert proc.pid is None and not _alive(pid)


def test_a_job_that_fails_in_the_helper_runs_again_here(tmp_path, forking):
    proc = PlotProcess.start()
    proc.run([(_fails_outside, (os.getpid(), tmp_path / "x"), {})])
    assert (tmp_path / "x").read_text() == "parent"


def test_a_job_that_fails_everywhere_raises_here_and_unpicklable_jobs_run_here(tmp_path, forking):
    with pytest.raises(ValueError, match="a bad plot"):
        PlotProcess.start().run([(_always_fails, (), {})])
    box = []
    PlotProcess.start().run([(lambda: box.append(os.getpid()), (), {})])      # a lambda does not pickle
    assert box == [os.getpid()]


def test_stop_kills_a_helper_still_waiting_for_its_jobs(forking):
    proc = PlotProcess.start()
    pid = proc.pid
    proc.stop()
    assert not _alive(pid)
    proc.stop()                                                                # twice is harmless


def test_no_helper_while_other_threads_run_or_when_turned_off(monkeypatch):
    done = threading.Event()
    t = threading.Thread(target=done.wait)
    t.start()
    try:
        assert not can_fork() and PlotProcess.start().pid is None
    finally:
        done.set()
        t.join()
    monkeypatch.setenv("NEUROEVO_PLOT_PROCESS", "0")
    assert not can_fork()


@pytest.mark.skipif(not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2,
                    reason="the helper is forked only on Linux with 2+ cores")
def test_a_race_draws_the_same_png_bytes_with_and_without_the_helper(tmp_path):
    for name, flag in (("helper", "1"), ("here", "0")):
        r = subprocess.run([NEUROEVO, "race", "--generations", "15", "--out", str(tmp_path / name)],
                           capture_output=True, text=True, timeout=120,
                           env=os.environ | {"NEUROEVO_PLOT_PROCESS": flag, "MPLBACKEND": "Agg"})
        assert r.returncode == 0, r.stderr
    (a,), (b,) = (list((tmp_path / n).iterdir()) for n in ("helper", "here"))
    names = sorted(p.name for p in (a / "plots").iterdir())
    assert names == ["fitness.png", "test_track.png", "train_track.png"]
    for n in names:
        assert (a / "plots" / n).read_bytes() == (b / "plots" / n).read_bytes(), n
