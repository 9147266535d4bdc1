"""Helpers for the Dask tests: a user's simulator in a file, and what its workers leave behind."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "engine"))

from helpers import NEUROEVO, assert_same_run, neuroevo, only_run, rows_of, start, timeless, wait_for_rows  # noqa: E402

__all__ = ["KEYED_SIM", "alive", "assert_same_run", "children_of", "neuroevo", "only_run", "pids_in", "rows_of",
           "start", "start_session", "timeless", "wait_for", "wait_for_rows", "write_keyed_sim"]

KEYED_SIM = textwrap.dedent('''
    """A user's simulator in a file of its own, written to the simulator contract: common draws
    and one stream per genome from the generation's key, per-genome extras, and a state (running
    means of the genomes' first three parameters) that end_generation updates and fitness reads.

    Environment: KEYED_SLEEP pauses each block (seconds); KEYED_PIDS names a folder where each
    block leaves a file named after its process id; KEYED_DIE_AT makes the process scoring any
    block of that generation kill itself (a simulator that crashes its worker)."""
    import os
    import signal
    import time

    import numpy as np

    from neuroevo import Simulator
    from neuroevo.simulators import Evaluation


    class Keyed(Simulator):
        layers = (3, 4, 1)
        generations = 12
        num_inputs = 3

        def __init__(self):
            self.mean = np.zeros(3)
            self.seen = np.zeros(1)
            self.generation = np.zeros(1, dtype=np.int64)

        def _evaluate_keyed(self, genomes, spec, key):
            folder = os.environ.get("KEYED_PIDS")
            if folder:
                with open(os.path.join(folder, f"{os.getpid()}"), "a") as fh:
                    fh.write(f"{int(self.generation[0]) + 1} {key.offset}\\n")
            if int(os.environ.get("KEYED_DIE_AT", "0")) == int(self.generation[0]) + 1:
                os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(float(os.environ.get("KEYED_SLEEP", "0")))
            shift = 0.5 + 0.01 * key.common().normal(size=genomes.shape[1])
            noise = np.array([key.genome(i).normal() for i in range(genomes.shape[0])])
            fitness = -np.sum((genomes - shift) ** 2, axis=1) + 1e-3 * noise - 1e-2 * float(self.mean @ self.mean)
            return Evaluation(fitness, {"head": genomes[:, :3].copy()})

        def _evaluate(self, genomes, spec, rng):
            raise NotImplementedError("scored through _evaluate_keyed")

        def end_generation(self, extras):
            head = extras["head"]
            seen = self.seen + head.shape[0]
            self.mean = self.mean + (head.sum(axis=0) - head.shape[0] * self.mean) / seen
            self.seen = seen
            self.generation = self.generation + 1
            return {"head_mean": float(self.mean.mean())}

        def get_state(self):
            return {"mean": self.mean, "seen": self.seen, "generation": self.generation}

        def set_state(self, state):
            self.mean = np.array(state["mean"], dtype=np.float64)
            self.seen = np.array(state["seen"], dtype=np.float64)
            self.generation = np.array(state["generation"], dtype=np.int64)
''')


def start_session(*args, env=None) -> subprocess.Popen:
    """``neuroevo ARGS`` in a session of its own, so a test can signal its whole process group."""
    full_env = os.environ | {"MPLBACKEND": "Agg"} | (env or {})
    return subprocess.Popen([NEUROEVO, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=full_env, start_new_session=True)


def write_keyed_sim(folder: Path) -> str:
    """Write the simulator into ``folder/keyed_sim.py``; returns its TASK string."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "keyed_sim.py"
    path.write_text(KEYED_SIM)
    return f"{path}:Keyed"


def pids_in(folder: Path) -> set[int]:
    """Process ids of the processes that scored a block (the files KEYED_PIDS collects)."""
    return {int(p.name) for p in folder.iterdir() if p.name.isdigit()} if folder.is_dir() else set()


def alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie does not count)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is ``pid``."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out


def wait_for(condition, timeout: float = 60, what: str = "condition") -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"{what}: not met after {timeout} s")
