"""The fused recurrent LIF kernel against the cell's autograd step loop (``RecurrentLIFCell(fused=False)``).

Forward: spikes and membranes ``torch.equal`` in float32 and float64, on each backend.  Backward (float64): the
gradients of the current, ``W_rec``, a learnt beta and threshold and the initial state equal autograd's through the
step loop within float64 rounding.  ``W_rec`` is drawn large enough that the recurrence changes the spikes (checked).
"""

import pytest
import torch
from sc_neurocore.training import RecurrentLIFCell, atan_surrogate, fast_sigmoid, lif_kernel, native
from sc_neurocore.training.recurrent_kernel import recurrent_lif_sequence

BACKENDS = ["native", "numpy", "torch"]


@pytest.fixture(params=BACKENDS)
def backend(request, monkeypatch):
    if request.param == "native" and native.library() is None:
        pytest.skip(f"native loops {native.status}")
    monkeypatch.setattr(lif_kernel, "BACKEND", request.param)
    return request.param


def _cells(n, dtype, seed, learn=False, surrogate=atan_surrogate, w_scale=1.0):
    """The fused cell and the step-loop cell with the same parameters and a random ``W_rec`` (both signs)."""
    torch.manual_seed(seed)
    fused = RecurrentLIFCell(
        n, beta=0.8, threshold=0.6, surrogate_fn=surrogate, learn_beta=learn, learn_threshold=learn
    ).to(dtype)
    loop = RecurrentLIFCell(
        n, beta=0.8, threshold=0.6, surrogate_fn=surrogate, learn_beta=learn, learn_threshold=learn, fused=False
    ).to(dtype)
    with torch.no_grad():
        fused.recurrent.weight.copy_(torch.randn(n, n, dtype=dtype) * w_scale)
    loop.load_state_dict(fused.state_dict())
    return fused, loop


def _inputs(shape, dtype, seed, const=False):
    g = torch.Generator().manual_seed(seed)
    if const:
        return torch.rand(shape[1:], generator=g, dtype=torch.float64).to(dtype) * 1.2
    return torch.rand(shape, generator=g, dtype=torch.float64).to(dtype) * 1.2


def _state(cell, shape, dtype, seed):
    """A nonzero start: membranes in [0, 0.6), spikes 0/1."""
    g = torch.Generator().manual_seed(seed)
    v0 = (torch.rand(shape, generator=g, dtype=torch.float64) * 0.6).to(dtype)
    s0 = (torch.rand(shape, generator=g, dtype=torch.float64) > 0.5).to(dtype)
    return cell.State(v0, s0)


SHAPES = [(1, 3, 5), (7, 4, 6), (25, 8, 16), (9, 2, 3, 5)]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("start", ["zeros", "state", "const"])
def test_forward_equals_the_step_loop_bit_for_bit(backend, dtype, shape, start):
    fused, loop = _cells(shape[-1], dtype, seed=len(shape) + shape[0])
    x = _inputs(shape, dtype, seed=shape[0], const=start == "const")
    steps = shape[0] if start == "const" else None
    state = _state(loop, shape[1:], dtype, seed=3) if start == "state" else None
    for grad in (False, True):  # the inference path and the autograd node
        with torch.set_grad_enabled(grad):
            s, v, st = fused.sequence(x, state, steps=steps)
            s_ref, v_ref, st_ref = loop.sequence(x, state, steps=steps)
        assert s.dtype == dtype and s.shape == (shape[0], *shape[1:])
        assert torch.equal(s, s_ref) and torch.equal(v, v_ref)
        assert all(torch.equal(a, b) for a, b in zip(st, st_ref))
        assert (s.grad_fn is not None) == (grad and fused.recurrent.weight.requires_grad)
    if shape[0] > 1:  # the recurrence matters: without W_rec the spikes differ
        with torch.no_grad():
            loop.recurrent.weight.zero_()
            assert not torch.equal(loop.sequence(x, state, steps=steps)[0], s)
            assert 0 < float(s.sum()) < s.numel()


def _grads(cell, x, state, loss, steps=None):
    x = x.detach().clone().requires_grad_()
    if state is not None:
        state = cell.State(*(t.detach().clone().requires_grad_() for t in state))
    s, v, _ = cell.sequence(x, state, steps=steps)
    loss(s, v).backward()
    named = {"current": x.grad, "w_rec": cell.recurrent.weight.grad}
    if state is not None:
        named.update(v0=state.v.grad, s0=state.spike_prev.grad)
    for name in ("beta", "threshold"):
        p = getattr(cell, name)
        if p.requires_grad:
            named[name] = p.grad
    return named


def _weights(n, seed):
    return torch.randn(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


LOSSES = {
    "spikes": lambda s, v: (s * _weights(s.shape[-1], 1)).sum(),
    "membranes": lambda s, v: (v**2 * _weights(v.shape[-1], 2)).sum(),
    "counts": lambda s, v: (s.sum(0) * _weights(s.shape[-1], 3)).sum(),
    "both": lambda s, v: (s.sum(0) * _weights(s.shape[-1], 4)).sum() + (v[-1] * _weights(v.shape[-1], 5)).sum(),
}


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("learn", [False, True], ids=["fixed", "learnt"])
@pytest.mark.parametrize("start", ["zeros", "state", "const"])
@pytest.mark.parametrize("shape", [(1, 3, 5), (7, 4, 6), (20, 8, 16), (6, 2, 3, 5)], ids=str)
def test_gradients_equal_the_step_loop(backend, loss, learn, start, shape):
    dtype = torch.float64
    fused, loop = _cells(shape[-1], dtype, seed=shape[0], learn=learn)
    x = _inputs(shape, dtype, seed=shape[0] + 1, const=start == "const")
    steps = shape[0] if start == "const" else None
    state = _state(loop, shape[1:], dtype, seed=5) if start == "state" else None
    got = _grads(fused, x, state, LOSSES[loss], steps)
    want = _grads(loop, x, state, LOSSES[loss], steps)
    assert got.keys() == want.keys()
    assert ("beta" in got) == learn and ("v0" in got) == (start == "state")
    for name, g in got.items():
        assert g is not None and want[name] is not None, name
        torch.testing.assert_close(g, want[name], rtol=1e-10, atol=1e-10, msg=lambda m, name=name: f"{name}: {m}")
    assert float(got["current"].abs().sum()) > 0
    if shape[0] > 1 or start == "state":  # one step from zero spikes: no recurrent term, a zero W_rec gradient
        assert float(got["w_rec"].abs().sum()) > 0


def test_another_surrogate_and_a_strong_recurrence():
    """fast_sigmoid (another compiled derivative) and ``W_rec`` three times larger: many spikes from the recurrence."""
    shape = (15, 6, 12)
    fused, loop = _cells(12, torch.float64, seed=9, learn=True, surrogate=fast_sigmoid, w_scale=3.0)
    x = _inputs(shape, torch.float64, seed=2)
    got = _grads(fused, x, None, LOSSES["both"])
    want = _grads(loop, x, None, LOSSES["both"])
    for name, g in got.items():
        torch.testing.assert_close(g, want[name], rtol=1e-10, atol=1e-10)


def test_the_cell_runs_the_kernel_only_where_it_applies():
    x = torch.rand(5, 2, 4)
    assert type(RecurrentLIFCell(4).sequence(x)[0].grad_fn).__name__ == "_RecurrentLIFSequenceBackward"
    assert type(RecurrentLIFCell(4, fused=False).sequence(x)[0].grad_fn).__name__ != "_RecurrentLIFSequenceBackward"
    zero = RecurrentLIFCell(4, reset_mode="zero").sequence(x)[0]
    assert type(zero.grad_fn).__name__ != "_RecurrentLIFSequenceBackward"
    plain = RecurrentLIFCell(4, surrogate_fn=lambda u: atan_surrogate(u)).sequence(x)[0]
    assert type(plain.grad_fn).__name__ != "_RecurrentLIFSequenceBackward"
    with pytest.raises(TypeError, match="fused"):
        RecurrentLIFCell(4, fused=1)


def test_argument_errors():
    x, w = torch.rand(3, 2, 4), torch.zeros(4, 4)
    with pytest.raises(TypeError, match="Surrogate"):
        recurrent_lif_sequence(x, w, 0.9, 1.0, lambda u: u)
    with pytest.raises(ValueError, match="weight"):
        recurrent_lif_sequence(x, torch.zeros(3, 3), 0.9, 1.0, atan_surrogate)
    with pytest.raises(ValueError, match="v0"):
        recurrent_lif_sequence(x, w, 0.9, 1.0, atan_surrogate, v0=torch.zeros(2, 3))
    with pytest.raises(TypeError, match="s0"):
        recurrent_lif_sequence(x, w, 0.9, 1.0, atan_surrogate, s0=torch.zeros(2, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"\(T, \.\.\., n\)"):
        recurrent_lif_sequence(torch.rand(4), w, 0.9, 1.0, atan_surrogate)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_on_a_cuda_device(dtype):
    """The torch-operations loops on the device: the step loop's spikes and membranes, its gradients (float64)."""
    shape = (12, 8, 16)
    fused, loop = (c.cuda() for c in _cells(16, dtype, seed=7, learn=True))
    x = _inputs(shape, dtype, seed=8).cuda()
    s, v, _ = fused.sequence(x)
    s_ref, v_ref, _ = loop.sequence(x)
    assert torch.equal(s, s_ref) and torch.equal(v, v_ref)
    if dtype == torch.float64:
        loss = lambda s, v: (s.sum(0) * torch.arange(16.0, device=s.device)).sum() + v[-1].sum()  # noqa: E731
        got, want = _grads(fused, x, None, loss), _grads(loop, x, None, loss)
        for name, g in got.items():
            torch.testing.assert_close(g, want[name], rtol=1e-10, atol=1e-10)
