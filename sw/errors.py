"""Exceptions that the command line maps to its exit codes.

The rule (``docs/interfaces.md``): exit 0 success, 1 a check failed (an RTL mismatch, timing not
met, an accuracy gate), 2 bad usage or bad input, 3 a missing tool or extra.  Library code raises
``ValueError``/``TypeError``/``FileNotFoundError`` for bad input, :class:`CheckFailed` for a failed
check and :class:`MissingTool` for something to install; the message of a :class:`MissingTool`
ends with the exact command that installs it (:attr:`MissingTool.install`).
"""

from __future__ import annotations

__all__ = ["CheckFailed", "MissingTool", "EXTRA_INSTALL", "missing_extra"]


class CheckFailed(RuntimeError):
    """A check ran and failed (exit code 1)."""


class MissingTool(RuntimeError):
    """A program or optional Python package is missing (exit code 3); ``install`` is the command that adds it."""

    def __init__(self, message: str, install: str = ""):
        self.install = install
        super().__init__(f"{message}; install it with: {install}" if install else message)


#: pip command per extra of ``pyproject.toml``.
EXTRA_INSTALL = {name: f"pip install 'sc-neurocore[{name}]'" for name in ("training", "hw", "sim", "boards", "bench", "nir", "cluster")}


def missing_extra(extra: str, exc: ImportError | None = None, what: str = "") -> MissingTool:
    """A :class:`MissingTool` for an optional extra (``raise missing_extra("boards", exc) from exc``)."""
    module = getattr(exc, "name", None) or "a package"
    need = what or f"this needs {module}"
    return MissingTool(f"{need} (the '{extra}' extra is not installed)", EXTRA_INSTALL[extra])
