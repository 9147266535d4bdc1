"""Reading a finished (or interrupted) run back: :func:`load_run`, :func:`evaluate_run`, :func:`load_policy`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from neuroevo.engine.config import RunPlan
from neuroevo.engine.run import CHECKPOINTS, LAST, RunError, _plan_of
from neuroevo.io.checkpoint import CheckpointError, read_npz
from neuroevo.io.runlog import read_json, read_metrics
from neuroevo.network.spec import NetworkSpec
from neuroevo.tasks.base import Selection, Task


@dataclass
class LoadedRun:
    """A run folder, read back.

    Attributes:
        run_dir: the folder.
        config: ``config.json`` as written.
        plan: the settings, resolved (``plan.task`` is the task with its settings).
        network: the :class:`NetworkSpec` the genomes encode.
        best_genome: float64 ``(D,)``: the run's best genome (from the checkpoint if the run
            has not finished).
        top_genomes: float64 ``(K, D)`` or None.
        summary: ``summary.json``, or None for a run that has not finished.
        metrics: the rows of ``metrics.jsonl``.
    """

    run_dir: Path
    config: dict[str, Any]
    plan: RunPlan
    network: NetworkSpec
    best_genome: np.ndarray
    top_genomes: np.ndarray | None
    summary: dict[str, Any] | None
    metrics: list[dict[str, Any]]
    options: Any = None             # the evaluate options of the last evaluate_run

    @property
    def task(self) -> Task:
        return self.plan.task

    @property
    def finished(self) -> bool:
        return self.summary is not None


def _load_array(path: Path, width: int, ndim: int) -> np.ndarray | None:
    if not path.is_file():
        return None
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise RunError(f"{str(path)!r} is damaged ({str(exc).splitlines()[0]}); neuroevo resume "
                       f"{path.parent} writes it again from the checkpoint") from None
    if arr.ndim != ndim or arr.shape[-1] != width or arr.dtype.kind != "f":
        raise RunError(f"{str(path)!r} holds a {arr.dtype} array of shape {arr.shape}; the run's network "
                       f"has {width} parameters")
    return arr


def load_run(run_dir: str | Path) -> LoadedRun:
    """Read a run folder: its config, task, network and best genome.

    Raises:
        RunError: the folder is not a run folder or its files are damaged.
    """
    run_dir = Path(run_dir)
    plan = _plan_of(run_dir)
    D = plan.network.num_params
    best = _load_array(run_dir / "best_genome.npy", D, 1)
    top = _load_array(run_dir / "top_genomes.npy", D, 2)
    summary_path = run_dir / "summary.json"
    summary = read_json(summary_path) if summary_path.is_file() else None
    ckpt = run_dir / CHECKPOINTS / LAST
    arrays = None
    if best is None or plan.task.simulator().get_state():
        try:
            arrays, _ = read_npz(ckpt)
        except FileNotFoundError:
            if best is None:
                raise RunError(f"{str(run_dir)!r} has neither best_genome.npy nor a checkpoint; the run wrote no "
                               f"genome yet") from None
        except CheckpointError as exc:
            raise RunError(str(exc)) from None
    if arrays is not None:
        # the simulator's state (running observation statistics...) as the run left it
        state = {k.removeprefix("task__"): v for k, v in arrays.items() if k.startswith("task__")}
        if state:
            try:
                plan.task.simulator().set_state(state)
            except ValueError as exc:
                raise RunError(f"checkpoint {str(ckpt)!r}: {exc}") from None
    if best is None:
        best = arrays.get("best_genome")
        if best is None:
            raise RunError(f"the run in {str(run_dir)!r} has not evaluated a generation yet")
    try:
        metrics = read_metrics(run_dir)
    except FileNotFoundError:
        metrics = []
    return LoadedRun(run_dir, read_json(run_dir / "config.json"), plan, plan.network, best, top, summary, metrics)


def evaluate_run(run_dir: str | Path, *, write: bool = True, **options) -> tuple[LoadedRun, dict[str, Any]]:
    """Evaluate a run's best genome again: its task's held-out evaluation, or what ``options`` ask.

    Args:
        run_dir: a run folder.
        write: write the figures to ``RUN_DIR/evaluate/<name>.json`` (and the task's plots there);
            a task whose ``evaluate_name`` gives a list of names writes one file per name.
        **options: fields of the task's ``evaluate_options`` (for the race: ``test_seed``).

    Returns:
        The loaded run and the figures.
    """
    from neuroevo.io.runlog import write_json

    loaded = load_run(run_dir)
    task = loaded.task
    options_cls = type(task).evaluate_options
    if options_cls is None:
        if options:
            raise ValueError(f"neuroevo evaluate: task {type(task).name!r} has no evaluate options; got "
                             f"{sorted(options)}")
        opts = None
    else:
        known = [f.name for f in dataclasses.fields(options_cls)]
        bad = sorted(set(options) - set(known))
        if bad:
            raise ValueError(f"neuroevo evaluate: task {type(task).name!r} has no evaluate option {bad}; "
                             f"it takes {known}")
        opts = options_cls(**options)
    top = loaded.top_genomes if loaded.top_genomes is not None else loaded.best_genome[None]
    names = task.evaluate_name(opts)
    figures = task.evaluate(Selection(loaded.best_genome, top, {}), loaded.network, opts)
    # an evaluation in parts (several suites...): a list of names, and the figures of each by name
    parts = {n: figures[n] for n in names} if isinstance(names, list) else {names: figures}
    if write:
        folder = loaded.run_dir / "evaluate"
        try:
            folder.mkdir(exist_ok=True)
            for name, part in parts.items():
                write_json(folder / f"{name}.json", part)
            task.evaluate_plots(figures, opts, folder)
        except OSError as exc:
            raise RunError(f"cannot write to {str(folder)!r}: {exc.strerror or exc}") from None
    loaded.options = opts
    return loaded, figures


def load_policy(run_dir: str | Path):
    """The best policy of a Gymnasium run as a callable ``policy(obs) -> action``.

    The policy takes one observation as the env returns it and gives the action its ``step``
    takes, with the run's observation normalization, network and action mapping included.

    Example:
        >>> policy = neuroevo.load_policy("runs/gym:CartPole-v1__cmaes__s0__...")
        >>> obs, _ = env.reset(seed=1)
        >>> obs, reward, terminated, truncated, _ = env.step(policy(obs))
    """
    loaded = load_run(run_dir)
    sim = loaded.task.simulator()
    if not hasattr(sim, "policy"):
        raise RunError(f"{str(loaded.run_dir)!r} is a run of task {type(loaded.task).name!r}, not of a Gymnasium "
                       f"env (neuroevo run gym:ENV_ID); load_policy needs a gym run")
    return sim.policy(loaded.best_genome, loaded.network)
