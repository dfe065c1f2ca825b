"""``SpikingNet(recurrent=True)``: recurrent LIF hidden layers, their float dynamics, gradients, export and checkpoint."""

from fractions import Fraction

import numpy as np
import pytest
import torch
from sc_neurocore.sc.contract import SCConfig
from sc_neurocore.training import LIFCell, RecurrentLIFCell, SpikingNet, atan_surrogate


def recurrent_reference(model: SpikingNet, x: torch.Tensor, reset: str):
    """Per-step loops of the documented equations (float64): in a hidden layer ``v = beta v + W x + b + W_rec
    s_prev``, ``s = H(v - theta)``, then the reset; the output layer without ``W_rec``.  Spikes through
    ``atan_surrogate`` so that autograd gives the surrogate gradient (its forward is ``H``)."""
    T, B, _ = x.shape
    n = len(model.fcs)
    mems = [torch.zeros(B, fc.out_features, dtype=torch.float64) for fc in model.fcs]
    prev = [torch.zeros(B, fc.out_features, dtype=torch.float64) for fc in model.fcs]
    spikes = [[] for _ in range(n)]
    for t in range(T):
        h = x[t].double()
        for i, (fc, lif) in enumerate(zip(model.fcs, model.lifs)):
            beta, theta = float(lif.beta), float(lif.threshold)
            v = beta * mems[i] + h @ fc.weight.double().T + fc.bias.double()
            if i < n - 1:
                v = v + prev[i] @ lif.recurrent.weight.double().T
            s = atan_surrogate(v - theta)
            sd = s.detach()
            mems[i] = {"subtract": v - sd * theta, "zero": v - sd * v, "subtract-delayed": v - sd * theta / beta}[reset]
            prev[i] = s
            spikes[i].append(s)
            h = s
    return [torch.stack(s) for s in spikes], mems


def _net(reset="subtract", seed=2, scale=3.0):
    torch.manual_seed(seed)
    model = SpikingNet(sizes=[6, 7, 5, 3], beta=0.8, threshold=0.5, reset=reset, recurrent=True).double()
    with torch.no_grad():
        for fc in model.fcs:
            fc.weight.mul_(scale)
        for lif in model.lifs[:-1]:
            lif.recurrent.weight.copy_(torch.randn_like(lif.recurrent.weight))  # strong recurrence, both signs
    return model


@pytest.mark.parametrize("reset", ["subtract", "zero", "subtract-delayed"])
@pytest.mark.parametrize("static", [True, False])
def test_recurrent_net_matches_the_documented_loop(reset, static):
    model = _net(reset)
    assert [type(lif) for lif in model.lifs] == [RecurrentLIFCell, RecurrentLIFCell, LIFCell]
    x = torch.rand(12, 4, 6, dtype=torch.float64)
    if static:
        x = x[0].unsqueeze(0).expand(12, 4, 6)
    traces = model.run(x)
    ref_spikes, _ = recurrent_reference(model, x, reset)
    for (spikes, _), ref in zip(traces, ref_spikes):
        assert torch.equal(spikes, ref)
    # the recurrence matters here: without W_rec the same net spikes differently (so the check can fail)
    with torch.no_grad():
        for lif in model.lifs[:-1]:
            lif.recurrent.weight.zero_()
    assert any(not torch.equal(a[0], b) for a, b in zip(model.run(x), ref_spikes))
    assert all(float(s.detach().sum()) > 0 for s in ref_spikes)


def test_the_layer_is_recurrent_lif_cell_stepped_by_hand():
    """The net's hidden layer equals a RecurrentLIFCell of the same constants and W_rec, called one step at a time."""
    model = _net(seed=4)
    x = torch.rand(10, 3, 6, dtype=torch.float64)
    cell = RecurrentLIFCell(7, beta=0.8, threshold=0.5).double()
    with torch.no_grad():
        cell.recurrent.weight.copy_(model.lifs[0].recurrent.weight)
    with torch.no_grad():
        cur = model.fcs[0](x)
        state, spikes, mems = None, [], []
        for t in range(10):
            s, state = cell(cur[t], state)
            spikes.append(s)
            mems.append(state.v)
        got_s, got_v = model.run(x)[0]
    assert float(got_s.sum()) > 0
    assert torch.equal(got_s, torch.stack(spikes)) and torch.equal(got_v, torch.stack(mems))


def test_gradients_reach_w_rec_and_equal_the_loop_s():
    x = torch.rand(9, 4, 6, dtype=torch.float64)
    model = _net(seed=6, scale=2.0)
    counts, _ = model(x)
    (counts * torch.arange(1.0, 4.0, dtype=torch.float64)).sum().backward()
    grads = [lif.recurrent.weight.grad.clone() for lif in model.lifs[:-1]]
    model.zero_grad()
    ref_spikes, _ = recurrent_reference(model, x, "subtract")
    (ref_spikes[-1].sum(0) * torch.arange(1.0, 4.0, dtype=torch.float64)).sum().backward()
    for g, lif in zip(grads, model.lifs[:-1]):
        assert g.abs().sum() > 0
        torch.testing.assert_close(g, lif.recurrent.weight.grad, rtol=1e-10, atol=1e-12)


def test_w_rec_starts_at_zero_and_draws_no_random_number():
    """W_rec starts at 0: the net starts as the LIF net of the same seed, and the generator is where that net leaves
    it (the same batches follow); a zero W_rec still gets a gradient once the layer spikes."""
    torch.manual_seed(0)
    lif = SpikingNet(64, 16, 10)
    after_lif = torch.rand(3)
    torch.manual_seed(0)
    rec = SpikingNet(64, 16, 10, recurrent=True)
    assert torch.equal(torch.rand(3), after_lif)
    assert all(torch.equal(a, b) for a, b in zip(lif.fcs.parameters(), rec.fcs.parameters()))
    assert not rec.lifs[0].recurrent.weight.any()
    x = torch.rand(8, 64)
    assert torch.equal(lif.forward_static(x, 10)[0], rec.forward_static(x, 10)[0])
    with torch.no_grad():
        rec.fcs[0].weight.mul_(4.0)
    rec.forward_static(x, 10)[0].sum().backward()
    assert rec.lifs[0].recurrent.weight.grad.abs().sum() > 0


@pytest.mark.parametrize(("kwargs", "exc", "text"), [
    (dict(neuron="synaptic"), ValueError, "not with neuron='synaptic'; use neuron='lif'"),
    (dict(neuron="alif"), ValueError, "RecurrentLIFCell"),
    (dict(recurrent=1), TypeError, "recurrent must be a bool"),
])
def test_recurrent_errors(kwargs, exc, text):
    kwargs.setdefault("recurrent", True)
    with pytest.raises(exc, match=text):
        SpikingNet(sizes=[5, 4, 3], **kwargs)


def test_a_net_without_hidden_layer_cannot_be_recurrent():
    with pytest.raises(ValueError, match="has none: give at least one hidden layer"):
        SpikingNet(sizes=[5, 3], recurrent=True)


def _codes(w: np.ndarray, s: Fraction, q: int, factor: Fraction) -> np.ndarray:
    """``round_half_up(q |w| factor / s) sign(w)`` in exact fractions (docs/sc-arithmetic.md section 14)."""
    out = np.zeros(w.shape, dtype=np.int64)
    for idx, value in np.ndenumerate(w):
        mag = Fraction(abs(float(value))) * q * factor / s
        out[idx] = (mag + Fraction(1, 2)).__floor__() * (-1 if value < 0 else 1)
    return out


@pytest.mark.parametrize("input_kind", ["prob", "spike"])
def test_to_quantized_carries_w_rec_under_the_layer_s_scale(input_kind):
    model = _net(seed=8, scale=0.3).float()  # W_rec (randn) is the larger: it sets the scale
    cfg = SCConfig()
    q, big_p = cfg.prob_max, 1 << cfg.prob_bits
    qnet = model.to_quantized(cfg, input_kind=input_kind)
    assert [layer.recurrent for layer in qnet.layers] == [True, True, False]
    assert qnet.layers[-1].recurrent_q is None
    for i, (fc, layer) in enumerate(zip(model.fcs[:-1], qnet.layers)):
        w = fc.weight.detach().numpy()
        w_rec = model.lifs[i].recurrent.weight.detach().numpy()
        s = Fraction(float(max(np.abs(w).max(), np.abs(w_rec).max())))
        assert np.abs(w_rec).max() > np.abs(w).max()
        np.testing.assert_array_equal(layer.weight_q, _codes(w, s, q, Fraction(1)))
        # a spike into a probability layer (the first, with prob inputs) counts P/Q of a code-Q input
        factor = Fraction(q, big_p) if i == 0 and input_kind == "prob" else Fraction(1)
        np.testing.assert_array_equal(layer.recurrent_q, _codes(w_rec, s, q, factor))
        assert np.abs(layer.recurrent_q).max() >= q - 1


def test_a_plain_net_exports_no_recurrent_layer_and_keeps_its_hparams():
    model = SpikingNet(sizes=[5, 4, 3])
    assert "recurrent" not in model.hparams  # the checkpoints of feedforward nets are unchanged
    assert not any(layer.recurrent for layer in model.to_quantized().layers)


def test_checkpoint_round_trip(tmp_path):
    from sc_neurocore.training import load_checkpoint, save_checkpoint

    model = _net(seed=9).float()
    loaded, _ = load_checkpoint(save_checkpoint(model, tmp_path / "rec.pt"))
    assert loaded.recurrent and loaded.hparams["recurrent"] is True
    assert [type(lif) for lif in loaded.lifs] == [RecurrentLIFCell, RecurrentLIFCell, LIFCell]
    for a, b in zip(model.lifs[:-1], loaded.lifs[:-1]):
        assert torch.equal(a.recurrent.weight, b.recurrent.weight) and a.recurrent.weight.any()
    x = torch.rand(8, 3, 6)
    assert all(torch.equal(a, b) for a, b in zip(model(x), loaded(x)))
    for la, lb in zip(model.to_quantized().layers, loaded.to_quantized().layers):
        assert (la.recurrent_q is None and lb.recurrent_q is None) or np.array_equal(la.recurrent_q, lb.recurrent_q)


def test_the_nir_export_refuses_a_recurrent_net():
    pytest.importorskip("nir")
    from sc_neurocore.nir import to_nir

    model = _net().float()
    for net in (model, model.to_quantized()):
        with pytest.raises(ValueError, match="recurrent layers"):
            to_nir(net)


# ------------------------------------------------------------------ a trained net down the chain


@pytest.fixture(scope="module")
def trained_recurrent_net(digits):
    """SpikingNet(64, 32, 10, recurrent=True) trained 4 epochs on digits, seed 0, T = 25, one thread."""
    from sc_neurocore.training import train_epoch

    x_tr, _, y_tr, _ = digits
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(0)
        model = SpikingNet(64, 32, 10, recurrent=True)
        opt = torch.optim.Adam(model.parameters(), lr=2e-3)
        g = torch.Generator().manual_seed(0)
        ds = torch.utils.data.TensorDataset(torch.tensor(x_tr), torch.tensor(y_tr))
        loader = torch.utils.data.DataLoader(ds, batch_size=64, shuffle=True, generator=g)
        for _ in range(4):
            train_epoch(model, loader, opt, 25, progress=False)
    finally:
        torch.set_num_threads(threads)
    return model.eval()


def test_trained_net_fixed_point_and_sc_accuracy_close_to_float(trained_recurrent_net, digits):
    """On the 360 test images (seed 0): float >= 90 %, the fixed-point and SC (L = 16, Sobol) models within 3
    points of it; the learnt W_rec is not negligible against W (it has codes up to at least 10 % of the scale)."""
    from sc_neurocore.sc.network import FixedPointNetwork, SCNetwork

    model = trained_recurrent_net
    _, x_te, _, y_te = digits
    with torch.no_grad():
        counts, _ = model.forward_static(torch.tensor(x_te), 25)
    float_acc = float((counts.argmax(1).numpy() == y_te).mean())
    qnet = model.to_quantized(SCConfig())
    assert np.abs(qnet.layers[0].recurrent_q).max() >= 0.1 * SCConfig().prob_max
    fixed_acc = float((FixedPointNetwork.from_quantized(qnet).run(x_te, 25, trace=False).prediction == y_te).mean())
    sc_acc = float((SCNetwork.from_quantized(qnet).run(x_te, 25, trace=False).prediction == y_te).mean())
    assert float_acc >= 0.90
    assert abs(fixed_acc - float_acc) <= 0.03 and abs(sc_acc - float_acc) <= 0.03, (float_acc, fixed_acc, sc_acc)


@pytest.mark.parametrize("cfg", [SCConfig(length=16), SCConfig(length=5, rng="lfsr", seed=3)])
def test_sc_forward_equals_scnetwork(trained_recurrent_net, digits, cfg):
    """SC-aware fine-tuning's forward of a recurrent net is the NumPy SC model, integer for integer."""
    from sc_neurocore.sc.network import SCNetwork
    from sc_neurocore.training import sc_forward

    x = digits[1][:40]
    with torch.no_grad():
        counts = sc_forward(trained_recurrent_net, torch.tensor(x), 10, cfg).numpy().astype(np.int64)
    tr = SCNetwork.from_spiking_net(trained_recurrent_net, cfg).run(x, 10)
    assert tr.spikes[0].sum() > 0 and tr.counts.sum() > 0
    np.testing.assert_array_equal(counts, tr.counts)


def test_sc_forward_gradients_reach_w_rec(trained_recurrent_net, digits):
    import copy

    from sc_neurocore.training import sc_forward

    model = copy.deepcopy(trained_recurrent_net)
    counts = sc_forward(model, torch.tensor(digits[0][:8]), 6, SCConfig(length=8))
    torch.nn.functional.cross_entropy(counts.float(), torch.tensor(digits[2][:8])).backward()
    grad = model.lifs[0].recurrent.weight.grad
    assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0
