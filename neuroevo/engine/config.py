"""A run's settings: the engine's own (:class:`RunConfig`), the task's, and the strategy's.

:func:`plan_run` checks all of them, and the memory the run will need, before anything is
written; the resulting :class:`RunPlan` is what ``config.json`` holds, and a run folder's
``config.json`` turns back into the same plan with :meth:`RunPlan.from_config`.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from dataclasses import dataclass, fields
from typing import Any

from neuroevo._checks import check_choice, check_float, check_int
from neuroevo.network.spec import ACTIVATION_CODES, NetworkSpec
from neuroevo.strategies import STRATEGIES
from neuroevo.tasks.base import Task
from neuroevo.tasks.registry import resolve_task, task_from_reference

CONFIG_VERSION = 2


@dataclass(frozen=True)
class RunConfig:
    """Settings every run has, whatever its task (None: the task's default)."""

    strategy: str | None = None            # evolution strategy (see `neuroevo strategies`)
    generations: int | None = None         # generations at most
    seed: int = 0                          # seed of the run's random generator
    layers: tuple[int, ...] | None = None  # layer sizes, inputs first, such as 7,8,4,1
    activation: str | None = None          # identity, sigmoid, tanh or relu; one name, or one per layer (tanh,identity)
    out: str = "runs"                      # folder that receives the run folder
    plots: bool = True                     # write the figures into the run folder
    progress: bool = True                  # show progress (a bar on a terminal, log lines otherwise)
    checkpoint_every: int = 100            # write a checkpoint every N generations (0: only by time)
    checkpoint_seconds: float = 60.0       # and at least every this many seconds (0: only by generation)
    workers: int | None = None             # score on N Dask worker processes here, started and stopped by the run
    scheduler: str | None = None           # score on the running Dask cluster at this address, such as tcp://10.0.0.5:8786
    block_size: int | None = None          # genomes per Dask block; None: a quarter of the population, rounded up

    def __post_init__(self) -> None:
        owner = "run"
        if self.strategy is not None:
            check_choice("strategy", self.strategy, STRATEGIES, owner=owner)
        if self.generations is not None:
            check_int("generations", self.generations, minimum=1, maximum=10**9, owner=owner)
        check_int("seed", self.seed, minimum=0, maximum=2**63 - 1, owner=owner)
        if self.layers is not None:
            if isinstance(self.layers, (str, bytes)) or not isinstance(self.layers, (tuple, list)):
                raise TypeError(f"{owner}: layers must be a sequence of layer sizes such as (7, 8, 4, 1); "
                                f"got {self.layers!r}")
            if len(self.layers) < 2:
                raise ValueError(f"{owner}: layers needs at least 2 sizes (inputs and outputs), such as "
                                 f"7,8,4,1; got {list(self.layers)}")
            for i, s in enumerate(self.layers):
                check_int(f"layers[{i}]", s, minimum=1, maximum=10**7, owner=owner)
        if self.activation is not None:
            if not isinstance(self.activation, str):
                raise TypeError(f"{owner}: activation must be a string such as 'sigmoid' or 'tanh,identity'; "
                                f"got {self.activation!r}")
            for name in activation_names(self.activation):
                check_choice("activation", name, ACTIVATION_CODES, owner=owner)
        if not isinstance(self.out, str) or not self.out:
            raise ValueError(f"{owner}: out must be a folder name; got {self.out!r}")
        for name in ("plots", "progress"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{owner}: {name} must be True or False; got {getattr(self, name)!r}")
        check_int("checkpoint_every", self.checkpoint_every, minimum=0, owner=owner)
        check_float("checkpoint_seconds", self.checkpoint_seconds, minimum=0.0, owner=owner)
        check_cluster(self.workers, self.scheduler, self.block_size, owner)


ENGINE_FIELDS = tuple(f.name for f in fields(RunConfig))
#: config.json keys of the engine's own, which no task setting may take
RESERVED = ENGINE_FIELDS + ("task", "strategy_settings", "network", "config_version", "task_ref")
#: config.json keys that may differ between a checkpoint and its folder (where and how it is shown)
VOLATILE = ("out", "plots", "progress", "checkpoint_every", "checkpoint_seconds", "workers", "scheduler",
            "block_size")


def check_cluster(workers, scheduler, block_size, owner: str = "run") -> None:
    """Check the settings of where a run is scored (no connection yet)."""
    if workers is not None:
        if not isinstance(workers, bool) and isinstance(workers, int) and workers < 1:
            raise ValueError(f"{owner}: workers must be >= 1 (the number of Dask worker processes to start); got "
                             f"{workers}. Leave --workers out to score in this process")
        check_int("workers", workers, minimum=1, maximum=4096, owner=owner)
    if scheduler is not None:
        from neuroevo.evaluators.dask import parse_address
        if workers is not None:
            raise ValueError(f"{owner}: give workers (start a cluster on this machine) or scheduler (use a running "
                             f"one), not both; got workers={workers} and scheduler={scheduler!r}")
        parse_address(scheduler)
    if block_size is not None:
        check_int("block_size", block_size, minimum=1, owner=owner)


def activation_names(text: str) -> list[str]:
    names = [a.strip() for a in text.split(",")]
    if any(not a for a in names):
        raise ValueError(f"activation {text!r} has an empty name; write one name (sigmoid) or one per "
                         f"layer separated by commas (tanh,identity)")
    return names


@dataclass(frozen=True)
class RunPlan:
    """Everything a run is made of, resolved and checked."""

    task: Task
    task_ref: dict[str, Any]
    run: RunConfig                  # with strategy, generations, layers and activation filled in
    network: NetworkSpec
    strategy_settings: dict[str, Any]

    @property
    def label(self) -> str:
        return type(self.task).name

    def to_config(self) -> dict[str, Any]:
        """The ``config.json`` record: the run's and the task's settings side by side."""
        out = {"config_version": CONFIG_VERSION, "task": self.label, "task_ref": self.task_ref}
        out |= dataclasses.asdict(self.run)
        out |= dataclasses.asdict(self.task)
        out |= {"strategy_settings": dict(self.strategy_settings), "network": self.network.to_dict()}
        return _jsonable(out)

    @classmethod
    def from_config(cls, config: dict[str, Any], *, where: str = "config.json") -> RunPlan:
        """Rebuild the plan from a ``config.json`` record (checked again, as for a new run)."""
        if "race" in config and "task" not in config:       # run folders written before the run engine
            config = dict(config["race"]) | {"task": "race", "task_ref": {"kind": "registered", "name": "race"},
                                             "strategy_settings": config.get("strategy_settings", {})}
        try:
            task_cls = task_from_reference(config["task_ref"])
        except KeyError:
            raise ValueError(f"{where} names no task (no task_ref); was it written by neuroevo run?") from None
        task_fields = {f.name for f in fields(task_cls)}
        settings = {k: v for k, v in config.items() if k in task_fields or k in ENGINE_FIELDS}
        settings |= dict(config.get("strategy_settings") or {})
        plan = plan_run(task_cls, settings, task_ref=config["task_ref"], check_memory=False)
        network = config.get("network")
        if network is not None and NetworkSpec.from_dict(network) != plan.network:
            raise ValueError(f"{where}: network {network} does not match layers {list(plan.network.sizes)}")
        return plan


def _jsonable(v):
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def _coerce(cls, values: dict[str, Any]) -> dict[str, Any]:
    """JSON lists back to tuples where the dataclass field is a tuple."""
    hints = typing.get_type_hints(cls)
    out = {}
    for k, v in values.items():
        hint = hints.get(k)
        wants_tuple = typing.get_origin(hint) is tuple or any(
            typing.get_origin(a) is tuple for a in typing.get_args(hint))
        out[k] = tuple(v) if wants_tuple and isinstance(v, list) else v
    return out


def plan_run(task, settings: dict[str, Any] | None = None, *, task_ref: dict | None = None,
             check_memory: bool = True) -> RunPlan:
    """Resolve and check every setting of a run, before any work or file.

    Args:
        task: a task name or TASK string, a Task class, or a Simulator class.
        settings: run settings (:class:`RunConfig` fields), the task's own settings, and the
            strategy's Config fields, in one flat dict.
        task_ref: how ``config.json`` names the task (resolved from ``task`` when None).
        check_memory: refuse a run that would not fit in the memory this machine has.
    """
    settings = dict(settings or {})
    if isinstance(task, Task):
        raise TypeError("pass the task's name or class and its settings as keywords, not a Task instance")
    task_cls, ref = resolve_task(task)
    ref = task_ref or ref
    task_fields = [f.name for f in fields(task_cls)]
    clash = sorted(set(task_fields) & set(RESERVED))
    if clash:
        raise ValueError(f"task {task_cls.name!r}: its settings {clash} clash with the run's own settings; "
                         f"rename them")
    run_values = {k: settings.pop(k) for k in list(settings) if k in ENGINE_FIELDS}
    if isinstance(run_values.get("out"), os.PathLike):
        run_values["out"] = os.fspath(run_values["out"])      # a pathlib.Path from Python, as a folder name
    task_values = {k: settings.pop(k) for k in list(settings) if k in task_fields}
    run = RunConfig(**_coerce(RunConfig, run_values))
    strategy = run.strategy or task_cls.default_strategy
    check_choice("strategy", strategy, STRATEGIES, owner=task_cls.name)
    config_cls = STRATEGIES[strategy].Config
    known = [f.name for f in fields(config_cls)]
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise ValueError(f"unknown setting{'s' if len(unknown) > 1 else ''} {unknown} for task {task_cls.name!r} "
                         f"with strategy {strategy!r}; run settings: {list(ENGINE_FIELDS)}; "
                         f"{task_cls.name} settings: {task_fields}; {strategy} settings: {known}")
    strategy_settings = dict(task_cls.strategy_defaults.get(strategy, {})) | settings
    task_obj = task_cls(**_coerce(task_cls, task_values))
    layers = run.layers if run.layers is not None else task_cls.default_layers
    if layers is None:
        raise ValueError(f"task {task_cls.name!r} declares no network: pass --layers (for example "
                         f"--layers 4,8,1), or set layers = (4, 8, 1) on the class")
    activation = run.activation or task_cls.default_activation
    acts = activation_names(activation)
    if len(acts) not in (1, len(layers) - 1):
        raise ValueError(f"activation {activation!r} names {len(acts)} layers, but layers {list(layers)} has "
                         f"{len(layers) - 1}; give one name, or one per layer")
    network = NetworkSpec(list(layers), acts[0] if len(acts) == 1 else acts)
    generations = run.generations or task_cls.default_generations
    run = dataclasses.replace(run, strategy=strategy, generations=generations, layers=tuple(layers),
                              activation=activation)
    # the strategy's own checks (and its population size) before any work
    strategy_obj = STRATEGIES[strategy](num_params=network.num_params, **strategy_settings)
    task_obj.check_network(network)
    plan = RunPlan(task_obj, ref, run, network, strategy_settings)
    if check_memory:
        check_memory_need(plan, strategy_obj.population_size)
    return plan


def memory_need(plan: RunPlan, population_size: int) -> list[tuple[int, str]]:
    """Bytes the run will hold at its peak, as ``(bytes, what)`` pairs, largest first."""
    D, P = plan.network.num_params, population_size
    parts = [(8 * P * D * 4, f"the population ({P:,} genomes x {D:,} parameters, a few copies)")]
    strategy_cls = STRATEGIES[plan.run.strategy]
    extra = strategy_cls.state_bytes(P, D)
    if extra:
        parts.append((extra, f"the {plan.run.strategy} state"))
    parts += plan.task.memory(P, plan.network)
    return sorted(parts, key=lambda p: -p[0])


def available_memory() -> int:
    """Bytes of memory this machine can give a new run (MemAvailable, else the physical total)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 2**62


def _gib(n: int) -> str:
    return f"{n / 2**30:,.1f} GiB" if n >= 2**28 else f"{n / 2**20:,.0f} MiB"


def check_memory_need(plan: RunPlan, population_size: int) -> None:
    parts = memory_need(plan, population_size)
    need, have = sum(p[0] for p in parts), available_memory()
    if need > have:
        raise ValueError(f"this run needs about {_gib(need)} of memory, most of it for {parts[0][1]}; this machine "
                         f"has {_gib(have)} available. Use a smaller population or fewer samples")
