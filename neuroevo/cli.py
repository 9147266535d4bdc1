"""Command line: ``neuroevo run TASK | race | resume | evaluate | strategies | tasks | suites | bench``.

Options are built from the config dataclasses: each field becomes ``--field-name`` and the
comment after it becomes its help text, so the CLI cannot drift from the code. ``neuroevo run``
reads TASK and ``--strategy`` first, then offers the run's settings, the task's and the strategy's.
Every error is one line on stderr: exit code 2 for a bad setting, 1 for a run that cannot go on,
130 or 143 for a run stopped by SIGINT or SIGTERM (after writing a checkpoint).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import linecache
import os
import re
import sys
import textwrap
import types
import typing
from pathlib import Path

from neuroevo.strategies import STRATEGIES

_COMMENT = re.compile(r"^\s+(\w+)\s*:[^#]*#\s*(.+)$")


def _class_lines(klass) -> list[str]:
    """The source lines of ``klass``'s body, read from its module's file without parsing it (faster
    than ``inspect.getsource``, which parses the whole module for every class); empty when the
    source cannot be found (built-in or dynamically made classes)."""
    module = sys.modules.get(klass.__module__)
    path = getattr(module, "__file__", None)
    if not path or "." in klass.__qualname__:
        return []
    lines = linecache.getlines(path)
    head = re.compile(rf"^(\s*)class\s+{re.escape(klass.__name__)}\b")
    for i, line in enumerate(lines):
        m = head.match(line)
        if m is None:
            continue
        indent, body = len(m.group(1)), []
        for line in lines[i + 1:]:
            if line.strip() and len(line) - len(line.lstrip()) <= indent:
                break                     # the first statement after the class body
            body.append(line)
        return body
    return []


def field_help(cls) -> dict[str, str]:
    """Field name -> the comment written after it in the class body."""
    out = {}
    for klass in reversed(cls.__mro__):
        for line in _class_lines(klass):
            m = _COMMENT.match(line)
            if m:
                out[m.group(1)] = m.group(2).strip()
    return out


def _parse_tuple(text: str) -> tuple[int, ...]:
    items = [x.strip() for x in text.split(",")]
    try:
        if not items or any(x == "" for x in items):
            raise ValueError
        return tuple(int(x) for x in items)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers such as 7,8,4,1; got {text!r}") from None


def _parse_words(text: str) -> tuple[str, ...]:
    words = tuple(x.strip() for x in text.split(","))
    if not all(words):
        raise argparse.ArgumentTypeError(f"expected comma-separated names such as twisty,narrow; got {text!r}")
    return words


def _optional(kind):
    def parse(text: str):
        return None if text.lower() == "none" else kind(text)
    parse.__name__ = getattr(kind, "__name__", "value")
    return parse


def _show(value) -> str:
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    if isinstance(value, float) and abs(value) >= 1e6:
        return f"{value:g}"
    return str(value)


def add_config_options(parser, cls, defaults: dict | None = None, skip: tuple[str, ...] = ()) -> None:
    """Add one ``--option`` per field of the dataclass ``cls``.

    Options the user leaves out do not appear in the parsed namespace (their default is applied
    later, by the code that owns the setting); ``defaults`` only changes what the help shows.
    """
    helps = field_help(cls)
    hints = typing.get_type_hints(cls)
    defaults = defaults or {}
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        shown = _show(defaults.get(f.name, f.default))
        flag = "--" + f.name.replace("_", "-")
        text = helps.get(f.name, "")
        hint = hints[f.name]
        args = typing.get_args(hint)
        if hint is bool:
            parser.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction,
                                default=argparse.SUPPRESS, help=f"{text} (default: {shown})")
            continue
        if hint == tuple[str, ...]:             # names: --suite a,b --suite c
            parser.add_argument(flag, dest=f.name, type=_parse_words, action="extend", default=argparse.SUPPRESS,
                                metavar=f.name.upper(), help=f"{text} (default: {shown or 'none'})")
            continue
        optional = isinstance(hint, types.UnionType) and type(None) in args
        base = next(a for a in args if a is not type(None)) if optional else hint
        kind = _parse_tuple if typing.get_origin(base) is tuple else base
        if optional:
            kind = _optional(kind)
        parser.add_argument(flag, dest=f.name, type=kind, default=argparse.SUPPRESS, metavar=f.name.upper(),
                            help=f"{text} (default: {shown})")


def _value_after(argv: list[str], flag: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


def _task_from_argv(argv: list[str]) -> str | None:
    """The TASK of ``neuroevo run TASK ...`` (the first word after ``run`` that is not an option)."""
    if "run" not in argv:
        return None
    rest = argv[argv.index("run") + 1:]
    return rest[0] if rest and not rest[0].startswith("-") else None


class _Parser(argparse.ArgumentParser):
    #: set on the top-level parser: the command line whose --help lists the options that exist
    help_hint: str = ""

    def error(self, message: str):
        if message.startswith("unrecognized arguments") and getattr(self, "evaluate_task", None):
            message += _evaluate_option_owners(message, self.evaluate_task)
        if message.startswith("unrecognized arguments") and self.help_hint:
            message += f"; `{self.help_hint} --help` lists the options that exist"
        if "required: TASK" in message:
            from neuroevo.tasks import task_names
            message += (f"; choose one of {task_names()}, or name a class: module.path:ClassName or "
                        f"path/to/file.py:ClassName")
        prog = f"neuroevo {self.help_hint.split()[1]}" if self.help_hint.count(" ") else self.prog
        self.exit(2, f"{prog}: error: {message}\n")


def _evaluate_option_owners(message: str, task_name: str) -> str:
    """For an evaluate option the run's task lacks: which registered tasks take it."""
    from neuroevo.tasks import get_task, task_names

    flags = [w.split("=")[0] for w in message.split(":", 1)[1].split() if w.startswith("--")]
    for flag in flags:
        owners = []
        for name in task_names():
            try:
                options = get_task(name).evaluate_options
            except Exception:  # a broken plug-in must not hide the user's error
                continue
            if options is not None and flag[2:].replace("-", "_") in {f.name for f in dataclasses.fields(options)}:
                owners.append(name)
        if owners:
            return (f"; {flag} is an evaluate option of {' and '.join(owners)} runs only, and this is a "
                    f"{task_name} run, whose network is not made for them")
    return ""


def _version() -> str:
    from neuroevo import __version__
    return f"neuroevo {__version__}"


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    from neuroevo.engine.config import RunConfig
    from neuroevo.tasks import task_names

    parser = _Parser(prog="neuroevo", description="Neuroevolution on the CPU: evolve networks for a task, "
                     "with run folders, checkpoints and exact resume.")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    command = next((a for a in argv if not a.startswith("-")), None)
    task_text = _task_from_argv(argv) if command == "run" else ("race" if command == "race" else None)
    names = task_names()
    for name in ("run", "race"):
        if name == "run":
            p = sub.add_parser("run", help="evolve a network for a task; write a run folder and a summary",
                               description="Evolve a network for TASK, choose its best genome, evaluate it on "
                               "held-out data, and write a run folder (config.json, metrics.jsonl, checkpoints, "
                               "best genome, plots, summary.json). TASK is a registered task "
                               f"({', '.join(names)}), gym:ENV_ID (a Gymnasium env such as gym:CartPole-v1), "
                               "module.path:ClassName or path/to/file.py:ClassName (a Task or Simulator "
                               "subclass). `neuroevo run TASK --help` lists the task's "
                               "options and those of its --strategy.")
            p.add_argument("task", metavar="TASK", help=f"one of {names}, gym:ENV_ID, module:Class or file.py:Class")
        else:
            p = sub.add_parser("race", help="alias of `neuroevo run race`",
                               description="Evolve a network that steers a car along a racing track, then test "
                               "the best drivers on an unseen 4000-step track (the same as `neuroevo run race`).")
        p.set_defaults(handler=_run)
        if command == name and task_text is not None:
            _add_task_options(p, task_text, argv)
        elif command == name:
            add_config_options(p.add_argument_group("run settings"), RunConfig, {
                k: "the task's" for k in ("strategy", "generations", "layers", "activation")})

    r = sub.add_parser("resume", help="continue a run from its checkpoint",
                       description="Continue the run in RUN_DIR from its last checkpoint; the continued run is "
                                   "exactly the run that was never stopped. Without --generations it finishes "
                                   "the run as configured; with --generations N it runs N more generations.")
    r.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run folder written by `neuroevo run`")
    r.add_argument("--generations", type=int, default=None, help="run this many more generations (no stop rule)")
    r.add_argument("--checkpoint", default=None,
                   help="start from this checkpoint: last (default), previous, or a file")
    r.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show progress (default: as the run was started)")
    r.add_argument("--workers", type=int, default=None, metavar="N",
                   help="score on a Dask LocalCluster of N worker processes (default: as the run was started)")
    r.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="score on the running Dask cluster at ADDRESS, such as tcp://10.0.0.5:8786")
    r.add_argument("--local", action="store_true", help="score in this process, whatever the run was started with")
    r.set_defaults(handler=_resume)

    e = sub.add_parser("evaluate", help="run a finished run's held-out evaluation again",
                       description="Load the best genome of RUN_DIR and run its task's held-out evaluation "
                                   "again; tasks add options that change what it is evaluated on.")
    e.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run folder written by `neuroevo run`")
    e.add_argument("--json", action="store_true", help="print the figures as JSON")
    e.add_argument("--write", action=argparse.BooleanOptionalAction, default=True,
                   help="write the figures to RUN_DIR/evaluate/ (default: True)")
    if command == "evaluate":
        _add_evaluate_options(e, argv)
        parser.evaluate_task = getattr(e, "evaluate_task", None)
    e.set_defaults(handler=_evaluate)

    s = sub.add_parser("strategies", help="list the evolution strategies and the settings each task uses",
                       description="List the evolution strategies with every setting, its default, and the "
                                   "default each task uses instead.")
    s.add_argument("name", nargs="?", metavar="NAME", help=f"one strategy: {sorted(STRATEGIES)}")
    s.add_argument("--task", default=None, help="show the defaults of this task only")
    s.set_defaults(handler=_strategies)

    t = sub.add_parser("tasks", help="list the registered tasks and their defaults")
    t.set_defaults(handler=_tasks)
    u = sub.add_parser("suites", help="list the named suites of held-out data that packages register",
                       description="List the named, versioned suites (of tracks, environments...) that installed "
                                   "packages register under the entry point group neuroevo.suites.")
    u.set_defaults(handler=_suites)

    from neuroevo.bench import SUITES
    b = sub.add_parser("bench", help="run benchmark suites; write a results folder (JSON, Markdown, plots)",
                       description="Run named benchmark suites, each against a baseline measured in the same "
                                   "run, and write OUT/bench__TIME/ with results.json (every figure and the "
                                   "machine), results.md (the tables) and plots. No SUITE runs them all.")
    b.add_argument("suites", nargs="*", metavar="SUITE", help=f"any of {list(SUITES)} (default: all)")
    b.add_argument("--quick", action="store_true", help="short versions: about 2 minutes for all suites")
    b.add_argument("--out", default="bench", help="folder for the results folder (default: bench)")
    b.set_defaults(handler=_bench)
    if command == "run" and task_text is not None:
        parser.help_hint = f"neuroevo run {task_text}"
    elif command == "evaluate":
        parser.help_hint = "neuroevo evaluate RUN_DIR"
    elif command is not None:
        parser.help_hint = f"neuroevo {command}"
    return parser


def _add_task_options(p: argparse.ArgumentParser, task_text: str, argv: list[str]) -> None:
    from neuroevo.engine.config import RunConfig
    from neuroevo.tasks import resolve_task

    try:
        task_cls, _ = resolve_task(task_text)
    except (ValueError, TypeError) as exc:
        p.exit(2, f"neuroevo run: error: {exc}\n")
    except ImportError as exc:      # an optional dependency the task needs
        p.exit(1, f"neuroevo run: error: {_one_line(exc)}\n")
    strategy = _value_after(argv, "--strategy") or task_cls.default_strategy
    add_config_options(p.add_argument_group("run settings"), RunConfig, {
        "strategy": task_cls.default_strategy, "generations": task_cls.default_generations,
        "layers": task_cls.default_layers, "activation": task_cls.default_activation})
    if dataclasses.fields(task_cls):
        add_config_options(p.add_argument_group(f"{task_cls.name} settings"), task_cls)
    if strategy in STRATEGIES:
        cfg = STRATEGIES[strategy].Config
        add_config_options(p.add_argument_group(f"{strategy} settings ({cfg.__name__})"), cfg,
                           task_cls.strategy_defaults.get(strategy, {}))
    p.set_defaults(task_text=task_text)


def _add_evaluate_options(p: argparse.ArgumentParser, argv: list[str]) -> None:
    from neuroevo.engine.run import _plan_of

    target = next((a for a in argv[argv.index("evaluate") + 1:] if not a.startswith("-")), None)
    if target is None:
        return
    try:
        plan = _plan_of(Path(target))
    except Exception as exc:  # reported when the command runs
        p.set_defaults(load_error=str(exc))
        return
    options_cls = type(plan.task).evaluate_options
    p.evaluate_task = plan.label
    if options_cls is not None:
        add_config_options(p.add_argument_group(f"{type(plan.task).name} evaluate options"), options_cls)


_NOT_SETTINGS = ("command", "handler", "task", "task_text", "run_dir", "json", "load_error", "write")


def _run(args: argparse.Namespace) -> int:
    import neuroevo

    task = getattr(args, "task_text", None) or getattr(args, "task", None) or "race"
    settings = {k: v for k, v in vars(args).items() if k not in _NOT_SETTINGS}
    result = neuroevo.run(task, **settings)
    print(result.report())
    return 0


def _resume(args: argparse.Namespace) -> int:
    import neuroevo

    result = neuroevo.resume(args.run_dir, generations=args.generations, checkpoint=args.checkpoint,
                             progress=args.progress, workers=args.workers, scheduler=args.scheduler,
                             local=args.local)
    print(result.report())
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    import json

    import neuroevo
    from neuroevo.engine.run import RunError

    if getattr(args, "load_error", None):
        raise RunError(args.load_error)
    options = {k: v for k, v in vars(args).items() if k not in _NOT_SETTINGS}
    loaded, figures = neuroevo.evaluate_run(args.run_dir, write=args.write, **options)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"neuroevo evaluate: {loaded.plan.label} run {loaded.run_dir}")
    for line in loaded.task.evaluate_report(dict(loaded.summary or {}) | figures, loaded.options):
        print(line)
    if args.write:
        names = loaded.task.evaluate_name(loaded.options)
        for name in names if isinstance(names, list) else [names]:
            print(f"  figures       {loaded.run_dir / 'evaluate' / name}.json")
    return 0


def _paragraph(doc: str | None) -> str:
    """The first paragraph of a docstring, on one line."""
    text = (doc or "").strip().split("\n\n")[0]
    return " ".join(text.split())


def _strategies(args: argparse.Namespace) -> int:
    from neuroevo.tasks import get_task, task_names

    if args.name is not None and args.name not in STRATEGIES:
        raise ValueError(f"unknown strategy {args.name!r}; choose one of {sorted(STRATEGIES)}")
    tasks = [get_task(args.task)] if args.task else [get_task(n) for n in task_names()]
    names = [args.name] if args.name else sorted(STRATEGIES)
    width = 100
    for name in names:
        cls = STRATEGIES[name]
        users = [t.name for t in tasks if t.default_strategy == name]
        print(f"{name} ({cls.__name__})" + (f", the default of {', '.join(users)}" if users else ""))
        for line in textwrap.wrap(_paragraph(sys.modules[cls.__module__].__doc__), width - 4):
            print("    " + line)
        helps = field_help(cls.Config)
        for f in dataclasses.fields(cls.Config):
            per_task = [f"{t.name}: {_show(t.strategy_defaults[name][f.name])}" for t in tasks
                        if f.name in t.strategy_defaults.get(name, {})]
            default = _show(f.default)
            if args.task:
                default = per_task[0].split(": ", 1)[1] if per_task else default
                per_task = []
            print(f"    --{f.name.replace('_', '-'):20s} {default:>8s}  {helps.get(f.name, '')}")
            if per_task:
                print(f"    {'':20s}   {'':8s}  used instead: {', '.join(per_task)}")
        print()
    return 0


def _tasks(args: argparse.Namespace) -> int:
    from neuroevo.tasks import get_task, task_names

    for name in task_names():
        t = get_task(name)
        layers = ",".join(map(str, t.default_layers)) if t.default_layers else "(given)"
        print(f"{name:8s} {t.description}")
        print(f"{'':8s} network {layers} {t.default_activation}, strategy {t.default_strategy}, "
              f"at most {t.default_generations} generations")
    print(f"{'gym:ENV_ID':8s} any Gymnasium env (pip install \"neuroevo[gym]\"), such as gym:CartPole-v1; "
          f"network from the env's spaces")
    return 0


def _suites(args: argparse.Namespace) -> int:
    import importlib.metadata

    found = sorted(importlib.metadata.entry_points(group="neuroevo.suites"), key=lambda ep: ep.name)
    if not found:
        print("no suites: no installed package registers any (entry point group neuroevo.suites)")
    for ep in found:
        for line in ep.load()():
            print(line)
    return 0


def _bench(args: argparse.Namespace) -> int:
    from neuroevo.bench import run_bench

    run_bench(args.suites, quick=args.quick, out=args.out)
    return 0


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())


def _exit_without_teardown(code_of) -> None:
    """Once the interpreter has run every other exit handler, end the process with the command's exit
    code instead of tearing the interpreter down.

    A finished run leaves the interpreter hundreds of thousands of objects to free one by one (the
    Numba and LLVM objects of the kernels, matplotlib's, every module): 0.2-0.4 s of a 2 s
    ``neuroevo race``. Nothing is lost by skipping that: every file of the run is written and closed
    when the command returns, other threads have been joined, the handlers registered with
    ``atexit`` after this one have run (they run last-registered first; the script registers none
    before it but logging's, which is shut down here) and stdout and stderr are flushed here. When
    the command did not return an exit code (an uncaught exception), the interpreter exits as usual.
    """
    import atexit

    def finish() -> None:
        code = code_of()
        if code is None:
            return
        if "logging" in sys.modules:
            sys.modules["logging"].shutdown()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):    # closed, or the reader went away
                pass
        os._exit(code)

    atexit.register(finish)


def main(argv: list[str] | None = None) -> int:
    """The ``neuroevo`` command: parse ``argv`` (None: ``sys.argv[1:]``), run it, return its exit code.

    Called with None, as the ``neuroevo`` script does, the process collects cyclic garbage less often
    and ends without tearing the interpreter down (see :func:`_exit_without_teardown`).
    """
    if argv is None:
        # A command allocates about a million objects that live to its end (the modules of NumPy, Numba
        # and matplotlib, the kernels', the figures'): with the default threshold of 700 the cyclic
        # collector walks them 400 times, 0.15 s of a 1.5 s race. Collect young objects every 50,000
        # allocations instead; cyclic garbage still goes, a little later.
        gc.set_threshold(50_000, 20, 20)
        result: list[int] = []
        _exit_without_teardown(lambda: result[0] if result else None)
        code = _main(list(sys.argv[1:]))
        result.append(code if isinstance(code, int) else 1)
        return code
    return _main(list(argv))


def _main(argv: list[str]) -> int:
    from neuroevo.engine import RunAborted, RunError, RunInterrupted
    from neuroevo.io.checkpoint import CheckpointError

    try:
        parser = build_parser(argv)
        args = parser.parse_args(argv)
    except KeyboardInterrupt:
        print("neuroevo: interrupted", file=sys.stderr)
        return 130
    prog = f"neuroevo {args.command}"
    try:
        return args.handler(args)
    except RunInterrupted as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return exc.exit_code
    except RunAborted as exc:
        where = getattr(exc, "run_dir", None)
        tail = f"; the last checkpoint is kept: neuroevo resume {where}" if where else ""
        print(f"{prog}: aborted by a second {exc}{tail}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except (RunError, CheckpointError) as exc:
        print(f"{prog}: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except (ValueError, TypeError) as exc:
        if os.environ.get("NEUROEVO_DEBUG"):
            raise
        print(f"{prog}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except ImportError as exc:      # an optional dependency the run needs (gymnasium: neuroevo[gym])
        if os.environ.get("NEUROEVO_DEBUG"):
            raise
        print(f"{prog}: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # the reader went away (`neuroevo strategies | head`): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        name = f" {exc.filename!r}" if exc.filename else ""
        print(f"{prog}: error:{name} {exc.strerror or exc}", file=sys.stderr)
        return 1
    except MemoryError:
        print(f"{prog}: error: out of memory; use a smaller population or fewer samples", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
