import math

import pytest
import torch
from sc_neurocore.training import (
    LIFCell,
    atan_surrogate,
    fast_sigmoid,
    lif_compiled,
    lif_sequence,
    native,
    superspike,
)
from sc_neurocore.training import lif_kernel as K


@pytest.fixture(params=["native", "numpy", "torch", "device-eager"])
def backend(request, monkeypatch):
    """Each CPU backend of the step loops (the compiled one when a C compiler is present), and the device
    path's loops run eagerly (``tests/training/test_lif_compiled.py`` holds them compiled to these)."""
    if request.param == "native" and native.library() is None:
        pytest.skip(f"native loops {native.status}")
    if request.param == "device-eager":
        monkeypatch.setattr(K, "BACKEND", "compiled")
        monkeypatch.setattr(lif_compiled, "_compile_wanted", lambda: False)
        monkeypatch.setattr(lif_compiled, "_functions", {})
        monkeypatch.setattr(lif_compiled, "status", lif_compiled.status)
    else:
        monkeypatch.setattr(K, "BACKEND", request.param)
    return request.param


def test_hand_trace_constant_current(backend):
    # beta = 0.5, theta = 1, I = 0.6 every step (float64 hand arithmetic)
    u, v, spikes, mems = 0.0, 0.0, [], []
    for _ in range(6):
        u = 0.5 * v + 0.6
        s = 1.0 if u > 1.0 else 0.0
        v = u - s * 1.0
        spikes.append(s)
        mems.append(v)
    assert spikes == [0.0, 0.0, 1.0, 0.0, 0.0, 1.0]  # 0.6, 0.9, 1.05 -> spike, ...
    s_out, v_out = lif_sequence(torch.full((1,), 0.6, dtype=torch.float64), 0.5, 1.0, atan_surrogate, steps=6)
    assert s_out[:, 0].tolist() == spikes
    assert v_out[:, 0].tolist() == pytest.approx(mems, abs=1e-15)


def test_threshold_is_strict(backend):
    s, v = lif_sequence(torch.tensor([[1.0, 1.0 + 2**-20]]), 0.9, 1.0, atan_surrogate)
    assert s.tolist() == [[0.0, 1.0]]


def test_hand_gradient_two_steps(backend):
    # u0 = I0, u1 = beta*u0 + I1 (no spike at t=0); L = s1 -> dL/dI0 = beta * sg(u1 - theta), dL/dI1 = sg(u1 - theta)
    beta, theta = 0.8, 1.0
    current = torch.tensor([[0.5], [0.7]], dtype=torch.float64, requires_grad=True)
    s, _ = lif_sequence(current, beta, theta, superspike)
    s[1].sum().backward()
    u1 = beta * 0.5 + 0.7
    sg = 1 / (1 + 10 * abs(u1 - theta)) ** 2
    sg0 = 1 / (1 + 10 * abs(0.5 - theta)) ** 2
    assert current.grad[:, 0].tolist() == pytest.approx([beta * sg, sg], rel=1e-12)
    current.grad = None
    s, _ = lif_sequence(current, beta, theta, superspike)
    s[0].sum().backward()
    assert current.grad[:, 0].tolist() == pytest.approx([sg0, 0.0])


def _run(cell, current, v0, steps):
    out = cell.sequence(current, cell.State(v0), steps=steps)
    return out[0], out[1]


@pytest.mark.parametrize("const", [False, True], ids=["sequence", "constant"])
@pytest.mark.parametrize("learn", [False, True], ids=["fixed", "learnable"])
@pytest.mark.parametrize("loss_on", ["spikes", "membranes", "both"])
def test_fused_equals_generic_autograd(backend, const, learn, loss_on):
    torch.manual_seed(3)
    T, shape = 9, (4, 6)
    current = (torch.randn(*shape) if const else torch.randn(T, *shape)).double().mul(0.8).requires_grad_()
    v0 = (torch.rand(*shape) * 0.5).double().requires_grad_()
    kwargs = dict(beta=0.85, threshold=0.7, learn_beta=learn, learn_threshold=learn)
    fused = LIFCell(surrogate_fn=atan_surrogate, **kwargs).double()
    generic = LIFCell(surrogate_fn=lambda x: atan_surrogate(x), **kwargs).double()  # a plain callable
    steps = T if const else None
    s_f, v_f = _run(fused, current, v0, steps)
    s_g, v_g = _run(generic, current, v0, steps)
    assert torch.equal(s_f, s_g)
    torch.testing.assert_close(v_f, v_g, rtol=0, atol=1e-12)
    ws, wv = torch.randn_like(s_f), torch.randn_like(v_f)

    def loss(s, v):
        return {"spikes": (s * ws).sum(), "membranes": (v * wv).sum(), "both": (s * ws).sum() + (v * wv).sum()}[loss_on]

    inputs_f = [current, v0] + ([fused.beta, fused.threshold] if learn else [])
    inputs_g = [current, v0] + ([generic.beta, generic.threshold] if learn else [])
    grads_f = torch.autograd.grad(loss(s_f, v_f), inputs_f)
    grads_g = torch.autograd.grad(loss(s_g, v_g), inputs_g)
    for gf, gg in zip(grads_f, grads_g):
        torch.testing.assert_close(gf, gg, rtol=1e-10, atol=1e-10)
    assert float(grads_f[0].abs().sum()) > 0


def test_constant_current_only_gradient_shortcut(backend):
    # no v0 and fixed parameters: the weighted-sum shortcut, against the generic loop
    torch.manual_seed(0)
    current = torch.randn(5, 7, dtype=torch.float64, requires_grad=True)
    fused = LIFCell(0.9, 1.0, atan_surrogate).double()
    generic = LIFCell(0.9, 1.0, lambda x: atan_surrogate(x)).double()
    s1, v1, _ = fused.sequence(current, steps=25)
    s2, v2, _ = generic.sequence(current, steps=25)
    g1 = torch.autograd.grad(s1.sum() + 0.1 * v1.sum(), current)[0]
    g2 = torch.autograd.grad(s2.sum() + 0.1 * v2.sum(), current)[0]
    torch.testing.assert_close(g1, g2, rtol=1e-10, atol=1e-10)


def test_prefix_weights_closed_form():
    w = K._prefix_weights(0.9, 5, torch.zeros(1, dtype=torch.float64))
    assert w.tolist() == pytest.approx([(1 - 0.9 ** (k + 1)) / (1 - 0.9) for k in range(5)])
    assert K._prefix_weights(1.0, 3, torch.zeros(1)).tolist() == [1.0, 2.0, 3.0]


def test_errors():
    with pytest.raises(TypeError, match="Surrogate"):
        lif_sequence(torch.zeros(2, 3), 0.9, 1.0, lambda x: x)
    with pytest.raises(TypeError, match="floating-point"):
        lif_sequence(torch.zeros(2, 3, dtype=torch.long), 0.9, 1.0, atan_surrogate)
    with pytest.raises(ValueError, match="v0"):
        lif_sequence(torch.zeros(2, 3), 0.9, 1.0, atan_surrogate, v0=torch.zeros(2))
    with pytest.raises(ValueError, match="steps"):
        lif_sequence(torch.zeros(3), 0.9, 1.0, atan_surrogate, steps=0)
    with pytest.raises(ValueError, match="scalar"):
        lif_sequence(torch.zeros(2, 3), torch.tensor([0.9, 0.8]), 1.0, atan_surrogate)
    assert math.isfinite(float(lif_sequence(torch.ones(1, 1), 0.9, 1.0, atan_surrogate)[1].sum()))


def test_backends_agree_bit_for_bit_in_float32(monkeypatch):
    """The compiled loop does the generic cell's arithmetic (separate multiply and add): same bits."""
    if native.library() is None:
        pytest.skip(f"native loops {native.status}")
    torch.manual_seed(5)
    current = torch.randn(30, 16, 33) * 0.7
    v0 = torch.rand(16, 33)
    results = {}
    for backend in ("native", "numpy"):
        monkeypatch.setattr(K, "BACKEND", backend)
        results[backend] = lif_sequence(current, 0.93, 0.8, atan_surrogate, v0=v0)
    assert torch.equal(results["native"][0], results["numpy"][0])
    assert torch.equal(results["native"][1], results["numpy"][1])
    assert float(results["native"][0].sum()) > 0


@pytest.mark.parametrize("surrogate", [atan_surrogate, fast_sigmoid.with_params(slope=7.0), superspike])
@pytest.mark.parametrize("case", ["counts", "sequence", "constant-shortcut", "learnable-v0", "membranes"])
def test_compiled_backward_equals_torch_bit_for_bit(monkeypatch, surrogate, case):
    """The compiled backward (the surrogate, the products, the sums and the recurrence in one pass) gives the
    torch operations' gradients bit for bit in float32 -- for each surrogate it knows, a gradient broadcast over
    the steps (``counts = s.sum(0)``), a constant current's weighted-sum shortcut, learnable beta / theta with a
    v0 (the path that keeps ``c``), and a loss on the membranes too; and it runs without ``surrogate.grad``."""
    if native.library() is None:
        pytest.skip(f"native loops {native.status}")
    torch.manual_seed(11)
    T, shape = 13, (8, 21)
    const = case == "constant-shortcut"
    base = torch.randn(*shape) if const else torch.randn(T, *shape)
    v0 = torch.rand(*shape) * 0.5 if case == "learnable-v0" else None
    ws, wv = torch.randn(T, *shape), torch.randn(T, *shape)

    def grads(backend, sg):
        monkeypatch.setattr(K, "BACKEND", backend)
        current = (base * 0.9).requires_grad_()
        beta = torch.tensor(0.87, dtype=torch.float64, requires_grad=case == "learnable-v0")
        theta = torch.tensor(0.75, dtype=torch.float64, requires_grad=case == "learnable-v0")
        start = None if v0 is None else v0.clone().requires_grad_()
        s, v = lif_sequence(current, beta, theta, sg, v0=start, steps=T if const else None)
        loss = {"counts": lambda: (s.sum(0) * ws[0]).sum()}.get(case, lambda: (s * ws).sum())()
        if case == "membranes":
            loss = loss + (v * wv).sum()
        wanted = [current] + ([beta, theta, start] if case == "learnable-v0" else [])
        return torch.autograd.grad(loss, wanted)

    reference = grads("numpy", surrogate)  # the torch operations (surrogate.grad, then the recurrence)
    blind = surrogate.with_params()

    def no_torch_grad(x):
        raise AssertionError("the compiled backward called surrogate.grad")

    blind.grad = no_torch_grad
    compiled = grads("native", blind)
    assert len(compiled) == len(reference)
    for got, want in zip(compiled, reference):
        assert got.dtype == want.dtype and torch.equal(got, want)
    assert float(reference[0].abs().sum()) > 0


def test_inference_skips_the_autograd_node():
    current = torch.rand(4, 5, requires_grad=True)
    s, v = lif_sequence(current, 0.9, 0.5, atan_surrogate, steps=6)
    assert s.grad_fn is not None
    with torch.no_grad():
        s2, v2 = lif_sequence(current, 0.9, 0.5, atan_surrogate, steps=6)
    assert s2.grad_fn is None and torch.equal(s2, s) and torch.equal(v2, v)


def test_unknown_backend(monkeypatch):
    monkeypatch.setattr(K, "BACKEND", "gpu-magic")
    with pytest.raises(ValueError, match="BACKEND"):
        lif_sequence(torch.rand(2, 3), 0.9, 1.0, atan_surrogate)
