"""Constructor-argument checks shared by the gateware components."""

from __future__ import annotations

import functools

__all__ = ["check_int", "checked_init"]


def check_int(name: str, value, lo: int, hi: int | None = None) -> None:
    """``TypeError`` unless ``value`` is an int (not bool); ``ValueError`` unless ``lo <= value <= hi``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, not {value!r}")
    if value < lo or (hi is not None and value > hi):
        span = f"in [{lo}, {hi}]" if hi is not None else f">= {lo}"
        raise ValueError(f"{name} must be {span}, not {value!r}")


def checked_init(init):
    """Decorate a component's ``__init__``: an argument error does not leave an 'unused elaboratable' warning."""

    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        try:
            init(self, *args, **kwargs)
        except (TypeError, ValueError):
            self._MustUse__silence = True
            raise

    return wrapper
