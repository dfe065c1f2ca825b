"""``sc-neurocore sweep`` end to end without place and route: figures, executors, cache, failed points, the page."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("amaranth")

GRID4 = "length=4,8 rng=sobol,lfsr parallelism=2x4 board=icebreaker"
IMAGES = 24


def read_rows(folder: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO((folder / "results.csv").read_text())))


@pytest.fixture(scope="module")
def local_run(small_ckpt, tmp_path_factory):
    """The 4-point --no-build sweep on a local pool of 2 processes: its folder."""
    from sc_neurocore.cli import main

    out = tmp_path_factory.mktemp("local") / "sweep"
    assert main(["sweep", "--checkpoint", str(small_ckpt), "--grid", GRID4, "--no-build", "--limit", str(IMAGES),
                 "--jobs", "2", "-o", str(out)]) == 0
    return out


def test_four_points_have_the_models_figures(local_run, small_ckpt):
    """Each row holds what the SC model, the float model and the clock model give for its point, on the same images."""
    import torch
    from sc_neurocore.datasets import load_dataset
    from sc_neurocore.hw.timing import image_cycles
    from sc_neurocore.sc.contract import SCConfig, quantize_probability
    from sc_neurocore.sc.network import SCNetwork
    from sc_neurocore.training import load_checkpoint

    model, _ = load_checkpoint(small_ckpt)
    x, y = load_dataset("digits", "test")
    x, y = x[:IMAGES], y[:IMAGES]
    with torch.no_grad():
        float_pred = model(torch.tensor(x)[None].expand(4, -1, -1))[0].argmax(1).numpy()
    rows = read_rows(local_run)
    assert [(r["length"], r["rng"], r["parallelism"], r["board"]) for r in rows] == [
        ("4", "sobol", "2x4", "icebreaker"), ("4", "lfsr", "2x4", "icebreaker"),
        ("8", "sobol", "2x4", "icebreaker"), ("8", "lfsr", "2x4", "icebreaker")]
    preds = []
    for r in rows:
        qnet = model.to_quantized(SCConfig(length=int(r["length"]), rng=r["rng"]))
        codes = quantize_probability(x, qnet.config.prob_bits)
        pred = SCNetwork.from_quantized(qnet).run_codes(codes, 4, trace=False).prediction
        cycles = image_cycles(qnet, 4, (2, 4), codes)
        assert r["sc_accuracy"] == f"{np.mean(pred == y):.6f}"
        assert r["agreement"] == f"{np.mean(pred == float_pred):.6f}"
        assert r["clocks_mean"] == f"{cycles.mean():.1f}" and r["clocks_worst"] == str(cycles.max())
        assert float(r["images_per_s"]) == pytest.approx(24e6 / cycles.mean(), rel=1e-6)  # the 24 MHz PLL clock
        assert r["status"] == "evaluated" and r["luts"] == r["fmax_mhz"] == ""
        assert (local_run / r["log"]).read_text().startswith(f"point L={r['length']} {r['rng']} 2x4 icebreaker")
        preds.append(tuple(pred))
    assert len(set(preds)) > 1  # the four points are not one point four times


def test_the_page_has_the_fronts(local_run):
    page = (local_run / "index.html").read_text()
    assert page.count('<img src="data:image/png;base64,') == 1  # accuracy/images/s; no LUTs without builds
    assert "a <code>--no-build</code> sweep has no LUTs" in page and "Pareto fronts" in page
    assert "<b>icebreaker</b> preset" not in page  # L=4/8 at 2x4: the preset (L=16, 1x16) is not in the grid
    assert page.count("<tr") == 1 + 4


def test_ray_gives_identical_results(local_run, small_ckpt, sweep_cli, tmp_path, ray_local):
    out = tmp_path / "ray"
    r = sweep_cli("--checkpoint", small_ckpt, "--grid", GRID4, "--no-build", "--limit", IMAGES, "--executor", "ray",
                  "-o", out)
    assert r.code == 0, r.err
    assert "4 points: 4 computed, 0 from the cache" in r.out and "Ray instance" in r.err
    assert (out / "results.csv").read_text() == (local_run / "results.csv").read_text()


def test_the_cache_computes_only_new_points(small_ckpt, sweep_cli, tmp_path, monkeypatch):
    import sc_neurocore.boards.sweep as sweep

    evaluated = []
    real = sweep._evaluate
    monkeypatch.setattr(sweep, "_evaluate", lambda job, row, log: (evaluated.append(job.point.length),
                                                                    real(job, row, log))[1])
    out = tmp_path / "s"
    args = ("--checkpoint", small_ckpt, "--no-build", "--limit", 8, "--jobs", 1, "-o", out)
    r = sweep_cli("--grid", "length=4,8", *args)
    assert r.code == 0 and evaluated == [4, 8] and "2 points: 2 computed, 0 from the cache" in r.out
    first = (out / "results.csv").read_text()
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("points/*/point.json")}
    assert len(stamps) == 2
    evaluated.clear()
    r = sweep_cli("--grid", "length=4,8", *args)
    assert r.code == 0 and evaluated == [] and "2 points: 0 computed, 2 from the cache" in r.out
    assert (out / "results.csv").read_text() == first
    r = sweep_cli("--grid", "length=4,8,16", *args)  # a widened grid
    assert r.code == 0 and evaluated == [16] and "3 points: 1 computed, 2 from the cache" in r.out
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    assert [r["length"] for r in read_rows(out)] == ["4", "8", "16"]
    r = sweep_cli("--grid", "length=4,8", "--T", 5, *args[:-4], "--jobs", 1, "-o", out)  # another T: other points
    assert evaluated == [16, 4, 8] and "2 points: 2 computed" in r.out


class FakeReport:
    """What the sweep reads of a ``BuildReport`` (its fields and properties), for a build that misses timing."""

    def __init__(self, log: Path, parallelism):
        self.clock_hz, self.sync_fmax_hz, self.meets_timing = 24e6, 20.5e6, False
        self.yosys_cells = {"SB_LUT4": 90, "SB_DFF": 40}
        self.utilization = {"ICESTORM_LC": {"used": 120, "available": 5280}, "ICESTORM_RAM": {"used": 3,
                            "available": 30}, "ICESTORM_DSP": {"used": 0, "available": 8}}
        self.images_per_s, self.seconds, self.bitstream, self.log = 1234.5, 1.0, "", str(log)
        self.parallelism = parallelism

    def to_json(self):
        return {"board": "icebreaker", "log": self.log}


def test_failed_points_are_rows_with_status_and_log(small_ckpt, sweep_cli, tmp_path, monkeypatch):
    from sc_neurocore.boards import build
    from sc_neurocore.cli import sweep as cli_sweep

    def fake_build(board, qnet, *, build_dir, parallelism, **kwargs):
        log = Path(build_dir) / "build.log"
        if parallelism == (2, 4):
            log.write_text("Info: Packing\nERROR: Unable to place cell 'x', no BELs remaining to implement cell type "
                           "'ICESTORM_LC'\n")
            raise build.BuildError(f"{board}: the build failed in {build_dir}; full log: {log}")
        if parallelism == (4, 4):
            raise RuntimeError("nextpnr crashed")
        log.write_text("Info: routed\n")
        return FakeReport(log, parallelism)

    monkeypatch.setattr(build, "build_board", fake_build)
    monkeypatch.setattr(cli_sweep, "_check_tools", lambda points: None)
    out = tmp_path / "s"
    argv = ("--checkpoint", small_ckpt, "--grid", "length=4 parallelism=1x4,2x4,4x4 board=icebreaker", "--limit", 8,
            "--jobs", 1, "-o", out)
    r = sweep_cli(*argv)
    assert r.code == 0, r.err
    rows = {row["parallelism"]: row for row in read_rows(out)}
    timing, nofit, error = rows["1x4"], rows["2x4"], rows["4x4"]
    assert (timing["status"], timing["luts"], timing["ffs"], timing["brams"], timing["fmax_mhz"]) == \
        ("timing", "90", "40", "3", "20.500")
    assert timing["images_per_s"] == "1234.5" and timing["log"].endswith("/build.log")
    assert nofit["status"] == "no-fit" and nofit["luts"] == "" and nofit["sc_accuracy"] != ""
    assert nofit["detail"] == "does not fit: it needs more ICESTORM_LC than there are"
    assert "no BELs remaining" in (out / nofit["log"]).read_text()
    point_log = (out / nofit["log"]).with_name("point.log").read_text()
    assert "Traceback" in point_log and "BuildError" in point_log
    assert error["status"] == "error" and "RuntimeError: nextpnr crashed" in error["detail"]
    assert "not ok: L=4 sobol 2x4 icebreaker: no-fit" in r.out
    # the failures that are facts of the inputs stay in the cache; the unexplained error is tried again
    r = sweep_cli(*argv)
    assert "3 points: 1 computed, 2 from the cache" in r.out


def test_a_lost_worker_is_a_row_and_is_tried_again(small_ckpt, tmp_path):
    from sc_neurocore.boards.sweep import Point, run_sweep
    from sc_neurocore.executors import Outcome, SerialExecutor
    from sc_neurocore.sc.contract import SCConfig
    from sc_neurocore.training import load_checkpoint

    class LosesTheFirst(SerialExecutor):
        def run(self, tasks):
            for i, t in enumerate(tasks):
                yield Outcome(i, error="worker lost: died 3 times") if i == 0 else Outcome(i, t.fn(*t.args))

    model, _ = load_checkpoint(small_ckpt)
    rng = np.random.default_rng(0)
    codes, labels = rng.integers(0, 256, (6, 64)), rng.integers(0, 10, 6)
    points = [Point(4, "sobol", (1, 4), "icebreaker"), Point(8, "sobol", (1, 4), "icebreaker")]
    kwargs = dict(T=4, source_id="x", out_dir=tmp_path, build=False)

    def make(length, rng_):
        return model.to_quantized(SCConfig(length=length, rng=rng_))

    res = run_sweep(points, make, codes, labels, executor=LosesTheFirst(), **kwargs)
    assert [r["status"] for r in res.rows] == ["worker-lost", "evaluated"]
    assert "died 3 times" in (tmp_path / res.rows[0]["log"]).read_text()
    again = run_sweep(points, make, codes, labels, executor=SerialExecutor(), **kwargs)
    assert (again.computed, again.cached) == (1, 1) and [r["status"] for r in again.rows] == ["evaluated"] * 2


def test_a_conv_checkpoint_sweeps(sweep_cli, tmp_path):
    """A ConvSpikingNet checkpoint: each row's clocks are the engine's clock model of the conv net."""
    import torch
    from sc_neurocore.datasets import load_dataset
    from sc_neurocore.hw.timing import image_cycles
    from sc_neurocore.sc.contract import SCConfig, quantize_probability
    from sc_neurocore.training import ConvSpikingNet, save_checkpoint

    torch.manual_seed(0)
    ckpt = tmp_path / "conv.pt"
    model = ConvSpikingNet(input_shape=(1, 8, 8), channels=(2,), kernel_size=3)
    save_checkpoint(model, ckpt, dataset="digits", T=3)
    r = sweep_cli("--checkpoint", ckpt, "--grid", "length=8 parallelism=1x3,2x3", "--no-build", "--limit", 6,
                  "--jobs", 1, "-o", tmp_path / "s")
    assert r.code == 0, r.err
    rows = read_rows(tmp_path / "s")
    x, _ = load_dataset("digits", "test")
    codes = quantize_probability(x[:6], 8)
    qnet = model.to_quantized(SCConfig(length=8))
    for row, par in zip(rows, [(1, 3), (2, 3)]):
        assert row["clocks_mean"] == f"{image_cycles(qnet, 3, par, codes).mean():.1f}" and row["status"] == "evaluated"
    assert rows[0]["clocks_mean"] != rows[1]["clocks_mean"]
