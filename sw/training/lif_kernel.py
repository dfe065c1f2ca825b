"""The fused multi-step LIF kernel: one autograd node for a whole ``(T, ...)`` sequence.

Forward, for ``t = 0 .. T-1`` (the contract's order, subtract reset, strict ``>``)::

    u[t] = beta * v[t-1] + I[t]          # pre-reset membrane, v[-1] = v0 (zeros by default)
    s[t] = (u[t] - theta > 0)
    v[t] = u[t] - s[t] * theta           # post-reset membrane; the reset is detached

The loop writes into preallocated ``(T, ...)`` tensors: on the CPU one compiled pass per step
(:mod:`~sc_neurocore.training.native`) or a few NumPy ``out=`` calls; no allocation per step.  On
other devices (a GPU) the device path of :mod:`~sc_neurocore.training.lif_compiled` runs instead:
the whole loop as one ``torch.compile``-d kernel each way, ``beta`` and ``theta`` kept as tensors, no
host sync.  ``u`` is kept only when a backward pass will need it; without
gradients no autograd node is made at all.  The backward pass is the hand-written reverse recurrence with the surrogate's
closed-form derivative ``sg = surrogate.grad(u - theta)`` -- on the CPU one compiled pass for the surrogates the
loops know (atan, fast sigmoid, SuperSpike: the derivative, the products and the recurrence element by element),
else torch operations over all steps at once, the same operations in the same order either way::

    d[t] = gS[t] * sg[t] + gV[t] + beta * d[t+1]      # dL/du[t], d[T] = 0
    dL/dI[t] = d[t]                dL/dv0 = beta * d[0]
    dL/dbeta = sum_t d[t] * v[t-1]
    dL/dtheta = -sum_t (gS[t] * sg[t] + (d[t] - gS[t] * sg[t]) * s[t])

A constant current (the same input at every step, ``steps=T``) is passed once, not ``T`` times;
its gradient is ``sum_t d[t] = sum_k (sum_{j<=k} beta**j) r[k]`` with ``r = gS * sg + gV``: one
weighted sum over t, no loop, when nothing else needs a gradient.

:data:`BACKEND` picks the loops; every backend gives the same spikes and membranes (the native, NumPy
and device-path loops bit for bit) and is tested against the generic cell loop through autograd.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from . import lif_compiled, native, surrogates
from .surrogates import Surrogate

__all__ = ["lif_sequence", "lif_pool_sequence"]

#: Which step loops run: ``"auto"`` (on the CPU the compiled loops of :mod:`~sc_neurocore.training.native`
#: when they load, else NumPy; on other devices the device path, :mod:`~sc_neurocore.training.lif_compiled`),
#: ``"native"``, ``"numpy"`` (NumPy views of the tensors: ~1 us per call instead of torch's dispatch),
#: ``"torch"`` (torch ops per step with Python-float ``beta``/``theta``: a host sync per call off the CPU),
#: or ``"compiled"`` (the device path on every device, the CPU included: what its tests run).
BACKEND = "auto"
BACKENDS = ("auto", "native", "numpy", "torch", "compiled")


#: The surrogates the compiled backward knows, by their derivative function: ``(C name, (k1, k2) from the
#: parameters)`` -- the constants as :mod:`~sc_neurocore.training.surrogates` multiplies by them (``SG_*`` in
#: :mod:`~sc_neurocore.training.native`).
_NATIVE_SURROGATES = {
    surrogates._atan_grad: ("atan", lambda alpha: (math.pi / 2 * alpha, alpha / 2)),
    surrogates._fast_sigmoid_grad: ("fast_sigmoid", lambda slope: (slope, slope)),
    surrogates._superspike_grad: ("superspike", lambda beta: (beta, 1.0)),
}


def _steps_of(g: torch.Tensor | None, like: torch.Tensor) -> tuple[torch.Tensor | None, int]:
    """``g`` as the compiled backward reads it: ``(tensor, elements per step)``; a slice broadcast over the steps
    (stride 0, what ``counts = s.sum(0)`` hands back) stays one slice with step 0."""
    if g is None:
        return None, 0
    if g.dtype != like.dtype or g.shape != like.shape:
        g = g.to(like.dtype).expand(like.shape)
    m = like[0].numel()
    if g.stride(0) == 0 and g[0].is_contiguous():
        return g, 0
    return g.contiguous(), m


def _device_path(current: torch.Tensor) -> bool:
    """True when :mod:`~sc_neurocore.training.lif_compiled` runs this call (the device path)."""
    if BACKEND not in BACKENDS:
        raise ValueError(f"lif_kernel.BACKEND must be one of {BACKENDS}, not {BACKEND!r}")
    return BACKEND == "compiled" or (BACKEND == "auto" and current.device.type != "cpu")


def _backend(*tensors) -> str:
    if BACKEND not in BACKENDS:
        raise ValueError(f"lif_kernel.BACKEND must be one of {BACKENDS}, not {BACKEND!r}")
    cpu = all(t.device.type == "cpu" and t.dtype in (torch.float32, torch.float64) for t in tensors)
    if not cpu or BACKEND == "torch":
        return "torch"
    if BACKEND in ("auto", "native") and native.library() is not None:
        return "native"
    if BACKEND == "native":
        raise RuntimeError(f"the native LIF loops are {native.status}")
    return "numpy"


def _ptr(t):
    return None if t is None else t.data_ptr()


def _forward_loop(current, const: bool, u, v, s, v0, b: float, th: float) -> None:
    """Fill ``s`` (spikes), ``v`` (post-reset) and, unless it is ``None``, ``u`` with ``u - theta``
    (the pre-reset membrane minus the threshold: the surrogate's argument)."""
    steps = s.shape[0]
    backend = _backend(current, s)
    if backend == "native":
        lib = native.library()
        fn = lib.lif_forward_f32 if s.dtype == torch.float32 else lib.lif_forward_f64
        m = s[0].numel()
        # the first step starts from v0, or from zeros (beta * 0 + I == I exactly)
        zeros = torch.zeros_like(s[0]) if v0 is None else v0
        scratch = torch.empty_like(s[0]) if u is None else None
        fn(_ptr(current), 0 if const else m, _ptr(zeros), _ptr(u), _ptr(s), _ptr(v), _ptr(scratch), steps, m, b, th)
        return
    currents = (current,) * steps if const else current.unbind(0)
    scratch = torch.empty_like(s[0]) if u is None else None
    if backend == "numpy":
        vn, sn = v.numpy(), s.numpy()
        un = [scratch.numpy()] * steps if u is None else u.numpy()
        cn = [c.numpy() for c in currents]
        bn, thn = vn.dtype.type(b), vn.dtype.type(th)
        prev = None if v0 is None else v0.numpy()
        for t in range(steps):
            ut = un[t]
            if prev is None:
                np.copyto(ut, cn[t])
            else:
                np.multiply(prev, bn, out=ut)
                np.add(ut, cn[t], out=ut)
            np.greater(ut, thn, out=sn[t])
            if th == 1.0:
                np.subtract(ut, sn[t], out=vn[t])
            else:
                np.multiply(sn[t], thn, out=vn[t])
                np.subtract(ut, vn[t], out=vn[t])
            prev = vn[t]
        if u is not None:
            u.sub_(th)
        return
    us = (scratch,) * steps if u is None else u.unbind(0)
    vs, ss = v.unbind(0), s.unbind(0)
    prev = v0
    for t in range(steps):
        if prev is None:
            us[t].copy_(currents[t])
        else:
            torch.add(currents[t], prev, alpha=b, out=us[t])
        torch.gt(us[t], th, out=ss[t])
        torch.add(us[t], ss[t], alpha=-th, out=vs[t])
        prev = vs[t]
    if u is not None:
        u.sub_(th)


def _reverse_in_place(r: torch.Tensor, b: float) -> torch.Tensor:
    """Turn ``r`` into ``d``: ``d[t] = r[t] + b * d[t+1]`` (in place)."""
    steps = r.shape[0]
    backend = _backend(r) if r.is_contiguous() else "torch"
    if backend == "native":
        lib = native.library()
        fn = lib.lif_reverse_f32 if r.dtype == torch.float32 else lib.lif_reverse_f64
        fn(_ptr(r), steps, r[0].numel(), b)
        return r
    if backend == "numpy":
        rn = r.numpy()
        bn = rn.dtype.type(b)
        tmp = np.empty_like(rn[0])
        for t in range(steps - 2, -1, -1):
            np.multiply(rn[t + 1], bn, out=tmp)
            np.add(rn[t], tmp, out=rn[t])
        return r
    for t in range(steps - 2, -1, -1):
        r[t].add_(r[t + 1], alpha=b)
    return r


def _run(current, b: float, th: float, v0, steps, keep_u: bool):
    """Allocate the outputs and run the loop: ``(u - theta or None, s, v)``."""
    const = steps is not None
    n_steps = steps if const else current.shape[0]
    shape = tuple(current.shape) if const else tuple(current.shape[1:])
    opts = dict(dtype=current.dtype, device=current.device)
    u = torch.empty((n_steps,) + shape, **opts) if keep_u else None
    v = torch.empty((n_steps,) + shape, **opts)
    s = torch.empty((n_steps,) + shape, **opts)
    v0 = None if v0 is None else v0.contiguous()
    _forward_loop(current.contiguous(), const, u, v, s, v0, b, th)
    return u, s, v


def _prefix_weights(b: float, steps: int, like: torch.Tensor) -> torch.Tensor:
    """``w[k] = sum_{j<=k} b**j``, so that ``sum_t d[t] = sum_k w[k] r[k]``."""
    powers = torch.full((steps,), b, dtype=torch.float64).pow(torch.arange(steps, dtype=torch.float64))
    return powers.cumsum(0).to(dtype=like.dtype, device=like.device)


def _compiled_backward(prefix: str, surrogate: Surrogate, dtype: torch.dtype):
    """``(fn, k1, k2)``: the compiled backward ``native.<prefix>_<surrogate>_<f32|f64>`` for a surrogate of
    :data:`_NATIVE_SURROGATES` and its two constants."""
    name, constants = _NATIVE_SURROGATES[surrogate._grad_fn]
    fn = getattr(native.library(), f"{prefix}_{name}_{'f32' if dtype == torch.float32 else 'f64'}")
    return (fn, *constants(**surrogate.params))


def _compiled_dl_du(x, grad_s, grad_v, surrogate: Surrogate, b: float, recur: bool, c=None) -> torch.Tensor:
    """:func:`_dl_du`'s compiled pass (``native.lif_backward_<surrogate>``) for a surrogate of
    :data:`_NATIVE_SURROGATES` and a contiguous ``x``: ``d`` (or ``r``) in a new tensor, ``c`` into ``c`` if given."""
    fn, k1, k2 = _compiled_backward("lif_backward", surrogate, x.dtype)
    d = torch.empty_like(x)
    gs, gs_step = _steps_of(grad_s, x)
    gv, gv_step = _steps_of(grad_v, x)
    fn(_ptr(x), _ptr(gs), gs_step, _ptr(gv), gv_step, _ptr(d), _ptr(c), x.shape[0], x[0].numel(), int(recur), b, k1, k2)
    return d


def _summed_over_steps(r: torch.Tensor, b: float) -> torch.Tensor:
    """``sum_t d[t]`` of the recurrence ``d[t] = r[t] + b d[t+1]`` without running it: ``sum_k w[k] r[k]``
    (:func:`_prefix_weights`), the gradient of a constant current, shape ``r.shape[1:]``."""
    steps = r.shape[0]
    return (_prefix_weights(b, steps, r) @ r.reshape(steps, -1)).view(r.shape[1:])


def _dl_du(x, grad_s, grad_v, surrogate: Surrogate, b: float, recur: bool, keep_c: bool):
    """``(d, c)``: ``d = dL/du`` (with ``recur``; without it ``r = c + gV``, before the recurrence) and, with
    ``keep_c``, ``c = gS * sg`` (else ``None``).  One compiled pass for the surrogates that
    :data:`_NATIVE_SURROGATES` knows (the surrogate's derivative, the products, the sums and the recurrence element
    by element), else torch operations over all steps; the same operations in the same order either way."""
    if surrogate._grad_fn in _NATIVE_SURROGATES and x.is_contiguous() and _backend(x) == "native":
        c = torch.empty_like(x) if keep_c else None
        return _compiled_dl_du(x, grad_s, grad_v, surrogate, b, recur, c), c
    c = surrogate.grad(x).mul_(grad_s) if grad_s is not None else torch.zeros_like(x)
    if grad_v is not None:
        r = c + grad_v if keep_c else c.add_(grad_v)  # c itself is still needed for theta
    else:
        r = c.clone() if keep_c and recur else c
    if recur:
        _reverse_in_place(r, b)
    return r, (c if keep_c else None)


class _LIFSequence(torch.autograd.Function):
    @staticmethod
    def forward(ctx, current, beta, theta, v0, surrogate, steps):
        ctx.set_materialize_grads(False)
        ctx.surrogate, ctx.const = surrogate, steps is not None
        ctx.shapes = (beta.shape, theta.shape)
        ctx.device_path = _device_path(current)
        if ctx.device_path:  # beta and theta stay tensors: nothing waits for the device
            x, s, v = lif_compiled.forward(current, beta, theta, v0, steps, keep_x=True)
            ctx.save_for_backward(x, v, s, v0, beta)
            return s, v
        b, th = float(beta), float(theta)
        x, s, v = _run(current, b, th, v0, steps, keep_u=True)
        ctx.save_for_backward(x, v, s, v0)
        ctx.beta = b
        return s, v

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_s, grad_v):
        need_i, need_b, need_th, need_v0 = ctx.needs_input_grad[:4]
        if ctx.device_path:
            x, v, s, v0, beta = ctx.saved_tensors
            g_i, g_b, g_th, g_v0 = lif_compiled.backward(
                x, v, s, v0, beta, grad_s, grad_v, ctx.surrogate, ctx.const, (need_i, need_b, need_th, need_v0)
            )
            g_b = None if g_b is None else g_b.reshape(ctx.shapes[0])
            g_th = None if g_th is None else g_th.reshape(ctx.shapes[1])
            return g_i, g_b, g_th, g_v0, None, None
        x, v, s, v0 = ctx.saved_tensors  # x = u - theta
        b = ctx.beta
        g_i = g_b = g_th = g_v0 = None
        if ctx.const and need_i and not (need_b or need_th or need_v0):
            # only sum_t d[t] is needed: one weighted sum over t instead of the recurrence
            r, _ = _dl_du(x, grad_s, grad_v, ctx.surrogate, b, recur=False, keep_c=False)
            return _summed_over_steps(r, b), None, None, None, None, None
        d, c = _dl_du(x, grad_s, grad_v, ctx.surrogate, b, recur=True, keep_c=need_th)
        if need_th:
            c_sum = c.sum()
            c_s = (c * s).sum()
        if need_i:
            g_i = d.sum(0) if ctx.const else d
        if need_b:
            g_b = (d[1:] * v[:-1]).sum()
            if v0 is not None:
                g_b = g_b + (d[0] * v0).sum()
            g_b = g_b.reshape(ctx.shapes[0])
        if need_th:
            g_th = -(c_sum + (d * s).sum() - c_s).reshape(ctx.shapes[1])
        if need_v0:
            g_v0 = b * d[0]
        return g_i, g_b, g_th, g_v0, None, None


def lif_sequence(
    current: torch.Tensor,
    beta,
    threshold,
    surrogate: Surrogate,
    v0: torch.Tensor | None = None,
    steps: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run a LIF population over ``T`` steps in one autograd node.

    Parameters
    ----------
    current : tensor
        ``(T, *shape)`` input currents, or with ``steps=T`` one ``(*shape)`` current used at every step.
    beta, threshold : float or 0-dim tensor
        Leak in [0, 1] and threshold > 0 (tensors that require grad receive gradients).
    surrogate : Surrogate
        Its ``grad`` is the backward derivative.
    v0 : tensor or None
        Initial membrane ``(*shape)``; ``None`` means zeros.
    steps : int or None
        Number of steps for a constant current.

    Returns
    -------
    spikes, membranes : tensors ``(T, *shape)``
        Spikes (0/1) and post-reset membranes.
    """
    if not isinstance(surrogate, Surrogate):
        raise TypeError(f"the fused kernel needs a Surrogate instance, not {surrogate!r}")
    if not isinstance(current, torch.Tensor) or not current.is_floating_point():
        raise TypeError(f"current must be a floating-point tensor, not {current!r:.60}")
    if steps is not None:
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"steps must be a positive integer, not {steps!r}")
        shape = tuple(current.shape)
    else:
        if current.dim() < 1 or current.shape[0] < 1:
            raise ValueError(f"current must have a leading time axis of length >= 1, got shape {tuple(current.shape)}")
        shape = tuple(current.shape[1:])
    if v0 is not None:
        if tuple(v0.shape) != shape:
            raise ValueError(f"v0 has shape {tuple(v0.shape)}, expected {shape}")
        if v0.dtype != current.dtype or v0.device != current.device:
            raise TypeError(f"v0 is {v0.dtype} on {v0.device}, current is {current.dtype} on {current.device}")
    device = _device_path(current)
    beta_t, theta_t = (_scalar(value, current, device) for value in (beta, threshold))
    if beta_t.numel() != 1 or theta_t.numel() != 1:
        raise ValueError("the fused kernel takes one scalar beta and one scalar threshold")
    if torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (current, beta_t, theta_t, v0)):
        return _LIFSequence.apply(current, beta_t, theta_t, v0, surrogate, steps)
    with torch.no_grad():  # inference: no autograd node, no pre-reset membranes kept
        if device:
            _, s, v = lif_compiled.forward(current, beta_t, theta_t, v0, steps, keep_x=False)
        else:
            _, s, v = _run(current, float(beta_t), float(theta_t), v0, steps, keep_u=False)
    return s, v


def _scalar(value, current: torch.Tensor, device_path: bool) -> torch.Tensor:
    """``beta`` or ``theta`` as a tensor: a number as float64 on the CPU path; on the device path a number is
    filled in on ``current``'s device (a fill, not a copy from the host) and a tensor moved there if elsewhere."""
    if isinstance(value, torch.Tensor):
        return value.to(current.device) if device_path and value.device != current.device else value
    if device_path:
        dtype = torch.float64 if current.dtype == torch.float64 or current.device.type == "cpu" else torch.float32
        return torch.full((), float(value), dtype=dtype, device=current.device)
    return torch.tensor(float(value), dtype=torch.float64)


class _LIFPool(torch.autograd.Function):
    """A LIF population and spike pooling in one node; only the routed ``u - theta`` and position are kept."""

    @staticmethod
    def forward(ctx, current, b, th, surrogate, steps, k):
        pooled, x_r, idx = _run_pooled(current, b, th, steps, k, keep=True)
        ctx.save_for_backward(x_r, idx)
        ctx.surrogate, ctx.beta, ctx.steps, ctx.k = surrogate, b, steps, k
        ctx.full = tuple(current.shape)
        return pooled

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        x_r, idx = ctx.saved_tensors
        const = ctx.steps is not None
        n_steps = ctx.steps if const else ctx.full[0]
        shape = ctx.full if const else ctx.full[1:]
        # the surrogate at the routed positions times their gradient; every other position's is sg * 0 = +0
        c = ctx.surrogate.grad(x_r).mul_(grad.to(x_r.dtype))
        r = x_r.new_empty((n_steps, *shape))
        lib = native.library()
        fn = lib.unpool_indexed_f32 if r.dtype == torch.float32 else lib.unpool_indexed_f64
        h, w = shape[-2], shape[-1]
        fn(_ptr(c.contiguous()), _ptr(idx), _ptr(r), r.numel() // (h * w), h, w, ctx.k)
        if const:  # lif_sequence's shortcut: only sum_t d[t] is needed
            return _summed_over_steps(r, ctx.beta), None, None, None, None, None
        return _reverse_in_place(r, ctx.beta), None, None, None, None, None


def _run_pooled(current, b: float, th: float, steps, k: int, keep: bool):
    """The fused forward: ``(pooled spikes, u - theta at each window's routed position or None, its index or None)``."""
    const = steps is not None
    n_steps = steps if const else current.shape[0]
    shape = tuple(current.shape) if const else tuple(current.shape[1:])
    h, w = shape[-2], shape[-1]
    planes = 1
    for n in shape[:-2]:
        planes *= n
    m = planes * h * w
    current = current.contiguous()
    pooled = current.new_empty((n_steps, *shape[:-2], h // k, w // k))
    x_r = torch.empty_like(pooled) if keep else None
    idx = torch.empty(pooled.shape, dtype=torch.uint8) if keep else None
    zeros = current.new_zeros((m,))
    v_a, v_b = current.new_empty((m,)), current.new_empty((m,))
    s_row, x_row = current.new_empty((k * w,)), current.new_empty((k * w,))
    lib = native.library()
    fn = lib.lif_pool_forward_f32 if current.dtype == torch.float32 else lib.lif_pool_forward_f64
    fn(_ptr(current), 0 if const else m, _ptr(zeros), _ptr(v_a), _ptr(v_b), _ptr(pooled), _ptr(x_r), _ptr(idx),
       _ptr(s_row), _ptr(x_row), n_steps, planes, h, w, k, b, th)  # fmt: skip
    return pooled, x_r, idx


def lif_pool_sequence(current: torch.Tensor, beta, threshold, surrogate: Surrogate, k: int, steps: int | None = None):
    """``spike_pool`` of :func:`lif_sequence`'s spikes, in one pass, or ``None`` where it does not run.

    ``current``: ``(T, ..., H, W)``, or ``(..., H, W)`` with ``steps=T`` (a constant current); ``k`` the pool.
    Returns the pooled spikes ``(T, ..., H // k, W // k)``: the same values as ``spike_pool(lif_sequence(...)[0],
    k)`` and the same current gradient bit for bit (the surrogate taken at the routed positions only, then
    :func:`lif_sequence`'s recurrence or weighted sum).  The membranes are not returned nor kept: two steps'
    worth live during the forward.  Runs on the CPU's compiled loops (float32, float64) with ``v0`` zero and
    ``beta``, ``threshold`` fixed (no gradient for them); ``None`` otherwise, so that the caller runs the two
    separately.
    """
    if not isinstance(surrogate, Surrogate) or isinstance(k, bool) or not isinstance(k, int) or k < 2:
        return None
    if current.dim() < (2 if steps is not None else 3) or current.shape[-2] < k or current.shape[-1] < k:
        return None
    if _backend(current) != "native" or _device_path(current):
        return None
    if any(isinstance(p, torch.Tensor) and p.requires_grad and torch.is_grad_enabled() for p in (beta, threshold)):
        return None
    b, th = float(beta), float(threshold)
    if torch.is_grad_enabled() and current.requires_grad:
        return _LIFPool.apply(current, b, th, surrogate, steps, k)
    with torch.no_grad():
        return _run_pooled(current, b, th, steps, k, keep=False)[0]
