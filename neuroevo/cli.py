"""Command line: ``neuroevo race | resume | strategies``.

Options are built from the config dataclasses: each field becomes ``--field-name`` and the
comment after it becomes its help text, so the CLI cannot drift from the code.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import re
import sys
import types
import typing
from pathlib import Path

from neuroevo.strategies import STRATEGIES

_COMMENT = re.compile(r"^\s+(\w+)\s*:[^#]*#\s*(.+)$")


def field_help(cls) -> dict[str, str]:
    """Field name -> the comment written after it in the class body."""
    out = {}
    for klass in reversed(cls.__mro__):
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        for line in source.splitlines():
            m = _COMMENT.match(line)
            if m:
                out[m.group(1)] = m.group(2).strip()
    return out


def _parse_tuple(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in text.replace(" ", "").split(",") if x)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers such as 7,8,4,1; got {text!r}") from None


def _optional(kind):
    def parse(text: str):
        return None if text.lower() == "none" else kind(text)
    parse.__name__ = kind.__name__
    return parse


def add_config_options(parser: argparse.ArgumentParser, cls, defaults: dict | None = None,
                       skip: tuple[str, ...] = ()) -> None:
    """Add one ``--option`` per field of the dataclass ``cls`` (defaults: the dataclass's, then ``defaults``)."""
    helps = field_help(cls)
    hints = typing.get_type_hints(cls)
    defaults = defaults or {}
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        default = defaults.get(f.name, f.default)
        flag = "--" + f.name.replace("_", "-")
        text = helps.get(f.name, "")
        hint = hints[f.name]
        args = typing.get_args(hint)
        if hint is bool:
            parser.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=default,
                                help=f"{text} (default: {default})")
            continue
        if typing.get_origin(hint) is tuple:
            kind, shown = _parse_tuple, ",".join(map(str, default))
        elif isinstance(hint, types.UnionType) and type(None) in args:
            base = next(a for a in args if a is not type(None))
            kind, shown = _optional(base), default
        else:
            kind, shown = hint, default
        parser.add_argument(flag, dest=f.name, type=kind, default=default, metavar=f.name.upper(),
                            help=f"{text} (default: {shown})")


def _strategy_from_argv(argv: list[str], default: str) -> str:
    for i, arg in enumerate(argv):
        if arg == "--strategy" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--strategy="):
            return arg.split("=", 1)[1]
    return default


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    from neuroevo.simulators.registry import TASKS, load

    parser = argparse.ArgumentParser(prog="neuroevo", description="Neuroevolution on the CPU.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    module = load(TASKS["race"])
    name = _strategy_from_argv(argv, module.RaceConfig.strategy)
    p = sub.add_parser(
        "race", help="evolve a driver on the racing track, then test it on an unseen track",
        description="Evolve a network that steers a car along a racing track, then test the best drivers "
                    "on an unseen 4000-step track. Writes a run folder with config, metrics, the best genome, "
                    "a checkpoint and plots, and prints a summary. The options after the race settings are "
                    "those of the chosen --strategy (see `neuroevo race --strategy NAME --help`).")
    add_config_options(p.add_argument_group("race settings"), module.RaceConfig)
    if name in STRATEGIES:
        cfg = STRATEGIES[name].Config
        group = p.add_argument_group(f"{name} settings ({cfg.__name__})")
        add_config_options(group, cfg, module.RACE_STRATEGY_DEFAULTS.get(name, {}))
    p.set_defaults(handler=_race, strategy_config=STRATEGIES[name].Config if name in STRATEGIES else None)

    r = sub.add_parser("resume", help="continue a run from its checkpoint",
                       description="Continue a race run from RUN_DIR/checkpoints/last.npz; the continued run "
                                   "is exactly the run that was never stopped.")
    r.add_argument("run_dir", type=Path, help="a run folder written by `neuroevo race`")
    r.add_argument("--generations", type=int, required=True, help="how many more generations to run")
    r.set_defaults(handler=_resume)

    s = sub.add_parser("strategies", help="list the evolution strategies and their settings")
    s.set_defaults(handler=_strategies)
    return parser


def _race(args: argparse.Namespace) -> int:
    from neuroevo.simulators.registry import TASKS, load

    module = load(TASKS["race"])
    race_fields = {f.name for f in dataclasses.fields(module.RaceConfig)}
    values = vars(args)
    config = module.RaceConfig(**{k: values[k] for k in race_fields})
    settings = {}
    if args.strategy_config is not None:
        settings = {f.name: values[f.name] for f in dataclasses.fields(args.strategy_config)
                    if f.name in values}
    result = module.run_race(config, settings)
    print(result.report())
    return 0


def _resume(args: argparse.Namespace) -> int:
    from neuroevo.simulators.registry import TASKS, load

    module = load(TASKS["race"])
    result = module.resume_race(args.run_dir, args.generations)
    print(result.report())
    return 0


def _strategies(args: argparse.Namespace) -> int:
    for name, cls in sorted(STRATEGIES.items()):
        doc = (sys.modules[cls.__module__].__doc__ or "").strip().splitlines()[0]
        print(f"{name:14s} {cls.__name__:14s} {doc}")
        helps = field_help(cls.Config)
        for f in dataclasses.fields(cls.Config):
            print(f"    --{f.name.replace('_', '-'):22s} {f.default!s:>10s}  {helps.get(f.name, '')}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (ValueError, TypeError) as exc:
        parser.exit(2, f"neuroevo {args.command}: error: {exc}\n")


if __name__ == "__main__":
    sys.exit(main())
