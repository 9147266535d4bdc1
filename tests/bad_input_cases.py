"""The table of bad command lines and what each must get; shared by ``tests/test_bad_inputs.py``
and ``benchmarks/bad_inputs.py`` (one source of truth, no pytest needed).

Every case runs ``neuroevo ARGS...`` as a real process in a scratch folder of its own. ``{dir}``
in the arguments stands for that folder; a case whose arguments name ``{dir}/run`` gets a fresh
copy of a finished three-generation xor run there. A case may first prepare the folder (write a
user file, damage a checkpoint...). What the case must get: its exit code, exactly one non-empty
line on stderr that holds every pinned fragment, and the scratch folder unchanged (no run folder,
no file written or touched), apart from the run folder's ``.lock`` and Python's ``__pycache__``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import struct
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_SCRIPT = Path(sys.executable).with_name("neuroevo")
#: How a case starts neuroevo: the console script next to the interpreter, else ``python -m``.
COMMAND: tuple[str, ...] = (str(_SCRIPT),) if _SCRIPT.is_file() else (sys.executable, "-m", "neuroevo.cli")

#: Files that may change in a refused command's folder: the run lock, Python's bytecode cache.
IGNORED_NAMES = (".lock", "__pycache__")

#: The finished runs the cases copy: name -> arguments of ``neuroevo run`` (TASK and options).
FINISHED_RUNS = {"xor": ("xor",), "xor_2_4_1": ("xor", "--layers", "2,4,1"), "race": ("race",)}

@dataclass(frozen=True)
class CliCase:
    """One bad command line and what it must get."""

    id: str
    args: tuple[str, ...]            # after ``neuroevo``; {dir} is the case's scratch folder
    code: int                        # the exit code
    fragments: tuple[str, ...]       # each appears in the one stderr line
    prepare: str | None = None       # key of PREPARE: what to put in the scratch folder first
    max_seconds: float | None = None  # the refusal must come this quickly (no work before it)

    @property
    def needs_run(self) -> bool:
        return any("{dir}/run" in a for a in self.args)

    def argv(self, scratch: Path) -> list[str]:
        return [a.replace("{dir}", str(scratch)) for a in self.args]

    def command_line(self) -> str:
        """The command line as a user would type it in the case's folder."""
        return "neuroevo " + shlex.join(a.replace("{dir}/", "").replace("{dir}", ".") for a in self.args)

    def prepared(self) -> str | None:
        """What the case's folder holds first, in words (None: nothing worth saying)."""
        return PREPARED_TEXT.get(self.prepare) if self.prepare else None

    def shown(self) -> str:
        what = self.prepared()
        return f"{self.command_line()} ({what})" if what else self.command_line()


def _run_args(task: str, *extra: str) -> tuple[str, ...]:
    return ("run", task, *extra, "--out", "{dir}/out", "--generations", "3", "--no-plots", "--no-progress")


def _run_args_no_generations(task: str, *extra: str) -> tuple[str, ...]:
    return ("run", task, *extra, "--out", "{dir}/out", "--no-plots", "--no-progress")


# -- what a case puts in its scratch folder first ---------------------------------------------------
NOT_A_SIMULATOR = "class NotSim:\n    \"\"\"Not a neuroevo Simulator.\"\"\"\n"
NO_LAYERS = ("import numpy as np\nimport neuroevo\n\n\nclass NoLayers(neuroevo.Simulator):\n"
             "    def _evaluate(self, genomes, spec, rng):\n        return -np.sum(genomes ** 2, axis=1)\n")


UNPICKLABLE = ("import threading\n\nimport numpy as np\nimport neuroevo\n\n\nclass Locked(neuroevo.Simulator):\n"
               "    layers = (2, 1)\n\n    def __init__(self):\n        self.lock = threading.Lock()\n\n"
               "    def _evaluate(self, genomes, spec, rng):\n        return -np.sum(genomes ** 2, axis=1)\n")


def _last(scratch: Path) -> Path:
    return scratch / "run" / "checkpoints" / "last.npz"


def _truncate(scratch: Path, runs: dict[str, Path]) -> None:
    data = _last(scratch).read_bytes()
    _last(scratch).write_bytes(data[: len(data) // 2])


def _empty(scratch: Path, runs: dict[str, Path]) -> None:
    _last(scratch).write_bytes(b"")


def _bit_flip(scratch: Path, runs: dict[str, Path]) -> None:
    """Flip one bit in the middle of the stored ``genomes.npy`` member (its bytes, not the zip headers)."""
    path = _last(scratch)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("genomes.npy")
    data = bytearray(path.read_bytes())
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26: info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len
    data[start + info.compress_size // 2] ^= 0x10
    path.write_bytes(bytes(data))


def _text(scratch: Path, runs: dict[str, Path]) -> None:
    _last(scratch).write_text("generation 3, best fitness -0.25\n")


def _foreign(scratch: Path, runs: dict[str, Path]) -> None:
    with _last(scratch).open("wb") as fh:
        np.savez(fh, weights=np.zeros((3, 4)), bias=np.zeros(4))


def _other_run(scratch: Path, runs: dict[str, Path]) -> None:
    shutil.copyfile(runs["xor_2_4_1"] / "checkpoints" / "last.npz", _last(scratch))


def _damaged_genome(scratch: Path, runs: dict[str, Path]) -> None:
    path = scratch / "run" / "best_genome.npy"
    path.write_bytes(path.read_bytes()[:100])


def _no_config(scratch: Path, runs: dict[str, Path]) -> None:
    (scratch / "notrun").mkdir()
    (scratch / "notrun" / "notes.txt").write_text("not a run folder\n")


def _plain_file(scratch: Path, runs: dict[str, Path]) -> None:
    (scratch / "afile").write_text("not a folder\n")


def _race_run(scratch: Path, runs: dict[str, Path]) -> None:
    shutil.copytree(runs["race"], scratch / "racerun")


def _user_files(scratch: Path, runs: dict[str, Path]) -> None:
    (scratch / "notsim.py").write_text(NOT_A_SIMULATOR)
    (scratch / "nolayers.py").write_text(NO_LAYERS)
    (scratch / "broken.py").write_text("def broken(:\n")
    (scratch / "plainmod.py").write_text("VALUE = 1\n")


def _unpicklable(scratch: Path, runs: dict[str, Path]) -> None:
    (scratch / "locked.py").write_text(UNPICKLABLE)


def _out_is_file(scratch: Path, runs: dict[str, Path]) -> None:
    (scratch / "outfile").write_text("a file, not a folder\n")


def _read_only(scratch: Path, runs: dict[str, Path]) -> str | None:
    folder = scratch / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    probe = folder / "probe"
    try:
        probe.write_text("x")
    except OSError:
        return None
    probe.unlink()
    return (f"chmod 0o555 does not stop writes for this user (uid {os.getuid()}, root?), so a read-only "
            f"folder cannot be made here")


def _needs(module: str, extra: str):
    def check(scratch: Path, runs: dict[str, Path]) -> str | None:
        import importlib.util
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install -e \".[{extra}]\")"
        return None
    return check


#: What each preparation leaves in the case's folder, for the benchmark's table.
PREPARED_TEXT = {
    "truncate_last": "run/checkpoints/last.npz cut to half its bytes",
    "empty_last": "run/checkpoints/last.npz empty",
    "bit_flip_last": "one bit of run/checkpoints/last.npz flipped",
    "text_last": "run/checkpoints/last.npz is a text file",
    "foreign_last": "run/checkpoints/last.npz is another program's .npz",
    "other_run_last": "run/checkpoints/last.npz copied from a [2, 4, 1] xor run",
    "damaged_genome": "run/best_genome.npy cut to 100 bytes",
    "no_config": "notrun/ holds no config.json",
    "plain_file": "afile is a file",
    "out_is_file": "outfile is a file",
    "unpicklable": "locked.py: a Simulator holding a threading.Lock",
    "read_only": "ro/ is read-only",
    "user_files": "notsim.py: a plain class; nolayers.py: a Simulator without layers; broken.py: a syntax "
                  "error; plainmod.py: no class",
}

#: name -> function(scratch, runs); a returned string is a reason to skip the case here.
PREPARE: dict[str, Callable[[Path, dict[str, Path]], str | None]] = {
    "truncate_last": _truncate, "empty_last": _empty, "bit_flip_last": _bit_flip, "text_last": _text,
    "foreign_last": _foreign, "other_run_last": _other_run, "damaged_genome": _damaged_genome,
    "no_config": _no_config, "plain_file": _plain_file, "user_files": _user_files, "race_run": _race_run,
    "out_is_file": _out_is_file, "read_only": _read_only, "unpicklable": _unpicklable,
    "needs_gym": _needs("gymnasium", "gym"), "needs_box2d": _needs("Box2D", "gym"),
}


def restore_permissions(scratch: Path) -> None:
    """Undo :func:`_read_only` so the scratch folder can be removed."""
    ro = scratch / "ro"
    if ro.is_dir():
        ro.chmod(0o755)


# -- the table --------------------------------------------------------------------------------------
PREVIOUS_HINT = "--checkpoint previous"

CLI_CASES: list[CliCase] = [
    # TASK
    CliCase("unknown-task", _run_args("nope"), 2, ("unknown task 'nope'; choose one of", "path/to/file.py:ClassName")),
    CliCase("gym-unknown-env", _run_args("gym:CartPol-v1"), 2,
            ("unknown Gymnasium env id 'CartPol-v1'; did you mean 'CartPole-v1'",), prepare="needs_gym"),
    CliCase("gym-no-env", _run_args("gym:"), 2, ("names no env; write gym:ENV_ID, such as gym:CartPole-v1",)),
    CliCase("gym-unmappable-space", _run_args("gym:Blackjack-v1"), 2,
            ("cannot map a Tuple observation space to network inputs", "gymnasium.wrappers.FlattenObservation"),
            prepare="needs_gym"),
    CliCase("gym-image-observations", _run_args("gym:CarRacing-v3"), 2,
            ("observations of shape (96, 96, 3) (an image or a grid) cannot feed a dense network",),
            prepare="needs_box2d"),
    CliCase("gym-episodes-zero", _run_args("gym:CartPole-v1", "--episodes", "0"), 2,
            ("gym:CartPole-v1: episodes must be >= 1; got 0",), prepare="needs_gym"),
    CliCase("gym-held-out-episodes-zero", _run_args("gym:CartPole-v1", "--held-out-episodes", "0"), 2,
            ("held_out_episodes must be >= 1; got 0",), prepare="needs_gym"),
    CliCase("gym-wrong-layers", _run_args("gym:CartPole-v1", "--layers", "4,3"), 2,
            ("layers must start with 4 inputs (the observation) and end with 2 outputs", "Try --layers 4,16,2"),
            prepare="needs_gym"),
    CliCase("gym-unknown-action-mapping", _run_args("gym:Pendulum-v1", "--action", "squash"), 2,
            ("unknown action 'squash'; choose one of ['auto', 'clip', 'scale', 'tanh']",), prepare="needs_gym"),
    CliCase("module-not-found", _run_args("nosuchmodule:Foo"), 2,
            ("cannot import module 'nosuchmodule'", "name the file: path/to/file.py:Foo")),
    CliCase("module-without-class", _run_args("plainmod:Foo"), 2, ("has no class 'Foo'",), prepare="user_files"),
    CliCase("task-syntax", _run_args("not a module:Foo"), 2,
            ("is neither a module path (a.b.c) nor a .py file",)),
    CliCase("missing-file", _run_args("missing.py:Foo"), 2,
            ("no Python file at", "read from the current folder")),
    CliCase("file-class-not-a-simulator", _run_args("notsim.py:NotSim"), 2,
            ("is not a neuroevo Task or Simulator subclass", "subclass neuroevo.Simulator"), prepare="user_files"),
    CliCase("file-with-syntax-error", _run_args("broken.py:Broken"), 2, ("failed: SyntaxError",),
            prepare="user_files"),
    CliCase("simulator-without-layers", _run_args("nolayers.py:NoLayers"), 2,
            ("declares no network: pass --layers",), prepare="user_files"),
    CliCase("missing-task", ("run", "--out", "{dir}/out"), 2, ("TASK", "xor")),
    # network
    CliCase("layers-empty-item", _run_args("xor", "--layers", "7,,1"), 2,
            ("expected comma-separated integers such as 7,8,4,1; got '7,,1'",)),
    CliCase("layers-one-size", _run_args("xor", "--layers", "7"), 2,
            ("layers needs at least 2 sizes (inputs and outputs)",)),
    CliCase("layers-not-integers", _run_args("xor", "--layers", "a,b"), 2,
            ("expected comma-separated integers", "got 'a,b'")),
    CliCase("layers-wrong-inputs", _run_args("xor", "--layers", "3,1"), 2, ("make its first layer size 2",)),
    CliCase("activation-unknown", _run_args("xor", "--activation", "softplus"), 2,
            ("unknown activation 'softplus'; choose one of ['identity', 'relu', 'sigmoid', 'tanh']",)),
    CliCase("activation-count", _run_args("xor", "--activation", "tanh,tanh,tanh,tanh"), 2,
            ("names 4 layers, but layers [2, 3, 1] has 2", "give one name, or one per layer")),
    CliCase("activation-empty-name", _run_args("xor", "--activation", "tanh,"), 2,
            ("has an empty name", "one per layer separated by commas")),
    # run and strategy settings
    CliCase("population-size-1", _run_args("xor", "--population-size", "1"), 2,
            ("population_size must be >= 2; got 1",)),
    CliCase("population-size-memory", _run_args("xor", "--population-size", "10000000000"), 2,
            ("of memory", "Use a smaller population"), max_seconds=15),
    CliCase("robust-samples-memory", _run_args_no_generations("race", "--robust-samples", "10000000"), 2,
            ("of memory", "lower --robust-samples"), max_seconds=15),
    CliCase("generations-0", _run_args_no_generations("xor", "--generations", "0"), 2,
            ("generations must be >= 1; got 0",)),
    CliCase("generations-not-int", _run_args_no_generations("xor", "--generations", "abc"), 2,
            ("argument --generations: invalid int value: 'abc'",)),
    CliCase("seed-negative", _run_args("xor", "--seed", "-1"), 2, ("seed must be >= 0; got -1",)),
    CliCase("strategy-unknown", _run_args("xor", "--strategy", "nope"), 2,
            ("unknown strategy 'nope'; choose one of", "rank_ga")),
    CliCase("rate-negative", _run_args("xor", "--rate", "-1"), 2, ("rate must be >= 0.0; got -1.0",)),
    CliCase("checkpoint-seconds-negative", _run_args("xor", "--checkpoint-seconds", "-1"), 2,
            ("checkpoint_seconds must be >= 0.0; got -1.0",)),
    CliCase("checkpoint-seconds-nan", _run_args("xor", "--checkpoint-seconds", "nan"), 2,
            ("checkpoint_seconds must be finite; got nan",)),
    CliCase("unknown-option", _run_args("xor", "--bogus"), 2, ("--bogus", "--help")),
    # where the generations are scored (Dask)
    CliCase("workers-0", _run_args("xor", "--workers", "0"), 2,
            ("workers must be >= 1 (the number of Dask worker processes to start); got 0",
             "Leave --workers out to score in this process")),
    CliCase("workers-and-scheduler", _run_args("xor", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"), 2,
            ("give workers (start a cluster on this machine) or scheduler (use a running one), not both",)),
    CliCase("scheduler-not-an-address", _run_args("xor", "--scheduler", "localhost"), 2,
            ("scheduler must be an address such as tcp://10.0.0.5:8786", "got 'localhost'")),
    CliCase("scheduler-unreachable", _run_args("xor", "--scheduler", "tcp://127.0.0.1:1"), 1,
            ("cannot reach a Dask scheduler at tcp://127.0.0.1:1: Connection refused", "dask scheduler",
             "--workers N"), max_seconds=15),
    CliCase("block-size-0", _run_args("xor", "--block-size", "0"), 2, ("block_size must be >= 1; got 0",)),
    CliCase("simulator-not-serializable", _run_args("locked.py:Locked", "--workers", "1"), 2,
            ("the simulator Locked cannot be sent to the workers", "cannot pickle '_thread.lock' object",
             "keep open files, locks"), prepare="unpicklable", max_seconds=15),
    CliCase("resume-scheduler-unreachable", ("resume", "{dir}/run", "--scheduler", "tcp://127.0.0.1:1"), 1,
            ("cannot reach a Dask scheduler at tcp://127.0.0.1:1",), max_seconds=15),
    CliCase("resume-local-and-workers", ("resume", "{dir}/run", "--local", "--workers", "2"), 2,
            ("give local (score in this process) or workers/scheduler, not both",)),
    # task settings
    CliCase("race-sensors-past-track", _run_args("race", "--sensors", "0,5,500"), 2,
            ("max(sensors) = 500 but track 'training' has 400 steps", "Use offsets below 400")),
    CliCase("sin-points-1", _run_args("sin", "--points", "1"), 2, ("points must be >= 2; got 1",)),
    CliCase("xor-target-positive", _run_args("xor", "--target", "1"), 2, ("target must be <= 0.0; got 1.0",)),
    # where the run folder goes
    CliCase("out-is-a-file", ("run", "xor", "--out", "{dir}/outfile", "--generations", "3", "--no-plots",
                              "--no-progress"), 1, ("is a file, not a folder", "choose a folder"),
            prepare="out_is_file"),
    CliCase("out-read-only", ("run", "xor", "--out", "{dir}/ro/runs", "--generations", "3", "--no-plots",
                              "--no-progress"), 1, ("cannot write the run folder under", "choose another --out"),
            prepare="read_only"),
    # resume
    CliCase("resume-not-a-folder", ("resume", "{dir}/afile"), 1, ("no run folder at",), prepare="plain_file"),
    CliCase("resume-no-config", ("resume", "{dir}/notrun"), 1, ("is not a run folder: it has no config.json",),
            prepare="no_config"),
    CliCase("resume-truncated-checkpoint", ("resume", "{dir}/run"), 1,
            ("last.npz' is damaged or truncated", PREVIOUS_HINT), prepare="truncate_last"),
    CliCase("resume-empty-checkpoint", ("resume", "{dir}/run"), 1,
            ("last.npz' is empty (0 bytes)", PREVIOUS_HINT), prepare="empty_last"),
    CliCase("resume-bit-flipped-checkpoint", ("resume", "{dir}/run"), 1,
            ("last.npz' is damaged or truncated (Bad CRC-32", PREVIOUS_HINT), prepare="bit_flip_last"),
    CliCase("resume-text-checkpoint", ("resume", "{dir}/run"), 1,
            ("is not a neuroevo checkpoint: it is not an .npz archive", PREVIOUS_HINT), prepare="text_last"),
    CliCase("resume-foreign-npz-checkpoint", ("resume", "{dir}/run"), 1,
            ("is not a neuroevo checkpoint (no __meta__ record)", PREVIOUS_HINT), prepare="foreign_last"),
    CliCase("resume-checkpoint-of-another-run", ("resume", "{dir}/run"), 1,
            ("does not belong to this run folder: layers is [2, 4, 1] in the checkpoint but [2, 3, 1] in "
             "config.json",), prepare="other_run_last"),
    CliCase("resume-generations-0", ("resume", "{dir}/run", "--generations", "0"), 2,
            ("generations must be >= 1; got 0",)),
    CliCase("resume-missing-checkpoint-file", ("resume", "{dir}/run", "--checkpoint", "{dir}/nope.npz"), 1,
            ("no checkpoint at", "choose last, previous or a checkpoint file")),
    # evaluate, strategies
    CliCase("evaluate-not-a-run", ("evaluate", "{dir}/notrun"), 1, ("is not a run folder: it has no config.json",),
            prepare="no_config"),
    CliCase("evaluate-missing-folder", ("evaluate", "{dir}/nowhere"), 1, ("no run folder at",)),
    CliCase("evaluate-unknown-option", ("evaluate", "{dir}/run", "--bogus"), 2, ("--bogus", "--help")),
    CliCase("evaluate-held-out-setting-of-another-task", ("evaluate", "{dir}/run", "--test-seed", "3"), 2,
            ("--test-seed", "--help")),
    CliCase("evaluate-damaged-best-genome", ("evaluate", "{dir}/run"), 1,
            ("best_genome.npy' is damaged", "neuroevo resume"), prepare="damaged_genome"),
    # held-out suites
    CliCase("evaluate-suite-on-a-xor-run", ("evaluate", "{dir}/run", "--suite", "twisty"), 2,
            ("--suite is an evaluate option of race and suite runs only, and this is a xor run, whose network "
             "is not made for them",)),
    CliCase("evaluate-unknown-suite", ("evaluate", "{dir}/racerun", "--suite", "twisted"), 2,
            ("unknown suite 'twisted'; choose one of ['train', 'twisty'", "`neuroevo suites` lists them"),
            prepare="race_run"),
    CliCase("evaluate-unknown-suite-version", ("evaluate", "{dir}/racerun", "--suite", "twisty:9"), 2,
            ("suite 'twisty' has no version 9; it has versions [1]",), prepare="race_run"),
    CliCase("evaluate-suite-version-not-a-number", ("evaluate", "{dir}/racerun", "--suite", "twisty:new"), 2,
            ("suite version must be a number, as in twisty:1; got 'twisty:new'",), prepare="race_run"),
    CliCase("evaluate-training-suite", ("evaluate", "{dir}/racerun", "--suite", "train"), 2,
            ("suite 'train' holds training tracks; evaluate on a held-out suite",), prepare="race_run"),
    CliCase("evaluate-suite-empty-name", ("evaluate", "{dir}/racerun", "--suite", "twisty,"), 2,
            ("expected comma-separated names such as twisty,narrow; got 'twisty,'",), prepare="race_run"),
    CliCase("evaluate-suite-and-test-seed", ("evaluate", "{dir}/racerun", "--suite", "all", "--test-seed", "2"), 2,
            ("--test-seed and --suite choose different evaluations",), prepare="race_run"),
    CliCase("evaluate-suite-top-0", ("evaluate", "{dir}/racerun", "--suite", "long", "--top", "0"), 2,
            ("--top: top must be >= 1; got 0",), prepare="race_run"),
    CliCase("suite-unknown-test-suite", _run_args("suite", "--test-suites", "twisty,nope"), 2,
            ("unknown suite 'nope'; choose one of",), max_seconds=10),
    CliCase("suite-spread-below-1", _run_args("suite", "--spread", "0.5"), 2, ("spread must be >= 1.0; got 0.5",)),
    CliCase("suite-curriculum-above-spread", _run_args("suite", "--spread-start", "3"), 2,
            ("spread_start must be <= 2.5; got 3.0",)),
    CliCase("suite-sensors-past-the-training-tracks", _run_args("suite", "--sensors", "0,5,300", "--track-length",
                                                                "200"), 2,
            ("sensor offsets reach past the training tracks: max(sensors) = 300 but --track-length is 200",)),
    CliCase("suite-layers-do-not-fit-the-sensors", _run_args("suite", "--sensors", "0,5", "--layers", "7,8,1"), 2,
            ("suite: layers must start with 5 inputs", "Try --layers 5,8,4,1")),
    CliCase("strategies-unknown", ("strategies", "nope"), 2,
            ("unknown strategy 'nope'; choose one of ['cmaes'",)),
    CliCase("strategies-unknown-task", ("strategies", "--task", "nope"), 2, ("unknown task 'nope'; choose one of",)),
    # termination settings and bench
    CliCase("tolfun-negative", _run_args("sin", "--tolfun", "-1"), 2, ("tolfun must be >= 0.0; got -1.0",)),
    CliCase("patience-zero", _run_args("xor", "--strategy", "snes", "--patience", "0"), 2,
            ("patience must be >= 1; got 0",)),
    CliCase("bench-unknown-suite", ("bench", "bbbob", "--quick", "--out", "{dir}/out"), 2,
            ("unknown benchmark suite 'bbbob'; choose from ['throughput', 'cmaes', 'bbob'",), max_seconds=10),
    CliCase("bench-out-is-file", ("bench", "race", "--quick", "--out", "{dir}/outfile"), 2,
            ("--out", "outfile' is a file, not a folder",), prepare="out_is_file", max_seconds=10),
]


# -- running the cases ------------------------------------------------------------------------------
def child_env() -> dict[str, str]:
    """The environment of a case's process: the caller's, without the debugging and fault switches."""
    env = {k: v for k, v in os.environ.items() if k not in ("NEUROEVO_DEBUG", "NEUROEVO_FAULT_KILL_CHECKPOINT")}
    return env | {"MPLBACKEND": "Agg"}


def make_finished_runs(root: Path) -> dict[str, Path]:
    """Run each of FINISHED_RUNS (``neuroevo run TASK --generations 3``) at once; name -> run folder."""
    procs = {}
    for name, extra in FINISHED_RUNS.items():
        out = root / name
        procs[name] = (out, subprocess.Popen([*COMMAND, "run", *extra, "--generations", "3", "--out",
                                              str(out), "--no-plots", "--no-progress"],
                                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                             env=child_env()))
    runs = {}
    for name, (out, proc) in procs.items():
        stdout, stderr = proc.communicate(timeout=300)
        if proc.returncode != 0:
            raise RuntimeError(f"neuroevo run {extra[0]} for the bad-input cases failed ({proc.returncode}): {stderr}")
        (runs[name],) = [p for p in out.iterdir() if p.is_dir()]
    return runs


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file and folder under ``folder`` (relative path -> bytes, None for a folder)."""
    out: dict[str, bytes | None] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part in IGNORED_NAMES for part in rel.parts):
            continue
        out[str(rel)] = None if path.is_dir() else path.read_bytes()
    return out


@dataclass
class Outcome:
    case: CliCase
    skipped: str | None = None          # why the case could not be run here
    code: int | None = None
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    before: dict | None = None
    after: dict | None = None

    def shown_message(self, scratch: Path) -> str:
        text = self.stderr.strip()
        for prefix in {str(scratch.resolve()), str(scratch)}:
            text = text.replace(prefix + "/", "").replace(prefix, ".")
        return text


def run_case(case: CliCase, scratch: Path, runs: dict[str, Path], timeout: float = 120) -> Outcome:
    """Prepare ``scratch`` for ``case``, run it as a process there and record what happened."""
    scratch.mkdir(parents=True, exist_ok=True)
    if case.needs_run:
        shutil.copytree(runs["xor"], scratch / "run")
    if case.prepare is not None:
        reason = PREPARE[case.prepare](scratch, runs)
        if reason:
            restore_permissions(scratch)
            return Outcome(case, skipped=reason)
    before = snapshot(scratch)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([*COMMAND, *case.argv(scratch)], capture_output=True, text=True, cwd=scratch,
                              env=child_env(), timeout=timeout)
    finally:
        seconds = time.perf_counter() - t0
        after = snapshot(scratch)
        restore_permissions(scratch)
    return Outcome(case, code=proc.returncode, stdout=proc.stdout, stderr=proc.stderr, seconds=seconds,
                   before=before, after=after)


def problems(outcome: Outcome) -> list[str]:
    """What is wrong with ``outcome`` against its case (empty: the case passes)."""
    case, out = outcome.case, []
    lines = outcome.stderr.splitlines()
    if outcome.code != case.code:
        out.append(f"exit code {outcome.code}, expected {case.code}")
    if "Traceback" in outcome.stderr:
        out.append("stderr holds a traceback")
    if len(lines) != 1 or not lines[0].strip():
        out.append(f"stderr has {len(lines)} lines, expected exactly one non-empty line")
    for fragment in case.fragments:
        if fragment not in outcome.stderr:
            out.append(f"stderr lacks {fragment!r}")
    if outcome.after != outcome.before:
        added = sorted(set(outcome.after) - set(outcome.before))
        removed = sorted(set(outcome.before) - set(outcome.after))
        changed = sorted(k for k in set(outcome.before) & set(outcome.after)
                         if outcome.before[k] != outcome.after[k])
        out.append(f"files changed: added {added}, removed {removed}, modified {changed}")
    if case.max_seconds is not None and outcome.seconds > case.max_seconds:
        out.append(f"took {outcome.seconds:.1f} s, expected under {case.max_seconds} s")
    return out
