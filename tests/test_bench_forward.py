"""The forward-pass table of the throughput suite and benchmarks/bench_forward.py."""

import importlib.util
import json
from pathlib import Path

import pytest

from neuroevo.bench import throughput

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_forward.py"


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_forward", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tiny_shapes(monkeypatch):
    monkeypatch.setattr(throughput, "FORWARD_SHAPES", [("hidden 64", (3, 16, 1), "sigmoid", 40, 8),
                                                       ("xor task", (2, 3, 1), "sigmoid", 5, 4)])
    monkeypatch.setattr(throughput, "QUICK_POPULATION", {"hidden 64": 9})


def test_forward_figures_time_three_paths_per_shape_and_thread_count(tiny_shapes):
    rows = throughput.forward_figures(quick=True, threads=(1, 2))
    assert [(r["shape"], r["P"], r["threads"]) for r in rows] == [("hidden 64", 9, 1), ("hidden 64", 9, 2),
                                                                   ("xor task", 5, 1), ("xor task", 5, 2)]
    for r in rows:
        flops = 2 * r["P"] * r["B"] * sum(a * b for a, b in zip(r["layers"][:-1], r["layers"][1:]))
        assert r["numba_gflops"] == pytest.approx(flops / r["numba_s"] / 1e9)
        assert r["share_of_matmul"] == pytest.approx(r["matmul_s"] / r["numba_s"])
        assert r["speedup_over_einsum"] == pytest.approx(r["einsum_s"] / r["numba_s"])
        assert r["agree_within_bound"] is True and 0 <= r["max_diff_over_bound"] <= 1
    table = throughput.forward_table(rows)
    assert len(table.rows) == 4 and len(table.columns) == len(table.rows[0])
    json.dumps(rows)


def test_bench_forward_names_the_missed_targets():
    bench = _bench_module()
    row = {"shape": "hidden 64", "threads": 1, "share_of_matmul": 0.7, "speedup_over_einsum": 3.0,
           "agree_within_bound": True}
    assert bench.targets([row])["wide_networks_at_least_half_of_matmul"] is True
    slow = dict(row, share_of_matmul=0.4, speedup_over_einsum=0.9)
    t = bench.targets([row, slow, dict(slow, shape="xor task")])
    assert t["below_half"] == [("hidden 64", 1, 0.4)] and not t["wide_networks_at_least_half_of_matmul"]
    assert t["slower_than_einsum"] == [("hidden 64", 1, 0.9), ("xor task", 1, 0.9)]
    assert not t["never_slower_than_einsum"] and t["all_agree_within_bound"]


def test_bench_forward_quick_writes_where_it_is_told(tiny_shapes, tmp_path, capsys):
    bench = _bench_module()
    out = tmp_path / "forward.json"
    bench.main(["--quick", "--out", str(out)])
    result = json.loads(out.read_text())
    assert result["quick"] is True and result["machine"]["cpu"] and len(result["rows"]) >= 2
    assert "share of matmul" in capsys.readouterr().out
