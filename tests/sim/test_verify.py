"""verify_chain, run_rtl, progress events and waves on failure, on a tiny random net.

The RTL fault of the waves test is real: the core is built from a net whose one bias differs
from the net the model runs, so the first mismatch, its place and its values are predicted here
from the two NumPy models (independently of the testbench) and the report must name them.
"""

import dataclasses

import numpy as np
import pytest

pytest.importorskip("amaranth")
pytest.importorskip("cocotb")

from sc_neurocore.export import QuantizedNet  # noqa: E402
from sc_neurocore.progress import ProgressEvent  # noqa: E402
from sc_neurocore.sc.contract import quantize_probability  # noqa: E402
from sc_neurocore.sc.network import SCNetwork  # noqa: E402
from sc_neurocore.sim import RTLRun, run_rtl, runner, tb_network, verify_chain  # noqa: E402
from sc_neurocore.sim.verify import TABLE_WIDTH  # noqa: E402

T = 5
PAR = (2, 3)  # as conftest's TINY_T, TINY_PARALLELISM


def _need(sim):
    try:
        runner.check_simulator(sim)
    except runner.SimulatorNotFound as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def net(tiny_qnet):
    """The shared tiny net (conftest: its builds are shared with test_network) and 5 images."""
    x = np.random.default_rng(3).random((5, 7))
    x[:, 0] = 0.0  # a zero input: takes no clocks in the core
    return tiny_qnet, x


def test_public_names_load_lazily():
    import sc_neurocore.sim as sim

    assert {"verify_chain", "run_rtl", "RTLRun", "ChainReport"} <= set(dir(sim))
    with pytest.raises(AttributeError):
        sim.no_such_name  # noqa: B018


@pytest.mark.sim
def test_run_rtl_equals_model_layout_and_cycles(net):
    from sc_neurocore.hw.timing import image_cycles

    _need("verilator")
    qnet, x = net
    codes = quantize_probability(x, qnet.config.prob_bits)
    events = []
    run = run_rtl(qnet, codes, T, sim="verilator", parallelism=PAR, progress=events.append)
    assert isinstance(run, RTLRun) and run.mismatches == 0 and run.first_mismatch is None
    model = SCNetwork.from_quantized(qnet).run_codes(codes, T, trace=True)
    np.testing.assert_array_equal(run.counts, model.counts)
    np.testing.assert_array_equal(run.prediction, model.prediction)
    for key in ("sc_counts", "currents", "membranes", "spikes"):
        for li, (got, exp) in enumerate(zip(getattr(run, key), getattr(model, key), strict=True)):
            assert got.shape == (T, len(codes), qnet.sizes[li + 1]) and got.dtype == np.int64
            np.testing.assert_array_equal(got, exp)
    # the clock model of the engine (hw.timing.image_cycles) predicts each image's clocks exactly
    np.testing.assert_array_equal(run.cycles, image_cycles(qnet, T, PAR, codes, trace=True))
    sim_events = [e for e in events if e.stage == "simulating on Verilator"]
    assert sim_events[0] == ProgressEvent("simulating on Verilator", 0, 5, "0 mismatches so far")
    assert sim_events[-1].finished and sim_events[-1].note == "0 mismatches"
    assert all(isinstance(e, ProgressEvent) for e in events)


def test_run_rtl_rejects_bad_input(net):
    qnet, _ = net
    with pytest.raises(ValueError, match="shape"):
        run_rtl(qnet, np.zeros((2, 3), np.int64), T)
    with pytest.raises(ValueError, match=r"\[0, 255\]"):
        run_rtl(qnet, np.full((1, 7), 256), T)
    with pytest.raises(ValueError, match="T"):
        run_rtl(qnet, np.zeros((1, 7), np.int64), 0)
    with pytest.raises(ValueError, match="sim"):
        run_rtl(qnet, np.zeros((1, 7), np.int64), T, sim="both")


def test_verify_chain_models_only_and_arguments(net):
    qnet, x = net
    y = np.array([0, 1, 2, 0, 1])
    rep = verify_chain(qnet, x, y, T=T, sim="none", float_pred=y)
    assert rep.ok and rep.first_mismatch is None and rep.waves is None and rep.images == 5
    assert rep.accuracy["float"] == 1.0 and rep.rows[0].simulator == "none"
    assert "RTL: not simulated" in rep.table()
    with pytest.raises(TypeError, match="QuantizedNet"):
        verify_chain(object(), x, y, sim="none")
    with pytest.raises(ValueError, match="waves"):
        verify_chain(qnet, x, y, sim="none", waves="sometimes")
    with pytest.raises(ValueError, match="float predictions"):
        verify_chain(qnet, x, y, sim="none", float_pred=[0, 1])
    with pytest.raises(ValueError, match="simulator"):
        verify_chain(qnet, x, y, sim="modelsim")


@pytest.mark.sim
def test_verify_chain_both_simulators_table(net):
    _need("verilator")
    _need("icarus")
    qnet, x = net
    codes = quantize_probability(x, qnet.config.prob_bits)
    y = SCNetwork.from_quantized(qnet).run_codes(codes, T).prediction.copy()
    y[0] = (y[0] + 1) % 3  # one wrong label: RTL accuracy 80 %
    rep = verify_chain(qnet, x, y, T=T, sim="both", parallelism=PAR, float_pred=y)
    assert rep.ok and rep.first_mismatch is None and rep.waves is None
    assert [r.simulator for r in rep.rows] == list(runner.SIMULATORS)
    assert all(r.rtl_acc == pytest.approx(0.8) and r.mismatches == 0 and r.compared > 5 * T * 9 for r in rep.rows)
    text = rep.table()
    assert max(len(line) for line in text.splitlines()) <= TABLE_WIDTH
    flat = text.replace("\n  ", " ")  # long lines are wrapped with a two-space indent
    assert "RTL (verilator) 80.00 %" in flat and "RTL (icarus) 80.00 %" in flat
    d = rep.as_dict()
    assert d["ok"] and d["first_mismatch"] is None and d["accuracy"]["sc"] == pytest.approx(0.8)


@pytest.mark.sim
@pytest.mark.parametrize("sim", runner.SIMULATORS)
def test_waves_on_failure_name_the_first_mismatch(sim, net, tmp_path, monkeypatch):
    """A core built from a net with one changed bias: the report names the first wrong value and dumps it."""
    _need(sim)
    qnet, x = net
    layers = list(qnet.layers)
    bias = layers[1].bias_q.copy()
    bias[2] += 64  # +0.25 in Q8.8 on output neuron 2
    layers[1] = dataclasses.replace(layers[1], bias_q=bias)
    faulty = QuantizedNet(tuple(layers), qnet.config)
    real_build = tb_network.build_network
    monkeypatch.setattr(tb_network, "build_network", lambda q, *a, **k: real_build(faulty, *a, **k))

    codes = quantize_probability(x, qnet.config.prob_bits)
    good = SCNetwork.from_quantized(qnet).run_codes(codes, T, trace=True)
    bad = SCNetwork.from_quantized(faulty).run_codes(codes, T, trace=True)
    # the first image where anything differs, and there the first differing current (layer 1, neuron 2)
    differs = [not all(np.array_equal(a[:, i], b[:, i]) for a, b in zip(good.currents, bad.currents))
               for i in range(len(codes))]
    image = differs.index(True)
    t = int(np.flatnonzero(good.currents[1][:, image, 2] != bad.currents[1][:, image, 2])[0])

    events = []
    rep = verify_chain(qnet, x, None, T=T, sim=sim, parallelism=PAR, batch=2, waves_dir=tmp_path,
                       progress=events.append)
    assert not rep.ok
    fm = rep.first_mismatch
    assert (fm["sim"], fm["image"], fm["layer"], fm["t"], fm["neuron"]) == (sim, image, 1, t, 2), fm
    assert fm["quantity"] == "current"
    assert (fm["expected"], fm["got"]) == (int(good.currents[1][t, image, 2]), int(bad.currents[1][t, image, 2]))
    assert fm["cycle"] is not None and fm["cycle"] > 0
    fmt = runner.wave_format(sim)  # Verilator writes VCD where it cannot compile its FST writer (no lz4.h)
    assert rep.waves == str(tmp_path / f"{sim}_image{image}.{fmt}")
    data = (tmp_path / f"{sim}_image{image}.{fmt}").read_bytes()
    # an FST file starts with its header block (type 0), a VCD file with a $-keyword
    assert len(data) > 1000 and (data[0] == 0 if fmt == "fst" else data.startswith(b"$"))
    text = rep.table()
    assert "FIRST MISMATCH" in text and rep.waves in text.replace("\n  ", "")
    assert max(len(line) for line in text.splitlines()) <= TABLE_WIDTH
    runs = [e for e in events if e.stage.startswith("simulating")]
    assert {e.total for e in runs if e.done == 0} == {5, 1}  # all images, then the image re-run alone
    notes = [e.note for e in runs]
    assert notes[0] == "0 mismatches so far" and any(int(n.split()[0]) > 0 for n in notes)


@pytest.mark.sim
def test_waves_always_and_never(net, tmp_path):
    _need("icarus")
    qnet, x = net
    rep = verify_chain(qnet, x[:2], None, T=T, sim="icarus", parallelism=PAR, waves="always", waves_dir=tmp_path)
    assert rep.ok and rep.waves == str(tmp_path / "icarus_images0-1.fst") and (tmp_path / "icarus_images0-1.fst").stat().st_size > 1000
    rep = verify_chain(qnet, x[:2], None, T=T, sim="icarus", parallelism=PAR, waves="never", waves_dir=tmp_path / "n")
    assert rep.ok and rep.waves is None and not (tmp_path / "n").exists()
