"""QuantizedNet: quantisation against an independent computation, persistence, schema, bad inputs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sc_neurocore.export import EXPORT_SCHEMA, QuantizedNet
from sc_neurocore.sc.contract import SCConfig, count_real_scale, current_scale


def _net(cfg=None, seed=0):
    rng = np.random.default_rng(seed)
    w = [rng.normal(size=(4, 3)), rng.normal(size=(2, 4))]
    b = [rng.normal(size=4) * 0.2, None]
    return QuantizedNet.from_float(w, b, [0.9, 0.75], [1.0, 0.5], cfg), w, b


def test_from_float_against_independent_quantisation():
    cfg = SCConfig(length=32, prob_bits=6)
    q, w, b = _net(cfg)
    assert q.sizes == (3, 4, 2) and q.n_input == 3 and q.n_output == 2
    for i, layer in enumerate(q.layers):
        s = max(abs(float(x)) for x in w[i].ravel())
        for j in range(w[i].shape[0]):
            for k in range(w[i].shape[1]):
                x = float(w[i][j, k])
                mag = math.floor(abs(x) / s * 63 + 0.5)
                assert layer.weight_q[j, k] == (-mag if x < 0 else mag)
        assert layer.weight_scale == s
        exp_b = [0] * w[i].shape[0] if b[i] is None else [math.floor(float(v) * 256 + 0.5) for v in b[i]]
        assert layer.bias_q.tolist() == exp_b
        kind = "prob" if i == 0 else "spike"
        assert layer.input_kind == kind
        assert (layer.scale_mult, layer.scale_shift) == current_scale(count_real_scale(s, cfg, kind), 16)
        assert (layer.fxp_mult, layer.fxp_shift) == current_scale(count_real_scale(s, cfg, kind, stochastic=False), 16)
    assert q.layers[0].beta_q == math.floor(0.9 * 256 + 0.5) and q.layers[1].beta_q == 192
    assert q.layers[0].threshold_q == 256 and q.layers[1].threshold_q == 128
    assert q.layers[0].weight_sign.tolist() == (w[0] < 0).astype(int).tolist()
    assert (np.abs(q.layers[0].weight_q) <= 63).all()


def test_save_load_round_trip(tmp_path):
    q, _, _ = _net(SCConfig(length=8, rng="sobol", polarity="bipolar", seed=7))
    path = q.save(tmp_path / "net.npz")
    r = QuantizedNet.load(path)
    assert r.config == q.config
    for a, b in zip(q.layers, r.layers):
        np.testing.assert_array_equal(a.weight_q, b.weight_q)
        np.testing.assert_array_equal(a.bias_q, b.bias_q)
        for name in ("weight_scale", "beta_q", "threshold_q", "input_kind", "scale_mult", "scale_shift",
                     "fxp_mult", "fxp_shift"):
            assert getattr(a, name) == getattr(b, name)


def test_schema_check(tmp_path):
    q, _, _ = _net()
    path = q.save(tmp_path / "net.npz")
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(bytes(arrays["meta"]).decode())
    meta["schema"] = EXPORT_SCHEMA + 1
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    with pytest.raises(ValueError, match="schema"):
        QuantizedNet.load(bad)
    del arrays["meta"]
    np.savez(tmp_path / "nometa.npz", **arrays)
    with pytest.raises(ValueError, match="meta"):
        QuantizedNet.load(tmp_path / "nometa.npz")


@pytest.mark.parametrize(
    "weights, biases, betas, thetas, match",
    [
        ([], [], [], [], "at least one layer"),
        ([np.array([[np.nan]])], [None], [0.9], [1.0], "NaN"),
        ([np.array([[np.inf]])], [None], [0.9], [1.0], "NaN or inf"),
        ([np.ones(3)], [None], [0.9], [1.0], "2-D"),
        ([np.ones((2, 3)), np.ones((2, 3))], [None, None], [0.9, 0.9], [1.0, 1.0], "inputs"),
        ([np.ones((2, 3))], [np.ones(3)], [0.9], [1.0], "bias"),
        ([np.ones((2, 3))], [None], [1.5], [1.0], "beta"),
        ([np.ones((2, 3))], [None], [0.9], [0.0], "threshold"),
        ([np.ones((2, 3))], [None, None], [0.9], [1.0], "biases"),
    ],
)
def test_bad_inputs(weights, biases, betas, thetas, match):
    with pytest.raises(ValueError, match=match):
        QuantizedNet.from_float(weights, biases, betas, thetas)


def test_bad_config_type():
    with pytest.raises(TypeError, match="SCConfig"):
        QuantizedNet.from_float([np.ones((1, 1))], [None], [0.9], [1.0], config="fast")


def test_zero_layer_scale_is_one():
    q = QuantizedNet.from_float([np.zeros((2, 2))], [None], [0.9], [1.0])
    assert q.layers[0].weight_scale == 1.0 and not q.layers[0].weight_q.any()


def test_sign_and_magnitude_views():
    q = QuantizedNet.from_float([np.array([[1.0, -1.0, 0.0, -0.5, -1 / 7]])], [None], [0.5], [1.0],
                                SCConfig(prob_bits=3))
    layer = q.layers[0]
    assert layer.weight_q.tolist() == [[7, -7, 0, -4, -1]]  # 0.5 * 7 = 3.5 rounds up to 4
    assert layer.weight_sign.tolist() == [[0, 1, 0, 1, 1]] and layer.weight_sign.dtype == np.uint8
    assert layer.weight_mag.tolist() == [[7, 7, 0, 4, 1]]


def test_one_element_arrays_are_scalars():
    w = [np.array([[0.5, -0.25]])]
    a = QuantizedNet.from_float(w, [None], [np.array([0.75])], [np.array([[1.5]])])
    b = QuantizedNet.from_float(w, [None], [0.75], [1.5])
    assert (a.layers[0].beta_q, a.layers[0].threshold_q) == (b.layers[0].beta_q, b.layers[0].threshold_q) == (192, 384)
    with pytest.raises(ValueError, match="beta"):
        QuantizedNet.from_float(w, [None], [np.array([0.5, 0.75])], [1.0])
    with pytest.raises(ValueError, match="threshold"):
        QuantizedNet.from_float(w, [None], [0.5], [np.array([1.0, 2.0])])


# ------------------------------------------------------------------ the peers' conventions (issue 12, item 3)


def test_resets_and_if_are_quantised_and_saved(tmp_path):
    rng = np.random.default_rng(3)
    w = [rng.normal(size=(4, 3)), rng.normal(size=(3, 4)), rng.normal(size=(2, 3))]
    q = QuantizedNet.from_float(w, [None] * 3, [1.0, 0.8, 0.9], [1.0, 0.5, 1.0],
                                resets=["subtract", "zero", "subtract-delayed"])
    assert [layer.beta_q for layer in q.layers] == [256, 205, 230]  # beta 1: no leak, not 255
    assert [layer.reset for layer in q.layers] == ["subtract", "zero", "subtract"]
    assert [layer.reset_q for layer in q.layers] == [None, None, math.floor(256 / 0.9 + 0.5)]  # theta / beta
    assert [layer.float_reset for layer in q.layers] == ["subtract", "zero", "subtract-delayed"]
    back = QuantizedNet.load(q.save(tmp_path / "q.npz"))
    assert [(a.reset, a.reset_q, a.beta_q) for a in back.layers] == [(a.reset, a.reset_q, a.beta_q) for a in q.layers]


def test_a_schema_1_file_still_loads(tmp_path):
    q, _, _ = _net()
    path = q.save(tmp_path / "q.npz")
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(bytes(arrays["meta"]).decode())
    meta["schema"] = 1
    for lm in meta["layers"]:
        del lm["reset"], lm["reset_q"]
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(tmp_path / "old.npz", **arrays)
    old = QuantizedNet.load(tmp_path / "old.npz")
    assert [(a.reset, a.reset_q) for a in old.layers] == [("subtract", None)] * 2


# the keys each older schema's layer entries lack (module docstring of sw/export.py)
_ABSENT_FROM = {1: ("reset", "reset_q", "neuron", "neuron_params", "conv"), 2: ("neuron", "neuron_params", "conv"),
                3: ("conv",), 4: ()}


@pytest.mark.parametrize("schema", [1, 2, 3, 4])
def test_every_older_schema_loads_with_only_its_own_keys(tmp_path, schema):
    """A dense LIF net written in each schema this version reads (its layer entries exactly those of that schema,
    no more): it loads as the same net."""
    q, _, _ = _net()
    path = q.save(tmp_path / "q.npz")
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(bytes(arrays["meta"]).decode())
    meta["schema"] = schema
    for lm in meta["layers"]:
        for key in _ABSENT_FROM[schema]:
            del lm[key]
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(tmp_path / "old.npz", **arrays)
    old = QuantizedNet.load(tmp_path / "old.npz")
    assert old.describe() == q.describe()
    for a, b in zip(old.layers, q.layers):
        assert np.array_equal(a.weight_q, b.weight_q) and np.array_equal(a.bias_q, b.bias_q)
        assert (a.beta_q, a.threshold_q, a.reset, a.neuron, a.conv) == (b.beta_q, b.threshold_q, "subtract", "lif", None)


@pytest.mark.parametrize("change", ["missing", "unknown", "not a dict"])
def test_a_layer_entry_with_other_keys_is_refused(tmp_path, change):
    """Layer entries must hold every key the oldest schema has and none this version does not know."""
    q, _, _ = _net()
    path = q.save(tmp_path / "q.npz")
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(bytes(arrays["meta"]).decode())
    if change == "missing":
        del meta["layers"][1]["threshold_q"]
    elif change == "unknown":
        meta["layers"][1]["gain_q"] = 3
    else:
        meta["layers"][1] = list(meta["layers"][1])
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match="layer 1: entries"):
        QuantizedNet.load(tmp_path / "bad.npz")


@pytest.mark.parametrize("kwargs,text", [
    (dict(resets=["hard", "zero"]), "reset must be one of"),
    (dict(resets=["zero"]), "resets has 1 entries for 2 layers"),
    (dict(betas=[0.0, 0.5], resets="subtract-delayed"), "beta must be > 0"),
    (dict(betas=[1.5, 0.5]), "beta must be one scalar in"),
    (dict(betas=[0.001, 0.5], resets="subtract-delayed"), "does not fit"),
])
def test_reset_errors(kwargs, text):
    rng = np.random.default_rng(0)
    args = dict(weights=[rng.normal(size=(4, 3)), rng.normal(size=(2, 4))], biases=[None, None], betas=[0.9, 0.9],
                thresholds=[1.0, 1.0])
    args.update(kwargs)
    with pytest.raises(ValueError, match=text):
        QuantizedNet.from_float(**args)


def test_spiking_net_reset_reaches_the_export_and_the_sc_model():
    torch = pytest.importorskip("torch")
    from sc_neurocore.sc.network import FixedPointNetwork
    from sc_neurocore.training import SpikingNet

    torch.manual_seed(0)
    outs = {}
    for reset in ("subtract", "zero", "subtract-delayed"):
        torch.manual_seed(0)
        model = SpikingNet(sizes=[6, 8, 3], reset=reset)
        q = model.to_quantized()
        assert all(layer.float_reset == reset for layer in q.layers)
        x = np.random.default_rng(1).random((20, 6))
        outs[reset] = FixedPointNetwork(q).run(x, 10).counts
    assert not np.array_equal(outs["subtract"], outs["zero"])


# ------------------------------------------------------------------ neuron models per layer (schema 3)


def test_synaptic_layers_are_quantised_and_saved(tmp_path):
    rng = np.random.default_rng(4)
    w = [rng.normal(size=(4, 3)), rng.normal(size=(2, 4))]
    q = QuantizedNet.from_float(w, [None, None], [0.9, 0.8], [1.0, 1.0], neurons=["synaptic", "lif"],
                                neuron_params=[{"alpha": 0.8}, None])
    assert [layer.neuron for layer in q.layers] == ["synaptic", "lif"]
    assert q.layers[0].neuron_params == {"alpha_q": math.floor(0.8 * 256 + 0.5)} and q.layers[1].neuron_params == {}
    assert q.layers[0].model.states == ("i_syn", "v") and q.extra_states == ("i_syn",)
    back = QuantizedNet.load(q.save(tmp_path / "q.npz"))
    assert [(a.neuron, a.neuron_params) for a in back.layers] == [(a.neuron, a.neuron_params) for a in q.layers]
    with np.load(tmp_path / "q.npz") as data:
        assert json.loads(bytes(data["meta"]).decode())["schema"] == EXPORT_SCHEMA >= 3
    one = QuantizedNet.from_float(w, [None, None], [0.9, 0.8], [1.0, 1.0], neurons="synaptic",
                                  neuron_params=[{"alpha": 1.0}, {"alpha": 0.0}])
    assert [layer.neuron_params["alpha_q"] for layer in one.layers] == [256, 0]  # 1: no decay, like beta


def test_a_schema_2_file_loads_as_lif(tmp_path):
    q, _, _ = _net()
    path = q.save(tmp_path / "q.npz")
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(bytes(arrays["meta"]).decode())
    meta["schema"] = 2
    for lm in meta["layers"]:
        del lm["neuron"], lm["neuron_params"]
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(tmp_path / "old.npz", **arrays)
    old = QuantizedNet.load(tmp_path / "old.npz")
    assert [(a.neuron, a.neuron_params) for a in old.layers] == [("lif", {})] * 2
    assert old.extra_states == ()


def test_a_file_with_a_bad_neuron_is_refused(tmp_path):
    q, _, _ = _net()
    path = q.save(tmp_path / "q.npz")
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(bytes(arrays["meta"]).decode())
    meta["layers"][1]["neuron"] = "synaptic"  # without its alpha_q
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match=r"bad.npz: layer 1: a 'synaptic' neuron takes the constants \['alpha_q'\]"):
        QuantizedNet.load(tmp_path / "bad.npz")


@pytest.mark.parametrize("kwargs,text", [
    (dict(neurons="recurrent"), "layer 0: neuron must be one of"),
    (dict(neurons="alif", neuron_params=[{"adapt_decay": 0.9, "adapt_strength": -0.1}] * 2), "adapt_strength must be"),
    (dict(neurons="alif", neuron_params=[{"adapt_decay": 0.9, "adapt_strength": 128.0}] * 2), "adapt_strength must"),
    (dict(neurons="alif", neuron_params=[{"adapt_decay": 0.9}] * 2), "takes the decays"),
    (dict(neurons="alif", resets="zero", neuron_params=[{"adapt_decay": 0.9, "adapt_strength": 0.2}] * 2),
     "subtracting its adaptive threshold, not 'zero'"),
    (dict(neurons=["synaptic"]), "neurons has 1 entries for 2 layers"),
    (dict(neurons="synaptic"), r"a 'synaptic' neuron takes the decays \['alpha'\], not \[\]"),
    (dict(neurons="synaptic", neuron_params=[{"alpha": 1.5}, {"alpha": 0.5}]), "alpha must be a number in"),
    (dict(neurons="synaptic", neuron_params=[{"alpha": float("nan")}, {"alpha": 0.5}]), "alpha must be a number in"),
    (dict(neuron_params=[{"alpha": 0.5}, None]), r"a 'lif' neuron takes the decays \[\]"),
    (dict(neurons="alpha", neuron_params=[{"alpha": 0.5}] * 2),
     r"a 'alpha' neuron takes the decays \['alpha_exc', 'alpha_inh'\], not \['alpha'\]"),
    (dict(neurons="alpha", neuron_params=[{"alpha_exc": 0.9, "alpha_inh": -0.1}] * 2), "alpha_inh must be a number"),
    (dict(neurons="second_order", neuron_params=[{"alpha": 0.8}] * 2),
     r"takes the decays \['alpha', 'stiffness'\], not \['alpha'\]"),
    (dict(neurons="second_order", neuron_params=[{"alpha": 0.8, "stiffness": 128.0}] * 2),
     r"stiffness must be a number in \[0, 127.99609375\]"),
    (dict(neurons="second_order", neuron_params=[{"alpha": 0.8, "stiffness": True}] * 2),
     r"stiffness must be a number in \[0, 127.99609375\], not True"),
    (dict(neurons="second_order", neuron_params=[{"alpha": 0.8, "stiffness": "0.5"}] * 2),
     r"stiffness must be a number in \[0, 127.99609375\], not '0.5'"),
    (dict(neurons="second_order", neuron_params=[{"alpha": 0.8, "stiffness": float("inf")}] * 2),
     r"stiffness must be a number in \[0, 127.99609375\], not inf"),
    (dict(neurons="expif", neuron_params=[{"v_rheobase": 0.8, "delta_t": 0.1}, {"v_rheobase": 0.7, "delta_t": 0.1}]),
     r"layer 1: its v_rheobase \(0.699219\) differs from layer 0's \(0.800781\); an 'expif' net shares one "
     "v_rheobase in every layer"),
    (dict(neurons="expif", neuron_params=[{"v_rheobase": 0.8, "delta_t": 0.1}, {"v_rheobase": 0.8, "delta_t": 0.2}]),
     r"layer 1: its delta_t \(0.199219\) differs"),
    (dict(neurons="expif", thresholds=[1.0, 1.5], neuron_params=[{"v_rheobase": 0.8, "delta_t": 0.1}] * 2),
     r"layer 1: its threshold \(1.5\) differs from layer 0's \(1\)"),
    (dict(neurons="expif", neuron_params=[{"v_rheobase": 0.8, "delta_t": 0.05}] * 2),
     r"layer 0: delta_t_q must be an integer in \[16, 32767\], not 13 \(delta_t >= 2\*\*-4\)"),
    (dict(neurons="expif", neuron_params=[{"v_rheobase": -3.0, "delta_t": 0.1}] * 2), "layer 0: ExpIF's table top"),
    (dict(neurons="expif", neuron_params=[{"v_rheobase": -130.0, "delta_t": 0.1}] * 2),
     r"v_rheobase must be a number in \[-128.0, 127.99609375\]"),
    (dict(neurons="expif", neuron_params=[{"v_rheobase": False, "delta_t": 0.1}] * 2),
     r"v_rheobase must be a number in \[-128.0, 127.99609375\], not False"),
    (dict(neurons="expif", neuron_params=[{"v_rheobase": "0.8", "delta_t": 0.1}] * 2),
     r"v_rheobase must be a number in \[-128.0, 127.99609375\], not '0.8'"),
    (dict(neurons="expif", neuron_params=[{"v_rheobase": float("nan"), "delta_t": 0.1}] * 2),
     r"v_rheobase must be a number in \[-128.0, 127.99609375\], not nan"),
    (dict(neurons="expif", resets="zero", neuron_params=[{"v_rheobase": 0.8, "delta_t": 0.1}] * 2),
     "an 'expif' neuron resets by subtracting its threshold, not 'zero'"),
])
def test_neuron_errors(kwargs, text):
    rng = np.random.default_rng(0)
    args = dict(weights=[rng.normal(size=(4, 3)), rng.normal(size=(2, 4))], biases=[None, None], betas=[0.9, 0.9],
                thresholds=[1.0, 1.0])
    args.update(kwargs)
    with pytest.raises(ValueError, match=text):
        QuantizedNet.from_float(**args)


def test_alif_layers_are_quantised_and_saved(tmp_path):
    rng = np.random.default_rng(5)
    w = [rng.normal(size=(4, 3)), rng.normal(size=(2, 4))]
    q = QuantizedNet.from_float(w, [None, None], [0.9, 0.8], [1.0, 1.0], neurons="alif",
                                neuron_params=[{"adapt_decay": 0.95, "adapt_strength": 0.2}] * 2)
    assert q.layers[0].neuron_params == {"adapt_decay_q": 243, "adapt_strength_q": 51}  # 0.2 * 256 + 0.5 -> 51
    assert q.layers[0].model.states == ("a", "v") and q.extra_states == ("a",)
    back = QuantizedNet.load(q.save(tmp_path / "q.npz"))
    assert [(a.neuron, a.neuron_params) for a in back.layers] == [(a.neuron, a.neuron_params) for a in q.layers]


def test_alpha_layers_are_quantised_and_saved(tmp_path):
    rng = np.random.default_rng(5)
    w = [rng.normal(size=(4, 3)), rng.normal(size=(2, 4))]
    q = QuantizedNet.from_float(w, [None, None], [0.9, 0.8], [1.0, 1.0], neurons="alpha", resets="zero",
                                neuron_params=[{"alpha_exc": 0.9, "alpha_inh": 0.8}, {"alpha_exc": 1.0, "alpha_inh": 0}])
    assert q.layers[0].neuron_params == {"alpha_exc_q": 230, "alpha_inh_q": 205}  # 0.9 * 256 + 0.5 -> 230
    assert q.layers[1].neuron_params == {"alpha_exc_q": 256, "alpha_inh_q": 0}
    assert q.layers[0].model.states == ("i_exc", "i_inh", "v") and q.extra_states == ("i_exc", "i_inh")
    back = QuantizedNet.load(q.save(tmp_path / "q.npz"))
    assert [(a.neuron, a.neuron_params, a.reset) for a in back.layers] == [
        (a.neuron, a.neuron_params, a.reset) for a in q.layers]


def test_second_order_layers_are_quantised_and_saved(tmp_path):
    rng = np.random.default_rng(5)
    w = [rng.normal(size=(4, 3)), rng.normal(size=(2, 4))]
    q = QuantizedNet.from_float(w, [None, None], [0.9, 0.8], [1.0, 1.0], neurons="second_order",
                                neuron_params=[{"alpha": 0.8, "stiffness": 0.1}, {"alpha": 1.0, "stiffness": 2.5}])
    assert q.layers[0].neuron_params == {"alpha_q": 205, "stiffness_q": 26}  # 0.1 * 256 + 0.5 -> 26
    assert q.layers[1].neuron_params == {"alpha_q": 256, "stiffness_q": 640}
    assert q.layers[0].model.states == ("a", "v") and q.extra_states == ("a",)
    back = QuantizedNet.load(q.save(tmp_path / "q.npz"))
    assert [(a.neuron, a.neuron_params) for a in back.layers] == [(a.neuron, a.neuron_params) for a in q.layers]


def test_expif_layers_are_quantised_saved_and_checked_on_load(tmp_path):
    """ExpIF's v_rheobase (signed) and delta_t in Q8.8; a saved file whose layers differ in them is refused on load."""
    rng = np.random.default_rng(6)
    w = [rng.normal(size=(4, 3)), rng.normal(size=(2, 4))]
    q = QuantizedNet.from_float(w, [None, None], [0.9, 0.8], [1.0, 1.0], neurons="expif",
                                neuron_params=[{"v_rheobase": -0.5, "delta_t": 0.1}] * 2)
    assert q.layers[0].neuron_params == {"v_rheobase_q": -128, "delta_t_q": 26}
    assert q.layers[0].model.states == ("v",) and q.extra_states == ()
    back = QuantizedNet.load(q.save(tmp_path / "q.npz"))
    assert [(a.neuron, a.neuron_params) for a in back.layers] == [(a.neuron, a.neuron_params) for a in q.layers]
    import dataclasses

    odd = QuantizedNet((q.layers[0], dataclasses.replace(q.layers[1], neuron_params={"v_rheobase_q": -127,
                                                                                    "delta_t_q": 26})), q.config)
    with pytest.raises(ValueError, match="layer 1: its v_rheobase"):
        QuantizedNet.load(odd.save(tmp_path / "odd.npz"))


def test_adex_layers_are_quantised_and_saved(tmp_path):
    """AdEx's per-layer adapt_decay (a leak), a (signed) and b (a gain), and ExpIF's shared constants."""
    rng = np.random.default_rng(7)
    w = [rng.normal(size=(4, 3)), rng.normal(size=(2, 4))]
    shared = {"v_rheobase": 0.8, "delta_t": 0.1}
    q = QuantizedNet.from_float(w, [None, None], [0.9, 0.8], [1.0, 1.0], neurons="adex",
                                neuron_params=[{**shared, "adapt_decay": 0.95, "a": -0.5, "b": 0.05},
                                               {**shared, "adapt_decay": 0.5, "a": 2.0, "b": 0.0}])
    assert q.layers[0].neuron_params == {"adapt_decay_q": 243, "delta_t_q": 26, "b_q": 13, "v_rheobase_q": 205,
                                         "a_q": -128}
    assert q.layers[1].neuron_params["a_q"] == 512 and q.extra_states == ("w",)
    back = QuantizedNet.load(q.save(tmp_path / "q.npz"))
    assert [(a.neuron, a.neuron_params) for a in back.layers] == [(a.neuron, a.neuron_params) for a in q.layers]
    with pytest.raises(ValueError, match="layer 1: its delta_t"):
        QuantizedNet.from_float(w, [None, None], [0.9, 0.8], [1.0, 1.0], neurons="adex",
                                neuron_params=[{**shared, "adapt_decay": 0.9, "a": 0.1, "b": 0.0},
                                               {**shared, "delta_t": 0.2, "adapt_decay": 0.9, "a": 0.1, "b": 0.0}])
