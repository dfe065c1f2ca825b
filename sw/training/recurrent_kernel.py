"""The recurrent LIF layer over a whole ``(T, ..., n)`` sequence in one autograd node.

Forward, for ``t = 0 .. T-1``, exactly :func:`~sc_neurocore.training.cells.recurrent_lif_step` with the subtract
reset (the same operations in the same order, so the same bits)::

    u[t] = (beta * v[t-1] + I[t]) + s[t-1] @ W.T     # v[-1] = v0, s[-1] = s0 (zeros by default: no product)
    s[t] = (u[t] - theta > 0)                        # the surrogate's derivative backward
    v[t] = u[t] - s[t] * theta                       # the reset's spike is detached

The product is one ``(rows, n) @ (n, n)`` ``torch.mm`` per step (what ``nn.functional.linear`` calls, so its
bits), written into a preallocated buffer.  Its left operand is a ``(rows, n)`` buffer of its own, not the step's
slice of the ``(T, rows, n)`` spikes: MKL's ``gemm`` result can depend on where that operand lies in memory
(measured: ``(6, 5) @ (5, 5)`` in float32 and ``(64, 128) @ (128, 128)`` in float64 differ in the last bits at
offsets that are not multiples of 64 bytes), and the step loop's spikes are each a fresh tensor, which torch's
allocator aligns to 64 bytes, as it does this buffer.  The elementwise part is one pass of the compiled loop of
:mod:`~sc_neurocore.training.native` on the CPU, else a few torch ``out=`` operations.  No graph is built.

Backward: the spikes ``s[t]`` reach the loss directly (``gS[t]``) and through ``u[t+1]`` (``d[t+1] @ W``); the
membranes directly (``gV[t]``) and through ``u[t+1]`` (``beta d[t+1]``); ``v[t] = u[t] - const``.  So, with
``d[t] = dL/du[t]``, ``d[T] = 0`` and ``sg[t] = surrogate.grad(u[t] - theta)``::

    c[t] = (gS[t] + d[t+1] @ W) * sg[t]              # dL/du[t] through the spike
    d[t] = c[t] + gV[t] + beta * d[t+1]
    dL/dI[t] = d[t]          dL/dW = sum_t d[t].T @ s[t-1]        dL/dbeta = sum_t d[t] * v[t-1]
    dL/dv0 = beta * d[0]     dL/ds0 = d[0] @ W
    dL/dtheta = -sum_t (c[t] + (d[t] - c[t]) * s[t])  # the spike's -sg, the reset's -s times dL/dv[t]

one ``(rows, n) @ (n, n)`` product per step again, then ``dL/dW`` as one product over all steps.
``tests/training/test_recurrent_kernel.py`` holds both to the autograd step loop of the cell.
"""

from __future__ import annotations

import torch

from . import native
from .lif_kernel import _NATIVE_SURROGATES, _backend, _compiled_backward, _ptr, _steps_of
from .surrogates import Surrogate

__all__ = ["recurrent_lif_sequence"]

def _forward(current, weight, b: float, th: float, v0, s0, keep_x: bool):
    """``(u - theta or None, s, v)``, each ``(T, rows, n)``; ``current`` is ``(T, rows, n)`` (any strides)."""
    steps, rows, n = current.shape
    opts = dict(dtype=current.dtype, device=current.device)
    s = torch.empty((steps, rows, n), **opts)
    v = torch.empty((steps, rows, n), **opts)
    x = torch.empty((steps, rows, n), **opts) if keep_x else None
    rec = torch.empty((rows, n), **opts)
    s_prev = torch.empty((rows, n), **opts)  # the step's spikes again: the product's operand (see above)
    if _backend(current, s) == "native":
        _forward_native(current, weight.t(), b, th, v0, s0, x, s, v, rec, s_prev)
    else:
        _forward_torch(current, weight.t(), b, th, v0, s0, x, s, v, rec, s_prev)
    return x, s, v


def _forward_native(current, w_t, b, th, v0, s0, x, s, v, rec, s_prev) -> None:
    """The loop with the compiled elementwise pass; pointers advanced by hand (no tensor view per step)."""
    steps, rows, n = s.shape
    m, size = rows * n, s.element_size()
    if current.stride()[1:] != (n, 1):
        current = current.contiguous()
    step_fn = native.library().rlif_step_f32 if s.dtype == torch.float32 else native.library().rlif_step_f64
    cur_p, cur_step = current.data_ptr(), current.stride(0) * size
    s_p, v_p, stride = s.data_ptr(), v.data_ptr(), m * size
    scratch = torch.empty_like(rec) if x is None else None
    x_p, x_step = (scratch.data_ptr(), 0) if x is None else (x.data_ptr(), stride)
    rec_p, sp_p = rec.data_ptr(), s_prev.data_ptr()
    for t in range(steps):
        prev_s = s0 if t == 0 else s_prev
        if prev_s is not None:
            torch.mm(prev_s, w_t, out=rec)
        prev_v = _ptr(v0) if t == 0 else v_p + (t - 1) * stride
        step_fn(cur_p + t * cur_step, prev_v, None if prev_s is None else rec_p, s_p + t * stride, sp_p,
                v_p + t * stride, x_p + t * x_step, m, b, th)  # fmt: skip


def _forward_torch(current, w_t, b, th, v0, s0, x, s, v, rec, s_prev) -> None:
    """The loop in torch operations (another device, another backend): the same arithmetic."""
    u = torch.empty_like(rec)
    for t in range(s.shape[0]):
        prev_v = v0 if t == 0 else v[t - 1]
        prev_s = s0 if t == 0 else s_prev
        if prev_s is not None:
            torch.mm(prev_s, w_t, out=rec)
        if prev_v is None:
            u.copy_(current[t])
        else:
            torch.mul(prev_v, b, out=u)
            u.add_(current[t])
        if prev_s is not None:
            u.add_(rec)
        torch.gt(u, th, out=s[t])
        s_prev.copy_(s[t])
        torch.mul(s[t], th, out=v[t])
        torch.sub(u, v[t], out=v[t])
        if x is not None:
            torch.sub(u, th, out=x[t])


def _backward_d(x, weight, grad_s, grad_v, surrogate: Surrogate, b: float, keep_c: bool):
    """``d = dL/du`` and (``keep_c``) ``c``, the part through the spike, each ``(T, rows, n)``."""
    d = torch.empty_like(x)
    c = torch.empty_like(x) if keep_c else None
    if surrogate._grad_fn in _NATIVE_SURROGATES and x.is_contiguous() and _backend(x) == "native":
        _backward_native(x, weight, grad_s, grad_v, surrogate, b, d, c)
    else:
        _backward_torch(x, weight, grad_s, grad_v, surrogate, b, d, c)
    return d, c


def _backward_native(x, weight, grad_s, grad_v, surrogate: Surrogate, b: float, d, c) -> None:
    """The reverse loop with the compiled elementwise pass (the surrogate's derivative computed in it)."""
    steps, rows, n = x.shape
    m, size = rows * n, x.element_size()
    fn, k1, k2 = _compiled_backward("rlif_backward", surrogate, x.dtype)
    gs, gs_step = _steps_of(grad_s, x)
    gv, gv_step = _steps_of(grad_v, x)
    gs_p, gv_p = _ptr(gs), _ptr(gv)
    x_p, d_p, c_p, stride = x.data_ptr(), d.data_ptr(), _ptr(c), m * size
    q = torch.empty((rows, n), dtype=x.dtype)
    q_p, ds = q.data_ptr(), d.unbind(0)
    for t in range(steps - 1, -1, -1):
        last = t == steps - 1
        if not last:
            torch.mm(ds[t + 1], weight, out=q)
        fn(x_p + t * stride, gs_p and gs_p + t * gs_step * size, None if last else q_p,
           gv_p and gv_p + t * gv_step * size, None if last else d_p + (t + 1) * stride, d_p + t * stride,
           c_p and c_p + t * stride, m, b, k1, k2)  # fmt: skip


def _backward_torch(x, weight, grad_s, grad_v, surrogate: Surrogate, b: float, d, c) -> None:
    """The reverse loop in torch operations, the surrogate's derivative computed for all steps first."""
    steps = x.shape[0]
    sg = surrogate.grad(x)
    for t in range(steps - 1, -1, -1):
        dt = d[t]
        last = t == steps - 1
        if not last:
            if grad_s is not None:
                torch.addmm(grad_s[t], d[t + 1], weight, out=dt)
            else:
                torch.mm(d[t + 1], weight, out=dt)
            dt.mul_(sg[t])
        elif grad_s is not None:
            torch.mul(grad_s[t], sg[t], out=dt)
        else:
            dt.zero_()
        if c is not None:
            c[t].copy_(dt)
        if grad_v is not None:
            dt.add_(grad_v[t])
        if not last:
            dt.add_(d[t + 1], alpha=b)


def _weight_grad(d, s, s0):
    """``dL/dW = sum_t d[t].T @ s[t-1]`` (``s[-1] = s0``, or zeros when ``None``): one product over all steps."""
    steps, rows, n = d.shape
    g_w = d[1:].reshape(-1, n).t() @ s[:-1].reshape(-1, n) if steps > 1 else d.new_zeros((n, n))
    if s0 is not None:
        g_w = g_w + d[0].t() @ s0
    return g_w


class _RecurrentLIFSequence(torch.autograd.Function):
    @staticmethod
    def forward(ctx, current, weight, beta, theta, v0, s0, surrogate):
        ctx.set_materialize_grads(False)
        b, th = float(beta), float(theta)
        x, s, v = _forward(current, weight, b, th, v0, s0, keep_x=True)
        ctx.save_for_backward(x, s, v, weight, v0, s0)
        ctx.surrogate, ctx.beta = surrogate, b
        ctx.shapes = (beta.shape, theta.shape)
        return s, v

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_s, grad_v):
        need_i, need_w, need_b, need_th, need_v0, need_s0 = ctx.needs_input_grad[:6]
        x, s, v, weight, v0, s0 = ctx.saved_tensors
        b = ctx.beta
        d, c = _backward_d(x, weight, grad_s, grad_v, ctx.surrogate, b, keep_c=need_th)
        g_i = d if need_i else None
        g_w = g_b = g_th = g_v0 = g_s0 = None
        if need_w:
            g_w = _weight_grad(d, s, s0)
        if need_b:
            g_b = (d[1:] * v[:-1]).sum()
            if v0 is not None:
                g_b = g_b + (d[0] * v0).sum()
            g_b = g_b.reshape(ctx.shapes[0])
        if need_th:
            g_th = -(c.sum() + (d * s).sum() - (c * s).sum()).reshape(ctx.shapes[1])
        if need_v0:
            g_v0 = b * d[0]
        if need_s0:
            g_s0 = d[0] @ weight
        return g_i, g_w, g_b, g_th, g_v0, g_s0, None


def recurrent_lif_sequence(
    current: torch.Tensor,
    weight: torch.Tensor,
    beta,
    threshold,
    surrogate: Surrogate,
    v0: torch.Tensor | None = None,
    s0: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run a recurrent LIF population (subtract reset) over ``T`` steps in one autograd node.

    Parameters
    ----------
    current : tensor
        ``(T, *batch, n)`` input currents (the feedforward part of ``u``); an expanded view (a constant current)
        is read as it is, and its gradient summed by autograd.
    weight : tensor
        ``W_rec``, ``(n, n)``: neuron ``i`` receives ``sum_j W[i, j] s_j`` of the step before.
    beta, threshold : float or 0-dim tensor
        Leak in [0, 1] and threshold > 0 (tensors that require grad receive gradients).
    surrogate : Surrogate
        Its ``grad`` is the backward derivative.
    v0, s0 : tensor or None
        Membrane and spikes before the first step, ``(*batch, n)``; ``None`` means zeros.

    Returns
    -------
    spikes, membranes : tensors ``(T, *batch, n)``
        Spikes (0/1) and post-reset membranes, equal bit for bit to the step loop of ``recurrent_lif_step``.
    """
    if not isinstance(surrogate, Surrogate):
        raise TypeError(f"the fused recurrent kernel needs a Surrogate instance, not {surrogate!r}")
    if not isinstance(current, torch.Tensor) or not current.is_floating_point():
        raise TypeError(f"current must be a floating-point tensor, not {current!r:.60}")
    if current.dim() < 2 or current.shape[0] < 1:
        raise ValueError(f"current must be (T, ..., n) with T >= 1, got shape {tuple(current.shape)}")
    n = current.shape[-1]
    shape = tuple(current.shape[1:])
    if tuple(weight.shape) != (n, n):
        raise ValueError(f"weight has shape {tuple(weight.shape)}, expected {(n, n)}")
    for name, t in (("weight", weight), ("v0", v0), ("s0", s0)):
        if t is None:
            continue
        if name != "weight" and tuple(t.shape) != shape:
            raise ValueError(f"{name} has shape {tuple(t.shape)}, expected {shape}")
        if t.dtype != current.dtype or t.device != current.device:
            raise TypeError(f"{name} is {t.dtype} on {t.device}, current is {current.dtype} on {current.device}")
    beta_t, theta_t = (
        v if isinstance(v, torch.Tensor) else torch.tensor(float(v), dtype=torch.float64) for v in (beta, threshold)
    )
    if beta_t.numel() != 1 or theta_t.numel() != 1:
        raise ValueError("the fused recurrent kernel takes one scalar beta and one scalar threshold")
    steps = current.shape[0]
    flat = current.reshape(steps, -1, n)
    v0f = None if v0 is None else v0.reshape(-1, n).contiguous()
    s0f = None if s0 is None else s0.reshape(-1, n).contiguous()
    inputs = (flat, weight, beta_t, theta_t, v0f, s0f)
    if torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in inputs):
        s, v = _RecurrentLIFSequence.apply(*inputs, surrogate)
    else:
        with torch.no_grad():
            _, s, v = _forward(flat, weight, float(beta_t), float(theta_t), v0f, s0f, keep_x=False)
    if current.dim() != 3:
        s, v = s.view(current.shape), v.view(current.shape)
    return s, v
