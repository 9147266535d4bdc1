"""SIGINT and SIGTERM as normal events of a run.

The first signal asks the run to stop: it finishes the generation under way, writes a checkpoint
and raises :class:`RunInterrupted`, which the CLI turns into one line and exit code 130 (SIGINT)
or 143 (SIGTERM). A second signal aborts at once with :class:`RunAborted`; the previous
checkpoint is still whole, since checkpoints are written atomically.
"""

from __future__ import annotations

import signal
import threading


class RunInterrupted(Exception):
    """The run stopped on a signal after writing a checkpoint."""

    def __init__(self, signum: int, run_dir, generation: int):
        self.signum, self.run_dir, self.generation = signum, run_dir, generation
        name = signal.Signals(signum).name
        where = (f"checkpoint at generation {generation} written; continue with: neuroevo resume {run_dir}"
                 if run_dir is not None else f"stopped at generation {generation} (nothing written)")
        super().__init__(f"interrupted by {name}: {where}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class RunAborted(BaseException):
    """A second signal: stop now, without a new checkpoint."""

    def __init__(self, signum: int):
        self.signum = signum
        self.run_dir = None
        super().__init__(signal.Signals(signum).name)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class Interrupts:
    """Context manager: catch SIGINT/SIGTERM in the main thread (elsewhere it does nothing)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.requested: int | None = None
        self._old: dict[int, object] = {}

    def _handle(self, signum, frame) -> None:
        if self.requested is None:
            self.requested = signum
            return
        raise RunAborted(signum)

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            for s in self.SIGNALS:
                self._old[s] = signal.signal(s, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for s, old in self._old.items():
            signal.signal(s, old)
        self._old.clear()
