"""The whole-net node (``training/net_kernel.py``) against the per-layer path: the same values bit for bit, and it
runs only where it applies."""

import pytest
import torch
from sc_neurocore.training import (
    SpikingNet,
    atan_surrogate,
    fast_sigmoid,
    lif_kernel,
    native,
    net_kernel,
    sigmoid_surrogate,
    superspike,
)

F = torch.nn.functional

pytestmark = pytest.mark.skipif(native.library() is None, reason=f"native loops {native.status}")


def _per_layer(monkeypatch):
    monkeypatch.setattr(net_kernel, "applies", lambda *args: False)


def _data(kind, dtype, T=7, B=5, n=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    image = torch.rand(B, n, generator=g, dtype=dtype)
    if kind == "static":
        return image.unsqueeze(0).expand(T, B, n)
    if kind == "repeated":  # the peers' input: a contiguous copy, found static by its values
        return image.unsqueeze(0).repeat(T, 1, 1)
    return (torch.rand(T, B, n, generator=g, dtype=dtype) < image).to(dtype)


def _step(net, x, y, loss_on):
    counts, mem = net(x)
    loss = {"counts": lambda: F.cross_entropy(counts, y),
            "membranes": lambda: (mem * torch.linspace(-1, 1, mem.shape[1], dtype=mem.dtype)).sum(),
            "both": lambda: F.cross_entropy(counts, y) + 0.05 * mem.pow(2).mean()}[loss_on]()
    loss.backward()
    return counts, mem


def _net(dtype, **kwargs):
    torch.manual_seed(3)
    kwargs.setdefault("sizes", [12, 16, 9, 4])
    return SpikingNet(**kwargs).to(dtype)


CASES = [
    dict(),
    dict(beta=[0.95, 0.8, 0.7], threshold=[1.0, 0.6, 0.45]),
    dict(bias=False),
    dict(sizes=[12, 4]),
    dict(sizes=[12, 20, 20, 20, 3], surrogate_fn=fast_sigmoid.with_params(slope=4.0)),
    dict(surrogate_fn=superspike.with_params(beta=3.0)),
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kind", ["static", "repeated", "sequence"])
@pytest.mark.parametrize("loss_on", ["counts", "membranes", "both"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_equals_the_per_layer_path_bit_for_bit(monkeypatch, dtype, kind, loss_on, case):
    # thresholds low enough that every layer spikes on these inputs (checked below), so every gradient is exercised
    kwargs = dict(CASES[case])
    kwargs.setdefault("threshold", 0.3)
    x = _data(kind, dtype)
    y = torch.arange(x.shape[1]) % (kwargs.get("sizes") or [0, 4])[-1]
    net = _net(dtype, **kwargs)
    counts, mem = _step(net, x, y, loss_on)
    assert type(counts.grad_fn).__name__ == "_NetBackward"
    got = [counts, mem, *(p.grad for p in net.parameters())]
    _per_layer(monkeypatch)
    ref_net = _net(dtype, **kwargs)
    counts_r, mem_r = _step(ref_net, x, y, loss_on)
    assert type(counts_r.grad_fn).__name__ != "_NetBackward"
    want = [counts_r, mem_r, *(p.grad for p in ref_net.parameters())]
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)
    with torch.no_grad():
        hidden = [s.sum() for s, _ in ref_net.run(x)]
    assert all(float(h) > 0 for h in hidden), hidden  # every layer fired: the comparison covers each one
    assert all(float(g.abs().sum()) > 0 for g in want[2::2 if kwargs.get("bias", True) else 1])


def test_training_steps_give_the_same_weights(monkeypatch):
    """Five Adam steps on four batches: the weights equal the per-layer path's bit for bit."""
    def train():
        net = _net(torch.float32, sizes=[12, 16, 4], threshold=0.4)
        opt = torch.optim.Adam(net.parameters(), lr=0.05)
        for seed in range(5):
            x = _data("static", torch.float32, seed=seed)
            y = torch.arange(x.shape[1]) % 4
            opt.zero_grad()
            _step(net, x, y, "counts")
            opt.step()
        return [p.detach().clone() for p in net.parameters()]

    fused = train()
    _per_layer(monkeypatch)
    reference = train()
    start = [p.detach() for p in _net(torch.float32, sizes=[12, 16, 4]).parameters()]
    assert all(torch.equal(a, b) for a, b in zip(fused, reference))
    assert not all(torch.equal(a, b) for a, b in zip(fused, start))  # training moved them


@pytest.mark.parametrize("why", ["learn_beta", "learn_threshold", "recurrent", "synaptic", "zero reset",
                                 "sigmoid surrogate", "plain callable", "hook", "no grad", "input grad",
                                 "numpy backend", "autocast"])
def test_other_nets_take_the_per_layer_path(monkeypatch, why):
    kwargs = {"learn_beta": dict(learn_beta=True), "learn_threshold": dict(learn_threshold=True),
              "recurrent": dict(recurrent=True), "synaptic": dict(neuron="synaptic"),
              "zero reset": dict(reset="zero"), "sigmoid surrogate": dict(surrogate_fn=sigmoid_surrogate),
              "plain callable": dict(surrogate_fn=lambda v: atan_surrogate(v))}.get(why, {})
    net = _net(torch.float32, threshold=0.3, **kwargs)
    x = _data("static", torch.float32)
    assert net_kernel.applies(net.fcs, net.lifs, x) == (why in ("hook", "no grad", "input grad", "numpy backend",
                                                                 "autocast"))
    if why == "hook":
        net.fcs[1].register_forward_hook(lambda module, args, out: out * 2)
    if why == "input grad":
        x = x.detach().clone().requires_grad_()
    if why == "numpy backend":
        monkeypatch.setattr(lif_kernel, "BACKEND", "numpy")
    with torch.set_grad_enabled(why != "no grad"), torch.autocast("cpu", enabled=why == "autocast"):
        assert not net_kernel.applies(net.fcs, net.lifs, x)
        counts, _ = net(x)
    assert counts.grad_fn is None or type(counts.grad_fn).__name__ != "_NetBackward"
    if why == "hook":  # the hook ran: the per-layer path calls the module
        _per_layer(monkeypatch)
        assert torch.equal(counts, net(x)[0])


def test_bad_input_is_refused_as_before():
    net = _net(torch.float32)
    with pytest.raises(ValueError, match="shape"):
        net(torch.zeros(3, 2, 5))
    with pytest.raises(ValueError, match="NaN|nan|finite"):
        net(torch.full((3, 2, 12), float("nan")))
