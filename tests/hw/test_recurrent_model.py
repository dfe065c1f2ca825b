"""Recurrent layers (``QuantizedLayer.recurrent_q``) in the export and the NumPy models: integers against the
plain-Python per-cycle reference, the exact rung against hand-written dot products, the file round trip and the
refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sc_neurocore.export import EXPORT_SCHEMA, QuantizedNet
from sc_neurocore.sc.contract import SCConfig
from sc_neurocore.sc.faults import FaultModel
from sc_neurocore.sc.network import FixedPointNetwork, SCNetwork

from .reference import reference_run


def recurrent_qnet(rng, sizes, config=None, *, which=(0,), input_kind="prob", scale=1.0):
    """A random dense net whose layers in ``which`` are recurrent (``W_rec`` drawn like ``W``)."""
    weights = [rng.normal(size=(b, a)) * scale for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(size=b) * 0.3 for b in sizes[1:]]
    rec = [rng.normal(size=(b, b)) * scale if i in which else None for i, b in enumerate(sizes[1:])]
    betas = [float(rng.uniform(0.5, 0.99)) for _ in weights]
    thetas = [float(rng.uniform(0.2, 1.5)) for _ in weights]
    return QuantizedNet.from_float(weights, biases, betas, thetas, config, recurrent=rec, input_kind=input_kind)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_hidden=st.integers(1, 5), length=st.integers(1, 12), T=st.integers(1, 6),
       which=st.sampled_from([(0,), (1,), (0, 1), (0, 1, 2)]), spike_input=st.booleans(),
       rng_kind=st.sampled_from(["lfsr", "sobol"]))
def test_recurrent_trace_equals_plain_python_reference(seed, n_hidden, length, T, which, spike_input, rng_kind):
    rng = np.random.default_rng(seed)
    cfg = SCConfig(length=length, rng=rng_kind, seed=seed % 1000, lfsr_width=8)
    qnet = recurrent_qnet(rng, (3, n_hidden, 4, 2), cfg, which=which,
                          input_kind="spike" if spike_input else "prob")
    if spike_input:
        xq = rng.integers(0, 1 << T, size=(2, 3))
    else:
        xq = rng.integers(0, cfg.prob_max + 1, size=(2, 3))
    tr = SCNetwork(qnet).run_codes(xq, T)
    exact = SCNetwork(qnet, exact_bits=True).run_codes(xq, T)
    for b in range(2):
        exp = reference_run(qnet, xq[b], T)
        for li in range(3):
            for name in ("sc_counts", "currents", "membranes", "spikes"):
                assert getattr(tr, name)[li][:, b].tolist() == exp[name][li].tolist(), (name, li, b)
                assert getattr(exact, name)[li][:, b].tolist() == exp[name][li].tolist(), (name, li, b)


def test_recurrence_changes_the_counts_from_the_second_timestep():
    """The own spikes of t - 1 enter at t: with W_rec the counts equal the feedforward net's at t = 0 and differ
    after the layer's first spikes (a net that spikes at t = 0: strong positive bias)."""
    rng = np.random.default_rng(3)
    w = [rng.normal(size=(4, 3)), rng.normal(size=(2, 4))]
    rec = [np.full((4, 4), 0.8), None]
    kw = dict(biases=[np.full(4, 2.0), None], betas=[0.9, 0.9], thresholds=[1.0, 1.0])
    ff = QuantizedNet.from_float(w, **kw)
    # the same scale (max |W_rec| below max |W|), so the feedforward codes agree
    assert np.abs(w[0]).max() > 0.8
    rnet = QuantizedNet.from_float(w, **kw, recurrent=rec)
    assert np.array_equal(ff.layers[0].weight_q, rnet.layers[0].weight_q)
    xq = rng.integers(0, 256, size=(1, 3))
    a, b = SCNetwork(ff).run_codes(xq, 6), SCNetwork(rnet).run_codes(xq, 6)
    assert a.spikes[0][0].any(), "the bias makes layer 0 spike at t = 0"
    assert a.sc_counts[0][0].tolist() == b.sc_counts[0][0].tolist()
    assert (b.sc_counts[0][1] > a.sc_counts[0][1]).any()  # W_rec > 0 and some spike at t = 0


def test_fixed_point_rung_adds_the_exact_recurrent_dot_product():
    """``C[t] = W x + W_rec s[t-1] * (2**k for a probability layer, 1 for a spike layer)``, written out."""
    rng = np.random.default_rng(5)
    qnet = recurrent_qnet(rng, (5, 6, 3), which=(0, 1))
    xq = rng.integers(0, 256, size=(3, 5))
    tr = FixedPointNetwork(qnet).run_codes(xq, 7)
    l0, l1 = qnet.layers
    for t in range(7):
        prev0 = tr.spikes[0][t - 1] if t else np.zeros((3, 6), np.int64)
        prev1 = tr.spikes[1][t - 1] if t else np.zeros((3, 3), np.int64)
        assert tr.sc_counts[0][t].tolist() == (xq @ l0.weight_q.T + 256 * prev0 @ l0.recurrent_q.T).tolist()
        assert tr.sc_counts[1][t].tolist() == (tr.spikes[0][t] @ l1.weight_q.T + prev1 @ l1.recurrent_q.T).tolist()


def test_recurrent_codes_share_the_layer_scale_and_fold_the_stream_of_ones():
    """One scale ``s = max(|W|, |W_rec|)``; a probability layer's W_rec codes carry ``Q / 2**k`` (a spike is the
    stream of ones, worth ``2**k / Q`` of code Q), a spike layer's do not."""
    w = [np.array([[0.5, -0.25]]), np.array([[1.0]])]
    rec = [np.array([[-1.0]]), np.array([[0.5]])]
    q = QuantizedNet.from_float(w, [None, None], [0.5, 0.5], [1.0, 1.0], recurrent=rec)
    l0, l1 = q.layers
    assert l0.weight_scale == 1.0 and l0.weight_q.tolist() == [[128, -64]]  # round(255 * 0.5) = 128 (half up)
    assert l0.recurrent_q.tolist() == [[-254]]  # round(255 * 255 / 256) = round(254.004)
    assert l1.weight_q.tolist() == [[255]] and l1.recurrent_q.tolist() == [[128]]
    assert not QuantizedNet.from_float(w, [None, None], [0.5, 0.5], [1.0, 1.0]).layers[0].recurrent


def test_spike_input_recurrent_layer_counts_its_inputs_and_its_spikes():
    """A spike-input net's recurrent first layer: both parts are spike inputs (no folding)."""
    rng = np.random.default_rng(11)
    qnet = recurrent_qnet(rng, (4, 5, 2), which=(0,), input_kind="spike")
    raster = rng.integers(0, 2, size=(8, 2, 4))
    tr = FixedPointNetwork(qnet).run_spikes(raster)
    l0 = qnet.layers[0]
    for t in range(8):
        prev = tr.spikes[0][t - 1] if t else np.zeros((2, 5), np.int64)
        assert tr.sc_counts[0][t].tolist() == (raster[t] @ l0.weight_q.T + prev @ l0.recurrent_q.T).tolist()
    sc = SCNetwork(qnet).run_spikes(raster)
    for b in range(2):
        exp = reference_run(qnet, spike_words_of(raster[:, b]), 8)
        assert sc.sc_counts[0][:, b].tolist() == exp["sc_counts"][0].tolist()


def spike_words_of(raster):
    """``(T, n)`` 0/1 -> one image's spike words (bit ``t``: the spike at ``t``), written out."""
    return np.array([sum(int(raster[t, i]) << t for t in range(raster.shape[0])) for i in range(raster.shape[1])])


def test_save_load_round_trip_and_schema(tmp_path):
    rng = np.random.default_rng(2)
    qnet = recurrent_qnet(rng, (3, 4, 2), which=(0,))
    path = qnet.save(tmp_path / "rec.npz")
    back = QuantizedNet.load(path)
    assert back.layers[0].recurrent_q.tolist() == qnet.layers[0].recurrent_q.tolist()
    assert back.layers[1].recurrent_q is None
    with np.load(path) as data:
        assert json.loads(bytes(data["meta"]).decode())["schema"] == EXPORT_SCHEMA == 5
        assert "recurrent_q_1" not in data.files
    xq = rng.integers(0, 256, size=(2, 3))
    assert SCNetwork(back).run_codes(xq, 5).counts.tolist() == SCNetwork(qnet).run_codes(xq, 5).counts.tolist()


@pytest.mark.parametrize("bad, match", [
    (np.zeros((3, 3)), r"recurrent weight codes must be \(4, 4\)"),
    (np.full((4, 4), 256), "recurrent weight codes reach 256"),
    (np.zeros((4, 4), dtype=np.float64), "recurrent weight codes must be"),
])
def test_load_refuses_damaged_recurrent_codes(tmp_path, bad, match):
    rng = np.random.default_rng(2)
    qnet = recurrent_qnet(rng, (3, 4, 2), which=(0,))
    path = qnet.save(tmp_path / "rec.npz")
    with np.load(path) as data:
        arrays = dict(data.items())
    arrays["recurrent_q_0"] = bad
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match=match):
        QuantizedNet.load(tmp_path / "bad.npz")


def test_bad_recurrent_weights_are_refused():
    w, kw = [np.ones((2, 3))], dict(biases=[None], betas=[0.9], thresholds=[1.0])
    with pytest.raises(ValueError, match=r"recurrent weights must be \(2, 2\)"):
        QuantizedNet.from_float(w, **kw, recurrent=[np.ones((3, 3))])
    with pytest.raises(ValueError, match="recurrent weights contain NaN"):
        QuantizedNet.from_float(w, **kw, recurrent=[np.array([[0.0, np.nan], [0.0, 0.0]])])
    with pytest.raises(ValueError, match="recurrent has 2 entries for 1 layers"):
        QuantizedNet.from_float(w, **kw, recurrent=[None, None])
    from sc_neurocore.sc.geometry import ConvGeometry

    g = ConvGeometry(1, 3, 3, 2, 0, 1)
    with pytest.raises(ValueError, match="a conv layer cannot be recurrent"):
        QuantizedNet.from_float([np.ones((1, 4)), np.ones((2, 4))], [None, None], [0.9, 0.9], [1.0, 1.0],
                                convs=[g, None], recurrent=[np.ones((1, 1)), None])


def test_models_refuse_what_they_do_not_model_for_recurrent_layers():
    rng = np.random.default_rng(4)
    qnet = recurrent_qnet(rng, (3, 4, 2), which=(0,))
    with pytest.raises(ValueError, match="min-max polarity .* no recurrent layers"):
        SCNetwork(qnet, polarity="minmax")
    with pytest.raises(ValueError, match="not modelled for recurrent layers"):
        SCNetwork(qnet).run_codes(np.zeros((1, 3), np.int64), 3, faults=FaultModel("count", 0.1))
