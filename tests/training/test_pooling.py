"""Spike pooling equals max_pool2d bit for bit, forward and backward (native loops and torch ops)."""

import pytest
import torch
from sc_neurocore.training import ConvSpikingNet, native, networks
from sc_neurocore.training import pooling as P

F = torch.nn.functional


@pytest.fixture(params=["native", "torch"])
def path(request, monkeypatch):
    if request.param == "native" and native.library() is None:
        pytest.skip(f"native loops {native.status}")
    if request.param == "torch":
        monkeypatch.setattr(P, "_native", lambda s: None)
    return request.param


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(
    ("k", "shape"), [(2, (5, 3, 9, 11)), (3, (2, 4, 2, 10, 8)), (2, (1, 1, 4, 3)), (4, (3, 1, 7, 9))]
)
def test_equals_max_pool2d(path, k, shape, dtype):
    g = torch.Generator().manual_seed(k)
    s = (torch.rand(shape, generator=g) < 0.2).to(dtype)
    s[..., :k, :k] = 0  # a window where nothing fired: max_pool2d routes to its top-left position
    s[..., k : 2 * k, :k] = 1  # one where everything fired: to its top-left position too
    a, b = s.clone().requires_grad_(), s.clone().requires_grad_()
    flat = a.flatten(0, -4) if a.dim() > 4 else a
    pa = F.max_pool2d(flat, k).view(*shape[:-2], shape[-2] // k, shape[-1] // k)
    pb = P.spike_pool(b, k)
    assert torch.equal(pa, pb)
    grad = torch.randn(pa.shape, generator=g, dtype=dtype)
    pa.backward(grad)
    pb.backward(grad)
    bits = torch.int32 if dtype == torch.float32 else torch.int64
    assert torch.equal(a.grad.view(bits), b.grad.view(bits))  # the same bits, the sign of zero included
    assert 0 < float(pa.detach().sum()) < pa.numel()


def test_inference_and_k1(path):
    s = (torch.rand(2, 3, 6, 6) < 0.3).float()
    with torch.no_grad():
        assert torch.equal(P.spike_pool(s, 2), F.max_pool2d(s, 2))
    assert P.spike_pool(s, 1) is s


def test_conv_net_unchanged_by_the_pooling(monkeypatch, path):
    """ConvSpikingNet (the fused LIF + pooling where it runs, spike_pool elsewhere) trains exactly as its LIF cells
    followed by nn.MaxPool2d: same counts, same gradients."""
    x = torch.rand(3, 64, generator=torch.Generator().manual_seed(1))
    y = torch.tensor([1, 0, 4])

    def run():
        torch.manual_seed(0)
        net = ConvSpikingNet(n_output=5, input_shape=(1, 8, 8), channels=(4, 6), kernel_size=3, pool=2,
                             padding=1, threshold=0.3)  # fmt: skip
        counts, mem = net(x.unsqueeze(0).expand(8, *x.shape))
        loss = F.cross_entropy(counts, y)
        return counts, mem, torch.autograd.grad(loss, list(net.parameters()))

    ours = run()
    monkeypatch.setattr(networks, "lif_pool_sequence", lambda *a, **kw: None)  # the LIF cell, then the pooling
    monkeypatch.setattr(networks, "spike_pool", lambda s, k: F.max_pool2d(s, k))
    ref = run()
    assert torch.equal(ours[0], ref[0]) and torch.equal(ours[1], ref[1])
    assert float(ref[0].detach().sum()) > 0
    for a, b in zip(ours[2], ref[2]):
        assert torch.equal(a, b)


def test_reuse_freed_memory(monkeypatch):
    monkeypatch.setattr(native, "_malloc_tuned", None)
    monkeypatch.setenv("SC_NEUROCORE_MALLOC", "0")
    assert native.reuse_freed_memory() is False
    monkeypatch.setattr(native, "_malloc_tuned", None)
    monkeypatch.delenv("SC_NEUROCORE_MALLOC")
    first = native.reuse_freed_memory()
    assert isinstance(first, bool) and native.reuse_freed_memory() is first
    import platform

    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert first is True


@pytest.mark.skipif(native.library() is None, reason=f"native loops {native.status}")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("const", [False, True], ids=["sequence", "constant"])
@pytest.mark.parametrize(("k", "shape"), [(2, (3, 2, 9, 11)), (3, (2, 4, 7, 6)), (2, (1, 1, 2, 2))])
def test_fused_lif_pool_equals_lif_then_max_pool2d(dtype, const, k, shape):
    """lif_pool_sequence against LIFCell.sequence + max_pool2d: spikes and the current's gradient bit for bit
    (odd sizes: the dropped rows and columns get a zero gradient)."""
    from sc_neurocore.training import LIFCell, atan_surrogate, lif_pool_sequence

    T = 7
    g = torch.Generator().manual_seed(k + len(shape))
    base = torch.randn(shape if const else (T, *shape), generator=g, dtype=dtype) * 0.9 + 0.3
    cell = LIFCell(0.9, 0.6, atan_surrogate).to(dtype)
    steps = T if const else None
    a, b = base.clone().requires_grad_(), base.clone().requires_grad_()
    prm = cell.step_parameters()  # its beta and theta as the cell holds them (float32 0.9 in a float64 tensor)
    pooled = lif_pool_sequence(a, prm.beta, prm.threshold, atan_surrogate, k, steps=steps)
    spikes = cell.sequence(b, steps=steps)[0]
    ref = F.max_pool2d(spikes.flatten(0, 1), k).view(pooled.shape)
    assert torch.equal(pooled, ref)
    assert 0 < float(spikes.detach().sum()) < spikes.numel()  # windows with and without spikes, mixed
    grad = torch.randn(ref.shape, generator=g, dtype=dtype)
    pooled.backward(grad)
    ref.backward(grad)
    bits = torch.int32 if dtype == torch.float32 else torch.int64
    assert torch.equal(a.grad.view(bits), b.grad.view(bits))
    with torch.no_grad():  # inference: no node, the same spikes
        again = lif_pool_sequence(base, prm.beta, prm.threshold, atan_surrogate, k, steps=steps)
    assert again.grad_fn is None and torch.equal(again, ref)


def test_fused_lif_pool_declines():
    from sc_neurocore.training import atan_surrogate, lif_pool_sequence

    cur = torch.rand(3, 2, 4, 4)
    assert lif_pool_sequence(cur, 0.9, 1.0, atan_surrogate, 1) is None  # nothing to pool
    assert lif_pool_sequence(cur, 0.9, 1.0, lambda x: x, 2) is None  # not a Surrogate
    beta = torch.tensor(0.9, requires_grad=True)
    assert lif_pool_sequence(cur, beta, 1.0, atan_surrogate, 2) is None  # a learnt beta
    assert lif_pool_sequence(cur.to(torch.float16), 0.9, 1.0, atan_surrogate, 2) is None
