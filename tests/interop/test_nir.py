"""sc_neurocore.nir: ours -> NIR -> ours, every mapping rule against hand-computed values, every refusal path.

The expected values are written from NIR's equations (forward Euler ``v += dt/tau (v_leak - v + r I)``),
not from the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

nir = pytest.importorskip("nir")

from sc_neurocore.nir import ImportedNet, NIRImportError, from_nir, to_nir  # noqa: E402


def lif(n, tau, thr=1.0, r=None, v_leak=0.0, v_reset=0.0, **kw):
    tau = np.broadcast_to(np.asarray(tau, dtype=float), (n,)).copy()
    return nir.LIF(tau=tau, r=np.full(n, 1.0) if r is None else np.asarray(r, dtype=float),
                   v_leak=np.full(n, v_leak), v_threshold=np.broadcast_to(np.asarray(thr, float), (n,)).copy(),
                   v_reset=np.full(n, v_reset), **kw)


def chain(*nodes, n_in, metadata=None):
    """Input -> nodes -> Output, named n0, n1, ..."""
    names = ["input"] + [f"n{i}" for i in range(len(nodes))] + ["output"]
    out_n = None
    for node in reversed(nodes):
        if hasattr(node, "weight"):
            out_n = np.asarray(node.weight).shape[0]
            break
        for attr in ("v_threshold", "threshold", "r", "scale"):
            if hasattr(node, attr):
                out_n = np.asarray(getattr(node, attr)).size
                break
        if out_n:
            break
    allnodes = {"input": nir.Input(input_type={"input": np.array([n_in])}),
                **{f"n{i}": node for i, node in enumerate(nodes)},
                "output": nir.Output(output_type={"output": np.array([out_n or n_in])})}
    edges = [(a, b) for a, b in zip(names[:-1], names[1:])]
    return nir.NIRGraph(nodes=allnodes, edges=edges, metadata=metadata or {}, type_check=False)


RNG = np.random.default_rng(12)
W1, B1 = RNG.normal(size=(5, 4)), RNG.normal(size=5)
W2, B2 = RNG.normal(size=(3, 5)), RNG.normal(size=3)


# ------------------------------------------------------------------ mapping rules


def test_lif_euler_mapping_and_notes():
    dt, tau = 1e-3, 5e-3
    g = chain(nir.Affine(weight=W1, bias=B1), lif(5, tau, thr=0.5, r=np.full(5, 2.0), v_leak=0.25), n_in=4,
              metadata={"dt": dt})
    imp = from_nir(g, reset="subtract")
    la = imp.layers[0]
    beta = 1 - dt / tau  # 0.8
    assert la.beta == pytest.approx(0.8, abs=1e-15)
    gain = 2.0 * dt / tau  # r dt / tau = 0.4
    np.testing.assert_allclose(la.weight, gain * W1, rtol=1e-14)
    np.testing.assert_allclose(la.bias, gain * B1 + (1 - beta) * 0.25, rtol=1e-14)
    assert la.threshold == 0.5 and la.reset == "subtract"
    assert imp.T == 25 and any("no T" in n for n in imp.notes)
    assert not any("no dt" in n for n in imp.notes)


def test_exact_discretization():
    g = chain(nir.Affine(weight=W1, bias=B1), lif(5, 1e-3), n_in=4, metadata={"dt": 1e-4})
    euler, exact = from_nir(g, reset="zero"), from_nir(g, reset="zero", discretization="exact")
    assert euler.layers[0].beta == pytest.approx(0.9, abs=1e-15)
    assert exact.layers[0].beta == pytest.approx(math.exp(-0.1), abs=1e-15)  # 0.9048
    np.testing.assert_allclose(exact.layers[0].weight, (1 - math.exp(-0.1)) * W1, rtol=1e-14)
    assert exact.meta["discretization"] == "exact"


def test_missing_dt_assumes_1e4_and_says_so():
    g = chain(nir.Affine(weight=W1, bias=B1), lif(5, 1e-3), n_in=4)
    imp = from_nir(g)
    assert imp.layers[0].beta == pytest.approx(0.9, abs=1e-15) and imp.meta["dt"] == 1e-4
    assert any("no dt" in n and "dt = 0.0001 s" in n for n in imp.notes)
    assert any("NIR #63" in n and "'zero'" in n for n in imp.notes)  # the reset NIR cannot state
    assert imp.layers[0].reset == "zero"
    assert from_nir(g, dt=5e-4).layers[0].beta == pytest.approx(0.5, abs=1e-15)


def test_if_threshold_scale_flatten_linear_folding():
    s = np.array([1.0, 2.0, 0.5, 1.0, 3.0])
    g = chain(nir.Flatten(input_type={"input": np.array([2, 2])}, start_dim=0), nir.Linear(weight=W1),
              nir.Scale(scale=s), nir.IF(r=np.full(5, 10.0), v_threshold=np.full(5, 0.7)),
              nir.Affine(weight=W2[:, :5], bias=B2), nir.Affine(weight=np.eye(3) * 2, bias=np.ones(3)),
              nir.Threshold(threshold=np.full(3, 0.25)), n_in=4, metadata={"dt": 0.01})
    imp = from_nir(g)
    a, b = imp.layers
    assert a.beta == 1.0 and b.beta == 0.0
    np.testing.assert_allclose(a.weight, 10.0 * 0.01 * s[:, None] * W1, rtol=1e-14)  # r dt, Scale
    np.testing.assert_allclose(a.bias, 0.0)
    np.testing.assert_allclose(b.weight, 2 * W2[:, :5], rtol=1e-14)  # consecutive Affines multiplied
    np.testing.assert_allclose(b.bias, 2 * B2 + 1, rtol=1e-14)
    assert (a.threshold, b.threshold) == (0.7, 0.25)
    assert imp.sizes == (4, 5, 3)


def test_scalar_parameters_broadcast():
    """snnTorch writes a scalar beta and threshold as 0-d arrays (they break NIR's type check: NIR #176)."""
    node = nir.LIF(tau=np.array(1e-3), r=np.array(10.0), v_leak=np.array(0.0), v_threshold=np.array(0.5),
                   v_reset=np.array(0.0))
    la = from_nir(chain(nir.Affine(weight=W1, bias=B1), node, n_in=4), dt=1e-4).layers[0]
    assert la.beta == pytest.approx(0.9, abs=1e-15) and la.threshold == 0.5
    np.testing.assert_array_equal(la.weight, W1)  # r dt / tau = 10 * 0.1 = 1


def test_per_neuron_threshold_is_folded():
    thr = np.array([0.5, 1.0, 2.0, 1.0, 4.0])
    imp = from_nir(chain(nir.Affine(weight=W1, bias=B1), lif(5, 1e-3, thr=thr), n_in=4), dt=1e-4, reset="subtract")
    la = imp.layers[0]
    assert la.threshold == 1.0
    np.testing.assert_allclose(la.weight, 0.1 * W1 / thr[:, None], rtol=1e-14)
    x = RNG.random((40, 4))
    # the same spikes as the unfolded dynamics, neuron by neuron in units of its own threshold
    v, want = np.zeros((40, 5)), np.zeros((40, 5))
    for _ in range(20):
        v = 0.9 * v + 0.1 * (x @ W1.T + B1)
        s = v > thr
        v = v - s * thr
        want += s
    np.testing.assert_array_equal(ImportedNet((la,), 20).predict(x), want)


def test_norse_tau_times_dt_detected_and_fixed():
    # Norse writes tau = dt / tau_mem_inv = dt * tau: a 10 ms neuron at dt = 1 ms becomes 1e-5
    g = chain(nir.Affine(weight=W1, bias=B1), lif(5, 1e-3 * 1e-2), n_in=4)
    with pytest.raises(NIRImportError, match=r"Norse #411.*--tau-times-dt") as info:
        from_nir(g, dt=1e-3)
    assert "'n1'" in str(info.value)
    imp = from_nir(g, dt=1e-3, tau_times_dt=True, reset="zero")
    assert imp.layers[0].beta == pytest.approx(0.9, abs=1e-12)  # 1 - dt / 10 ms
    np.testing.assert_allclose(imp.layers[0].weight, 0.1 * W1, rtol=1e-12)


# ------------------------------------------------------------------ reset conventions through metadata


@pytest.mark.parametrize("md,want", [({"reset": "subtract", "reset_timing": "delayed"}, "subtract-delayed"),
                                     ({"reset": "subtract"}, "subtract"), ({"reset": "zero"}, "zero"),
                                     ({"reset": "subtract-delayed"}, "subtract-delayed")])
def test_reset_from_metadata_and_override(md, want):
    g = chain(nir.Affine(weight=W1, bias=B1), lif(5, 1e-3), n_in=4, metadata={"dt": 1e-4, **md})
    assert from_nir(g).layers[0].reset == want
    assert from_nir(g, reset="zero").layers[0].reset == "zero"  # --reset overrides the file


def test_node_metadata_overrides_graph_metadata():
    node = lif(5, 1e-3, metadata={"reset": "zero"})
    g = chain(nir.Affine(weight=W1, bias=B1), node, nir.Affine(weight=W2, bias=B2), lif(3, 1e-3), n_in=4,
              metadata={"dt": 1e-4, "reset": "subtract"})
    assert [la.reset for la in from_nir(g).layers] == ["zero", "subtract"]


# ------------------------------------------------------------------ ours -> NIR -> ours


def test_quantized_net_round_trip_is_integer_identical(tmp_path):
    from sc_neurocore.export import QuantizedNet
    from sc_neurocore.sc.contract import SCConfig
    from sc_neurocore.sc.network import SCNetwork
    from sc_neurocore.sim.nets import random_codes

    cfg = SCConfig(length=8)
    rng = np.random.default_rng(4)
    ws = [rng.normal(size=(7, 6)), rng.normal(size=(5, 7)), rng.normal(size=(3, 5))]
    q = QuantizedNet.from_float(ws, [rng.normal(size=7) * 0.2, None, rng.normal(size=3) * 0.2], [0.9, 1.0, 0.0],
                                [0.8, 1.5, 0.5], cfg, resets=["zero", "subtract", "subtract"])
    path = tmp_path / "q.nir"
    nir.write(path, to_nir(q, T=9))
    imp = from_nir(path)
    assert imp.T == 9 and imp.notes == ()
    back = imp.to_quantized(cfg)
    for a, b in zip(q.layers, back.layers):
        for f in ("weight_q", "bias_q"):
            np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
        for f in ("beta_q", "threshold_q", "scale_mult", "scale_shift", "fxp_mult", "fxp_shift", "reset", "reset_q",
                  "input_kind"):
            assert getattr(a, f) == getattr(b, f), f
    codes = random_codes(30, 6, seed=2)
    np.testing.assert_array_equal(SCNetwork(q).run_codes(codes, 9).counts, SCNetwork(back).run_codes(codes, 9).counts)


@pytest.mark.parametrize("reset", ["subtract", "zero", "subtract-delayed"])
def test_spiking_net_round_trip_identical_predictions(reset, tmp_path):
    torch = pytest.importorskip("torch")
    from sc_neurocore.training import SpikingNet

    torch.manual_seed(1)
    model = SpikingNet(sizes=[6, 9, 7, 3], beta=[0.9, 0.75, 0.95], threshold=[1.0, 0.6, 0.8], reset=reset)
    with torch.no_grad():
        for fc in model.fcs:
            fc.weight.mul_(3.0)
    path = tmp_path / "m.nir"
    nir.write(path, to_nir(model, T=12))
    imp = from_nir(path)
    assert imp.notes == () and imp.meta["reset"] == reset
    back = imp.to_spiking_net()
    for a, b in zip(model.fcs, back.fcs):
        assert torch.equal(a.weight, b.weight) and torch.equal(a.bias, b.bias)
    x = torch.rand(12, 50, 6)
    with torch.no_grad():
        counts, _ = model(x)
    assert float(counts.sum()) > 0
    assert torch.equal(counts, back(x)[0])
    assert model.to_quantized().layers[-1].reset_q == back.to_quantized().layers[-1].reset_q


def test_metadata_written():
    from sc_neurocore.sim.nets import random_qnet

    g = to_nir(random_qnet((4, 3, 2)), dt=1e-3, T=5)
    assert {k: g.metadata[k] for k in ("dt", "reset", "reset_timing", "T", "input_encoding", "readout")} == {
        "dt": 1e-3, "reset": "subtract", "reset_timing": "immediate", "T": 5, "input_encoding": "constant",
        "readout": "spike_count"}
    assert isinstance(g.nodes["lif0"], nir.LIF) and g.nodes["lif0"].tau.shape == (3,)  # per-neuron arrays
    np.testing.assert_allclose(g.nodes["lif0"].r * 1e-3 / g.nodes["lif0"].tau, 1.0)  # r dt / tau = 1


# ------------------------------------------------------------------ refusals


def _conv():
    return nir.Conv2d(input_shape=(2, 2), weight=np.ones((1, 1, 1, 1)), stride=1, padding=0, dilation=1, groups=1,
                      bias=np.zeros(1))


REFUSALS = [
    ("conv", lambda: chain(_conv(), lif(4, 1e-3), n_in=4), "node 'n0' is a convolution"),
    ("pool", lambda: chain(nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                                         padding=np.array([0, 0])), lif(1, 1e-3), n_in=4), "'n0' is pooling"),
    ("cubalif", lambda: chain(nir.Affine(weight=W1, bias=B1), nir.CubaLIF(
        tau_mem=np.full(5, 1e-3), tau_syn=np.full(5, 1e-3), r=np.ones(5), v_leak=np.zeros(5),
        v_threshold=np.ones(5), w_in=np.ones(5)), n_in=4), "'n1' is a current-based LIF"),
    ("li readout", lambda: chain(nir.Affine(weight=W1, bias=B1), lif(5, 1e-3), nir.Affine(weight=W2, bias=B2),
                                 nir.LI(tau=np.full(3, 1e-3), r=np.ones(3), v_leak=np.zeros(3)), n_in=4),
     "'n3' is a non-spiking leaky integrator"),
    ("delay", lambda: chain(nir.Delay(delay=np.ones(4)), nir.Affine(weight=W1, bias=B1), lif(5, 1e-3), n_in=4),
     "'n0' is synaptic delays"),
    ("per-neuron tau", lambda: chain(nir.Affine(weight=W1, bias=B1), lif(5, [1e-3, 2e-3, 1e-3, 1e-3, 1e-3]), n_in=4),
     "tau differs between neurons"),
    ("v_reset", lambda: chain(nir.Affine(weight=W1, bias=B1), lif(5, 1e-3, v_reset=-0.5), n_in=4),
     "v_reset = 0.5 != 0"),
    ("trailing affine", lambda: chain(nir.Affine(weight=W1, bias=B1), lif(5, 1e-3), nir.Affine(weight=W2, bias=B2),
                                      n_in=4), "'n2' feeds the Output without a spiking neuron"),
    ("no spiking layer", lambda: chain(nir.Affine(weight=W1, bias=B1), n_in=4), "feeds the Output"),
    ("width", lambda: chain(nir.Affine(weight=W2, bias=B2), lif(3, 1e-3), n_in=4), "takes 5 inputs but receives 4"),
    ("tau <= 0", lambda: chain(nir.Affine(weight=W1, bias=B1), lif(5, -1e-3), n_in=4), "tau must be > 0"),
    ("threshold <= 0", lambda: chain(nir.Affine(weight=W1, bias=B1), lif(5, 1e-3, thr=0.0), n_in=4),
     "threshold must be > 0"),
    ("nan", lambda: chain(nir.Affine(weight=W1 * np.nan, bias=B1), lif(5, 1e-3), n_in=4), "NaN or inf"),
]


@pytest.mark.parametrize("name,make,text", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refused(name, make, text):
    with pytest.raises(NIRImportError, match=text.replace("(", r"\(").replace(")", r"\)")):
        from_nir(make(), dt=1e-4)


def _graph(nodes, edges):
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={}, type_check=False)


def test_refused_structures():
    inp, out = nir.Input(input_type={"input": np.array([4])}), nir.Output(output_type={"output": np.array([5])})
    fc, neuron = nir.Affine(weight=W1, bias=B1), lif(5, 1e-3)
    rec = nir.Linear(weight=np.eye(5))
    with pytest.raises(NIRImportError, match="recurrent"):
        from_nir(_graph({"input": inp, "fc": fc, "lif": neuron, "rec": rec, "output": out},
                        [("input", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "output")]))
    with pytest.raises(NIRImportError, match="no fan-out"):
        from_nir(_graph({"input": inp, "fc": fc, "lif": neuron, "lif2": lif(5, 1e-3), "output": out},
                        [("input", "fc"), ("fc", "lif"), ("fc", "lif2"), ("lif", "output")]))
    with pytest.raises(NIRImportError, match="not on the path"):
        from_nir(_graph({"input": inp, "fc": fc, "lif": neuron, "stray": lif(5, 1e-3), "output": out},
                        [("input", "fc"), ("fc", "lif"), ("lif", "output")]))
    with pytest.raises(NIRImportError, match="exactly one Input"):
        from_nir(_graph({"fc": fc, "lif": neuron, "output": out}, [("fc", "lif"), ("lif", "output")]))
    sub = _graph({"input": nir.Input(input_type={"input": np.array([5])}), "l": lif(5, 1e-3),
                  "output": nir.Output(output_type={"output": np.array([5])})}, [("input", "l"), ("l", "output")])
    with pytest.raises(NIRImportError, match="'rlif' is a nested graph"):
        from_nir(_graph({"input": inp, "fc": fc, "rlif": sub, "output": out},
                        [("input", "fc"), ("fc", "rlif"), ("rlif", "output")]))


def test_bad_arguments():
    g = chain(nir.Affine(weight=W1, bias=B1), lif(5, 1e-3), n_in=4)
    with pytest.raises(ValueError, match="reset must be one of"):
        from_nir(g, reset="hard")
    with pytest.raises(NIRImportError, match="dt must be"):
        from_nir(g, dt=-1.0)
    with pytest.raises(ValueError, match="discretization"):
        from_nir(g, discretization="rk4")
    with pytest.raises(ValueError, match="T must be"):
        from_nir(g, T=0)
    with pytest.raises(TypeError, match="nir.NIRGraph or the path"):
        from_nir(42)
    with pytest.raises(TypeError, match="to_nir takes"):
        to_nir("net")


def test_not_a_nir_file(tmp_path):
    (tmp_path / "x.nir").write_text("hello")
    with pytest.raises(NIRImportError, match="is not a NIR file"):
        from_nir(tmp_path / "x.nir")
    with pytest.raises(FileNotFoundError):
        from_nir(tmp_path / "missing.nir")


def test_a_synaptic_net_is_not_written_as_lif():
    """A Synaptic (CUBA) net refuses the NIR export rather than silently becoming a LIF graph."""
    from sc_neurocore.export import QuantizedNet

    q = QuantizedNet.from_float([np.ones((2, 3))], [None], [0.9], [1.0], neurons="synaptic",
                                neuron_params=[{"alpha": 0.8}])
    with pytest.raises(ValueError, match="this net's are Synaptic"):
        to_nir(q)
    torch = pytest.importorskip("torch")  # noqa: F841
    from sc_neurocore.training import SpikingNet

    with pytest.raises(ValueError, match="CubaLIF"):
        to_nir(SpikingNet(sizes=[3, 2], neuron="synaptic"))
    with pytest.raises(ValueError, match="this net's are alpha, which NIR's primitives do not hold"):
        to_nir(SpikingNet(sizes=[3, 2], neuron="alpha"))


# ------------------------------------------------------------------ Rockpool's r (its exporter: LIFNeuronTorch)


def _rockpool_lif(n, tau, dt):
    return lif(n, tau, r=np.full(n, tau * np.exp(-dt / tau) / dt))


def test_rockpool_r_is_read_as_rockpool_steps():
    """r = tau exp(-dt/tau) / dt at the dt in force: beta = exp(-dt/tau) and W, b unscaled (Rockpool's own step)."""
    g = chain(nir.Affine(weight=W1, bias=B1), _rockpool_lif(5, 20e-3, 1e-3), n_in=4)
    imp = from_nir(g, dt=1e-3)
    la = imp.layers[0]
    assert la.beta == np.exp(-1e-3 / 20e-3)
    np.testing.assert_array_equal(la.weight, W1)
    np.testing.assert_array_equal(la.bias, B1)
    assert imp.meta["discretization"] == "exact" and any("Rockpool" in n for n in imp.notes)
    for disc, gain in (("euler", np.exp(-1e-3 / 20e-3)), ("exact", 20 * np.exp(-0.05) * (1 - np.exp(-0.05)))):
        lit = from_nir(g, dt=1e-3, discretization=disc).layers[0]  # NIR's own equations, as asked
        np.testing.assert_allclose(lit.weight, gain * W1, rtol=1e-12)
    # at another dt the same r is no Rockpool r: NIR's Euler reading, and no dt is derived from unnamed nodes
    other = from_nir(g)
    assert other.meta["dt"] == 1e-4 and not any("Rockpool" in n for n in other.notes)
    np.testing.assert_allclose(other.layers[0].weight, W1 * (1e-4 / 20e-3) * 20e-3 * np.exp(-0.05) / 1e-3)


def test_rockpool_dt_is_derived_from_its_named_nodes():
    nodes = {"input": nir.Input(input_type={"input": np.array([4])}), "0_LinearTorch": nir.Affine(weight=W1, bias=B1),
             "1_LIFNeuronTorch": _rockpool_lif(5, 20e-3, 2e-3), "output": nir.Output(output_type={"output": np.array([5])})}
    g = nir.NIRGraph(nodes=nodes, edges=[("input", "0_LinearTorch"), ("0_LinearTorch", "1_LIFNeuronTorch"),
                                         ("1_LIFNeuronTorch", "output")], metadata={}, type_check=False)
    imp = from_nir(g)
    assert imp.meta["dt"] == 2e-3 and imp.layers[0].beta == np.exp(-0.1)
    assert any("derived from the r and tau of 1_LIFNeuronTorch" in n for n in imp.notes)
    assert from_nir(g, dt=1e-3).meta["dt"] == 1e-3  # a given dt wins
