"""The run engine: one loop, one run folder and one checkpoint format for every task.

A run folder holds ``config.json`` (written first), ``metrics.jsonl`` (one row per generation),
``checkpoints/last.npz`` and ``checkpoints/previous.npz``, and at the end ``best_genome.npy``,
``top_genomes.npy``, ``summary.json`` and ``plots/``. The engine never names a task: the task
supplies the simulator, the stop rule, the choice of the best genome, the held-out evaluation,
its report lines and its own plots.

Checkpoints are written at generation 0, every ``checkpoint_every`` generations, at least every
``checkpoint_seconds``, when the evolution ends and on SIGINT/SIGTERM. A resumed run replays the
checkpoint's history through a fresh stop rule and rewrites ``metrics.jsonl`` from it, so every
generation appears once and the run continues bit for bit as if it had never stopped.
"""

from __future__ import annotations

import io
import os
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from neuroevo.engine.config import VOLATILE, RunPlan, plan_run
from neuroevo.engine.drawing import PlotProcess
from neuroevo.engine.interrupt import Interrupts, RunAborted, RunInterrupted
from neuroevo.engine.progress import Progress, say
from neuroevo.evaluators import EvaluationLost, Evaluator, EvaluatorUnavailable, LocalEvaluator
from neuroevo.io.checkpoint import CheckpointError, read_npz, write_bytes_atomic, write_npz_atomic
from neuroevo.io.lock import RunLock, RunLocked
from neuroevo.io.runlog import RunLog, make_run_dir, read_json, remove_stale_temporaries, write_json
from neuroevo.population import Population, copy_generator
from neuroevo.tasks.base import Selection, StopRule, run_restarts, run_stop_rule

CHECKPOINTS = "checkpoints"
LAST, PREVIOUS = "last.npz", "previous.npz"


class RunError(RuntimeError):
    """A run cannot start or go on; the message says why and what to do (one line)."""


class RunFailed(RunError):
    """The simulator or strategy raised during the evolution; the last checkpoint is kept."""

    def __init__(self, message: str, run_dir: Path | None, generation: int):
        super().__init__(message)
        self.run_dir, self.generation = run_dir, generation


@dataclass
class RunResult:
    """What a run produced.

    Attributes:
        plan: the resolved settings (task, run, network, strategy settings).
        population: the population at the end, with its history.
        selection: the best genome and the final generation's best genomes.
        summary: the figures written to ``summary.json``.
        run_dir: the run folder (None when nothing was written).
    """

    plan: RunPlan
    population: Population
    selection: Selection
    summary: dict[str, Any]
    run_dir: Path | None

    @property
    def best_genome(self) -> np.ndarray:
        return self.selection.best

    def report(self) -> str:
        s, plan = self.summary, self.plan
        acts = plan.run.activation
        lines = [f"neuroevo {plan.label}: {s['strategy']}, network {s['layers']} {acts}, population "
                 f"{s['population_size']}, seed {s['seed']}",
                 f"  generations   {s['generations']} ({s['stopped']})"]
        lines += plan.task.report(s)
        lines.append(f"  wall time     {s['wall_time_s']:.2f} s (first generation {s['first_generation_s']:.2f} s, "
                     f"includes compiling or loading the kernels)")
        if self.run_dir is not None:
            lines.append(f"  run folder    {self.run_dir}")
        return "\n".join(lines)


# -- the public entry points ------------------------------------------------------------------------
def run(task, *, write: bool = True, **settings) -> RunResult:
    """Run a task from start to end: evolve, choose the best genome, evaluate it on held-out data.

    Args:
        task: a task name (``"xor"``, ``"sin"``, ``"race"``...), a TASK string such as
            ``"path/to/file.py:MySim"``, a Task class or a Simulator class.
        write: write a run folder under ``out`` (config, metrics, checkpoints, plots, summary).
        **settings: run settings (``seed``, ``generations``, ``strategy``, ``layers``,
            ``activation``, ``out``, ``plots``, ``progress``, ``checkpoint_every``,
            ``checkpoint_seconds``), the task's settings and the strategy's.

    Returns:
        :class:`RunResult`; ``result.report()`` is the summary the CLI prints.

    Raises:
        ValueError, TypeError: a bad setting, before anything is done or written.
        RunInterrupted: SIGINT/SIGTERM; a checkpoint was written first.
    """
    t_start = time.perf_counter()
    plan = plan_run(task, settings)
    engine = _Engine(plan, t_start)
    engine.population = Population(plan.network, plan.run.strategy, seed=plan.run.seed,
                                   restarts=run_restarts(plan.task), **plan.strategy_settings)
    engine.simulator = plan.task.simulator()
    engine.budget = plan.run.generations
    engine.start_plotter(write and plan.run.plots)     # before any thread or lock of the run
    try:
        engine.open_evaluator()
        if write:
            engine.create_folder()
    except BaseException:
        engine.release()
        raise
    return engine.go_and_release()


def resume(run_dir: str | Path, *, generations: int | None = None, checkpoint: str | None = None,
           progress: bool | None = None, workers: int | None = None, scheduler: str | None = None,
           local: bool = False) -> RunResult:
    """Continue the run in ``run_dir`` from its last checkpoint, exactly as if it had never stopped.

    Args:
        run_dir: a folder written by :func:`run` (or ``neuroevo run``).
        generations: None finishes the run as configured (its stop rule and budget); N runs N
            more generations after the checkpoint, with no stop rule.
        checkpoint: ``"last"`` (default), ``"previous"`` or a checkpoint file to start from.
        progress: override the run's progress setting.
        workers, scheduler: score on another Dask cluster than the run was started with
            (a LocalCluster of ``workers`` processes, or the cluster at ``scheduler``).
        local: score in this process, whatever the run was started with.
    """
    from neuroevo._checks import check_int

    t_start = time.perf_counter()
    if generations is not None:
        generations = check_int("generations", generations, minimum=1, owner="resume")
    run_dir = Path(run_dir)
    plan = _plan_of(run_dir)
    changes = {} if progress is None else {"progress": bool(progress)}
    if local or workers is not None or scheduler is not None:
        if local and (workers is not None or scheduler is not None):
            raise ValueError("resume: give local (score in this process) or workers/scheduler, not both")
        changes |= {"workers": workers, "scheduler": scheduler}
    if changes:
        from dataclasses import replace
        plan = RunPlan(plan.task, plan.task_ref, replace(plan.run, **changes), plan.network,
                       plan.strategy_settings)
    engine = _Engine(plan, t_start)
    engine.run_dir = run_dir
    engine.start_plotter(plan.run.plots)               # before any thread or lock of the run
    try:
        engine.lock()
        engine.simulator = plan.task.simulator()
        engine.open_evaluator()
        engine.restore(checkpoint, generations)
    except BaseException:
        engine.release()
        raise
    return engine.go_and_release()


def _plan_of(run_dir: Path) -> RunPlan:
    if not run_dir.is_dir():
        what = " (it is a file)" if run_dir.exists() else ""
        raise RunError(f"no run folder at {str(run_dir)!r}{what}; give the folder `neuroevo run` printed")
    config_path = run_dir / "config.json"
    if not config_path.is_file():
        raise RunError(f"{str(run_dir)!r} is not a run folder: it has no config.json")
    try:
        return RunPlan.from_config(read_json(config_path), where=str(config_path))
    except (ValueError, TypeError) as exc:
        raise RunError(f"{str(config_path)}: {exc}") from None


# -- the engine -------------------------------------------------------------------------------------
class _Engine:
    def __init__(self, plan: RunPlan, t_start: float):
        self.plan = plan
        self.t_start = t_start
        self.population: Population | None = None
        self.simulator = None
        self.run_dir: Path | None = None
        self.log: RunLog | None = None
        self._lock: RunLock | None = None
        self.budget = plan.run.generations
        self.use_stop_rule = True
        self.status = "running"
        self.label = f"neuroevo {plan.label}"
        self.evaluator: Evaluator = LocalEvaluator()
        self.plotter = PlotProcess()          # draws in this process until start_plotter forks a helper

    def open_evaluator(self) -> None:
        """Build the run's evaluator from its settings and start it, before any file is written."""
        cfg = self.plan.run
        if cfg.workers is None and cfg.scheduler is None:
            return
        try:
            from neuroevo.evaluators.dask import DaskEvaluator
            self.evaluator = DaskEvaluator(workers=cfg.workers, scheduler=cfg.scheduler, block_size=cfg.block_size)
            self.evaluator.start(self.simulator, self.plan.network)
        except EvaluatorUnavailable as exc:
            self.close_evaluator()
            raise RunError(str(exc)) from None
        except BaseException:
            self.close_evaluator()
            raise
        if self.population is not None:
            self.population.evaluator = self.evaluator
        if cfg.progress:
            say(self.label, f"scoring on {self.evaluator.cluster_text}")

    def close_evaluator(self) -> None:
        self.evaluator.close()

    # folders and locks
    def create_folder(self) -> None:
        out = Path(self.plan.run.out)
        if out.exists() and not out.is_dir():
            raise RunError(f"--out {str(out)!r} is a file, not a folder; choose a folder for the run folders")
        try:
            self.run_dir = make_run_dir(out, self.plan.label, self.plan.run.strategy, self.plan.run.seed)
            self.lock()
            write_json(self.run_dir / "config.json", self.plan.to_config())
            (self.run_dir / CHECKPOINTS).mkdir()
        except OSError as exc:
            raise RunError(f"cannot write the run folder under {str(out)!r}: {exc.strerror or exc}; "
                           f"choose another --out") from None
        self.log = RunLog(self.run_dir)
        self.log.rewrite([])
        self.checkpoint()

    def lock(self) -> None:
        try:
            self._lock = RunLock(self.run_dir).acquire()
        except RunLocked as exc:
            raise RunError(str(exc)) from None
        except OSError as exc:
            raise RunError(f"cannot lock run folder {str(self.run_dir)!r}: {exc.strerror or exc}") from None

    def release(self) -> None:
        self.plotter.stop()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    # checkpoints
    def checkpoint(self) -> None:
        if self.run_dir is None:
            return
        pop = self.population
        arrays, meta = pop.checkpoint_payload()
        arrays |= {f"task__{k}": np.asarray(v) for k, v in self.simulator.get_state().items()}
        meta["run"] = {"config": self.plan.to_config(), "budget": self.budget,
                       "stop_rule": self.use_stop_rule, "status": self.status}
        folder = self.run_dir / CHECKPOINTS
        write_npz_atomic(folder / LAST, arrays, meta, previous=folder / PREVIOUS)
        self._last_checkpoint = (pop.generation, time.monotonic())

    def _checkpoint_due(self) -> bool:
        gen, t = self._last_checkpoint
        cfg = self.plan.run
        if cfg.checkpoint_every and self.population.generation - gen >= cfg.checkpoint_every:
            return True
        return bool(cfg.checkpoint_seconds) and time.monotonic() - t >= cfg.checkpoint_seconds

    def restore(self, checkpoint: str | None, generations: int | None) -> None:
        folder = self.run_dir / CHECKPOINTS
        try:
            remove_stale_temporaries(folder)
            remove_stale_temporaries(self.run_dir)
        except OSError:
            pass
        path = self._pick_checkpoint(folder, checkpoint)
        self.log = RunLog(self.run_dir)
        if self.simulator is None:
            self.simulator = self.plan.task.simulator()
        if path is None:
            # stopped before its first checkpoint was whole: start again; the same seed gives the same run
            self.population = Population(self.plan.network, self.plan.run.strategy, seed=self.plan.run.seed,
                                         evaluator=self.evaluator, restarts=run_restarts(self.plan.task),
                                         **self.plan.strategy_settings)
            self._writable(lambda: self.log.rewrite([]))
            self.budget = generations or self.plan.run.generations
            self.use_stop_rule = generations is None
            self._writable(self.checkpoint)
            return
        try:
            arrays, meta = read_npz(path)
            if "run" not in meta:
                raise CheckpointError(f"checkpoint {str(path)!r} has no run record: it was written by "
                                      f"Population.save, not by a run")
            self._check_matches(meta["run"].get("config", {}), path)
            pop = Population.from_payload(arrays, meta, source=f"checkpoint {str(path)!r}")
            task_state = {k.removeprefix("task__"): v for k, v in arrays.items() if k.startswith("task__")}
            self.simulator.set_state(task_state)
        except CheckpointError as exc:
            raise RunError(str(exc) + self._fallback_hint(path)) from None
        if pop.network != self.plan.network or pop.strategy.num_params != self.plan.network.num_params:
            raise RunError(f"checkpoint {str(path)!r} holds a {list(pop.network.sizes)} network, config.json "
                           f"a {list(self.plan.network.sizes)} one; it belongs to another run")
        pop.evaluator = self.evaluator
        self.population = pop
        run = meta["run"]
        self.status = run.get("status", "running")
        if generations is not None:
            self.budget, self.use_stop_rule, self.status = pop.generation + generations, False, "running"
        else:
            self.budget, self.use_stop_rule = int(run["budget"]), bool(run["stop_rule"])
        self._writable(lambda: self.log.rewrite(pop.history.rows))
        self._last_checkpoint = (pop.generation, time.monotonic())
        if path.name != LAST:
            self._writable(self.checkpoint)

    def _writable(self, action) -> None:
        try:
            action()
        except OSError as exc:
            raise RunError(f"cannot write to run folder {str(self.run_dir)!r}: {exc.strerror or exc}") from None

    def _pick_checkpoint(self, folder: Path, choice: str | None) -> Path | None:
        if choice is None or choice == "last":
            last, prev = folder / LAST, folder / PREVIOUS
            if last.is_file():
                return last
            if prev.is_file():      # killed between the two renames of a checkpoint write
                return prev
            if choice == "last":
                raise RunError(f"no checkpoint {str(last)!r}")
            return None
        if choice == "previous":
            path = folder / PREVIOUS
        else:
            path = Path(choice)
            if not path.is_absolute() and not path.exists():
                path = folder / choice
        if not path.is_file():
            raise RunError(f"no checkpoint at {str(path)!r}; choose last, previous or a checkpoint file")
        return path

    def _fallback_hint(self, path: Path) -> str:
        prev = self.run_dir / CHECKPOINTS / PREVIOUS
        if path.resolve() == prev.resolve() or not prev.is_file():
            return ""
        try:
            _, meta = read_npz(prev)
            gen = meta.get("generation")
        except (CheckpointError, OSError):
            return f"; the older checkpoint {str(prev)!r} is damaged too"
        return (f"; the older checkpoint {str(prev)!r} (generation {gen}) is whole: "
                f"neuroevo resume {self.run_dir} --checkpoint previous")

    def _check_matches(self, saved: dict, path: Path) -> None:
        mine = self.plan.to_config()
        for key in sorted(set(mine) | set(saved)):
            if key in VOLATILE:
                continue
            if saved.get(key) != mine.get(key):
                raise CheckpointError(f"checkpoint {str(path)!r} does not belong to this run folder: {key} is "
                                      f"{saved.get(key)!r} in the checkpoint but {mine.get(key)!r} in config.json")

    # the loop
    def go_and_release(self) -> RunResult:
        try:
            return self.go()
        except RunAborted as exc:
            exc.run_dir = self.run_dir
            raise
        finally:
            try:
                self.close_evaluator()
            finally:
                self.release()

    def go(self) -> RunResult:
        pop, plan = self.population, self.plan
        rule = run_stop_rule(plan.task) if self.use_stop_rule else StopRule()
        reason = None
        for row in pop.history.rows:
            reason = rule.update(row) or reason
        if not hasattr(self, "_last_checkpoint"):
            self._last_checkpoint = (pop.generation, time.monotonic())
        with Interrupts() as interrupts:
            if self.status == "running":
                pop.evaluator.start(self.simulator, pop.network)
                try:
                    reason = self._evolve(rule, reason, interrupts)
                finally:
                    pop.evaluator.close()
            self._stop_if_asked(interrupts)
            return self._finish(reason or "generation budget used", interrupts)

    def _evolve(self, rule: StopRule, reason: str | None, interrupts: Interrupts) -> str | None:
        pop = self.population
        progress = Progress(self.plan.run.progress, self.label, rule.expected(self.budget), pop.generation)
        try:
            while reason is None and pop.generation < self.budget:
                try:
                    row = pop.step(self.simulator)
                except Exception as exc:
                    self._failed(exc)
                if self.log is not None:
                    self.log.append(row)
                reason = rule.update(row)
                progress.update(row, rule.expected(self.budget))
                if interrupts.requested is not None or self._checkpoint_due():
                    self.checkpoint()
                self._stop_if_asked(interrupts)
        finally:
            progress.close()
        self.status = "evolved"
        self.checkpoint()
        return reason

    def _failed(self, exc: Exception):
        where = (f"; the run folder keeps its checkpoint: fix the cause, then neuroevo resume {self.run_dir}"
                 if self.run_dir is not None else "")
        if isinstance(exc, EvaluationLost) and self.run_dir is not None:
            # the population is still at its last finished generation: keep all of it
            self._writable(self.checkpoint)
            where = (f"; checkpoint at generation {self.population.generation} written: neuroevo resume "
                     f"{self.run_dir} (add --workers N, --scheduler ADDRESS or --local to score elsewhere)")
        if os.environ.get("NEUROEVO_DEBUG"):
            traceback.print_exc()
        raise RunFailed(f"generation {self.population.generation + 1} failed: {type(exc).__name__}: {exc}{where}",
                        self.run_dir, self.population.generation) from exc

    def _stop_if_asked(self, interrupts: Interrupts) -> None:
        if interrupts.requested is not None:
            raise RunInterrupted(interrupts.requested, self.run_dir, self.population.generation)

    def _finish(self, reason: str, interrupts: Interrupts) -> RunResult:
        pop, plan, task = self.population, self.plan, self.plan.task
        if pop.genomes is None:
            raise RunError("the run has no evaluated generation to choose a genome from")
        def phase(text):
            self._stop_if_asked(interrupts)
            if plan.run.progress:
                say(self.label, text)

        phase("choosing the best genome")
        selection = task.select(pop, self.simulator, copy_generator(pop.rng))
        phase("held-out evaluation")
        held = task.held_out(selection, pop.network)
        rows = pop.history.rows
        chosen = int(selection.info.pop("rollouts", 0))
        summary = {"task": plan.label, "strategy": plan.run.strategy, "seed": plan.run.seed,
                   "population_size": pop.population_size, "layers": list(pop.network.sizes),
                   "generations": pop.generation,
                   # episodes: of the evolution, and of choosing the best genome (robust ranking...)
                   "evaluations": pop.rollouts + chosen, "selection_rollouts": chosen,
                   "genome_evaluations": pop.evaluations, "stopped": reason,
                   "best_fitness": pop.best_fitness}
        summary |= selection.info | task.history_summary(rows) | held
        summary["evolution_s"] = round(float(sum(r["time_s"] for r in rows)), 4)
        summary["first_generation_s"] = round(float(rows[0]["time_s"]), 4) if rows else 0.0
        if self.run_dir is not None:
            self._writable(lambda: (_save_npy(self.run_dir / "best_genome.npy", selection.best),
                                    _save_npy(self.run_dir / "top_genomes.npy", selection.top)))
            if plan.run.plots:
                phase("drawing the plots")
                self._writable(lambda: self._plots(selection, summary))
        summary["wall_time_s"] = round(time.perf_counter() - self.t_start, 3)
        if self.run_dir is not None:
            self._writable(lambda: write_json(self.run_dir / "summary.json", summary))
        return RunResult(plan, pop, selection, summary, self.run_dir)

    def start_plotter(self, plots: bool) -> None:
        """Fork the helper that will draw the plots (:mod:`neuroevo.engine.drawing`) if there will be any."""
        if plots:
            self.plotter = PlotProcess.start()

    def _plots(self, selection: Selection, summary: dict) -> None:
        from neuroevo.plots import plot_history  # matplotlib itself is imported where a figure is drawn

        folder = self.run_dir / "plots"
        folder.mkdir(exist_ok=True)
        title = f"{self.plan.label}, {self.plan.run.strategy}: best and mean fitness per generation"
        task = self.plan.task
        self.plotter.run([(type(task).plots, (task, selection, self.population.network, summary, folder), {}),
                          (plot_history, (self.population.history.rows, folder / "fitness.png"),
                           {"max_fitness": task.max_fitness(), "title": title})])


def _save_npy(path: Path, array: np.ndarray) -> None:
    buf = io.BytesIO()
    np.save(buf, np.asarray(array))
    write_bytes_atomic(path, buf.getvalue())
