"""The task registry, and how ``neuroevo run TASK`` turns TASK into a task class.

TASK is one of:

- a registered name: ``xor``, ``sin``, ``race``... (``neuroevo run --help`` lists them). Packages
  built on neuroevo register theirs under the entry-point group ``neuroevo.tasks``, so neuroevo
  never imports them until a run asks for one; a script registers with :func:`register_task`.
- ``gym:ENV_ID``: a Gymnasium environment (``gym:CartPole-v1``; needs ``neuroevo[gym]``), see
  :mod:`neuroevo.tasks.gym`.
- ``module.path:ClassName``: a class importable from the current folder or ``sys.path``.
- ``path/to/file.py:ClassName``: a class in a Python file (anything with a ``/`` or ending in
  ``.py`` left of the last colon is a path).

The class is a :class:`~neuroevo.tasks.base.Task` or a :class:`~neuroevo.Simulator` subclass;
a simulator is wrapped in a task that takes its network from the class attribute ``layers``
(or ``--layers``) and its stop rule from ``target`` (or ``--target``). The way a class was found
is recorded in ``config.json`` with the absolute path of its file, so a run resumes from any
working directory.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import os
import re
import sys
from dataclasses import dataclass, is_dataclass
from pathlib import Path
from typing import Any, ClassVar

from neuroevo.tasks.base import Selection, StopRule, TargetRule, Task, check_target

ENTRY_POINT_GROUP = "neuroevo.tasks"
GYM_PREFIX = "gym:"

_TASKS: dict[str, type[Task]] = {}
_entry_points: dict[str, Any] | None = None


def _discovered() -> dict[str, Any]:
    global _entry_points
    if _entry_points is None:
        _entry_points = {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    return _entry_points


def register_task(cls: type[Task]) -> type[Task]:
    """Register a task class under ``cls.name`` (usable as a decorator)."""
    _check_task_class(cls, where=f"register_task({cls.__name__})")
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", cls.name or ""):
        raise ValueError(f"register_task: task name must be lower-case letters, digits, '-' or '_' "
                         f"(such as 'xor'); {cls.__name__}.name is {cls.name!r}")
    old = _TASKS.get(cls.name)
    if old is not None and old is not cls and f"{old.__module__}.{old.__qualname__}" != \
            f"{cls.__module__}.{cls.__qualname__}":
        raise ValueError(f"register_task: a task named {cls.name!r} is already registered "
                         f"({old.__module__}.{old.__qualname__}); pick another name")
    _TASKS[cls.name] = cls
    return cls


def task_names() -> list[str]:
    """Every registered task name (entry points included, without importing them)."""
    return sorted(set(_TASKS) | set(_discovered()))


def get_task(name: str) -> type[Task]:
    """The task class registered as ``name``."""
    if name in _TASKS:
        return _TASKS[name]
    ep = _discovered().get(name)
    if ep is None:
        raise ValueError(f"unknown task {name!r}; choose one of {task_names()}, or name a class: "
                         f"module.path:ClassName or path/to/file.py:ClassName")
    cls = ep.load()
    if name not in _TASKS:
        if not (isinstance(cls, type) and issubclass(cls, Task)):
            raise TypeError(f"entry point {ep.value!r} of task {name!r} is not a Task class")
        register_task(cls)
    return _TASKS[name]


def _check_task_class(cls, where: str) -> None:
    if not (isinstance(cls, type) and issubclass(cls, Task) and is_dataclass(cls)):
        raise TypeError(f"{where}: expected a frozen dataclass subclassing neuroevo.Task; got {cls!r}")
    from neuroevo.tasks.base import STRATEGY_STOP

    if cls.strategy_stop not in STRATEGY_STOP:
        raise ValueError(f"{where}: strategy_stop must be one of {list(STRATEGY_STOP)}; "
                         f"got {cls.strategy_stop!r}")


# -- a user's class ---------------------------------------------------------------------------------
_SPEC = re.compile(r"^(?P<left>.+):(?P<cls>[A-Za-z_][A-Za-z0-9_]*)$")


def resolve_task(spec: str | type, *, base_dir: str | None = None) -> tuple[type[Task], dict[str, Any]]:
    """``(task class, reference)`` for a TASK string or a class; ``reference`` goes into ``config.json``.

    Args:
        spec: a TASK string (see the module docstring), a Task class or a Simulator class.
        base_dir: folder that relative paths and module imports start from (the current one).
    """
    from neuroevo.simulators.base import Simulator

    if isinstance(spec, type):
        if issubclass(spec, Task):
            if spec.name.startswith(GYM_PREFIX) and getattr(spec, "env_id", None):
                return resolve_task(spec.name)
            if spec.name and spec.name in task_names() and get_task(spec.name) is spec:
                return spec, {"kind": "registered", "name": spec.name}
            return _user_task(spec, _class_reference(spec))
        if issubclass(spec, Simulator):
            return _user_task(spec, _class_reference(spec))
        raise TypeError(f"task must be a name, a Task class or a Simulator class; got {spec!r}")
    if not isinstance(spec, str) or not spec.strip():
        raise TypeError(f"task must be a task name such as 'xor' or 'path/to/file.py:ClassName'; got {spec!r}")
    if spec.startswith(GYM_PREFIX):
        env_id = spec[len(GYM_PREFIX):]
        if not env_id:
            raise ValueError(f"task {spec!r} names no env; write gym:ENV_ID, such as gym:CartPole-v1")
        return _gym_task(env_id), {"kind": "gym", "env_id": env_id}
    if ":" not in spec:
        return get_task(spec), {"kind": "registered", "name": spec}
    m = _SPEC.match(spec)
    if m is None:
        raise ValueError(f"task {spec!r}: expected module.path:ClassName or path/to/file.py:ClassName "
                         f"(one colon, then a class name)")
    left, name = m.group("left"), m.group("cls")
    base = Path(base_dir or os.getcwd())
    if "/" in left or os.sep in left or left.endswith(".py"):
        path = (base / left).resolve()
        return _user_task(_class_from_file(path, name), {"kind": "file", "path": str(path), "class": name})
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", left):
        raise ValueError(f"task {spec!r}: {left!r} is neither a module path (a.b.c) nor a .py file")
    cls = _class_from_module(left, name, base)
    return _user_task(cls, _class_reference(cls) | {"module": left})


def task_from_reference(ref: dict[str, Any]) -> type[Task]:
    """The task class a ``config.json`` reference names (inverse of :func:`resolve_task`)."""
    kind = ref.get("kind")
    if kind == "registered":
        return get_task(ref["name"])
    if kind == "gym":
        return _gym_task(ref["env_id"])
    if kind == "file":
        return _user_task(_class_from_file(Path(ref["path"]), ref["class"]), ref)[0]
    if kind == "module":
        try:
            cls = _class_from_module(ref["module"], ref["class"], Path(os.getcwd()))
        except ValueError:
            if not ref.get("path"):
                raise
            cls = _class_from_file(Path(ref["path"]), ref["class"])
        return _user_task(cls, ref)[0]
    raise ValueError(f"config.json names its task in an unknown way: {ref!r}")


def _gym_task(env_id: str) -> type[Task]:
    from neuroevo.tasks.gym import gym_task

    return gym_task(env_id)


def _class_reference(cls: type) -> dict[str, Any]:
    import inspect

    try:
        path = str(Path(inspect.getfile(cls)).resolve())
    except (TypeError, OSError):
        path = None
    if cls.__module__ in ("__main__", None) or "<" in cls.__qualname__:
        if path is None:
            raise ValueError(f"{cls.__qualname__} is defined where a resumed run could not find it "
                             f"again; define it at the top level of a module or file")
        return {"kind": "file", "path": path, "class": cls.__name__}
    return {"kind": "module", "module": cls.__module__, "class": cls.__name__, "path": path}


#: Module names of classes loaded from the user's files: workers cannot import them by name.
USER_MODULE_PREFIX = "neuroevo_user_"


def _class_from_file(path: Path, name: str) -> type:
    if not path.is_file():
        raise ValueError(f"no Python file at {str(path)!r} (TASK path/to/file.py:ClassName is read "
                         f"from the current folder)")
    module_name = USER_MODULE_PREFIX + hashlib.sha1(str(path).encode()).hexdigest()[:12]
    module = sys.modules.get(module_name)
    if module is None:
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise ValueError(f"cannot import {str(path)!r} as Python code")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[module_name]
            raise ValueError(f"importing {str(path)!r} failed: {type(exc).__name__}: {exc}") from exc
    return _attribute(module, name, str(path))


def _class_from_module(module_name: str, name: str, base: Path) -> type:
    added = str(base) not in sys.path
    if added:
        sys.path.insert(0, str(base))
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ValueError(f"cannot import module {module_name!r} ({exc}); run from the folder that holds "
                         f"it, or name the file: path/to/file.py:{name}") from None
    finally:
        if added:
            sys.path.remove(str(base))
    return _attribute(module, name, module_name)


def _attribute(module, name: str, where: str) -> type:
    try:
        return getattr(module, name)
    except AttributeError:
        found = sorted(k for k, v in vars(module).items() if isinstance(v, type) and not k.startswith("_"))
        raise ValueError(f"{where} has no class {name!r}; it defines {found}") from None


_wrapped: dict[type, type[Task]] = {}


def _user_task(cls: type, ref: dict[str, Any]) -> tuple[type[Task], dict[str, Any]]:
    from neuroevo.simulators.base import Simulator

    if isinstance(cls, type) and issubclass(cls, Task):
        _check_task_class(cls, where=cls.__qualname__)
        if not cls.name:
            raise ValueError(f"{cls.__qualname__}.name is empty; give the task a name such as "
                             f"{cls.__name__.lower()!r}")
        return cls, ref
    if isinstance(cls, type) and issubclass(cls, Simulator):
        if cls not in _wrapped:
            _wrapped[cls] = simulator_task(cls)
        return _wrapped[cls], ref
    what = f"a {type(cls).__name__}" if not isinstance(cls, type) else f"the class {cls.__name__}"
    raise TypeError(f"{ref.get('class')} is not a neuroevo Task or Simulator subclass (it is {what}); "
                    f"subclass neuroevo.Simulator and implement _evaluate(genomes, spec, rng)")


def simulator_task(sim_cls: type) -> type[Task]:
    """A task around a user's Simulator class (built with no arguments).

    The class may set ``layers`` (default network), ``activation``, ``target`` (stop when the best
    fitness reaches it), ``strategy``, ``generations``, ``noisy`` (re-evaluate the candidates
    for the best genome) and a method ``held_out(genome, spec) -> dict`` of its own.
    """
    layers = getattr(sim_cls, "layers", None)

    @dataclass(frozen=True)
    class SimulatorTask(Task):
        target: float | None = getattr(sim_cls, "target", None)  # stop when the best fitness reaches this (None: never)

        name: ClassVar[str] = sim_cls.__name__
        description: ClassVar[str] = (sim_cls.__doc__ or "").strip().split("\n")[0]
        default_layers: ClassVar[tuple[int, ...] | None] = None if layers is None else tuple(layers)
        default_activation: ClassVar[str] = getattr(sim_cls, "activation", "sigmoid")
        default_strategy: ClassVar[str] = getattr(sim_cls, "strategy", "rank_ga")
        default_generations: ClassVar[int] = getattr(sim_cls, "generations", 200)
        reevaluate: ClassVar[bool] = bool(getattr(sim_cls, "noisy", False))
        simulator_class: ClassVar[type] = sim_cls

        def __post_init__(self) -> None:
            check_target("target", self.target, owner=sim_cls.__name__)

        def simulator(self):
            return sim_cls()

        def stop_rule(self) -> StopRule:
            return StopRule() if self.target is None else TargetRule(self.target)

        def max_fitness(self):
            return self.target

        def held_out(self, selection: Selection, network) -> dict[str, Any]:
            sim = sim_cls()
            own = getattr(sim, "held_out", None)
            if callable(own):
                return dict(own(selection.best, network))
            return {"held_out_fitness": float(sim.evaluate(selection.best[None], network,
                                                           key=_held_out_key())[0])}

        def report(self, summary):
            lines = [f"  best fitness  {summary['best_fitness']:.6g} during the run"]
            if "held_out_fitness" in summary:
                lines.append(f"  held out      {summary['held_out_fitness']:.6g} (best genome scored again)")
            return lines

    SimulatorTask.__name__ = SimulatorTask.__qualname__ = f"{sim_cls.__name__}Task"
    SimulatorTask.__doc__ = f"A run of the simulator {sim_cls.__qualname__}."
    return SimulatorTask


def _held_out_key():
    from neuroevo.simulators.base import GenerationKey

    # a fixed key outside the run's own stream: the held-out score is the same on every call
    return GenerationKey(2**62 + 12345)
