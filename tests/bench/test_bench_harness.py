"""Smoke tests of the benchmark harness (bench/): tiny runs, no figures checked."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"_test_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_interleaved_rotates_and_times_every_callable():
    common = _load("common")
    calls = []
    times = common.interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, repeats=4, warmup=1)
    assert sorted(times) == ["a", "b"] and all(len(v) == 4 and min(v) >= 0 for v in times.values())
    assert calls[2:] == ["a", "b", "b", "a", "a", "b", "b", "a"]  # after one warm-up round, order rotates


def test_interleaved_blocks_report_seconds_per_call():
    common = _load("common")
    calls = []
    times = common.interleaved({"a": lambda: calls.append(1)}, repeats=2, warmup=0, number={"a": 5})
    assert len(calls) == 10 and len(times["a"]) == 2
    assert common.calibrate(lambda: None, 1e-3) >= 1


def test_md_table_and_stats():
    common = _load("common")
    assert common.md_table(["x", "y"], [[1, 2]]).splitlines() == ["| x | y |", "|---|---|", "| 1 | 2 |"]
    assert common.mean_std([1.0, 3.0]) == (2.0, pytest.approx(2**0.5))
    assert common.median([3.0, 1.0, 2.0]) == 2.0


def test_run_all_discovers_and_assembles(tmp_path):
    run_all = _load("run_all")
    assert "training" in run_all.discover()
    (tmp_path / "zeta.md").write_text("## Zeta\n\n![x](../img/z.png)\n")
    (tmp_path / "training.md").write_text("## Training\n")
    out = run_all.assemble("python bench/run_all.py", {"training": ("ok", 1.0)}, tmp_path / "b.md", tmp_path)
    text = out.read_text()
    assert text.startswith("# Benchmarks") and "nox -s bench" in text
    assert text.index("## Training") < text.index("## Zeta") and "](img/z.png)" in text


def test_run_all_calls_argv_less_main_and_skips_without_quick(tmp_path):
    run_all = _load("run_all")
    (tmp_path / "bench_a.py").write_text("import sys\ndef main():\n    return 0 if sys.argv[1:] == ['--x'] else 3\n")
    assert run_all.run_one("a", tmp_path / "bench_a.py", ["--x"])[0] == "ok"
    assert run_all.run_one("a", tmp_path / "bench_a.py", ["--quick"])[0].startswith("skipped")
    (tmp_path / "bench_b.py").write_text("def main(argv):\n    raise RuntimeError('boom')  # --quick\n")
    assert run_all.run_one("b", tmp_path / "bench_b.py", ["--quick"])[0] == "failed: RuntimeError: boom"


def _tiny(tmp_path, libs):
    return [
        "--seeds", "1", "--epochs", "1", "--hidden", "16", "--T", "4", "--infer-repeats", "2",
        "--infer-batch", "32", "--infer-block", "0.01", "--libs", libs, "--out-dir", str(tmp_path), "--plot", "", "--no-profile",
    ]  # fmt: skip


def test_training_harness_runs_ours(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    bt = _load("bench_training")
    if bt.ours_status() is not None:
        pytest.skip(bt.ours_status())
    assert bt.main(_tiny(tmp_path, "ours")) == 0
    text = (tmp_path / "training.md").read_text()
    assert "| sc-neurocore |" in text and "python bench/bench_training.py" in text


@pytest.mark.slow
def test_training_harness_runs_the_peers(tmp_path):
    for mod in ("torch", "sklearn", "snntorch", "spikingjelly", "norse"):
        pytest.importorskip(mod)
    bt = _load("bench_training")
    assert bt.main(_tiny(tmp_path, "ours,snntorch,spikingjelly,norse")) == 0
    text = (tmp_path / "training.md").read_text()
    for label in ("snnTorch", "SpikingJelly", "Norse"):
        assert f"| {label} |" in text
    assert "error" not in text
