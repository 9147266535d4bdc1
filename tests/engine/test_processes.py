"""The run engine under real processes: kills, signals, a second process, resume from anywhere."""

import json
import signal
import time

import numpy as np
import pytest
from helpers import assert_same_run, neuroevo, only_run, rows_of, start, timeless, wait_for_rows

RUN = ("--seed", "3", "--no-plots", "--no-progress")


@pytest.fixture
def unbroken(tmp_path, slow_sim):
    """The run nobody stopped (fast: no pause)."""
    out = tmp_path / "unbroken"
    r = neuroevo("run", slow_sim, *RUN, "--out", out, env={"SLOW_SIM_SLEEP": "0"})
    assert r.returncode == 0, r.stderr
    return only_run(out)


@pytest.mark.parametrize("every", ["1", "100"])
def test_sigkill_at_a_random_generation_then_resume_equals_the_unbroken_run(tmp_path, slow_sim, unbroken, every):
    k = int(np.random.default_rng(int(every)).integers(5, 30))
    out = tmp_path / "killed"
    proc = start("run", slow_sim, *RUN, "--out", out, "--checkpoint-every", every)
    run = wait_for_rows(out, k, proc)
    proc.kill()
    proc.wait()
    assert not (run / "summary.json").exists()
    r = neuroevo("resume", run, env={"SLOW_SIM_SLEEP": "0"})
    assert r.returncode == 0, r.stderr
    assert_same_run(run, unbroken)
    assert [row["generation"] for row in rows_of(run)] == list(range(1, 41))


def test_sigkill_during_a_checkpoint_write_then_resume_equals_the_unbroken_run(tmp_path, slow_sim, unbroken):
    out = tmp_path / "torn"
    # checkpoint writes: generation 0, then every generation; the 12th is torn half way (generation 11)
    r = neuroevo("run", slow_sim, *RUN, "--out", out, "--checkpoint-every", "1",
                 env={"SLOW_SIM_SLEEP": "0", "NEUROEVO_FAULT_KILL_CHECKPOINT": "12"})
    assert r.returncode == -signal.SIGKILL
    run = only_run(out)
    torn = list((run / "checkpoints").glob(".tmp-*"))
    assert len(torn) == 1 and torn[0].stat().st_size > 0
    assert len(rows_of(run)) == 11
    r = neuroevo("resume", run, env={"SLOW_SIM_SLEEP": "0"})
    assert r.returncode == 0, r.stderr
    assert not list((run / "checkpoints").glob(".tmp-*"))
    assert_same_run(run, unbroken)


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_finishes_the_generation_writes_a_checkpoint_and_says_how_to_resume(tmp_path, slow_sim, unbroken,
                                                                                    sig, code):
    out = tmp_path / "stopped"
    proc = start("run", slow_sim, *RUN, "--out", out)
    run = wait_for_rows(out, 8, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert f"interrupted by {signal.Signals(sig).name}" in lines[0] and f"neuroevo resume {run}" in lines[0]
    rows = rows_of(run)
    from neuroevo.io.checkpoint import read_npz
    _, meta = read_npz(run / "checkpoints" / "last.npz")
    assert meta["generation"] == len(rows) == rows[-1]["generation"]
    assert f"generation {len(rows)}" in lines[0]
    r = neuroevo("resume", run, env={"SLOW_SIM_SLEEP": "0"})
    assert r.returncode == 0, r.stderr
    assert_same_run(run, unbroken)


def test_a_second_ctrl_c_aborts_at_once(tmp_path, slow_sim):
    out = tmp_path / "abort"
    proc = start("run", slow_sim, *RUN, "--out", out, env={"SLOW_SIM_SLEEP": "0.5"})
    run = wait_for_rows(out, 1, proc)
    time.sleep(0.1)                              # inside the next generation's pause
    proc.send_signal(signal.SIGINT)
    time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    t0 = time.monotonic()
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - t0 < 0.45          # did not wait for the generation to end
    assert proc.returncode == 130
    assert err.strip().count("\n") == 0 and "aborted by a second SIGINT" in err and "Traceback" not in err
    assert f"neuroevo resume {run}" in err


def test_a_second_process_on_the_same_folder_is_refused(tmp_path, slow_sim):
    out = tmp_path / "busy"
    proc = start("run", slow_sim, *RUN, "--out", out)
    run = wait_for_rows(out, 2, proc)
    before = (run / "metrics.jsonl").read_text()
    r = neuroevo("resume", run)
    assert r.returncode == 1
    assert "is in use by process" in r.stderr and str(proc.pid) in r.stderr
    assert r.stderr.strip().count("\n") == 0
    assert (run / "metrics.jsonl").read_text().startswith(before)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    # the lock of the stopped process is stale now: the folder can be resumed
    r = neuroevo("resume", run, env={"SLOW_SIM_SLEEP": "0"})
    assert r.returncode == 0, r.stderr
    gens = [row["generation"] for row in rows_of(run)]
    assert gens == sorted(set(gens)) == list(range(1, len(gens) + 1))


def test_a_user_class_runs_and_resumes_from_any_working_directory(tmp_path, slow_sim, unbroken):
    sim_file, cls = slow_sim.rsplit(":", 1)
    here = tmp_path / "sims"
    out = tmp_path / "rel"
    proc = start("run", f"slow_sim.py:{cls}", *RUN, "--out", out, cwd=here)
    run = wait_for_rows(out, 5, proc)
    proc.kill()
    proc.wait()
    config = json.loads((run / "config.json").read_text())
    assert config["task_ref"] == {"kind": "file", "path": sim_file, "class": "Slow"}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = neuroevo("resume", run.resolve(), cwd=elsewhere, env={"SLOW_SIM_SLEEP": "0"})
    assert r.returncode == 0, r.stderr
    assert "neuroevo Slow: rank_ga, network [3, 4, 1]" in r.stdout
    assert_same_run(run, unbroken)


def test_module_path_class(tmp_path, slow_sim):
    here = tmp_path / "sims"
    r = neuroevo("run", "slow_sim:Slow", "--generations", "3", "--out", tmp_path / "m", "--no-progress", cwd=here,
                 env={"SLOW_SIM_SLEEP": "0"})
    assert r.returncode == 0, r.stderr
    run = only_run(tmp_path / "m")
    assert json.loads((run / "config.json").read_text())["task_ref"]["module"] == "slow_sim"
    assert (run / "plots" / "fitness.png").stat().st_size > 1000


def test_progress_log_lines_when_stderr_is_not_a_terminal(tmp_path, slow_sim):
    r = neuroevo("run", slow_sim, "--out", tmp_path, "--generations", "6", "--no-plots",
                 env={"SLOW_SIM_SLEEP": "0.01", "NEUROEVO_LOG_INTERVAL": "0"})
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    assert lines[0] == "neuroevo Slow: evolving, generation 0 of at most 6"
    assert any(line.startswith("neuroevo Slow: generation 6/6  best ") and "evaluations/s" in line for line in lines)
    assert lines[-2:] == ["neuroevo Slow: choosing the best genome", "neuroevo Slow: held-out evaluation"]


def test_a_damaged_last_checkpoint_names_the_older_one_and_resume_can_start_from_it(tmp_path, slow_sim, unbroken):
    out = tmp_path / "damaged"
    proc = start("run", slow_sim, *RUN, "--out", out, "--checkpoint-every", "3")
    run = wait_for_rows(out, 10, proc)
    proc.kill()
    proc.wait()
    last = run / "checkpoints" / "last.npz"
    data = bytearray(last.read_bytes())
    last.write_bytes(bytes(data[: len(data) // 3]))
    r = neuroevo("resume", run)
    assert r.returncode == 1 and r.stderr.count("\n") == 1
    assert "is damaged or truncated" in r.stderr and "previous.npz" in r.stderr
    assert f"neuroevo resume {run} --checkpoint previous" in r.stderr
    r = neuroevo("resume", run, "--checkpoint", "previous", env={"SLOW_SIM_SLEEP": "0"})
    assert r.returncode == 0, r.stderr
    assert_same_run(run, unbroken)


def test_resume_with_generations_runs_that_many_more(tmp_path):
    out = tmp_path / "xor"
    assert neuroevo("run", "xor", "--generations", "4", "--out", out, "--no-plots", "--no-progress").returncode == 0
    run = only_run(out)
    r = neuroevo("resume", run, "--generations", "3", "--no-progress")
    assert r.returncode == 0, r.stderr
    assert [row["generation"] for row in rows_of(run)] == list(range(1, 8))
    assert json.loads((run / "summary.json").read_text())["generations"] == 7
    # the same as a run of 7 generations with no stop rule in between
    whole = tmp_path / "whole"
    assert neuroevo("run", "xor", "--generations", "7", "--out", whole, "--no-plots", "--no-progress",
                    "--target", "0").returncode == 0
    assert timeless(rows_of(only_run(whole))) == timeless(rows_of(run))
