"""The convolution of spikes: its forward is a plain (c, ky, kx)-ordered sum bit for bit, conv2d's to rounding;
its gradients are conv2d's (the input's bit for bit, the kernel's and bias's to one float32 rounding)."""

import pytest
import torch
from sc_neurocore.training import ConvSpikingNet, native, networks
from sc_neurocore.training import spike_conv as SC

F = torch.nn.functional

needs_native = pytest.mark.skipif(native.library() is None, reason=f"native loops {native.status}")


def _sparse(shape, density, gen, dtype, binary=True):
    x = (torch.rand(shape, generator=gen) < density).to(dtype)
    return x if binary else x * torch.randn(shape, generator=gen, dtype=dtype)


def _ordered_sum(x, w, b, pad):
    """The documented arithmetic, written out: acc = +0, then acc + x*w term by term in (c, ky, kx) order, then
    + bias (an independent reference: torch element-wise ops, no convolution routine)."""
    n, c_in, h, wd = x.shape
    c_out, k = w.shape[0], w.shape[-1]
    xp = F.pad(x, (pad, pad, pad, pad))
    ho, wo = h + 2 * pad - k + 1, wd + 2 * pad - k + 1
    acc = torch.zeros((n, c_out, ho, wo), dtype=x.dtype)
    for c in range(c_in):
        for ky in range(k):
            for kx in range(k):
                acc = acc + xp[:, c : c + 1, ky : ky + ho, kx : kx + wo] * w[:, c, ky, kx].view(1, c_out, 1, 1)
    return acc if b is None else acc + b.view(1, c_out, 1, 1)


def _bits(t):
    return t.view(torch.int32 if t.dtype == torch.float32 else torch.int64)


@needs_native
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(
    ("shape", "c_out", "k", "pad"),
    [((3, 4, 9, 7), 5, 3, 0), ((2, 3, 6, 6), 20, 5, 2), ((2, 2, 4, 5), 3, 3, 1), ((1, 1, 5, 5), 17, 5, 0)],
)
@pytest.mark.parametrize("binary", [True, False], ids=["spikes", "values"])
@pytest.mark.parametrize("bias", [True, False])
def test_forward_is_the_ordered_sum(dtype, shape, c_out, k, pad, binary, bias):
    g = torch.Generator().manual_seed(c_out + k)
    x = _sparse(shape, 0.1, g, dtype, binary)
    x[0, 0, 0, 0] = 1  # a corner that reaches one output (pad 0)
    w = torch.randn((c_out, shape[1], k, k), generator=g, dtype=dtype)
    b = torch.randn(c_out, generator=g, dtype=dtype) if bias else None
    out = SC.spike_conv2d(x, w, b, pad)
    assert torch.equal(_bits(out), _bits(_ordered_sum(x, w, b, pad)))  # every bit, the sign of zero included
    ref = F.conv2d(x.double(), w.double(), None if b is None else b.double(), padding=pad)
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(out.double(), ref, rtol=tol, atol=tol)


@needs_native
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("pad", [0, 2])
def test_gradients(dtype, pad):
    g = torch.Generator().manual_seed(7 + pad)
    x = _sparse((6, 3, 10, 9), 0.08, g, dtype).requires_grad_()
    w = torch.randn((8, 3, 5, 5), generator=g, dtype=dtype).requires_grad_()
    b = torch.randn(8, generator=g, dtype=dtype).requires_grad_()
    out = SC.spike_conv2d(x, w, b, pad)
    assert out.grad_fn is not None and "SpikeConv" in type(out.grad_fn).__name__
    go = torch.randn(out.shape, generator=g, dtype=dtype)
    gx, gw, gb = torch.autograd.grad(out, (x, w, b), go)
    ref = F.conv2d(x, w, b, padding=pad)
    rx = torch.autograd.grad(ref, x, go)[0]
    assert torch.equal(gx, rx)  # conv2d's own input gradient
    ref64 = F.conv2d(x.double(), w.double(), b.double(), padding=pad)
    rw, rb = torch.autograd.grad(ref64, (w, b), go.double())
    if dtype == torch.float64:
        torch.testing.assert_close(gw, rw, rtol=1e-13, atol=1e-13)
        torch.testing.assert_close(gb, rb, rtol=1e-13, atol=1e-13)
    else:  # summed in float64, rounded once: within one float32 rounding of the float64 sums
        assert bool(((gw.double() - rw).abs() <= rw.abs() * 2**-24 + 1e-12).all())
        assert bool(((gb.double() - rb).abs() <= rb.abs() * 2**-24 + 1e-12).all())
    assert float(gw.abs().sum()) > 0


@needs_native
def test_only_some_gradients():
    g = torch.Generator().manual_seed(3)
    x = _sparse((2, 2, 6, 6), 0.2, g, torch.float64)
    w = torch.randn((4, 2, 3, 3), generator=g, dtype=torch.float64).requires_grad_()
    out = SC.spike_conv2d(x, w, None, 1)
    (gw,) = torch.autograd.grad(out.sum(), (w,))
    (rw,) = torch.autograd.grad(F.conv2d(x, w, None, padding=1).sum(), (w,))
    torch.testing.assert_close(gw, rw, rtol=1e-13, atol=1e-13)
    with torch.no_grad():
        assert SC.spike_conv2d(x, w, None, 1).grad_fn is None


def test_dense_inputs_and_fallbacks_are_conv2d(monkeypatch):
    g = torch.Generator().manual_seed(4)
    w = torch.randn((4, 2, 3, 3), generator=g)
    b = torch.randn(4, generator=g)
    dense = _sparse((3, 2, 7, 7), 0.5, g, torch.float32)  # above DENSE_ABOVE: conv2d's arithmetic
    assert torch.equal(SC.spike_conv2d(dense, w, b), F.conv2d(dense, w, b))
    sparse = _sparse((3, 2, 7, 7), 0.05, g, torch.float32)
    monkeypatch.setattr(SC, "_native", lambda x, weight: None)  # no compiled loops (or another device)
    assert torch.equal(SC.spike_conv2d(sparse, w, b, 1), F.conv2d(sparse, w, b, padding=1))
    with pytest.raises(ValueError, match="square kernels"):
        SC.spike_conv2d(sparse, torch.zeros(4, 2, 3, 2))


def test_conv_net_against_conv2d(monkeypatch):
    """ConvSpikingNet with the spike convolution against the same net on conv2d: the same spike counts here,
    gradients to float32 rounding."""
    x = torch.rand(4, 144, generator=torch.Generator().manual_seed(1))
    y = torch.tensor([1, 0, 4, 2])

    def run():
        torch.manual_seed(0)
        net = ConvSpikingNet(n_output=5, input_shape=(1, 12, 12), channels=(4, 6), kernel_size=3, pool=2,
                             padding=1, threshold=0.3)  # fmt: skip
        counts, mem = net(x.unsqueeze(0).expand(10, *x.shape))
        loss = F.cross_entropy(counts, y)
        return counts, mem, torch.autograd.grad(loss, list(net.parameters()))

    monkeypatch.setattr(SC, "DENSE_ABOVE", 1.0)  # the walk whatever the density (about 40 % here)
    calls = []
    real = networks.spike_conv2d
    monkeypatch.setattr(networks, "spike_conv2d", lambda *a: calls.append(real(*a)) or calls[-1])
    ours = run()
    if native.library() is not None:  # the second block went through the walk
        assert calls and "SpikeConv" in type(calls[0].grad_fn).__name__
    monkeypatch.setattr(networks, "spike_conv2d", lambda s, w, b, pad: F.conv2d(s, w, b, padding=pad))
    ref = run()
    assert torch.equal(ours[0], ref[0]) and float(ref[0].detach().sum()) > 0
    torch.testing.assert_close(ours[1], ref[1], rtol=1e-5, atol=1e-5)
    for a, b in zip(ours[2], ref[2]):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)
