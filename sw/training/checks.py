"""Input value checks shared by the networks and the encoders: never accept NaN or out-of-range input silently.

:func:`check_values` costs one reduction (``torch.aminmax``) and one host sync when the input is
fine; only a failing input pays for the detailed message (how many NaN or inf values, the first
one's index, the range of the finite values).
"""

from __future__ import annotations

import math

import torch

__all__ = ["check_values", "check_value_range"]


def check_value_range(name: str, value_range) -> tuple[float, float] | None:
    """``None`` or a ``(low, high)`` pair of finite numbers with ``low <= high``, as floats."""
    if value_range is None:
        return None
    try:
        low, high = value_range
        low, high = float(low), float(high)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be None or a (low, high) pair of numbers, not {value_range!r}") from None
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise ValueError(f"{name} must be finite with low <= high, not {value_range!r}")
    return low, high


def _describe(name: str, x: torch.Tensor, value_range, hint: str) -> str:
    nan, inf = torch.isnan(x), torch.isinf(x)
    finite = x[~(nan | inf)]
    span = f"[{float(finite.min())}, {float(finite.max())}]" if finite.numel() else "(none)"
    bad = []
    for what, mask in (("NaN", nan), ("inf", inf)):
        count = int(mask.sum())
        if count:
            first = tuple(int(i) for i in mask.nonzero()[0])
            bad.append(f"{count} {what} (the first at index {first})")
    if bad:
        return (f"{name}: the input holds {' and '.join(bad)} of {x.numel()} values; "
                f"its finite values lie in {span}")
    low, high = value_range
    return f"{name}: the input must lie in [{low:g}, {high:g}]; got values in {span}{hint}"


def check_values(name: str, x: torch.Tensor, value_range: tuple[float, float] | None = (0.0, 1.0), *,
                 hint: str = "") -> None:
    """Raise ``ValueError`` when ``x`` holds NaN or inf, or (unless ``value_range`` is ``None``) a
    value outside the closed interval ``value_range``.  ``hint`` ends the out-of-range message."""
    if x.numel() == 0:
        return
    low, high = torch.aminmax(x.detach())  # NaN propagates into both
    if value_range is None:
        ok = torch.isfinite(low) & torch.isfinite(high)
    else:
        ok = (low >= value_range[0]) & (high <= value_range[1])
    if not bool(ok):
        raise ValueError(_describe(name, x.detach(), value_range, hint))
