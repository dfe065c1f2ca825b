"""Max pooling of spikes: the OR of each window, with ``torch.nn.functional.max_pool2d``'s gradient.

:func:`spike_pool` equals ``max_pool2d(s, k)`` (stride ``k``, no padding, floor: the last ``H % k`` rows and
``W % k`` columns are dropped) on a tensor of spikes (every value 0 or 1), forward and backward, bit for bit,
and faster on the CPU: nothing but the input is kept for the backward (``max_pool2d`` keeps an int64 index
per output), and on the CPU each way is one pass of the compiled loops of :mod:`~.native` (without them, or
on another device, ``k * k`` element-wise operations on strided views of each window position).

The backward routes each window's gradient to the position ``max_pool2d`` records: the first maximum in
row-major order within the window (its CPU and CUDA kernels replace the running maximum only on a strictly
greater value) -- for spikes, the first position that fired, or the window's top-left position when none
did.  That position receives the output gradient unchanged; every other position, and the dropped rows and
columns, receive zero.
"""

from __future__ import annotations

import torch

from . import native

__all__ = ["spike_pool"]


def _offsets(k: int):
    return [(dy, dx) for dy in range(k) for dx in range(k)]  # row-major: max_pool2d's scan order


def _window(s: torch.Tensor, k: int, dy: int, dx: int, ho: int, wo: int) -> torch.Tensor:
    """The ``(dy, dx)`` element of every window: a strided ``(..., ho, wo)`` view of ``s``."""
    return s[..., dy : dy + k * ho : k, dx : dx + k * wo : k]


def _native(s: torch.Tensor):
    if s.device.type != "cpu" or s.dtype not in (torch.float32, torch.float64) or not s.is_contiguous():
        return None
    return native.library()


def _planes(s: torch.Tensor) -> int:
    return s.numel() // (s.shape[-2] * s.shape[-1]) if s.numel() else 0


class _SpikePool(torch.autograd.Function):
    @staticmethod
    def forward(ctx, s, k):
        ho, wo = s.shape[-2] // k, s.shape[-1] // k
        ctx.save_for_backward(s)
        ctx.k = k
        lib = _native(s)
        if lib is not None:
            out = s.new_empty((*s.shape[:-2], ho, wo))
            fn = lib.pool_forward_f32 if s.dtype == torch.float32 else lib.pool_forward_f64
            fn(s.data_ptr(), out.data_ptr(), _planes(s), s.shape[-2], s.shape[-1], k)
            return out
        out = _window(s, k, 0, 0, ho, wo).clone(memory_format=torch.contiguous_format)
        for dy, dx in _offsets(k)[1:]:
            torch.maximum(out, _window(s, k, dy, dx, ho, wo), out=out)
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        (s,) = ctx.saved_tensors
        k = ctx.k
        ho, wo = grad.shape[-2], grad.shape[-1]
        lib = _native(s)
        if lib is not None:
            grad = grad.contiguous().to(s.dtype)
            grad_in = torch.empty_like(s)
            fn = lib.pool_backward_f32 if s.dtype == torch.float32 else lib.pool_backward_f64
            fn(s.data_ptr(), grad.data_ptr(), grad_in.data_ptr(), _planes(s), s.shape[-2], s.shape[-1], k)
            return grad_in, None
        grad_in = torch.zeros_like(s, memory_format=torch.contiguous_format)
        zero = grad.new_zeros(())
        corner = _window(s, k, 0, 0, ho, wo) > 0
        fired = corner.clone()  # True where an earlier position of the window fired
        for dy, dx in _offsets(k)[1:]:
            here = _window(s, k, dy, dx, ho, wo) > 0
            first = here & ~fired  # fired here and nowhere before: the window's first maximum
            _window(grad_in, k, dy, dx, ho, wo).copy_(torch.where(first, grad, zero))
            fired |= here
        # the top-left position when it fired, or when nothing in the window did (max_pool2d's first position)
        _window(grad_in, k, 0, 0, ho, wo).copy_(torch.where(corner | ~fired, grad, zero))
        return grad_in, None


def spike_pool(s: torch.Tensor, k: int) -> torch.Tensor:
    """``max_pool2d(s, k)`` of spikes ``s`` (``(..., H, W)``, values 0 or 1) as the OR of each ``k x k`` window:
    ``(..., H // k, W // k)``, the same values and gradient as ``max_pool2d`` (see the module docstring)."""
    if k == 1:
        return s
    if s.requires_grad and torch.is_grad_enabled():
        return _SpikePool.apply(s, k)
    with torch.no_grad():
        return _SpikePool.forward(_NoCtx(), s, k)


class _NoCtx:
    """Stands in for autograd's context when nothing will be differentiated."""

    def save_for_backward(self, *tensors):
        pass
