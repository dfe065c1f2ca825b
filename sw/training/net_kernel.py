"""A dense LIF ``SpikingNet``'s whole forward and backward in one autograd node, on the CPU's compiled loops.

Per layer the net's ordinary path makes an ``addmm`` node, a transpose, a view, the LIF sequence's node
(:mod:`~sc_neurocore.training.lif_kernel`) and its checks; at the benchmark's shape (784-128-128-10, batch 64,
``T = 25``) that bookkeeping was about a sixth of a training step.  :func:`counts_and_membranes` computes the same
values by the same calls, in one node:

forward, layer by layer (the first layer's current once for all steps when the input is static)::

    I = addmm(b, x, W.t())                     # F.linear's call
    u - theta, s, v = lif_forward(I)           # native.lif_forward_*: the LIF sequence's loop
    -> counts = s_L.sum(0), membranes = v_L.sum(0)

backward, from the last layer to the first::

    d = lif_backward(u - theta, dL/ds, dL/dv)  # native.lif_backward_<surrogate>_*: dL/dI, the recurrence
    dL/dW = d.t() @ s_prev      dL/db = d.sum(0)      dL/ds_prev = d @ W       # what autograd's addmm gives
    (the first layer of a static input: d is sum_t w[t] r[t], lif_kernel's shortcut)

Every product is the call autograd's ``addmm`` backward makes for a row-major input and a ``Linear``'s weight, and
every elementwise pass is :mod:`~sc_neurocore.training.lif_kernel`'s, so the gradients equal the per-layer path's
bit for bit (``tests/training/test_net_kernel.py``).  It runs only where that holds -- plain ``LIFCell`` layers
(subtract reset, fixed ``beta`` and ``threshold``, a surrogate the compiled loops know), plain ``nn.Linear``
layers without hooks, a CPU float32 or float64 input that needs no gradient, the compiled loops loaded,
gradients on and no autocast -- and :func:`applies` says so; everything else takes the per-layer path.
"""

from __future__ import annotations

import torch
from torch import nn

from . import lif_kernel, native
from .cells import LIFCell
from .lif_kernel import _NATIVE_SURROGATES, _compiled_dl_du, _summed_over_steps

__all__ = ["applies", "counts_and_membranes"]


def _plain_linear(fc) -> bool:
    return type(fc) is nn.Linear and not (fc._forward_hooks or fc._forward_pre_hooks)


def _plain_lif(lif) -> bool:
    return (type(lif) is LIFCell and lif.fused and lif.reset_mode == "subtract"
            and not isinstance(lif.beta, nn.Parameter) and not isinstance(lif.threshold, nn.Parameter)
            and getattr(lif.surrogate_fn, "_grad_fn", None) in _NATIVE_SURROGATES)


def applies(fcs, lifs, x: torch.Tensor) -> bool:
    """True when :func:`counts_and_membranes` runs this forward (see the module docstring)."""
    if not torch.is_grad_enabled() or x.requires_grad or x.device.type != "cpu" or torch.is_autocast_enabled("cpu"):
        return False  # (autocast would hand the loops bfloat16 products)
    if x.dtype not in (torch.float32, torch.float64) or lif_kernel.BACKEND not in ("auto", "native"):
        return False
    if nn.modules.module._global_forward_hooks or nn.modules.module._global_forward_pre_hooks:
        return False
    if not all(_plain_linear(fc) and fc.weight.dtype == x.dtype for fc in fcs) or not all(map(_plain_lif, lifs)):
        return False
    return native.library() is not None


def counts_and_membranes(fcs, lifs, x: torch.Tensor, static: bool):
    """``(s_L.sum(0), v_L.sum(0))`` of the net whose layers are ``fcs`` and ``lifs``, for ``x`` ``(T, batch,
    inputs)`` (``static``: every step the same, ``x[0]`` read once), as one autograd node."""
    params = []
    for fc in fcs:
        params += [fc.weight, fc.bias]
    cells = tuple((float(lif.beta), float(lif.threshold), lif.surrogate_fn) for lif in lifs)
    return _Net.apply(x[0] if static else x, x.shape[0], static, cells, *params)


class _Net(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, steps, static, cells, *params):
        ctx.set_materialize_grads(False)
        inp, saved, spikes, mem = x if static else x.reshape(steps * x.shape[1], -1), [], None, None
        batch = x.shape[0] if static else x.shape[1]
        for i, (b, th, _) in enumerate(cells):
            weight, bias = params[2 * i], params[2 * i + 1]
            first_static = static and i == 0
            cur = torch.addmm(bias, inp, weight.t()) if bias is not None else torch.mm(inp, weight.t())
            cur = cur if first_static else cur.view(steps, batch, -1)
            u, spikes, mem = lif_kernel._run(cur, b, th, None, steps if first_static else None, keep_u=True)
            saved += [inp, u]
            inp = spikes.view(steps * batch, -1)
        ctx.save_for_backward(*saved, *params)
        ctx.static, ctx.cells, ctx.n = static, cells, len(cells)
        return spikes.sum(0), mem.sum(0)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_counts, grad_mem):
        saved = ctx.saved_tensors
        n = ctx.n
        params = saved[2 * n:]
        grads = [None] * (2 * n)
        if grad_counts is None and grad_mem is None:
            return (None, None, None, None, *grads)
        shape = saved[2 * n - 1].shape  # the last layer's (T, batch, out)
        grad_s = None if grad_counts is None else grad_counts.unsqueeze(0).expand(shape)
        grad_v = None if grad_mem is None else grad_mem.unsqueeze(0).expand(shape)
        for i in range(n - 1, -1, -1):  # only the output layer's membranes are read, so grad_v ends there
            inp, u = saved[2 * i], saved[2 * i + 1]
            b, _, surrogate = ctx.cells[i]
            weight, bias = params[2 * i], params[2 * i + 1]
            if ctx.static and i == 0:  # lif_kernel's shortcut: only sum_t d[t] is needed
                d = _summed_over_steps(_compiled_dl_du(u, grad_s, grad_v, surrogate, b, recur=False), b)
            else:
                d = _compiled_dl_du(u, grad_s, grad_v, surrogate, b, recur=True).view(-1, u.shape[-1])
            if weight.requires_grad:
                grads[2 * i] = torch.mm(d.t(), inp)
            if bias is not None and bias.requires_grad:
                grads[2 * i + 1] = d.sum(0)
            grad_s = torch.mm(d, weight).view(saved[2 * i - 1].shape) if i > 0 else None
            grad_v = None
        return (None, None, None, None, *grads)
