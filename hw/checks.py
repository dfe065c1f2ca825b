"""Constructor-argument checks shared by the gateware components.

A component that raises in ``__init__`` has already been created as an Amaranth elaboratable, and
Amaranth warns about it ("created but never used") when it is collected.  :class:`Validated` runs
a class's :meth:`~Validated.validate` from ``__new__``, *before* the object exists, so that a bad
argument raises a plain ``TypeError``/``ValueError`` and leaves nothing behind.
"""

from __future__ import annotations

__all__ = ["Validated", "check_int"]


def check_int(name: str, value, lo: int, hi: int | None = None) -> int:
    """``value`` if it is an int (not bool) in ``[lo, hi]``; else ``TypeError`` / ``ValueError`` naming it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, not {value!r}")
    if value < lo or (hi is not None and value > hi):
        span = f"in [{lo}, {hi}]" if hi is not None else f">= {lo}"
        raise ValueError(f"{name} must be {span}, not {value!r}")
    return value


class Validated:
    """Mixin (before ``wiring.Component`` in the bases): check the arguments before the object exists.

    A subclass defines ``validate`` as a ``staticmethod`` with the same parameters as its
    ``__init__`` (``tests/hw/test_checks.py`` holds every subclass to that); it raises on a bad
    argument and returns nothing.  ``__init__`` may then take its arguments as valid.
    """

    @staticmethod
    def validate(*args, **kwargs) -> None:  # pragma: no cover (every subclass defines its own)
        raise NotImplementedError

    def __new__(cls, *args, **kwargs):
        cls.validate(*args, **kwargs)
        return super().__new__(cls, *args, src_loc_at=1, **kwargs)
