"""The benchmark reports render from stored data alone (``--render-only``): no library runs, no re-run.

``tests/bench/data/{training,sc}.json`` are small samples saved by the experiments
(``bench/bench_training.py --seeds 2 --epochs 1 --hidden 16 --T 4 ...`` and
``bench/bench_sc.py --seeds 0 1 --epochs 1 --lengths 8 16 --finetune-epochs 1 --upstream ...``).
The expected figures are computed here from the sample's raw lists (medians, ratios, means), not
copied from a rendered report.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import bench_sc
import bench_training
import numpy as np
import pytest
import sc_report
import training_report

DATA = Path(__file__).resolve().parent / "data"
BENCH = Path(bench_training.__file__).resolve().parent


def _sample(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------- training


def test_training_report_shows_the_samples_medians_and_ratios():
    from scipy.stats import t as scipy_t

    data = _sample("training")
    text = training_report.render(data)
    libs = {lib["key"]: lib for lib in data["libs"]}
    batch = data["infer_batch"]
    ours = libs["ours"]
    for lib in libs.values():
        ep, inf = statistics.median(lib["epoch_s"]), batch / statistics.median(lib["infer_s"])
        row = f"| {lib['label']} | {lib['version']} | "
        assert row in text
        line = next(ln for ln in text.splitlines() if ln.startswith(row))
        assert f"| {ep:.3f} ({min(lib['epoch_s']):.3f}) | {inf:,.0f} ({batch / min(lib['infer_s']):,.0f}) |" in line
    for key in ("snntorch", "spikingjelly", "norse"):
        peer = libs[key]
        ratio = statistics.median(ours["epoch_s"]) / statistics.median(peer["epoch_s"])
        speed = statistics.median(peer["infer_s"]) / statistics.median(ours["infer_s"])
        assert f"| {peer['label']} | {ratio:.2f}× (" in text and f"| {speed:.2f}× (" in text
        diffs = np.subtract(ours["acc"], peer["acc"])  # seed by seed
        line = next(ln for ln in text.splitlines() if ln.startswith(f"| {peer['label']} | {ratio:.2f}× ("))
        m, sd = diffs.mean(), diffs.std(ddof=1)
        half = scipy_t.ppf(0.975, len(diffs) - 1) * sd / np.sqrt(len(diffs))  # the 95 % interval of the mean
        assert line.endswith(f"| {m:+.2f} ± {sd:.2f} [{m - half:+.2f}, {m + half:+.2f}] |")
    assert "ours-seq" not in text and "| sc-neurocore, (T,B,64) input | " in text  # a row, not a peer ratio
    assert "Quick run" not in text and f"{data['settings']['seeds']} seed(s)" in text


def test_training_report_targets_and_same_weights_table():
    data = _sample("training")
    text = training_report.render(data)
    acc = np.mean(next(lib for lib in data["libs"] if lib["key"] == "ours")["acc"])
    target = "met" if acc >= training_report.TARGET_ACC else "**not met**"
    assert f"| accuracy ≥ 97 % (mean) | {acc:.2f} % | {target} |" in text
    for row in data["equivalence"]:
        assert f"| {row['label']} | {row['identical']:.2f} | {row['same_prediction']:.2f} | {row['accuracy']:.2f} |" in text
    assert data["profile"].strip().splitlines()[1] in text


def test_training_report_of_a_library_that_did_not_run():
    data = _sample("training")
    norse = next(lib for lib in data["libs"] if lib["key"] == "norse")
    norse.update(status="not installed (ModuleNotFoundError: No module named 'norse')", acc=[], epoch_s=[], infer_s=[])
    data["equivalence"] = [r for r in data["equivalence"] if r["label"] != "Norse"]
    text = training_report.render(data)
    assert "| Norse | 1.1.0 | not installed (ModuleNotFoundError" in text
    assert "| Norse | " not in text.split("Ratios sc-neurocore / peer")[1].split("Targets")[0]
    data["libs"][0].update(status="pending: no SpikingNet", acc=[], epoch_s=[], infer_s=[])
    assert "sc-neurocore: pending: no SpikingNet; ratios and targets follow" in training_report.render(data)


def _mnist5k_sample() -> dict:
    """The digits sample as a run of the 28x28 set without inference timing (what ``--dataset mnist5k --no-infer``
    saves: the dataset, the widths, the split sizes, empty inference lists)."""
    data = _sample("training")
    data["settings"].update(dataset="mnist5k", hidden=[128, 128], infer=False)
    data.update(sizes=[784, 128, 128, 10], n_train=4000, n_test=1000)
    for lib in data["libs"]:
        lib["infer_s"] = []
    return data


def test_training_report_of_the_28x28_set_without_inference():
    data = _mnist5k_sample()
    text = training_report.render(data)
    assert text.startswith("## Training: the 28×28 set (mnist5k), sc-neurocore vs")
    assert "784 → 128 → 128 → 10 LIF" in text and "(4000 train / 1000 validation)" in text
    assert "stratify=y" in text and "Inference not timed in this run (`--no-infer`)" in text
    assert "inference ratio" not in text and "inference ≥ 2 × best peer" not in text
    assert "accuracy ≥ 97 %" not in text  # the digits target only
    assert "on the 1000 validation images" in text
    libs = {lib["key"]: lib for lib in data["libs"]}
    ours = np.mean(libs["ours"]["acc"])
    best = max((libs[k] for k in ("snntorch", "spikingjelly", "norse")), key=lambda lib: np.mean(lib["acc"]))
    target = "met" if ours >= np.mean(best["acc"]) else "**not met**"
    assert (f"| accuracy ≥ the best peer's mean ({best['label']}, {np.mean(best['acc']):.2f} %) | {ours:.2f} % "
            f"| {target} |") in text
    for lib in libs.values():
        line = next(ln for ln in text.splitlines() if ln.startswith(f"| {lib['label']} | {lib['version']} | "))
        assert f"({min(lib['epoch_s']):.3f}) | - |" in line  # s/epoch kept, inference "-"


def test_training_report_reads_data_saved_before_the_dataset_option():
    """The digits sample has no ``dataset``, ``sizes`` or split sizes and ``hidden`` one number: the digits task."""
    data = _sample("training")
    assert "dataset" not in data["settings"] and isinstance(data["settings"]["hidden"], int)
    text = training_report.render(data)
    assert text.startswith("## Training: the documented digits task")
    assert f"64 → {data['settings']['hidden']} → 10 LIF" in text and "(1437 train / 360 validation)" in text
    assert "| accuracy ≥ 97 % (mean) |" in text and "| accuracy ≥ the best peer's mean (" in text


def test_training_render_only_of_the_28x28_set_writes_its_own_report(tmp_path):
    (tmp_path / "training_mnist5k.json").write_text(json.dumps(_mnist5k_sample()), encoding="utf-8")
    argv = ["--render-only", "--dataset", "mnist5k", "--out-dir", str(tmp_path), "--plot", ""]
    assert bench_training.main(argv) == 0
    assert not (tmp_path / "training.md").exists()
    text = (tmp_path / "training_mnist5k.md").read_text(encoding="utf-8")
    assert text == training_report.render(_mnist5k_sample()).rstrip() + "\n"


def test_the_28x28_wrapper_passes_its_options_on(tmp_path):
    """``bench_training_mnist5k.py`` (what ``run_all`` runs) is ``bench_training.py --dataset mnist5k --no-infer``."""
    import bench_training_mnist5k

    (tmp_path / "training_mnist5k.json").write_text(json.dumps(_mnist5k_sample()), encoding="utf-8")
    assert bench_training_mnist5k.main(["--render-only", "--out-dir", str(tmp_path), "--plot", ""]) == 0
    assert (tmp_path / "training_mnist5k.md").read_text(encoding="utf-8").startswith("## Training: the 28×28 set")
    assert bench_training_mnist5k.main(["--render-only", "--out-dir", str(tmp_path / "none"), "--plot", ""]) == 2


def test_training_plot_of_a_run_without_inference(tmp_path):
    pytest.importorskip("matplotlib")
    assert training_report.plot(_mnist5k_sample(), tmp_path / "p.png") and (tmp_path / "p.png").stat().st_size > 0


def _render_only(tmp_path, name: str, argv: list[str]):
    shutil.copy(DATA / f"{name}.json", tmp_path / f"{name}.json")
    module = bench_training if name == "training" else bench_sc
    return module.main(argv)


def test_training_render_only_writes_the_report_from_the_json(tmp_path):
    plot = tmp_path / "speed.png"
    assert _render_only(tmp_path, "training", ["--render-only", "--out-dir", str(tmp_path), "--plot", str(plot)]) == 0
    text = (tmp_path / "training.md").read_text(encoding="utf-8")
    drawn = plot.exists()
    assert text == training_report.render(_sample("training"), plot="speed.png" if drawn else None).rstrip() + "\n"
    assert (tmp_path / "training.json").read_bytes() == (DATA / "training.json").read_bytes()  # not rewritten


def test_render_only_without_data_or_with_another_schema_exits_2(tmp_path, capsys):
    assert bench_training.main(["--render-only", "--out-dir", str(tmp_path), "--plot", ""]) == 2
    assert "run the benchmark without --render-only first" in capsys.readouterr().err
    (tmp_path / "sc.json").write_text(json.dumps({"schema": 0}))
    assert bench_sc.main(["--render-only", "--out", str(tmp_path / "sc.md"), "--img", ""]) == 2
    assert "schema 0" in capsys.readouterr().err and not (tmp_path / "sc.md").exists()


@pytest.mark.parametrize("script,args", [
    ("bench_training.py", ["--out-dir", "{tmp}", "--plot", ""]),
    ("bench_sc.py", ["--out", "{tmp}/sc.md", "--img", ""]),
])  # fmt: skip
def test_render_only_needs_neither_torch_nor_the_package(tmp_path, script, args):
    """A ``torch`` and an ``sc_neurocore.training`` that fail on import: rendering must not notice."""
    name = "training" if script == "bench_training.py" else "sc"
    shutil.copy(DATA / f"{name}.json", tmp_path / f"{name}.json")
    blocker = tmp_path / "blocked"
    (blocker / "torch").mkdir(parents=True)
    (blocker / "torch" / "__init__.py").write_text("raise ImportError('torch is blocked in this test')\n")
    code = (
        "import sys, runpy; sys.path.insert(0, sys.argv[1]); "
        "import sc_neurocore; sys.modules['sc_neurocore.training'] = None; sys.modules['sc_neurocore.sc'] = None; "
        "sys.argv = sys.argv[2:]; runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    out = subprocess.run([sys.executable, "-c", code, str(blocker), str(BENCH / script), "--render-only", *argv],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert (tmp_path / f"{name}.md").read_text(encoding="utf-8").startswith("## ")


# ---------------------------------------------------------------------------------------------- sc


def _pct(xs) -> float:
    return 100 * float(np.mean(xs))


def test_sc_report_tables_from_the_sample():
    d = _sample("sc")
    text = sc_report.render(d)
    for seed, fa, xa, xg in zip(d["settings"]["seeds"], d["float"], d["fixed"]["acc"], d["fixed"]["agree"]):
        assert f"| {seed} | {100 * fa:.2f} | {100 * xa:.2f} ({100 * xg:.1f}) |" in text
    best = d["tuning"]["best"]
    assert f"`lfsr_width={best['width']}, lfsr_steps={best['steps']}`" in text
    row = [r for r in d["tuning"]["rows"] if (r["width"], r["steps"]) == (best["width"], best["steps"])]
    cells = " | ".join(f"{_pct(r['acc']):.2f} ({_pct(r['agree']):.1f})" for r in row)
    assert f"| {best['width']} | {best['steps']} | {cells} |" in text
    for v in d["finetuned"]:
        own = " | ".join(f"{_pct(c['acc']):.2f} ({_pct(c['agree_own']):.1f})" for c in v["by_length"])
        assert f"| {v['name']}, fine-tuned, agreement with its own float | {own} |" in text


def test_sc_goal_check_is_derived_from_the_cells():
    d = _sample("sc")
    fmean = np.mean(d["float"])
    for v in d["accuracy"]:
        ok = [c["L"] for c in v["by_length"] if np.mean(c["acc"]) >= fmean - 0.005 and np.mean(c["agree"]) >= 0.99]
        assert sc_report.goal(d, v)[0] == (min(ok) if ok else None)
    v = {"name": "made up", "by_length": [
        {"L": 2, "acc": [0.0], "agree": [0.0]},
        {"L": 4, "acc": [1.0], "agree": [1.0]},
        {"L": 8, "acc": [0.0], "agree": [1.0]},
    ]}  # fmt: skip
    assert sc_report.goal(d, v) == (4, [8])
    assert "- made up: shortest L meeting the goal: 4 (but not at L=[8])" in sc_report.render({**d, "accuracy": [v]})


def test_sc_report_speed_and_upstream_rows():
    d = _sample("sc")
    text = sc_report.render(d)
    speed = {(r["L"], r["rng"]): r for r in d["speed"]}
    for r in d["upstream"]["net"]:
        lfsr, sobol = speed[(r["L"], "lfsr")], speed[(r["L"], "sobol")]
        assert (f"| {r['L']} | {lfsr['warm']:.0f} / {lfsr['cold']:.0f} | {sobol['warm']:.0f} / {sobol['cold']:.0f} "
                f"| {r['samples_per_s']:.1f} ({r['n']}) | {lfsr['warm'] / r['samples_per_s']:.0f}x |") in text
        assert f"Peer accuracy on its first {r['n']} images at L={r['L']}: {100 * r['accuracy']:.1f} %." in text
    assert f"| upstream `VectorizedSCLayer.forward` (bipolar) | {d['upstream']['layer']['vectorized']:.2f} |" in text
    d["upstream"] = {"status": "not run (no upstream folder)", "versions": {}, "net": [], "layer": {}}
    text = sc_report.render(d)
    assert "| not run | - |" in text and "| upstream | not run (no `--upstream`) |" in text


def test_sc_render_only_writes_report_and_plot(tmp_path):
    img = tmp_path / "img" / "acc.png"
    assert _render_only(tmp_path, "sc", ["--render-only", "--out", str(tmp_path / "sc.md"), "--img", str(img)]) == 0
    text = (tmp_path / "sc.md").read_text(encoding="utf-8")
    plot = "img/acc.png" if img.exists() else None
    assert text == sc_report.render(_sample("sc"), plot=plot).rstrip() + "\n"


# ---------------------------------------------------------------------------------------------- gateware


def test_gateware_report_from_the_sample(tmp_path):
    import bench_gateware

    d = _sample("gateware")
    text = bench_gateware.render(d)
    for r in d["rows"]:
        rates = " | ".join(f"{mhz * 1e6 / r['mean']:,.0f}" for mhz in (24, 50, 100))
        option = f" {r['option']}" if r["option"] else ""
        assert (f"| `{r['core']}` {r['parallelism']}{option} | {r['source']} | {r['accuracy']:.2%} | "
                f"{r['mean']:,.0f} | {r['max']:,} | {r['worst']:,} | {rates} |") in text
    shutil.copy(DATA / "gateware.json", tmp_path / "gateware.json")
    assert bench_gateware.main(["--render-only", "--out-dir", str(tmp_path)]) == 0
    assert (tmp_path / "gateware.md").read_text(encoding="utf-8") == text.rstrip() + "\n"


def test_paired_accuracy_difference_carries_its_95_percent_interval():
    import training_report

    # differences 1, 2, 3: mean 2, sample std 1; t(0.975, 2 dof) = 4.3027, so the half-width is 4.3027 / sqrt(3) = 2.484
    assert training_report._paired_difference([1.0, 2.0, 3.0, 9.0], [0.0, 0.0, 0.0]) == "+2.00 ± 1.00 [-0.48, +4.48]"
    assert training_report._paired_difference([97.5], [97.0]) == "+0.50"
