"""Convolution of spikes: ``conv2d`` (stride 1, zero padding) computed from the nonzero inputs only.

A conv layer that reads spikes (the pooled spikes of the layer before, 0 or 1, a few percent of them 1 in a
trained net) spends almost all of a dense ``conv2d``'s multiply-adds on zeros.  :func:`spike_conv2d` walks the
input once per image and adds, for every nonzero value ``v`` at ``(c, iy, ix)``, ``v * W[:, c, ky, kx]`` to each
output ``(iy + pad - ky, ix + pad - kx)`` it reaches; the kernel's gradient is the same walk over the output
gradient.  On the CPU both are one pass of the compiled loops of :mod:`~.native`; elsewhere (another device,
another dtype, no C compiler) it is ``torch.nn.functional.conv2d``.

Arithmetic (float32 or float64, in the input's dtype):

* forward: every output is ``(0 + v_1 w_1 + v_2 w_2 + ...) + bias``, each product and sum rounded, the terms
  in the order ``(c, ky, kx)`` -- a plain loop's order, the same for every output, whatever the data.  A zero
  input adds nothing (``a + 0 == a``), so this equals the dense sum over all ``C k k`` terms in that order bit
  for bit; ``conv2d`` (oneDNN) adds in another order and may round differently (float32: relative differences
  of a few 1e-7; ``tests/training/test_spike_conv.py``);
* kernel and bias gradients: summed in float64 over the batch and the positions, rounded once to the dtype (at
  least as accurate as ``conv2d``'s, not the same bits);
* input gradient: ``conv2d``'s own (``torch.nn.grad.conv2d_input``, a dense transposed convolution: the output
  gradient is dense).

Cost: the forward and the kernel gradient scale with the number of nonzero inputs (``k * k * C_out`` adds
each), ``conv2d``'s with the input size; at the conv net's density (about 6 % after pooling) they run 2-3x
faster than ``conv2d`` on one thread.  Above :data:`DENSE_ABOVE` nonzeros the call is ``conv2d``'s (forward and
backward): which arithmetic a call gets depends on its input's density, and is the same for the same input.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from . import native

__all__ = ["spike_conv2d", "DENSE_ABOVE"]

#: Above this fraction of nonzero inputs :func:`spike_conv2d` hands the call to ``conv2d`` (its multiply-adds
#: cost the same whatever the data; the walk's grow with the nonzeros: about even at 1/8 on one thread here).
DENSE_ABOVE = 0.125


def _native(x: torch.Tensor, weight: torch.Tensor):
    if x.device.type != "cpu" or x.dtype not in (torch.float32, torch.float64) or weight.dtype != x.dtype:
        return None
    return native.library()


def _geometry(x: torch.Tensor, weight: torch.Tensor, padding: int):
    n, c_in, h, w = x.shape
    c_out, k = weight.shape[0], weight.shape[-1]
    return n, c_in, h, w, c_out, k, padding


class _SpikeConv(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, padding):
        lib = native.library()
        x = x.contiguous()
        n, c_in, h, w, c_out, k, pad = _geometry(x, weight, padding)
        ho, wo = h + 2 * pad - k + 1, w + 2 * pad - k + 1
        wt = weight.detach().permute(1, 2, 3, 0).contiguous()  # (C_in, k, k, C_out): a kernel column per (c, ky, kx)
        b = None if bias is None else bias.detach().contiguous()
        out = x.new_empty((n, c_out, ho, wo))
        acc = x.new_empty((ho * wo * c_out,))
        fn = lib.spike_conv_forward_f32 if x.dtype == torch.float32 else lib.spike_conv_forward_f64
        fn(x.data_ptr(), wt.data_ptr(), None if b is None else b.data_ptr(), out.data_ptr(), acc.data_ptr(),
           n, c_in, h, w, c_out, k, pad)  # fmt: skip
        ctx.save_for_backward(x, weight)
        ctx.padding, ctx.has_bias = padding, bias is not None
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        grad = grad.contiguous().to(x.dtype)
        g_x = g_w = g_b = None
        if need_x:
            g_x = torch.nn.grad.conv2d_input(x.shape, weight, grad, padding=ctx.padding)
        if need_w or need_b:
            lib = native.library()
            n, c_in, h, w, c_out, k, pad = _geometry(x, weight, ctx.padding)
            dwt = torch.zeros((c_in, k, k, c_out), dtype=torch.float64)
            db = torch.zeros((c_out,), dtype=torch.float64) if need_b else None
            scratch = x.new_empty((grad.shape[2] * grad.shape[3] * c_out,))
            fn = lib.spike_conv_wgrad_f32 if x.dtype == torch.float32 else lib.spike_conv_wgrad_f64
            fn(x.data_ptr(), grad.data_ptr(), dwt.data_ptr(), None if db is None else db.data_ptr(),
               scratch.data_ptr(), n, c_in, h, w, c_out, k, pad)  # fmt: skip
            if need_w:
                g_w = dwt.permute(3, 0, 1, 2).to(weight.dtype).contiguous()
            if need_b:
                g_b = db.to(weight.dtype)
        return g_x, g_w, g_b, None


def spike_conv2d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, padding: int = 0):
    """``conv2d(x, weight, bias, padding=padding)`` (stride 1, square kernel) summed over the nonzero inputs.

    ``x``: ``(N, C_in, H, W)``, best a few percent nonzero (spikes); ``weight``: ``(C_out, C_in, k, k)``;
    ``bias``: ``(C_out,)`` or ``None``; ``padding``: zeros on each side.  Returns ``(N, C_out, H + 2 padding - k
    + 1, W + 2 padding - k + 1)``.  The arithmetic and where it differs from ``conv2d``: the module docstring.
    """
    if x.dim() != 4 or weight.dim() != 4 or weight.shape[1] != x.shape[1] or weight.shape[2] != weight.shape[3]:
        raise ValueError(f"spike_conv2d takes x (N, C, H, W) and square kernels (C_out, C, k, k), not "
                         f"{tuple(x.shape)} and {tuple(weight.shape)}")  # fmt: skip
    lib = _native(x, weight)
    k = weight.shape[-1]
    if lib is None or x.shape[2] + 2 * padding < k or x.shape[3] + 2 * padding < k or x.numel() == 0:
        return F.conv2d(x, weight, bias, padding=padding)
    x = x.contiguous()
    count = lib.count_nonzero_f32 if x.dtype == torch.float32 else lib.count_nonzero_f64
    if count(x.data_ptr(), x.numel()) > DENSE_ABOVE * x.numel():
        return F.conv2d(x, weight, bias, padding=padding)
    if torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (x, weight, bias)):
        return _SpikeConv.apply(x, weight, bias, padding)
    with torch.no_grad():
        return _SpikeConv.forward(_NoCtx(), x, weight, bias, padding)


class _NoCtx:
    """Stands in for autograd's context when nothing will be differentiated."""

    def save_for_backward(self, *tensors):
        pass
