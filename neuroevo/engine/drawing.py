"""A forked helper process that draws a run's plots, so importing matplotlib overlaps the evolution.

A run needs matplotlib only at its end, and importing it (with its fonts) costs about 0.3 s of a
default race's 1.5 s. Where the process can fork safely (Linux, more than one core, no thread
started yet), :meth:`PlotProcess.start` forks a child at the start of the run: the child imports
the plotting modules on the other core while the parent evolves, then waits on a pipe. At the
end the parent sends it the jobs (module-level functions and their arguments, pickled) and
waits for the answer; the child runs the first and forks one process per other job, which then
start at once (matplotlib is imported already) and run side by side.

Whatever goes wrong on the child's side (it could not start, it died, the job did not pickle or
raised), the parent runs the job itself, so the files written and the errors raised are the same
as without it. The child ignores SIGINT and SIGTERM (the parent decides what an interruption
means), never writes to the terminal, leaves by ``os._exit`` (no exit handlers, no buffers of
the parent flushed twice), and exits when the parent's end of the pipe closes, so it cannot
outlive the run. ``NEUROEVO_PLOT_PROCESS=0`` turns it off.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
import threading
import traceback

_HEADER = struct.Struct("<Q")


def can_fork() -> bool:
    """True where a helper process may be forked now: Linux, 2+ cores, one thread, not turned off."""
    return (sys.platform.startswith("linux") and hasattr(os, "fork") and (os.cpu_count() or 1) > 1
            and threading.active_count() == 1 and os.environ.get("NEUROEVO_PLOT_PROCESS", "1") != "0")


def _write_message(fd: int, payload: bytes) -> None:
    data = _HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_message(fd: int) -> bytes | None:
    """One length-prefixed message, or None at end of file."""
    def read(n):
        chunks = []
        while n:
            chunk = os.read(fd, n)
            if not chunk:
                return None
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)
    head = read(_HEADER.size)
    return None if head is None else read(_HEADER.unpack(head)[0])


class PlotProcess:
    """The helper process of one run; :meth:`run` does a job there, or here when it cannot."""

    def __init__(self):
        self.pid: int | None = None
        self._jobs = self._results = None

    @classmethod
    def start(cls) -> PlotProcess:
        """Fork the helper when :func:`can_fork`; otherwise a PlotProcess that runs jobs in this process."""
        proc = cls()
        if not can_fork():
            return proc
        jobs_r, jobs_w = os.pipe()
        results_r, results_w = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            for fd in (jobs_r, jobs_w, results_r, results_w):
                os.close(fd)
            return proc
        if pid == 0:                                        # the child: it never returns
            os.close(jobs_w)
            os.close(results_r)
            _child(jobs_r, results_w)
        os.close(jobs_r)
        os.close(results_w)
        proc.pid, proc._jobs, proc._results = pid, jobs_w, results_r
        return proc

    def run(self, jobs: list[tuple]) -> None:
        """Run every ``(fn, args, kwargs)`` of ``jobs`` in the helper, side by side, and wait for them;
        if that fails in any way, run them all in this process, in order (their errors are raised)."""
        if self.pid is not None:
            try:
                _write_message(self._jobs, pickle.dumps(list(jobs), protocol=pickle.HIGHEST_PROTOCOL))
                answer = _read_message(self._results)
            except (OSError, pickle.PicklingError, TypeError, AttributeError):
                answer = None
            self.stop()
            if answer == b"ok":
                return
        for fn, args, kwargs in jobs:
            fn(*args, **kwargs)

    def stop(self) -> None:
        """End the helper (if it still waits for a job, it is killed) and reap it."""
        if self.pid is None:
            return
        for fd in (self._jobs, self._results):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self.pid = self._jobs = self._results = None


def _child(jobs: int, results: int) -> None:
    """The helper's whole life: import the plotting modules, run one job, answer, leave."""
    status = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        from neuroevo.plots import warm_up
        warm_up()
        message = _read_message(jobs)
        if message is not None:
            _write_message(results, b"ok" if _run_side_by_side(pickle.loads(message)) else b"failed")
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def _run_side_by_side(jobs: list[tuple]) -> bool:
    """Run the first job here and each other one in a forked process; True if every one succeeded."""
    pids = []
    for fn, args, kwargs in jobs[1:]:
        pid = os.fork()
        if pid == 0:
            ok = _run_one(fn, args, kwargs)
            os._exit(0 if ok else 1)
        pids.append(pid)
    ok = _run_one(*jobs[0]) if jobs else True
    for pid in pids:
        ok = os.waitpid(pid, 0)[1] == 0 and ok
    return ok


def _run_one(fn, args, kwargs) -> bool:
    try:
        fn(*args, **kwargs)
        return True
    except BaseException:
        traceback.print_exc()        # to /dev/null in the helper; the parent runs the job again itself
        return False
