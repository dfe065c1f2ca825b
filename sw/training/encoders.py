"""Spike encoders: pixel intensities or signals -> spike trains of shape ``(T, *batch)``.

* ``rate_encode(x, T)``: Bernoulli / Poisson rate code, ``P(spike at t) = x`` independently at
  every step.  Random: pass ``generator=`` (a ``torch.Generator``) or ``seed=`` for a repeatable code.
* ``latency_encode(x, T, tau=5)``: time to first spike, one spike per input at
  ``t = floor(tau * ln(1 / x))`` (``x = 1`` fires at step 0, weaker inputs later); an input of 0, or
  one whose time is ``>= T``, never fires.  Deterministic.
* ``delta_encode(x, threshold=0.1)``: ``x`` is already ``(T, *batch)``; a spike where the signal
  rose by more than ``threshold`` since the previous step (the step before the first is 0).
  ``off_spikes=True`` also emits ``-1`` where it fell by more than ``threshold``.  Deterministic.

``encode_images(x, T, encoding)`` applies one of them to static images ``(batch, n)`` in [0, 1] (the
command line's ``--input-encoding``); a still image's delta code is the onset of the image at ``t = 0``.

Inputs are tensors or array-likes (converted to float32); ``rate_encode`` and ``latency_encode``
need values in [0, 1] and raise ``ValueError`` otherwise (saying how many NaN or inf values there
are and where the finite values lie).
"""

from __future__ import annotations

import math

import torch

from .checks import check_values

__all__ = ["rate_encode", "latency_encode", "delta_encode", "encode_images", "ENCODINGS"]

#: The input encodings :func:`encode_images` applies to static images (``sc-neurocore ... --input-encoding``).
ENCODINGS = ("rate", "latency", "delta")


def _as_float_tensor(name: str, x) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        if not x.is_floating_point():
            raise TypeError(f"{name}: x must be a floating-point tensor, not dtype {x.dtype}")
        return x
    try:
        return torch.as_tensor(x, dtype=torch.float32)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name}: x must be a tensor or array-like of numbers, not {type(x).__name__}") from exc


def _check_steps(name: str, T) -> int:
    if isinstance(T, bool) or not isinstance(T, int) or T < 1:
        raise ValueError(f"{name}: T must be a positive integer, not {T!r}")
    return T


def rate_encode(x, T: int, *, generator: torch.Generator | None = None, seed: int | None = None) -> torch.Tensor:
    """``(T, *x.shape)`` spikes, each 1 with probability ``x`` independently."""
    x = _as_float_tensor("rate_encode", x)
    _check_steps("rate_encode", T)
    check_values("rate_encode", x)
    if generator is not None and seed is not None:
        raise ValueError("rate_encode: pass generator= or seed=, not both")
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"rate_encode: seed must be an integer, not {seed!r}")
        generator = torch.Generator(device=x.device).manual_seed(seed)
    draws = torch.rand((T, *x.shape), generator=generator, device=x.device, dtype=x.dtype)
    return (draws < x).to(x.dtype)


def latency_encode(x, T: int, tau: float = 5) -> torch.Tensor:
    """``(T, *x.shape)``: one spike at ``floor(tau * ln(1 / x))`` for ``x > 0`` (if ``< T``)."""
    x = _as_float_tensor("latency_encode", x)
    _check_steps("latency_encode", T)
    if isinstance(tau, bool) or not isinstance(tau, (int, float)) or not math.isfinite(tau) or tau <= 0:
        raise ValueError(f"latency_encode: tau must be a positive finite number, not {tau!r}")
    check_values("latency_encode", x)
    times = torch.floor(-float(tau) * torch.log(x.clamp_min(torch.finfo(x.dtype).tiny)))
    fires = (x > 0) & (times < T)
    out = torch.zeros((T, *x.shape), dtype=x.dtype, device=x.device)
    index = times.clamp(0, T - 1).long().unsqueeze(0)
    out.scatter_(0, index, fires.to(x.dtype).unsqueeze(0))
    return out


def delta_encode(x, threshold: float = 0.1, *, off_spikes: bool = False) -> torch.Tensor:
    """Spikes on change of a ``(T, *batch)`` signal: 1 where ``x[t] - x[t-1] > threshold``."""
    x = _as_float_tensor("delta_encode", x)
    if x.dim() < 1 or x.shape[0] < 1:
        raise ValueError(f"delta_encode: x must be (T, *batch) with T >= 1, got shape {tuple(x.shape)}")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not threshold > 0:
        raise ValueError(f"delta_encode: threshold must be a positive number, not {threshold!r}")
    if not isinstance(off_spikes, bool):
        raise TypeError(f"delta_encode: off_spikes must be a bool, not {off_spikes!r}")
    previous = torch.cat([torch.zeros_like(x[:1]), x[:-1]])
    change = x - previous
    out = (change > threshold).to(x.dtype)
    if off_spikes:
        out = out - (change < -threshold).to(x.dtype)
    return out


def encode_images(x, T: int, encoding: str, *, seed: int | None = 0, tau: float = 5,
                  threshold: float = 0.1) -> torch.Tensor:
    """Static images ``x`` ``(batch, n)`` in [0, 1] -> a ``(T, batch, n)`` raster of 0/1.

    ``"rate"``: :func:`rate_encode` with ``seed`` (``None``: torch's global generator); ``"latency"``:
    :func:`latency_encode` with ``tau``; ``"delta"``: :func:`delta_encode` of the image shown from ``t = 0``
    (a spike at ``t = 0`` where a pixel exceeds ``threshold``, none after: a still image does not change).
    """
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {ENCODINGS}, not {encoding!r}")
    x = _as_float_tensor("encode_images", x)
    _check_steps("encode_images", T)
    if encoding == "rate":
        return rate_encode(x, T, seed=seed)
    if encoding == "latency":
        return latency_encode(x, T, tau=tau)
    check_values("encode_images", x)
    return delta_encode(x.unsqueeze(0).expand(T, *x.shape), threshold=threshold)
