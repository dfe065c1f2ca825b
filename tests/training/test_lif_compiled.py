"""The device path of the fused LIF sequence (``lif_compiled``) against the CPU loops, and its lack of host syncs.

Compiled on the CPU here (inductor's C++; Triton on CUDA is the same code path).  Every compiled test uses
T = 6 and float32 so that the whole module compiles a handful of functions (about a minute on a cold cache).
Tolerances: spikes, membranes and per-step current gradients are compared exactly (the same operations in
the same order, multiply and add rounded separately); the gradients that are sums -- beta, theta, a constant
current's ``sum_t d[t]`` (the CPU path's weighted sum, the device path's running sum) -- within 1e-4
relative / 1e-3 absolute in float32 (the same terms added in another order).
"""

import pytest
import torch
from sc_neurocore.training import ConvSpikingNet, LIFCell, SpikingNet, atan_surrogate, lif_sequence, native, networks
from sc_neurocore.training import lif_compiled as C
from sc_neurocore.training import lif_kernel as K

#: The CPU loops the device path is held to (the NumPy loops equal the native ones bit for bit).
CPU = "native" if native.library() is not None else "numpy"
T = 6
SHAPES = {"dense": (T, 4, 33), "conv": (T, 2, 3, 5, 7)}
SUMS = dict(rtol=1e-4, atol=1e-3)


@pytest.fixture
def eager(monkeypatch):
    """The device path's loops without torch.compile (fresh variants, restored afterwards)."""
    monkeypatch.setattr(C, "_compile_wanted", lambda: False)
    monkeypatch.setattr(C, "_functions", {})
    monkeypatch.setattr(C, "status", C.status)


def _inputs(shape, const, with_v0, seed=0):
    g = torch.Generator().manual_seed(seed)
    cur_shape = shape[1:] if const else shape
    current = torch.randn(cur_shape, generator=g) * 0.8 + 0.3
    v0 = torch.rand(shape[1:], generator=g) * 0.5 if with_v0 else None
    return current, v0


def _run(monkeypatch, backend, fn):
    monkeypatch.setattr(K, "BACKEND", backend)
    return fn()


def test_chunks_split_evenly(monkeypatch):
    assert C._chunks(6) == [(0, 6)]
    assert C._chunks(C.CHUNK) == [(0, C.CHUNK)]
    monkeypatch.setattr(C, "CHUNK", 4)
    assert C._chunks(10) == [(0, 4), (4, 7), (7, 10)]
    assert C._chunks(8) == [(0, 4), (4, 8)]
    assert C._chunks(1) == [(0, 1)]


@pytest.mark.parametrize("grad", [True, False], ids=["train", "infer"])
@pytest.mark.parametrize("with_v0", [False, True], ids=["zeros", "v0"])
@pytest.mark.parametrize("const", [False, True], ids=["sequence", "constant"])
@pytest.mark.parametrize("shape", list(SHAPES), ids=list(SHAPES))
def test_forward_equals_cpu_loops_bit_for_bit(monkeypatch, shape, const, with_v0, grad):
    current, v0 = _inputs(SHAPES[shape], const, with_v0)
    steps = T if const else None

    def run():
        c = current.clone().requires_grad_(grad)
        return lif_sequence(c, 0.93, 0.8, atan_surrogate, v0=v0, steps=steps)

    s_cpu, v_cpu = _run(monkeypatch, CPU, run)
    s_dev, v_dev = _run(monkeypatch, "compiled", run)
    assert C.status == "compiled"
    assert s_dev.shape == s_cpu.shape == SHAPES[shape]
    assert torch.equal(s_dev, s_cpu)
    assert torch.equal(v_dev, v_cpu)
    assert (s_dev.grad_fn is not None) == grad
    assert 0 < float(s_cpu.detach().mean()) < 1  # some neurons fire, not all


@pytest.mark.parametrize("learn", [False, True], ids=["fixed", "learnable"])
@pytest.mark.parametrize("const", [False, True], ids=["sequence", "constant"])
@pytest.mark.parametrize("shape", list(SHAPES), ids=list(SHAPES))
def test_gradients_match_cpu_loops(monkeypatch, shape, const, learn):
    current, v0 = _inputs(SHAPES[shape], const, True, seed=1)
    g = torch.Generator().manual_seed(2)
    ws, wv = torch.randn(SHAPES[shape], generator=g), torch.randn(SHAPES[shape], generator=g)

    def run():
        cell = LIFCell(0.93, 0.8, atan_surrogate, learn_beta=learn, learn_threshold=learn)
        c, v = current.clone().requires_grad_(), v0.clone().requires_grad_()
        s, mem, _ = cell.sequence(c, cell.State(v), steps=T if const else None)
        params = [cell.beta, cell.threshold] if learn else []
        grads = torch.autograd.grad((s * ws).sum() + 0.3 * (mem * wv).sum(), [c, v] + params)
        return s.detach(), mem.detach(), grads

    s_cpu, v_cpu, g_cpu = _run(monkeypatch, CPU, run)
    s_dev, v_dev, g_dev = _run(monkeypatch, "compiled", run)
    assert torch.equal(s_dev, s_cpu) and torch.equal(v_dev, v_cpu)
    if const:  # sum_t d[t]: a weighted sum on the CPU, a running sum on the device path
        torch.testing.assert_close(g_dev[0], g_cpu[0], **SUMS)
    else:
        assert torch.equal(g_dev[0], g_cpu[0])
    torch.testing.assert_close(g_dev[1], g_cpu[1], **SUMS)  # dL/dv0 = beta d[0]
    for a, b in zip(g_dev[2:], g_cpu[2:]):  # beta, theta: sums over steps and neurons
        torch.testing.assert_close(a, b, **SUMS)
    assert float(g_cpu[0].abs().sum()) > 0


@pytest.mark.parametrize("const", [False, True], ids=["sequence", "constant"])
def test_chunked_sequence_equals_one_chunk(monkeypatch, eager, const):
    """A sequence longer than CHUNK runs in chunks (membrane and reverse carry handed on): same results."""
    monkeypatch.setattr(C, "CHUNK", 4)
    steps = 10
    current, v0 = _inputs((steps, 3, 5), const, True, seed=3)
    current, v0 = current.double(), v0.double()
    w = torch.randn(steps, 3, 5, generator=torch.Generator().manual_seed(4), dtype=torch.float64)

    def run():
        cell = LIFCell(0.9, 0.7, atan_surrogate, learn_beta=True, learn_threshold=True).double()
        c, v = current.clone().requires_grad_(), v0.clone().requires_grad_()
        s, mem, _ = cell.sequence(c, cell.State(v), steps=steps if const else None)
        grads = torch.autograd.grad((s * w).sum() + (mem * w).sum(), [c, v, cell.beta, cell.threshold])
        return s.detach(), mem.detach(), grads

    s_cpu, v_cpu, g_cpu = _run(monkeypatch, CPU, run)
    s_dev, v_dev, g_dev = _run(monkeypatch, "compiled", run)
    assert len(C._chunks(steps)) == 3
    assert torch.equal(s_dev, s_cpu) and torch.equal(v_dev, v_cpu)
    for a, b in zip(g_dev, g_cpu):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def _nets():
    torch.manual_seed(0)
    dense = SpikingNet(sizes=[20, 16, 5])
    torch.manual_seed(0)
    conv = ConvSpikingNet(n_output=5, input_shape=(1, 8, 8), channels=(4,), kernel_size=3, pool=2, threshold=0.2)
    x_dense = torch.rand(3, 20, generator=torch.Generator().manual_seed(5))
    x_conv = torch.rand(3, 64, generator=torch.Generator().manual_seed(6))
    return [(dense, x_dense), (conv, x_conv)]


@pytest.mark.parametrize("which", [0, 1], ids=["SpikingNet", "ConvSpikingNet"])
def test_nets_train_alike_on_both_paths(monkeypatch, which):
    """A whole forward and backward of each net: the same counts and loss; the same weight gradients (the
    first layer's through a constant current's summed gradient, to rounding)."""
    y = torch.tensor([0, 3, 4])

    def run():
        net, x = _nets()[which]
        counts, mem = net(x.unsqueeze(0).expand(T, *x.shape))
        loss = torch.nn.functional.cross_entropy(counts, y)
        grads = torch.autograd.grad(loss, list(net.parameters()))
        return counts.detach(), mem.detach(), loss.detach(), grads

    cpu = _run(monkeypatch, CPU, run)
    dev = _run(monkeypatch, "compiled", run)
    for a, b in zip(dev[:3], cpu[:3]):
        assert torch.equal(a, b)
    assert float(cpu[0].sum()) > 0  # output spikes: the gradients below pass through every layer
    for a, b in zip(dev[3], cpu[3]):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)
    assert any(float(g.abs().sum()) > 0 for g in cpu[3])


class HostSync(AssertionError):
    pass


@pytest.fixture
def no_host_reads(monkeypatch):
    """Inside the returned context, reading a tensor's value on the host raises :class:`HostSync`: the Python
    ways to do it (``float``, ``int``, ``bool``, ``item``, ``tolist``, ``numpy``) and ``torch.equal``. On a GPU
    each would wait for the device."""
    import contextlib

    def trap(name):
        def raiser(*args, **kwargs):
            raise HostSync(f"{name} read a tensor on the host")

        return raiser

    @contextlib.contextmanager
    def ctx():
        with monkeypatch.context() as m:
            for name in ("__float__", "__int__", "__bool__", "__index__", "item", "tolist", "numpy"):
                m.setattr(torch.Tensor, name, trap(f"Tensor.{name}"))
            m.setattr(torch, "equal", trap("torch.equal"))
            yield

    return ctx


def test_the_trap_catches_the_cpu_loops(monkeypatch, no_host_reads):
    """The check can fail: the CPU loops read beta and theta with float()."""
    monkeypatch.setattr(K, "BACKEND", CPU)
    cell = LIFCell(0.9, 1.0, atan_surrogate)
    with no_host_reads(), pytest.raises(HostSync, match="__float__"):
        cell.sequence(torch.rand(T, 2, 3, requires_grad=True))


def test_device_path_reads_nothing_on_the_host(monkeypatch, no_host_reads):
    """Forward and backward of the kernel and of both nets (their input check aside: one reduction per forward,
    by design) with every host read trapped, once the functions are compiled."""
    monkeypatch.setattr(K, "BACKEND", "compiled")
    monkeypatch.setattr(networks, "check_values", lambda *a, **k: None)
    cell = LIFCell(0.9, 0.8, atan_surrogate, learn_beta=True, learn_threshold=True)
    current = torch.rand(T, 4, 33, requires_grad=True)
    nets = _nets()

    def work():
        s, v, _ = cell.sequence(current)
        (s.sum() + v.sum()).backward()
        s, v = lif_sequence(current.detach()[0], 0.9, 1.0, atan_surrogate, steps=T)  # numbers, inference
        for net, x in nets:
            counts, _ = net(x.unsqueeze(0).expand(T, *x.shape))
            counts.sum().backward()
        return s

    work()  # compile outside the trap
    with no_host_reads():
        s = work()
    assert s.shape == (T, 4, 33)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (torch.cuda.is_available() is False)")
def test_no_sync_on_cuda(monkeypatch):
    """On a GPU: a training step's forward and backward of both nets under ``set_sync_debug_mode("error")``."""
    monkeypatch.setattr(K, "BACKEND", "auto")
    monkeypatch.setattr(networks, "check_values", lambda *a, **k: None)
    nets = [(net.cuda(), x.cuda()) for net, x in _nets()]

    def work():
        for net, x in nets:
            counts, _ = net(x.unsqueeze(0).expand(T, *x.shape))
            counts.sum().backward()

    work()
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        work()
    finally:
        torch.cuda.set_sync_debug_mode("default")
    torch.cuda.synchronize()
    assert C.status == "compiled"


def test_falls_back_to_eager_when_compiling_fails(monkeypatch):
    def broken_compile(fn, **kwargs):
        def run(*args, **kw):
            raise RuntimeError("Cannot find a working triton installation")

        return run

    monkeypatch.setattr(C, "_functions", {})
    monkeypatch.setattr(C, "status", "not used")
    monkeypatch.setattr(torch, "compile", broken_compile)
    current, v0 = _inputs(SHAPES["dense"], False, True)
    s_cpu, v_cpu = _run(monkeypatch, CPU, lambda: lif_sequence(current, 0.9, 0.8, atan_surrogate, v0=v0))
    s_dev, v_dev = _run(monkeypatch, "compiled", lambda: lif_sequence(current, 0.9, 0.8, atan_surrogate, v0=v0))
    assert C.status.startswith("eager (torch.compile failed: RuntimeError: Cannot find a working triton")
    assert torch.equal(s_dev, s_cpu) and torch.equal(v_dev, v_cpu)


def test_static_input_is_not_compared_off_the_cpu():
    """``_is_static`` compares values only on the CPU: on another device (here ``meta``, where ``torch.equal``
    cannot run at all) a repeated input is treated as time-varying instead of waiting for the device."""
    cpu = torch.zeros(1, 2, 3).repeat(4, 1, 1)
    assert networks._is_static(cpu)
    assert not networks._is_static(cpu + torch.arange(4.0).view(4, 1, 1))
    meta = torch.zeros(4, 2, 3, device="meta")
    assert not networks._is_static(meta)
    assert networks._is_static(torch.zeros(2, 3, device="meta").expand(4, 2, 3))


def test_compile_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("SC_NEUROCORE_COMPILE", "0")
    monkeypatch.setattr(C, "_functions", {})
    monkeypatch.setattr(C, "status", "not used")
    monkeypatch.setattr(K, "BACKEND", "compiled")
    s, _ = lif_sequence(torch.full((3, 2), 0.6), 0.5, 1.0, atan_surrogate)
    assert s[:, 0].tolist() == [0.0, 0.0, 1.0]  # 0.6, 0.9, 1.05
    assert C.status == "eager (SC_NEUROCORE_COMPILE=0)"
