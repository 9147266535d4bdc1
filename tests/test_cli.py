import dataclasses
import json

import numpy as np
import pytest

from neuroevo.cli import field_help, main
from neuroevo.engine.config import RunConfig
from neuroevo.strategies import STRATEGIES
from tracks.tasks import RaceTask


def run_dirs(root):
    return sorted(p for p in root.iterdir() if p.is_dir())


def test_race_writes_a_complete_run_folder(tmp_path, capsys):
    assert main(["race", "--generations", "4", "--out", str(tmp_path), "--seed", "3", "--top", "5"]) == 0
    out = capsys.readouterr().out
    assert "neuroevo race: rank_ga" in out and "of the best 5 complete the unseen 4000-step track" in out
    (run,) = run_dirs(tmp_path)
    assert run.name.startswith("race__rank_ga__s3__")
    config = json.loads((run / "config.json").read_text())
    assert config["generations"] == 4 and config["layers"] == [7, 8, 4, 1] and config["sensors"] == [0, 5, 9]
    assert config["network"]["layers"] == [7, 8, 4, 1] and config["task"] == "race"
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["generation"] for r in rows] == [1, 2, 3, 4]
    assert np.load(run / "best_genome.npy").shape == (105,)
    assert np.load(run / "top_genomes.npy").shape == (5, 105)
    for name in ("fitness.png", "train_track.png", "test_track.png"):
        assert (run / "plots" / name).stat().st_size > 1000
    summary = json.loads((run / "summary.json").read_text())
    assert summary["generations"] == 4 and summary["top"] == 5


def test_resume_continues_the_run_exactly(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    main(["race", "--generations", "6", "--out", str(a), "--no-plots", "--extra-generations", "-1"])
    main(["race", "--generations", "3", "--out", str(b), "--no-plots", "--extra-generations", "-1"])
    (run_b,) = run_dirs(b)
    main(["resume", str(run_b), "--generations", "3"])
    (run_a,) = run_dirs(a)
    rows_a = [json.loads(x) for x in (run_a / "metrics.jsonl").read_text().splitlines()]
    rows_b = [json.loads(x) for x in (run_b / "metrics.jsonl").read_text().splitlines()]
    strip = [{k: v for k, v in r.items() if k != "time_s"} for r in rows_a]
    assert strip == [{k: v for k, v in r.items() if k != "time_s"} for r in rows_b]
    assert np.array_equal(np.load(run_a / "best_genome.npy"), np.load(run_b / "best_genome.npy"))


def test_help_explains_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["race", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    helps = field_help(RunConfig) | field_help(RaceTask) | field_help(STRATEGIES["rank_ga"].Config)
    for f in dataclasses.fields(RunConfig) + dataclasses.fields(RaceTask):
        assert "--" + f.name.replace("_", "-") in text
        assert " ".join(helps[f.name].split()) in text, f.name
    for f in dataclasses.fields(STRATEGIES["rank_ga"].Config):
        assert "--" + f.name.replace("_", "-") in text


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_strategy_field_has_help(name):
    helps = field_help(STRATEGIES[name].Config)
    assert {f.name for f in dataclasses.fields(STRATEGIES[name].Config)} <= set(helps)


def test_field_help_reads_what_the_parsed_class_source_says():
    import inspect

    from neuroevo.cli import _COMMENT
    from neuroevo.tasks import resolve_task, task_names

    def parsed(cls):                       # the slow, obvious way: inspect parses each class's source
        out = {}
        for klass in reversed(cls.__mro__):
            try:
                lines = inspect.getsource(klass).splitlines()
            except (OSError, TypeError):
                continue
            out |= {m.group(1): m.group(2).strip() for m in map(_COMMENT.match, lines) if m}
        return out

    tasks = [resolve_task(n)[0] for n in task_names()]
    classes = [RunConfig, *(s.Config for s in STRATEGIES.values()), *tasks,
               *(t.evaluate_options for t in tasks if t.evaluate_options is not None)]
    for cls in classes:
        assert field_help(cls) == parsed(cls) != {}, cls.__name__


@pytest.mark.parametrize("argv, msg", [
    (["race", "--strategy", "nope"], "unknown strategy 'nope'; choose one of"),
    (["race", "--population-size", "1"], "population_size must be >= 2; got 1"),
    (["race", "--sensors", "0,5,500"], "sensor"),
    (["race", "--layers", "6,8,1"], "layers must start with 7 inputs"),
    (["race", "--activation", "softplus"], "unknown activation 'softplus'"),
    (["race", "--top", "0"], "top must be >= 1; got 0"),
])
def test_bad_options_fail_before_any_file_is_written(tmp_path, capsys, argv, msg):
    assert main(argv + ["--out", str(tmp_path / "runs")]) == 2
    assert msg in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_top_is_capped_at_the_population(tmp_path, capsys):
    main(["race", "--generations", "2", "--population-size", "10", "--out", str(tmp_path), "--no-plots"])
    assert "of the best 10 complete" in capsys.readouterr().out


def test_resume_of_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert main(["resume", str(tmp_path), "--generations", "2"]) == 1
    assert "is not a run folder: it has no config.json" in capsys.readouterr().err


def test_strategies_lists_the_registry(capsys):
    main(["strategies"])
    out = capsys.readouterr().out
    for name in STRATEGIES:
        assert name in out


def test_start_up_and_a_race_import_only_what_they_use(tmp_path):
    """``import neuroevo`` and the CLI import no optional engine; a race draws its plots without pyplot
    and builds its tracks without scipy.ndimage (each a few tenths of a second of start-up)."""
    import subprocess
    import sys

    code = ("import sys, neuroevo, neuroevo.cli\n"
            "heavy = ['scipy', 'matplotlib', 'numba', 'tqdm', 'gymnasium', 'dask', 'distributed',"
            " 'neuroevo.simulators.gym']\n"
            "print([m for m in heavy if m in sys.modules])\n"
            "neuroevo.cli.main(['race', '--generations', '2', '--top', '2', '--robust-samples', '0',"
            f" '--out', {str(tmp_path)!r}])\n"
            "print([m for m in ['matplotlib.pyplot', 'scipy.ndimage', 'tqdm', 'dask', 'distributed',"
            " 'neuroevo.simulators.gym'] if m in sys.modules], 'matplotlib.figure' in sys.modules)\n")
    import os
    # drawn in this process (not in the helper of neuroevo.engine.drawing), so matplotlib.figure is here
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env=os.environ | {"NEUROEVO_PLOT_PROCESS": "0"})
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0] == "[]"
    assert lines[-1] == "[] True"
    assert len(list(tmp_path.glob("*/plots/*.png"))) == 3


@pytest.mark.parametrize("argv, code", [(["tasks"], 0), (["race", "--population-size", "1"], 2)])
def test_the_script_keeps_output_and_exit_code_and_skips_the_interpreter_teardown(argv, code):
    import subprocess
    import sys

    script = ("import sys\n"
              "class Freed:\n"
              "    def __del__(self): print('torn down', flush=True)\n"
              "kept = Freed()\n"
              f"sys.argv = ['neuroevo', *{argv!r}]\n"
              "from neuroevo.cli import main\n"
              "sys.exit(main())\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == code, out.stderr
    assert "torn down" not in out.stdout
    assert ("race" in out.stdout) if code == 0 else ("population_size must be >= 2; got 1" in out.stderr)
