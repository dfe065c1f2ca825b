import numpy as np
import pytest
import torch
from sc_neurocore.sc.contract import SCConfig
from sc_neurocore.training import ConvSpikingNet, SpikingNet, atan_surrogate, fast_sigmoid


def reference_forward(model: SpikingNet, x: torch.Tensor):
    """Plain per-step loops over layers and time, from the documented equations (float64)."""
    T, B, _ = x.shape
    layers = [(fc.weight.double(), fc.bias.double(), float(lif.beta), float(lif.threshold))
              for fc, lif in zip(model.fcs, model.lifs)]
    mems = [torch.zeros(B, w.shape[0], dtype=torch.float64) for w, *_ in layers]
    counts = torch.zeros(B, layers[-1][0].shape[0], dtype=torch.float64)
    mem_acc = torch.zeros_like(counts)
    for t in range(T):
        h = x[t].double()
        for i, (w, b, beta, theta) in enumerate(layers):
            v = beta * mems[i] + h @ w.T + b
            s = (v - theta > 0).double()
            mems[i] = v - s * theta
            h = s
        counts += h
        mem_acc += mems[-1]
    return counts, mem_acc


def test_documented_shape_and_sizes():
    model = SpikingNet(n_input=64, n_hidden=128, n_output=10, beta=0.9)
    assert model.sizes == (64, 128, 10)
    assert SpikingNet(784, 128, 10, n_layers=2).sizes == (784, 128, 128, 10)
    counts, mem = model(torch.rand(25, 3, 64))
    assert counts.shape == mem.shape == (3, 10)
    assert counts.min().item() >= 0 and counts.max().item() <= 25


@pytest.mark.parametrize("static", [True, False])
def test_matches_reference_loop(static):
    torch.manual_seed(1)
    model = SpikingNet(6, 16, 4, n_layers=2, beta=0.8, threshold=0.5).double()
    with torch.no_grad():
        for fc in model.fcs:
            fc.weight.mul_(3.0)
    x = torch.rand(12, 5, 6, dtype=torch.float64)
    if static:
        x = x[0].unsqueeze(0).expand(12, 5, 6)
    counts, mem = model(x)
    ref_counts, ref_mem = reference_forward(model, x)
    assert float(ref_counts.sum()) > 0  # the net spikes, so the check means something
    assert torch.equal(counts, ref_counts)
    torch.testing.assert_close(mem, ref_mem, rtol=1e-9, atol=1e-9)


def test_static_input_same_outputs_and_gradients_as_copied_input():
    torch.manual_seed(2)
    model = SpikingNet(8, 20, 3, learn_beta=True, learn_threshold=True, input_range=None)  # currents up to 2
    x = torch.rand(4, 8) * 2
    out_a = model.forward_static(x, 15)
    grads_a = torch.autograd.grad(out_a[0].sum() + out_a[1].sum(), list(model.parameters()))
    xs = x.unsqueeze(0).repeat(15, 1, 1).requires_grad_()  # a real copy that needs grad: no shortcut
    out_b = model(xs)
    grads_b = torch.autograd.grad(out_b[0].sum() + out_b[1].sum(), list(model.parameters()))
    assert torch.equal(out_a[0], out_b[0])
    torch.testing.assert_close(out_a[1], out_b[1])
    for a, b in zip(grads_a, grads_b):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_equal_steps_are_detected_by_value(monkeypatch):
    from sc_neurocore.training import networks

    seen = []
    monkeypatch.setattr(networks, "_is_static", lambda x, f=networks._is_static: seen.append(f(x)) or seen[-1])
    model = SpikingNet(4, 8, 2)
    x = torch.rand(3, 4) * 0.5  # + 0.5 below stays in [0, 1]
    model(x.unsqueeze(0).repeat(6, 1, 1))
    varying = x.unsqueeze(0).repeat(6, 1, 1)
    varying[5, 2, 1] += 0.5  # differs only at the last step
    model(varying)
    model(torch.rand(6, 3, 4))
    assert seen == [True, False, False]


def test_to_sc_weights_is_per_layer_min_max():
    torch.manual_seed(0)
    model = SpikingNet(64, 128, 10)
    sc = model.to_sc_weights()
    assert [tuple(w.shape) for w in sc] == [(128, 64), (10, 128)]
    for w, fc in zip(sc, model.fcs):
        raw = fc.weight.detach().numpy().astype(np.float64)
        expected = (raw - raw.min()) / (raw.max() - raw.min())
        np.testing.assert_allclose(w.numpy(), expected, atol=1e-6)
        assert float(w.min()) == 0.0 and float(w.max()) == 1.0


def test_to_quantized_matches_independent_quantisation():
    torch.manual_seed(0)
    model = SpikingNet(5, 7, 3, beta=0.9, threshold=1.0)
    config = SCConfig(prob_bits=6)
    q = model.to_quantized(config)
    assert q.config is config and q.sizes == (5, 7, 3)
    for layer, fc in zip(q.layers, model.fcs):
        w = fc.weight.detach().double().numpy()
        s = np.abs(w).max()
        expected = np.sign(w) * np.floor(np.abs(w) / s * 63 + 0.5)
        np.testing.assert_array_equal(layer.weight_q, expected.astype(np.int64))
        b = fc.bias.detach().double().numpy()
        np.testing.assert_array_equal(layer.bias_q, np.floor(b * 256 + 0.5).astype(np.int64))
        assert layer.beta_q == 230  # floor(0.9 * 256 + 0.5)
        assert layer.threshold_q == 256
        assert layer.weight_scale == pytest.approx(s)
    assert model.to_quantized().config == SCConfig()


def test_conv_net_shapes_and_static_shortcut():
    torch.manual_seed(0)
    model = ConvSpikingNet(n_output=4, input_shape=(1, 12, 12), channels=(3, 5), kernel_size=3, threshold=0.3)
    x = torch.rand(2, 144)
    c1, m1 = model.forward_static(x, 6)
    c2, m2 = model(x.unsqueeze(0).repeat(6, 1, 1))
    c3, _ = model(x.view(2, 1, 12, 12).unsqueeze(0).repeat(6, 1, 1, 1, 1))
    assert c1.shape == (2, 4)
    assert torch.equal(c1, c2) and torch.equal(c1, c3)
    torch.testing.assert_close(m1, m2)
    (c1.sum() + m1.sum()).backward()
    assert model.convs[0].weight.grad is not None and float(model.convs[0].weight.grad.abs().sum()) > 0


def test_conv_net_default_is_for_mnist():
    model = ConvSpikingNet()
    counts, _ = model(torch.rand(2, 1, 784))
    assert counts.shape == (1, 10)


def test_other_surrogate_and_learnable():
    model = SpikingNet(4, 8, 2, surrogate_fn=fast_sigmoid, learn_beta=True)
    assert all(lif.surrogate_fn is fast_sigmoid for lif in model.lifs)
    assert sum(1 for n, _ in model.named_parameters() if n.endswith("beta")) == 2


def test_errors():
    model = SpikingNet(4, 8, 2)
    with pytest.raises(ValueError, match=r"\(T, batch, 4\)"):
        model(torch.rand(3, 2, 5))
    with pytest.raises(ValueError, match=r"\(T, batch, 4\)"):
        model(torch.rand(2, 4))
    with pytest.raises(TypeError, match="floating-point"):
        model(torch.ones(3, 2, 4, dtype=torch.long))
    with pytest.raises(TypeError, match="torch.Tensor"):
        model([[0.0] * 4])
    with pytest.raises(ValueError, match="n_hidden"):
        SpikingNet(4, 0, 2)
    with pytest.raises(ValueError, match="n_layers"):
        SpikingNet(4, 8, 2, n_layers=0)
    with pytest.raises(ValueError, match="beta"):
        SpikingNet(4, 8, 2, beta=2.0)
    with pytest.raises(ValueError, match="T"):
        model.forward_static(torch.rand(2, 4), 0)
    with pytest.raises(ValueError, match="too small"):
        ConvSpikingNet(input_shape=(1, 8, 8))
    with pytest.raises(ValueError, match="ConvSpikingNet expects"):
        ConvSpikingNet()(torch.rand(2, 1, 100))


def test_fused_network_equals_generic_network():
    """The same weights with a Surrogate (fused kernel) and a plain callable (autograd per step)."""
    from sc_neurocore.training import atan_surrogate

    torch.manual_seed(4)
    fused = SpikingNet(6, 12, 3, n_layers=2, threshold=0.6, input_range=None).double()  # currents up to 2
    generic = SpikingNet(6, 12, 3, n_layers=2, threshold=0.6, surrogate_fn=lambda x: atan_surrogate(x),
                         input_range=None).double()
    generic.load_state_dict(fused.state_dict())
    x = torch.rand(8, 5, 6, dtype=torch.float64) * 2
    out_f, out_g = fused(x), generic(x)
    assert torch.equal(out_f[0], out_g[0])
    torch.testing.assert_close(out_f[1], out_g[1])
    assert out_f[0].sum().item() > 0
    grads_f = torch.autograd.grad(out_f[0].sum() + 0.1 * out_f[1].sum(), list(fused.parameters()))
    grads_g = torch.autograd.grad(out_g[0].sum() + 0.1 * out_g[1].sum(), list(generic.parameters()))
    for a, b in zip(grads_f, grads_g):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------- never silently wrong


@pytest.mark.parametrize("make", [lambda **kw: SpikingNet(4, 6, 2, **kw),
                                  lambda **kw: ConvSpikingNet(n_output=2, input_shape=(1, 2, 2), channels=(2,),
                                                              kernel_size=1, pool=1, **kw)],
                         ids=["SpikingNet", "ConvSpikingNet"])
def test_input_nan_inf_and_range_are_refused(make):
    model = make()
    name = type(model).__name__
    good = torch.full((2, 4), 0.5)
    counts, _ = model.forward_static(good, 3)  # in range: runs
    assert counts.shape == (2, 2)
    nan = good.clone()
    nan[1, 2] = float("nan")
    with pytest.raises(ValueError, match=rf"{name}: the input holds 1 NaN .*finite values lie in \[0.5, 0.5\]"):
        model.forward_static(nan, 3)  # the steps are one tensor: one NaN
    with pytest.raises(ValueError, match=rf"{name}: the input holds 3 NaN .*finite values lie in \[0.5, 0.5\]"):
        model(nan.unsqueeze(0).repeat(3, 1, 1))  # a copy per step: NaN != NaN, so every step is read
    inf = good.clone()
    inf[0, 0] = float("inf")
    with pytest.raises(ValueError, match=r"holds 1 inf \(the first at index \(0, 0\)\)"):
        model.forward_static(inf, 3)
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]; got values in \[0.5, 1.5\].*input_range=None"):
        model.forward_static(torch.tensor([[0.5, 1.5, 0.5, 0.5]]), 3)
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]; got values in \[-0.25, 0.5\]"):
        model(torch.tensor([[[0.5, 0.5, 0.5, 0.5]], [[0.5, -0.25, 0.5, 0.5]]]))  # a later step, time-varying

    unbounded = make(input_range=None)
    unbounded.load_state_dict(model.state_dict())
    counts, _ = unbounded.forward_static(torch.full((1, 4), 3.0), 3)  # opted out: any finite current
    assert counts.shape == (1, 2)
    with pytest.raises(ValueError, match="NaN"):  # but never NaN
        unbounded.forward_static(nan, 3)
    with pytest.raises(ValueError, match="inf"):
        unbounded.forward_static(inf, 3)


def test_input_range_is_checked_and_saved(tmp_path):
    from sc_neurocore.training import load_checkpoint, save_checkpoint

    with pytest.raises(TypeError, match="input_range"):
        SpikingNet(4, 6, 2, input_range="0..1")
    with pytest.raises(ValueError, match="input_range"):
        SpikingNet(4, 6, 2, input_range=(1.0, 0.0))
    with pytest.raises(TypeError):
        SpikingNet(4, 6, 2, 1, 0.9, 1.0, atan_surrogate, False, False, True, None)  # input_range is keyword-only
    model = SpikingNet(4, 6, 2, input_range=(-1, 2))
    assert model.input_range == (-1.0, 2.0)
    loaded, _ = load_checkpoint(save_checkpoint(model, tmp_path / "m.pt"))
    assert loaded.input_range == (-1.0, 2.0)
    loaded, _ = load_checkpoint(save_checkpoint(SpikingNet(4, 6, 2, input_range=None), tmp_path / "n.pt"))
    assert loaded.input_range is None


def test_the_input_check_is_one_reduction_per_forward(monkeypatch):
    """Training calls the forward with an expanded (stride-0) input: the check reads one step, once."""
    from sc_neurocore.training import checks

    calls = []
    real = checks.torch.aminmax

    def counting(x, *args, **kwargs):
        calls.append(tuple(x.shape))
        return real(x, *args, **kwargs)

    monkeypatch.setattr(checks.torch, "aminmax", counting)
    model = SpikingNet(4, 6, 2, n_layers=2)
    model.forward_static(torch.rand(5, 4), 25)
    assert calls == [(5, 4)]


# ------------------------------------------------------------------ any dense shape (issue 12, item 4)


def test_sizes_per_layer_widths_beta_and_threshold_match_the_reference_loop():
    torch.manual_seed(3)
    model = SpikingNet(sizes=[6, 20, 9, 4], beta=[0.95, 0.7, 0.5], threshold=[0.5, 0.8, 1.2]).double()
    assert model.sizes == (6, 20, 9, 4) and (model.n_input, model.n_output, model.n_layers) == (6, 4, 2)
    assert [float(lif.beta) for lif in model.lifs] == pytest.approx([0.95, 0.7, 0.5])
    assert [float(lif.threshold) for lif in model.lifs] == pytest.approx([0.5, 0.8, 1.2])
    with torch.no_grad():
        for fc in model.fcs:
            fc.weight.mul_(3.0)
    x = torch.rand(12, 5, 6, dtype=torch.float64)
    counts, mem = model(x)
    ref_counts, ref_mem = reference_forward(model, x)
    assert float(ref_counts.sum()) > 0
    assert torch.equal(counts, ref_counts)
    torch.testing.assert_close(mem, ref_mem, rtol=1e-9, atol=1e-9)


def test_sizes_form_equals_the_seed_form():
    torch.manual_seed(4)
    a = SpikingNet(10, 7, 3, n_layers=2, beta=0.8)
    torch.manual_seed(4)
    b = SpikingNet(sizes=[10, 7, 7, 3], beta=0.8)
    x = torch.rand(5, 2, 10)
    assert all(torch.equal(p, q) for p, q in zip(a(x), b(x)))
    assert a.hparams["n_hidden"] == 7 and "sizes" not in a.hparams  # the seed's checkpoints are unchanged
    assert b.hparams["sizes"] == [10, 7, 7, 3] and "n_input" not in b.hparams


def test_single_layer_sizes():
    model = SpikingNet(sizes=[5, 3])
    assert model.sizes == (5, 3) and model.n_layers == 0 and model.n_hidden is None
    assert model(torch.rand(4, 2, 5))[0].shape == (2, 3)


def test_to_quantized_per_layer_constants():
    model = SpikingNet(sizes=[5, 9, 7, 3], beta=[0.5, 0.75, 0.9], threshold=[0.25, 1.0, 2.0])
    q = model.to_quantized()
    assert q.sizes == (5, 9, 7, 3)
    assert [layer.beta_q for layer in q.layers] == [128, 192, 230]  # floor(beta * 256 + 0.5)
    assert [layer.threshold_q for layer in q.layers] == [64, 256, 512]  # theta * 256


@pytest.mark.parametrize("kwargs,exc,text", [
    (dict(sizes=[5]), ValueError, "at least two widths"),
    (dict(sizes=[5, 0, 3]), ValueError, r"sizes\[1\]"),
    (dict(sizes=[5, 2.5, 3]), ValueError, r"sizes\[1\]"),
    (dict(sizes="5-3"), TypeError, "list of layer widths"),
    (dict(sizes=[5, 3], n_input=5), TypeError, "not both"),
    (dict(sizes=[5, 3], n_layers=2), TypeError, "not both"),
    (dict(sizes=[5, 4, 3], beta=[0.9]), ValueError, "beta has 1 entries for 2 layers"),
    (dict(sizes=[5, 4, 3], threshold=[1.0, 1.0, 1.0]), ValueError, "threshold has 3 entries for 2 layers"),
    (dict(sizes=[5, 4, 3], beta=[0.9, 1.5]), ValueError, "beta must be in"),
    (dict(sizes=[5, 4, 3], threshold=[1.0, -1.0]), ValueError, "threshold must be > 0"),
    (dict(sizes=[5, 4, 3], beta="0.9"), TypeError, "beta must be a number or one number per layer"),
    (dict(), TypeError, "n_input, n_hidden and n_output, or sizes"),
])
def test_sizes_errors(kwargs, exc, text):
    with pytest.raises(exc, match=text):
        SpikingNet(**kwargs)


def test_per_layer_net_checkpoint_round_trip(tmp_path):
    from sc_neurocore.training import load_checkpoint, save_checkpoint

    torch.manual_seed(5)
    model = SpikingNet(sizes=[8, 6, 5, 3], beta=[0.9, 0.8, 0.7], threshold=[1.0, 0.6, 0.9], learn_threshold=True)
    loaded, _ = load_checkpoint(save_checkpoint(model, tmp_path / "net.pt"))
    assert loaded.sizes == (8, 6, 5, 3)
    x = torch.rand(6, 3, 8)
    assert all(torch.equal(a, b) for a, b in zip(model(x), loaded(x)))
    assert [lq.beta_q for lq in loaded.to_quantized().layers] == [lq.beta_q for lq in model.to_quantized().layers]


# ------------------------------------------------------------------ Synaptic (CUBA) neurons


def synaptic_reference(model: SpikingNet, x: torch.Tensor):
    """Per-step loops from the documented equations: ``i = alpha i + I; v = beta v + i``, subtract reset."""
    T, B, _ = x.shape
    layers = [(fc.weight.double(), fc.bias.double(), float(c.alpha), float(c.beta), float(c.threshold))
              for fc, c in zip(model.fcs, model.lifs)]
    syn = [torch.zeros(B, w.shape[0], dtype=torch.float64) for w, *_ in layers]
    mems = [torch.zeros_like(s) for s in syn]
    counts = torch.zeros(B, layers[-1][0].shape[0], dtype=torch.float64)
    for t in range(T):
        h = x[t].double()
        for i, (w, b, alpha, beta, theta) in enumerate(layers):
            syn[i] = alpha * syn[i] + h @ w.T + b
            v = beta * mems[i] + syn[i]
            s = (v - theta > 0).double()
            mems[i] = v - s * theta
            h = s
        counts += h
    return counts


def test_synaptic_net_matches_its_equations_and_exports_its_alpha():
    from sc_neurocore.training import SynapticCell

    torch.manual_seed(3)
    model = SpikingNet(sizes=[6, 16, 4], neuron="synaptic", alpha=[0.7, 0.5], beta=0.8, threshold=0.5).double()
    assert all(isinstance(c, SynapticCell) for c in model.lifs)
    with torch.no_grad():
        for fc in model.fcs:
            fc.weight.mul_(3.0)
    x = torch.rand(12, 5, 6, dtype=torch.float64)
    ref = synaptic_reference(model, x)
    assert float(ref.sum()) > 0
    assert torch.equal(model(x)[0], ref)
    assert torch.equal(model.forward_static(x[0], 12)[0], synaptic_reference(model, x[0].expand(12, 5, 6)))
    q = model.to_quantized()
    assert [layer.neuron for layer in q.layers] == ["synaptic"] * 2
    assert [layer.neuron_params for layer in q.layers] == [{"alpha_q": 179}, {"alpha_q": 128}]  # 0.7*256+0.5 -> 179
    assert model.hparams["neuron"] == "synaptic" and model.hparams["alpha"] == [0.7, 0.5]
    assert "neuron" not in SpikingNet(sizes=[6, 3]).hparams  # LIF nets' hparams (and checkpoints) are unchanged


def test_synaptic_checkpoint_round_trip(tmp_path):
    from sc_neurocore.training import load_checkpoint, save_checkpoint

    torch.manual_seed(6)
    model = SpikingNet(sizes=[8, 6, 3], neuron="synaptic", alpha=0.6, learn_beta=True)
    loaded, _ = load_checkpoint(save_checkpoint(model, tmp_path / "syn.pt"))
    assert loaded.neuron == "synaptic" and float(loaded.lifs[0].alpha) == pytest.approx(0.6)
    x = torch.rand(6, 3, 8)
    assert all(torch.equal(a, b) for a, b in zip(model(x), loaded(x)))


@pytest.mark.parametrize("kwargs,text", [
    (dict(neuron="recurrent"), "neuron must be one of"),
    (dict(neuron="alif", reset="zero"), "'alif' neurons reset by subtraction"),
    (dict(neuron="synaptic", reset="zero"), "'synaptic' neurons reset by subtraction"),
    (dict(neuron="synaptic", alpha=1.5), "alpha must be in"),
    (dict(neuron="synaptic", alpha=[0.5, 0.5, 0.5]), "alpha has 3 entries for 2 layers"),
    (dict(neuron="alpha", reset="subtract-delayed"), "'alpha' neurons reset by subtraction"),
    (dict(neuron="alpha", alpha_inh=1.2), "alpha_inh must be in"),
    (dict(neuron="alpha", alpha_exc=[0.5]), "alpha_exc has 1 entries for 2 layers"),
    (dict(neuron="second_order", stiffness=-0.1), "stiffness must be >= 0"),
    (dict(neuron="second_order", reset="zero"), "'second_order' neurons reset by subtraction"),
    (dict(neuron="expif", delta_t=0.0), "delta_t must be > 0"),
    (dict(neuron="expif", reset="zero"), "'expif' neurons reset by subtraction"),
    (dict(neuron="expif", threshold=[1.0, 1.5]), r"'expif' layers share one threshold .*, not \[1.0, 1.5\]"),
    (dict(neuron="expif", v_rheobase=[0.8, 0.7]), "'expif' layers share one v_rheobase"),
    (dict(neuron="expif", delta_t=[0.1, 0.2]), "'expif' layers share one delta_t"),
    (dict(neuron="expif", learn_threshold=True), "learn_threshold=True would give each layer its own"),
    (dict(neuron="adex", b=-0.1), "b must be >= 0"),
    (dict(neuron="adex", delta_t=[0.1, 0.2]), "'adex' layers share one delta_t"),
])
def test_synaptic_errors(kwargs, text):
    with pytest.raises(ValueError, match=text):
        SpikingNet(sizes=[5, 4, 3], **kwargs)


# ------------------------------------------------------------------ ALIF neurons


def alif_reference(model: SpikingNet, x: torch.Tensor):
    """Per-step loops from the documented equations: fire at ``theta + k a``, subtract it, ``a = rho a + s``."""
    T, B, _ = x.shape
    layers = [(fc.weight.double(), fc.bias.double(), float(c.beta), float(c.threshold), float(c.adapt_decay),
               float(c.adapt_strength)) for fc, c in zip(model.fcs, model.lifs)]
    adapt = [torch.zeros(B, w.shape[0], dtype=torch.float64) for w, *_ in layers]
    mems = [torch.zeros_like(a) for a in adapt]
    counts = torch.zeros(B, layers[-1][0].shape[0], dtype=torch.float64)
    for t in range(T):
        h = x[t].double()
        for i, (w, b, beta, theta, rho, k) in enumerate(layers):
            th = theta + k * adapt[i]
            v = beta * mems[i] + h @ w.T + b
            s = (v - th > 0).double()
            mems[i] = v - s * th
            adapt[i] = rho * adapt[i] + s
            h = s
        counts += h
    return counts


def test_alif_net_matches_its_equations_and_exports_its_constants():
    from sc_neurocore.training import ALIFCell

    torch.manual_seed(4)
    model = SpikingNet(sizes=[6, 16, 4], neuron="alif", adapt_decay=[0.9, 0.8], adapt_strength=0.3, beta=0.8,
                       threshold=0.5).double()
    assert all(isinstance(c, ALIFCell) for c in model.lifs)
    with torch.no_grad():
        for fc in model.fcs:
            fc.weight.mul_(3.0)
    x = torch.rand(12, 5, 6, dtype=torch.float64)
    ref = alif_reference(model, x)
    assert float(ref.sum()) > 0
    assert torch.equal(model(x)[0], ref)
    q = model.to_quantized()
    assert [layer.neuron_params for layer in q.layers] == [{"adapt_decay_q": 230, "adapt_strength_q": 77},
                                                            {"adapt_decay_q": 205, "adapt_strength_q": 77}]
    assert model.hparams["neuron"] == "alif" and "alpha" not in model.hparams


# ------------------------------------------------------------------ Alpha neurons


def alpha_reference(model: SpikingNet, x: torch.Tensor):
    """Per-step loops from the documented equations: ``i_e = a_e i_e + relu(I)``, ``i_i = a_i i_i + relu(-I)``,
    ``v = beta v + i_e - i_i``, fire at ``theta`` and subtract it."""
    T, B, _ = x.shape
    layers = [(fc.weight.double(), fc.bias.double(), float(c.beta), float(c.threshold), float(c.alpha_exc),
               float(c.alpha_inh)) for fc, c in zip(model.fcs, model.lifs)]
    exc = [torch.zeros(B, w.shape[0], dtype=torch.float64) for w, *_ in layers]
    inh = [torch.zeros_like(e) for e in exc]
    mems = [torch.zeros_like(e) for e in exc]
    counts = torch.zeros(B, layers[-1][0].shape[0], dtype=torch.float64)
    for t in range(T):
        h = x[t].double()
        for i, (w, b, beta, theta, ae, ai) in enumerate(layers):
            cur = h @ w.T + b
            exc[i] = ae * exc[i] + cur.clamp(min=0)
            inh[i] = ai * inh[i] + (-cur).clamp(min=0)
            v = beta * mems[i] + exc[i] - inh[i]
            s = (v - theta > 0).double()
            mems[i] = v - s * theta
            h = s
        counts += h
    return counts


def test_alpha_net_matches_its_equations_and_exports_its_constants(tmp_path):
    from sc_neurocore.training import AlphaCell, load_checkpoint, save_checkpoint

    torch.manual_seed(4)
    model = SpikingNet(sizes=[6, 16, 4], neuron="alpha", alpha_exc=[0.9, 0.7], alpha_inh=0.5, beta=0.8,
                       threshold=0.5).double()
    assert all(isinstance(c, AlphaCell) for c in model.lifs)
    with torch.no_grad():
        for fc in model.fcs:
            fc.weight.mul_(3.0)
    x = torch.rand(12, 5, 6, dtype=torch.float64)
    ref = alpha_reference(model, x)
    assert float(ref.sum()) > 0
    assert torch.equal(model(x)[0], ref)
    q = model.to_quantized()
    assert [layer.neuron_params for layer in q.layers] == [{"alpha_exc_q": 230, "alpha_inh_q": 128},
                                                            {"alpha_exc_q": 179, "alpha_inh_q": 128}]
    assert model.hparams["neuron"] == "alpha" and model.hparams["alpha_exc"] == [0.9, 0.7]
    assert "alpha" not in model.hparams and "adapt_decay" not in model.hparams
    loaded, _ = load_checkpoint(save_checkpoint(model.float(), tmp_path / "alpha.pt"))
    assert loaded.neuron == "alpha" and [float(c.alpha_exc) for c in loaded.lifs] == pytest.approx([0.9, 0.7])


# ------------------------------------------------------------------ second-order LIF neurons


def second_order_reference(model: SpikingNet, x: torch.Tensor):
    """Per-step loops from the documented equations: ``a = alpha a + I - stiffness v_before``, ``v = beta v + a``,
    fire at ``theta`` and subtract it."""
    T, B, _ = x.shape
    layers = [(fc.weight.double(), fc.bias.double(), float(c.beta), float(c.threshold), float(c.alpha),
               float(c.stiffness)) for fc, c in zip(model.fcs, model.lifs)]
    inert = [torch.zeros(B, w.shape[0], dtype=torch.float64) for w, *_ in layers]
    mems = [torch.zeros_like(a) for a in inert]
    counts = torch.zeros(B, layers[-1][0].shape[0], dtype=torch.float64)
    for t in range(T):
        h = x[t].double()
        for i, (w, b, beta, theta, alpha, k) in enumerate(layers):
            inert[i] = alpha * inert[i] + h @ w.T + b - k * mems[i]
            v = beta * mems[i] + inert[i]
            s = (v - theta > 0).double()
            mems[i] = v - s * theta
            h = s
        counts += h
    return counts


def test_second_order_net_matches_its_equations_and_exports_its_constants():
    from sc_neurocore.training import SecondOrderLIFCell

    torch.manual_seed(4)
    model = SpikingNet(sizes=[6, 16, 4], neuron="second_order", alpha=[0.7, 0.9], stiffness=[0.3, 2.0], beta=0.8,
                       threshold=0.5).double()
    assert all(isinstance(c, SecondOrderLIFCell) for c in model.lifs)
    with torch.no_grad():
        for fc in model.fcs:
            fc.weight.mul_(3.0)
    x = torch.rand(12, 5, 6, dtype=torch.float64)
    ref = second_order_reference(model, x)
    assert float(ref.sum()) > 0
    assert torch.equal(model(x)[0], ref)
    q = model.to_quantized()
    assert [layer.neuron_params for layer in q.layers] == [{"alpha_q": 179, "stiffness_q": 77},
                                                            {"alpha_q": 230, "stiffness_q": 512}]
    assert model.hparams["neuron"] == "second_order" and model.hparams["stiffness"] == [0.3, 2.0]


# ------------------------------------------------------------------ ExpIF neurons


def expif_reference(model: SpikingNet, x: torch.Tensor):
    """Per-step loops from the documented equation: ``v = beta v + (1 - beta) delta_t exp((min(v, theta) -
    v_rheobase) / delta_t) + I``, fire at ``theta`` and subtract it."""
    import math

    T, B, _ = x.shape
    layers = [(fc.weight.double(), fc.bias.double(), float(c.beta), float(c.threshold), float(c.v_rheobase),
               float(c.delta_t)) for fc, c in zip(model.fcs, model.lifs)]
    mems = [torch.zeros(B, w.shape[0], dtype=torch.float64) for w, *_ in layers]
    counts = torch.zeros(B, layers[-1][0].shape[0], dtype=torch.float64)
    for t in range(T):
        h = x[t].double()
        for i, (w, b, beta, theta, r, d) in enumerate(layers):
            up = mems[i].clone().apply_(lambda m: math.exp((min(m, theta) - r) / d))  # noqa: B023
            v = beta * mems[i] + (1 - beta) * d * up + h @ w.T + b
            s = (v - theta > 0).double()
            mems[i] = v - s * theta
            h = s
        counts += h
    return counts


def test_expif_net_matches_its_equation_and_exports_its_constants():
    from sc_neurocore.training import ExpIFCell

    torch.manual_seed(4)
    model = SpikingNet(sizes=[6, 16, 4], neuron="expif", beta=[0.8, 0.95], threshold=0.5, v_rheobase=0.3,
                       delta_t=0.125).double()
    assert all(isinstance(c, ExpIFCell) for c in model.lifs)
    with torch.no_grad():
        for fc in model.fcs:
            fc.weight.mul_(3.0)
    x = torch.rand(12, 5, 6, dtype=torch.float64)
    with torch.no_grad():
        ref = expif_reference(model, x)
    assert float(ref.sum()) > 0
    assert torch.equal(model(x)[0], ref)
    q = model.to_quantized()
    assert [layer.neuron_params for layer in q.layers] == [{"v_rheobase_q": 77, "delta_t_q": 32}] * 2
    assert [layer.beta_q for layer in q.layers] == [205, 243]
    assert model.hparams["neuron"] == "expif" and model.hparams["delta_t"] == 0.125


def test_expif_sc_forward_has_gradients(digits):
    """Straight-through gradients reach the weights through the ExpIF drive."""
    from sc_neurocore.training import sc_forward

    x_tr, *_ = digits
    torch.manual_seed(1)
    model = SpikingNet(sizes=[64, 24, 10], neuron="expif")
    counts = sc_forward(model, torch.tensor(x_tr[:8]), 6, SCConfig(length=8))
    counts.sum().backward()
    assert all(fc.weight.grad is not None and fc.weight.grad.abs().sum() > 0 for fc in model.fcs)


# ------------------------------------------------------------------ AdEx neurons


def adex_reference(model: SpikingNet, x: torch.Tensor):
    """Per-step loops from the documented equations: ``v = beta v + (1 - beta) delta_t exp((min(v, theta) -
    v_rheobase) / delta_t) - w + I``, fire at ``theta`` and subtract it; ``w = adapt_decay w + (1 - adapt_decay) a
    v_prev + b s``."""
    import math

    T, B, _ = x.shape
    layers = [(fc.weight.double(), fc.bias.double(), float(c.beta), float(c.threshold), float(c.v_rheobase),
               float(c.delta_t), float(c.adapt_decay), float(c.a), float(c.b)) for fc, c in zip(model.fcs, model.lifs)]
    mems = [torch.zeros(B, w.shape[0], dtype=torch.float64) for w, *_ in layers]
    ws = [torch.zeros_like(m) for m in mems]
    counts = torch.zeros(B, layers[-1][0].shape[0], dtype=torch.float64)
    for t in range(T):
        h = x[t].double()
        for i, (w, b, beta, theta, r, d, rho, a, bb) in enumerate(layers):
            up = mems[i].clone().apply_(lambda m: math.exp((min(m, theta) - r) / d))  # noqa: B023
            v = beta * mems[i] + (1 - beta) * d * up - ws[i] + h @ w.T + b
            s = (v - theta > 0).double()
            ws[i] = rho * ws[i] + (1 - rho) * a * mems[i] + bb * s
            mems[i] = v - s * theta
            h = s
        counts += h
    return counts


def test_adex_net_matches_its_equations_and_exports_its_constants():
    from sc_neurocore.training import AdExCell

    torch.manual_seed(4)
    model = SpikingNet(sizes=[6, 16, 4], neuron="adex", beta=0.8, threshold=0.5, v_rheobase=0.3, delta_t=0.125,
                       adapt_decay=[0.9, 0.5], a=[0.5, -1.0], b=[0.2, 0.0]).double()
    assert all(isinstance(c, AdExCell) for c in model.lifs)
    with torch.no_grad():
        for fc in model.fcs:
            fc.weight.mul_(3.0)
    x = torch.rand(12, 5, 6, dtype=torch.float64)
    with torch.no_grad():
        ref = adex_reference(model, x)
    assert float(ref.sum()) > 0
    assert torch.equal(model(x)[0], ref)
    q = model.to_quantized()
    assert [layer.neuron_params for layer in q.layers] == [
        {"v_rheobase_q": 77, "delta_t_q": 32, "adapt_decay_q": 230, "a_q": 128, "b_q": 51},
        {"v_rheobase_q": 77, "delta_t_q": 32, "adapt_decay_q": 128, "a_q": -256, "b_q": 0}]


# ------------------------------------------------------------------ every kind: SC fine-tuning's forward == the NumPy SC model

#: Per neuron kind of ``sc.contract.NEURONS``: the net's keyword arguments and a check that the run reached the
#: kind's own state (so that the comparison below is not one of two LIF nets).
SC_FORWARD_CASES = {
    "lif": (dict(), lambda tr, model: True),
    "synaptic": (dict(alpha=0.7), lambda tr, model: tr.states[0]["i_syn"].any()),
    "alif": (dict(adapt_strength=0.5), lambda tr, model: tr.states[0]["a"].any()),
    "alpha": (dict(alpha_exc=0.8, alpha_inh=0.6),
              lambda tr, model: tr.states[0]["i_exc"].any() and tr.states[0]["i_inh"].any()),
    "second_order": (dict(alpha=0.7, stiffness=0.3), lambda tr, model: (tr.states[0]["a"] < 0).any()),
    # the upstroke's part of the exp table is read
    "expif": (dict(), lambda tr, model: (tr.membranes[0] > int(model.lifs[0].v_rheobase * 256)).any()),
    "adex": (dict(a=0.5, b=0.2), lambda tr, model: (tr.states[0]["w"] < 0).any()),
}


def test_sc_forward_cases_cover_every_neuron_kind():
    from sc_neurocore.sc.contract import NEURONS

    assert sorted(SC_FORWARD_CASES) == sorted(NEURONS)


@pytest.mark.parametrize("cfg", [SCConfig(length=16), SCConfig(length=5, rng="lfsr", seed=3)])
@pytest.mark.parametrize("neuron", list(SC_FORWARD_CASES))
def test_sc_forward_equals_scnetwork_for_every_kind(digits, neuron, cfg):
    """The quantised forward of SC fine-tuning (integers in torch; ExpIF's table in int64 torch) is the NumPy SC
    model: the same output counts, integer for integer, on digits, after a short training so that the net spikes."""
    from sc_neurocore.sc.network import SCNetwork
    from sc_neurocore.training import sc_forward, train_epoch

    kwargs, reached_own_state = SC_FORWARD_CASES[neuron]
    x_tr, x_te, y_tr, _ = digits
    torch.manual_seed(0)
    model = SpikingNet(sizes=[64, 24, 10], neuron=neuron, **kwargs)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(x_tr[:512]),
                                                                        torch.tensor(y_tr[:512])), batch_size=64)
    train_epoch(model, loader, opt, 10, progress=False)
    x = x_te[:40]
    with torch.no_grad():
        counts = sc_forward(model, torch.tensor(x), 10, cfg).numpy().astype(np.int64)
    tr = SCNetwork.from_spiking_net(model, cfg).run(x, 10)
    assert tr.spikes[0].sum() > 0 and tr.counts.sum() > 0 and reached_own_state(tr, model)
    np.testing.assert_array_equal(counts, tr.counts)
