"""The fused LIF sequence for accelerators: the step loops as compiled kernels, no host syncs.

:mod:`~sc_neurocore.training.lif_kernel` runs its CPU loops with Python floats for ``beta`` and
``theta``; on a GPU that costs a host sync per call (``float(beta)`` waits for the device) and a
few kernel launches per step.  This module is its device path: the same recurrences, written as
plain tensor functions of ``(T, M)`` arrays (``M`` = neurons x batch, flattened) with ``beta`` and
``theta`` kept as 0-dim tensors, and the Python loop over the ``T`` steps unrolled by
``torch.compile`` (inductor) into one kernel for the forward and one for the backward -- Triton on
CUDA, C++ on the CPU.  Nothing here reads a tensor's value on the host: no ``float()``, ``item()``
or branch on data (``tests/training/test_lif_compiled.py`` runs it with those made to raise, and
under ``torch.cuda.set_sync_debug_mode("error")`` where CUDA exists).

Forward of one chunk of ``K`` steps (the contract's order, as the CPU loops)::

    u = beta * v_prev + I[t];  s[t] = (u > theta);  v[t] = u - s[t] * theta;  x[t] = u - theta

Backward (the hand-written reverse recurrence of :mod:`~.lif_kernel`), ``r = gS * sg(x) + gV``::

    d[t] = r[t] + beta * d[t+1];  dI[t] = d[t];  dbeta = sum_t d[t] v[t-1];  dv0 = beta d[0]
    dtheta = -sum_t (gS[t] sg[t] + (d[t] - gS[t] sg[t]) s[t])

A constant current (``steps=T``) is read once per element and its gradient ``sum_t d[t]`` is
accumulated in the kernel without storing ``d``: the compiled form of the CPU path's shortcut.

Equality with the CPU path: the forward does the CPU loops' arithmetic in their order (multiply,
then add, separately rounded: inductor compiles C++ with ``-ffp-contract=off`` and, with
:data:`OPTIONS`, Triton without fused multiply-add and with IEEE division), so spikes and membranes
equal the CPU loops' bit for bit -- tested on the CPU; on CUDA it is what the options ask for, not
yet measured.  Gradients: per-step current gradients are the same element-wise arithmetic; the
reductions (``dbeta``, ``dtheta``, a constant current's ``sum_t d[t]``, the CPU path's weighted
sum) add in another order, so they agree to rounding (tested: relative 1e-5 in float32, 1e-12 in
float64).

Compiling: at most :data:`CHUNK` steps are unrolled into one kernel (a longer sequence runs in
chunks of equal length, the membrane or the reverse carry handed from one to the next), so the
compile time does not grow with ``T``.  One compiled function per (chunk length, constant or not,
``v0`` given or not, outputs needed, surrogate, dtype) with the neuron count dynamic: a net
compiles a handful of them once (about 10-30 s each on a cold cache on the CPU, a few seconds from
inductor's on-disk cache); later calls with any batch size reuse them.  Without a working
``torch.compile`` (no Triton, no C++ compiler) or with ``SC_NEUROCORE_COMPILE=0``, the same
functions run eagerly: still no host sync, a few kernel launches per step.  :data:`status` says
which happened.
"""

from __future__ import annotations

import os
import types

import torch

__all__ = ["forward", "backward", "status", "CHUNK", "OPTIONS"]

#: The most steps unrolled into one compiled kernel.
CHUNK = 32

#: Inductor settings for the device path: Triton without fused multiply-add (``emulate_precision_casts``
#: turns off ``enable_fp_fusion``), with IEEE division and without flushing denormals, so that a GPU
#: rounds as the CPU loops do.  (Inductor's C++ already compiles with ``-ffp-contract=off``.)
OPTIONS = {
    "emulate_precision_casts": True,
    "eager_numerics.division_rounding": True,
    "eager_numerics.disable_ftz": True,
}

#: How the device path's last call ran: ``"not used"`` (not yet), ``"compiled"``, or ``"eager (...)"`` and why.
status = "not used"
_functions: dict = {}


def _chunks(steps: int) -> list[tuple[int, int]]:
    """``[(t0, t1), ...]``: ``steps`` split into ``ceil(steps / CHUNK)`` chunks whose lengths differ by at most 1."""
    n = -(-steps // CHUNK)
    base, extra = divmod(steps, n)
    bounds, t0 = [], 0
    for i in range(n):
        t1 = t0 + base + (1 if i < extra else 0)
        bounds.append((t0, t1))
        t0 = t1
    return bounds


# ------------------------------------------------------------------------------ the step loops


def _forward_chunk(cur, beta, theta, prev, *, steps: int, const: bool, keep_x: bool):
    """``steps`` LIF steps from membrane ``prev`` (``None``: zeros): ``(s, v, x or None)``, each ``(steps, M)``.

    ``cur`` is ``(steps, M)``, or ``(M,)`` used at every step when ``const``."""
    beta = beta.to(cur.dtype)
    theta = theta.to(cur.dtype)
    ss, vs, xs = [], [], []
    for t in range(steps):
        c = cur if const else cur[t]
        u = c if prev is None else beta * prev + c  # beta * 0 + c == c: the CPU loops' first step
        s = (u > theta).to(u.dtype)
        v = u - s * theta
        ss.append(s)
        vs.append(v)
        if keep_x:
            xs.append(u - theta)
        prev = v
    return torch.stack(ss), torch.stack(vs), torch.stack(xs) if keep_x else None


def _backward_chunk(
    x,
    s,
    grad_s,
    grad_v,
    v_prev,
    v_first,
    carry,
    beta,
    *,
    surrogate,
    steps: int,
    const: bool,
    need_i: bool,
    need_b: bool,
    need_th: bool,
):
    """The reverse recurrence over one chunk (last step first).

    ``x``, ``s``: the chunk's ``u - theta`` and spikes, ``(steps, M)``; ``grad_s``, ``grad_v``: their
    incoming gradients or ``None``; ``v_prev``: ``v[t-1]`` for the chunk's steps that have one in
    the sequence (all but the sequence's first step), ``(steps or steps - 1, M)``; ``v_first``: the
    membrane before the sequence's first step (``v0``, in the first chunk only; ``None``: zeros);
    ``carry``: ``d`` of the step after the chunk (``None`` for the last chunk).

    Returns ``(g_i, d0, g_b, g_th)``: the chunk's current gradient (``(steps, M)``, or its sum over
    the chunk when ``const``; ``None`` unless ``need_i``), ``d`` of its first step (the next carry),
    and its partial sums for ``beta`` and ``theta`` (0-dim, or ``None``).
    """
    beta = beta.to(x.dtype)
    c = None if grad_s is None else surrogate.grad(x) * grad_s
    keep_d = not const or need_b or need_th  # a constant current alone needs only sum_t d[t]
    ds = []
    g_sum = None
    d = carry
    for t in range(steps - 1, -1, -1):
        r = c[t] if c is not None else None
        if grad_v is not None:
            r = grad_v[t] if r is None else r + grad_v[t]
        if r is None:
            r = torch.zeros_like(x[t])
        d = r if d is None else r + beta * d
        if const and need_i:
            g_sum = d if g_sum is None else g_sum + d
        if keep_d:
            ds.append(d)
    dd = torch.stack(ds[::-1]) if keep_d else None
    g_i = (g_sum if const else dd) if need_i else None
    g_b = g_th = None
    if need_b:
        first = steps - v_prev.shape[0]  # 1 in the sequence's first chunk, else 0
        g_b = (dd[first:] * v_prev).sum()
        if first and v_first is not None:
            g_b = g_b + (dd[0] * v_first).sum()
    if need_th:
        if c is None:
            g_th = -(dd * s).sum()
        else:
            g_th = -(c.sum() + (dd * s).sum() - (c * s).sum())
    return g_i, d, g_b, g_th


# ------------------------------------------------------------------------------ compiling


def _compile_wanted() -> bool:
    return os.environ.get("SC_NEUROCORE_COMPILE", "1") != "0"


def _named_copy(fn, name: str):
    """``fn`` with a code object of its own: torch.compile keeps its cache (and recompile limit) per code object,
    so every variant gets its own instead of sharing one."""
    code = fn.__code__.replace(co_name=name)
    return types.FunctionType(code, fn.__globals__, name, fn.__defaults__, fn.__closure__)


class _Variant:
    """One step loop with its static arguments bound; compiled on first use (eager if compiling fails)."""

    def __init__(self, fn, name: str, static: dict):
        self.fn, self.static = fn, static
        self.compiled = None
        self.why = "eager (SC_NEUROCORE_COMPILE=0)"
        if _compile_wanted():
            self.compiled = torch.compile(_named_copy(fn, name), dynamic=None, options=OPTIONS)

    def __call__(self, *args):
        global status
        if self.compiled is not None:
            for a in args:
                if isinstance(a, torch.Tensor) and a.dim() >= 1:
                    torch._dynamo.maybe_mark_dynamic(a, a.dim() - 1)  # the neuron count: any batch size
            try:
                out = self.compiled(*args, **self.static)
            except Exception as exc:  # noqa: BLE001 - no Triton, no C++ compiler, ...: run this one eagerly
                self.compiled = None
                first = (str(exc).splitlines() or [""])[0][:200]
                self.why = f"eager (torch.compile failed: {type(exc).__name__}: {first})"
            else:
                status = "compiled"
                return out
        status = self.why
        return self.fn(*args, **self.static)


def _variant(fn, **static) -> _Variant:
    key = (fn.__name__, *sorted(static.items(), key=lambda kv: kv[0]))
    found = _functions.get(key)
    if found is None:
        flags = "_".join(f"{k}{int(v) if isinstance(v, bool) else v}" for k, v in static.items() if k != "surrogate")
        found = _functions[key] = _Variant(fn, f"{fn.__name__}_{flags}", static)
    return found


# ------------------------------------------------------------------------------ entry points


def forward(current, beta, theta, v0, steps, keep_x: bool):
    """The forward over the whole sequence: ``(x or None, s, v)``, each ``(T, *shape)``.

    ``current``: ``(T, *shape)``, or ``(*shape)`` with ``steps=T``; ``beta``, ``theta``: 0-dim tensors on
    ``current``'s device; ``v0``: ``(*shape)`` or ``None``.  ``x = u - theta`` only when ``keep_x``.
    """
    const = steps is not None
    n_steps = steps if const else current.shape[0]
    shape = tuple(current.shape) if const else tuple(current.shape[1:])
    m = 1
    for n in shape:
        m *= n
    if m == 0:
        empty = current.new_empty((n_steps, *shape))
        return (empty.clone() if keep_x else None), empty.clone(), empty
    cur = current.reshape(m) if const else current.reshape(n_steps, m)
    prev = None if v0 is None else v0.reshape(m)
    ss, vs, xs = [], [], []
    for t0, t1 in _chunks(n_steps):
        fn = _variant(_forward_chunk, steps=t1 - t0, const=const, keep_x=keep_x)
        s, v, x = fn(cur if const else cur[t0:t1], beta, theta, prev)
        ss.append(s)
        vs.append(v)
        xs.append(x)
        prev = v[-1]
    s, v = (torch.cat(parts) if len(parts) > 1 else parts[0] for parts in (ss, vs))
    x = (torch.cat(xs) if len(xs) > 1 else xs[0]) if keep_x else None
    full = (n_steps, *shape)
    return None if x is None else x.view(full), s.view(full), v.view(full)


def backward(x, v, s, v0, beta, grad_s, grad_v, surrogate, const: bool, needs):
    """Gradients ``(g_i, g_b, g_th, g_v0)`` (``None`` where ``needs`` -- four bools for current, beta,
    theta, v0 -- says no) from the saved ``x`` (``u - theta``), ``v``, ``s`` and ``v0`` and the
    incoming ``grad_s``, ``grad_v`` (either may be ``None``).  ``g_b`` and ``g_th`` are 0-dim."""
    need_i, need_b, need_th, need_v0 = needs
    n_steps = x.shape[0]
    m = x[0].numel()
    flat = [None if t is None else t.reshape(n_steps, m) for t in (x, v, s, grad_s, grad_v)]
    x2, v2, s2, gs2, gv2 = flat
    v_first = None if v0 is None else v0.reshape(m)
    carry, g_b, g_th = None, None, None
    g_parts = []
    for t0, t1 in reversed(_chunks(n_steps)):
        fn = _variant(
            _backward_chunk,
            surrogate=surrogate,
            steps=t1 - t0,
            const=const,
            need_i=need_i,
            need_b=need_b,
            need_th=need_th,
        )
        part = slice(t0, t1)
        v_prev = v2[max(t0 - 1, 0) : t1 - 1]
        g_i, carry, pb, pth = fn(
            x2[part],
            s2[part],
            None if gs2 is None else gs2[part],
            None if gv2 is None else gv2[part],
            v_prev,
            v_first if t0 == 0 else None,
            carry,
            beta,
        )
        if need_i:
            g_parts.append(g_i)
        if need_b:
            g_b = pb if g_b is None else g_b + pb
        if need_th:
            g_th = pth if g_th is None else g_th + pth
    g_i = None
    if need_i:
        if const:
            g_i = g_parts[0]
            for p in g_parts[1:]:
                g_i = g_i + p
            g_i = g_i.view(x.shape[1:])
        else:
            g_i = (torch.cat(g_parts[::-1]) if len(g_parts) > 1 else g_parts[0]).view(x.shape)
    g_v0 = (beta.to(x.dtype) * carry).view(x.shape[1:]) if need_v0 else None
    return g_i, g_b, g_th, g_v0
