"""Co-simulation: the RTL against the NumPy SC model, under cocotb on Icarus Verilog or Verilator.

Public entry points (loaded on first use, so ``import sc_neurocore.sim`` needs no simulator):

* :func:`verify_chain` (:mod:`.verify`): float ~ fixed ~ SC == RTL on a data set, as a report;
* :func:`run_rtl` / :class:`RTLRun` (:mod:`.rtl`): codes in, the RTL's integers out;
* :class:`SimulatorNotFound`, :class:`SimulationFailed` (:mod:`.runner`).
"""

from __future__ import annotations

import importlib

__all__ = ["ChainReport", "RTLRun", "SimulationFailed", "SimulatorNotFound", "run_rtl", "verify_chain"]

_WHERE = {"ChainReport": "verify", "verify_chain": "verify", "RTLRun": "rtl", "run_rtl": "rtl",
          "SimulationFailed": "runner", "SimulatorNotFound": "runner"}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
