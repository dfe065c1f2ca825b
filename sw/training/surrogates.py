"""Surrogate gradients: a hard Heaviside step forward, a smooth closed-form derivative backward.

Every surrogate takes ``x = v - threshold`` (already shifted), returns ``(x > 0).float()`` in the
forward pass and ``grad_output * surrogate.grad(x)`` in the backward pass.

A surrogate is a :class:`Surrogate` instance; the module-level names are instances with the
default shape parameters.  Shape parameters are set in one way for all of them, by keyword:

* ``atan_surrogate.with_params(alpha=3.0)`` -- a new surrogate (the original is unchanged);
* ``atan_surrogate(x, alpha=3.0)`` -- one call with other parameters.

=====================  ===================================================  =================
name                   derivative ``grad(x)``                               default
=====================  ===================================================  =================
``atan_surrogate``     ``alpha / (2 * (1 + (pi * alpha * x / 2)**2))``       ``alpha=2.0``
``fast_sigmoid``       ``slope / (1 + slope * |x|)**2``                      ``slope=25.0``
``superspike``         ``1 / (1 + beta * |x|)**2``                           ``beta=10.0``
``sigmoid_surrogate``  ``slope * sig(slope * x) * (1 - sig(slope * x))``     ``slope=5.0``
``straight_through``   ``1`` (the straight-through estimator)                --
``triangular``         ``max(0, 1 - |x| / width) / width``                   ``width=1.0``
``boxcar``             ``(|x| < width / 2) / width``                         ``width=1.0``
=====================  ===================================================  =================

Any plain callable ``f(x) -> spikes`` works as a cell's ``surrogate_fn`` too (it goes through
autograd step by step); a :class:`Surrogate` also lets the fused LIF kernel use ``grad`` directly.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

__all__ = [
    "Surrogate",
    "SURROGATES",
    "get_surrogate",
    "atan_surrogate",
    "fast_sigmoid",
    "superspike",
    "sigmoid_surrogate",
    "straight_through",
    "triangular",
    "boxcar",
]


class _SpikeFunction(torch.autograd.Function):
    """Heaviside forward, ``surrogate.grad`` backward."""

    @staticmethod
    def forward(ctx, x, surrogate):
        ctx.save_for_backward(x)
        ctx.surrogate = surrogate
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * ctx.surrogate.grad(x), None


class Surrogate:
    """A named surrogate gradient with keyword shape parameters.

    Parameters
    ----------
    name : str
        The name used in checkpoints and by :func:`get_surrogate`.
    grad_fn : callable
        ``grad_fn(x, **params) -> tensor``, the closed-form derivative.
    **params : float
        Shape parameters (each a positive finite number).
    """

    def __init__(self, name: str, grad_fn: Callable, **params):
        if not isinstance(name, str) or not name:
            raise TypeError(f"surrogate name must be a non-empty string, not {name!r}")
        self.name = name
        self._grad_fn = grad_fn
        self.params = {key: _check_param(name, key, value) for key, value in params.items()}

    def with_params(self, **params) -> Surrogate:
        """A copy with some shape parameters changed; unknown names raise ``TypeError``."""
        unknown = set(params) - set(self.params)
        if unknown:
            known = ", ".join(self.params) or "none"
            raise TypeError(f"{self.name} has no parameter(s) {sorted(unknown)}; known: {known}")
        return Surrogate(self.name, self._grad_fn, **{**self.params, **params})

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        """The closed-form derivative at ``x = v - threshold``."""
        return self._grad_fn(x, **self.params)

    def __call__(self, x: torch.Tensor, **params) -> torch.Tensor:
        if params:
            return self.with_params(**params)(x)
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{self.name} expects a torch.Tensor, not {type(x).__name__}")
        if not x.is_floating_point():
            raise TypeError(f"{self.name} expects a floating-point tensor, not dtype {x.dtype}")
        return _SpikeFunction.apply(x, self)

    def to_dict(self) -> dict:
        """``{"name": ..., "params": {...}}`` (what a checkpoint stores)."""
        return {"name": self.name, "params": dict(self.params)}

    def __eq__(self, other) -> bool:
        return isinstance(other, Surrogate) and (self.name, self.params) == (other.name, other.params)

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted(self.params.items()))))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.name}({args})"


def _check_param(name: str, key: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name}: parameter {key} must be a number, not {value!r}")
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name}: parameter {key} must be a positive finite number, not {value!r}")
    return value


# The closed forms, written with in-place ops on one fresh tensor (the fused kernel calls them on
# (T, batch, neurons) tensors); the input is never modified.


def _atan_grad(x, alpha):
    return (x * (math.pi / 2 * alpha)).square_().add_(1).reciprocal_().mul_(alpha / 2)


def _fast_sigmoid_grad(x, slope):
    return (x.abs() * slope).add_(1).square_().reciprocal_().mul_(slope)


def _superspike_grad(x, beta):
    return (x.abs() * beta).add_(1).square_().reciprocal_()


def _sigmoid_grad(x, slope):
    s = torch.sigmoid(x * slope)
    return s.mul_(1 - s).mul_(slope)


def _straight_through_grad(x):
    return torch.ones_like(x)


def _triangular_grad(x, width):
    return (x.abs() * (-1 / width)).add_(1).clamp_min_(0).div_(width)


def _boxcar_grad(x, width):
    return (x.abs() < width / 2).to(x.dtype).div_(width)


atan_surrogate = Surrogate("atan_surrogate", _atan_grad, alpha=2.0)
fast_sigmoid = Surrogate("fast_sigmoid", _fast_sigmoid_grad, slope=25.0)
superspike = Surrogate("superspike", _superspike_grad, beta=10.0)
sigmoid_surrogate = Surrogate("sigmoid_surrogate", _sigmoid_grad, slope=5.0)
straight_through = Surrogate("straight_through", _straight_through_grad)
triangular = Surrogate("triangular", _triangular_grad, width=1.0)
boxcar = Surrogate("boxcar", _boxcar_grad, width=1.0)

#: The seven surrogates by name, with default parameters.
SURROGATES: dict[str, Surrogate] = {
    s.name: s
    for s in (atan_surrogate, fast_sigmoid, superspike, sigmoid_surrogate, straight_through, triangular, boxcar)
}


def get_surrogate(name: str, **params) -> Surrogate:
    """The surrogate called ``name`` with ``params`` changed (``get_surrogate("superspike", beta=5)``)."""
    if name not in SURROGATES:
        raise ValueError(f"unknown surrogate {name!r}; known: {', '.join(SURROGATES)}")
    return SURROGATES[name].with_params(**params) if params else SURROGATES[name]
