"""Smoke tests of the benchmark harness (bench/): timing helpers, run_all, tiny runs of the experiments."""

from __future__ import annotations

import json

import common
import peers
import pytest
import run_all


def test_interleaved_rotates_and_times_every_callable():
    calls = []
    times = common.interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, repeats=4, warmup=1)
    assert sorted(times) == ["a", "b"] and all(len(v) == 4 and min(v) >= 0 for v in times.values())
    assert calls[2:] == ["a", "b", "b", "a", "a", "b", "b", "a"]  # after one warm-up round, order rotates


def test_interleaved_blocks_report_seconds_per_call():
    calls = []
    times = common.interleaved({"a": lambda: calls.append(1)}, repeats=2, warmup=0, number={"a": 5})
    assert len(calls) == 10 and len(times["a"]) == 2
    assert common.calibrate(lambda: None, 1e-3) >= 1


def test_md_table_and_stats():
    assert common.md_table(["x", "y"], [[1, 2]]).splitlines() == ["| x | y |", "|---|---|", "| 1 | 2 |"]
    assert common.mean_std([1.0, 3.0]) == (2.0, pytest.approx(2**0.5))
    assert common.median([3.0, 1.0, 2.0]) == 2.0


def test_run_all_discovers_and_assembles(tmp_path):
    assert "training" in run_all.discover()
    (tmp_path / "zeta.md").write_text("## Zeta\n\n![x](../img/z.png)\n")
    (tmp_path / "training.md").write_text("## Training\n")
    out = run_all.assemble("python bench/run_all.py", {"training": ("ok", 1.0)}, tmp_path / "b.md", tmp_path)
    text = out.read_text()
    assert text.startswith("# Benchmarks") and "nox -s bench" in text
    assert text.index("## Training") < text.index("## Zeta") and "](img/z.png)" in text


def test_run_all_calls_argv_less_main_and_skips_without_quick(tmp_path):
    (tmp_path / "bench_a.py").write_text("import sys\ndef main():\n    return 0 if sys.argv[1:] == ['--x'] else 3\n")
    assert run_all.run_one("a", tmp_path / "bench_a.py", ["--x"])[0] == "ok"
    assert run_all.run_one("a", tmp_path / "bench_a.py", ["--quick"])[0].startswith("skipped")
    (tmp_path / "bench_b.py").write_text("def main(argv):\n    raise RuntimeError('boom')  # --quick\n")
    assert run_all.run_one("b", tmp_path / "bench_b.py", ["--quick"])[0] == "failed: RuntimeError: boom"


def test_run_all_passes_render_only_in_the_scripts_spelling(tmp_path):
    (tmp_path / "bench_c.py").write_text("def main(argv):\n    return 0 if argv == ['--render-only'] else 3\n")
    (tmp_path / "bench_d.py").write_text("def main(argv):  # --report-only\n    return 0 if argv == ['--report-only'] else 3\n")
    (tmp_path / "bench_e.py").write_text("def main(argv):\n    return 3\n")
    for name in "cde":
        (tmp_path / f"{name}.json").write_text("{}")
    assert run_all.run_one("c", tmp_path / "bench_c.py", ["--render-only"], tmp_path)[0] == "ok"
    assert run_all.run_one("d", tmp_path / "bench_d.py", ["--render-only"], tmp_path)[0] == "ok"
    status = run_all.run_one("e", tmp_path / "bench_e.py", ["--render-only"], tmp_path)[0]
    assert status.startswith("skipped: it has no --render")
    (tmp_path / "c.json").unlink()
    assert run_all.run_one("c", tmp_path / "bench_c.py", ["--render-only"], tmp_path)[0].startswith("skipped: no c.json")


def _tiny(tmp_path, libs):
    return [
        "--seeds", "1", "--epochs", "1", "--hidden", "16", "--T", "4", "--infer-repeats", "2",
        "--infer-batch", "32", "--infer-block", "0.01", "--libs", libs, "--out-dir", str(tmp_path), "--plot", "", "--no-profile",
    ]  # fmt: skip


def _skip_unless_runs(*keys):
    for key in keys:
        reason = peers.by_key(key).status()
        if reason is not None:
            pytest.skip(f"{key}: {reason}")


def test_training_harness_runs_ours(tmp_path):
    pytest.importorskip("torch", exc_type=ImportError)
    _skip_unless_runs("ours")
    import bench_training

    assert bench_training.main(_tiny(tmp_path, "ours")) == 0
    text = (tmp_path / "training.md").read_text()
    assert "| sc-neurocore |" in text and "python bench/bench_training.py" in text
    data = json.loads((tmp_path / "training.json").read_text())
    assert [lib["key"] for lib in data["libs"]] == ["ours"] and len(data["libs"][0]["epoch_s"]) == 1


@pytest.mark.slow
def test_training_harness_runs_the_peers(tmp_path):
    pytest.importorskip("torch", exc_type=ImportError)
    _skip_unless_runs("ours", "snntorch", "spikingjelly", "norse")
    import bench_training

    assert bench_training.main(_tiny(tmp_path, "ours,snntorch,spikingjelly,norse")) == 0
    text = (tmp_path / "training.md").read_text()
    for label in ("snnTorch", "SpikingJelly", "Norse"):
        assert f"| {label} |" in text
    assert "error" not in text
    same = {r["label"]: r for r in json.loads((tmp_path / "training.json").read_text())["equivalence"]}
    for label in ("SpikingJelly", "Norse"):  # trained weights of the reference, identical counts
        assert same[label]["identical"] == 100.0
    assert "snnTorch, reset_delay=True (default)" in same


def test_training_harness_rejects_unknown_libraries(tmp_path):
    import bench_training

    with pytest.raises(SystemExit, match="unknown --libs"):
        bench_training.main(_tiny(tmp_path, "ours,brian2"))
