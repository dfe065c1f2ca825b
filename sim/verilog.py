"""Verilog for the simulators: Amaranth's output, the clocked top around it, Icarus's fix-ups.

Every design runs under a top whose clock is simulator-side (``always #5 clk = ~clk``: 10 ns), so
Python never toggles it: :func:`clock_wrapper` for any design, or a testbench's own ``.sv``.
"""

from __future__ import annotations

import re

__all__ = ["TB_TOP", "HALF_PERIOD_NS", "CLOCK_PERIOD_NS", "TIMESCALE", "clock_wrapper", "icarus_fixups",
           "module_ports", "verilog_of"]

#: Name of the top module every build simulates.
TB_TOP = "sc_tb"
#: Clock half period of the simulator-side clock, in ns (one cycle = 10 ns).
HALF_PERIOD_NS = 5
CLOCK_PERIOD_NS = 2 * HALF_PERIOD_NS

#: Time unit / precision of modules that name none (Amaranth's Verilog).
TIMESCALE = ("1ns", "1ps")
_PORT_RE = re.compile(r"^\s*(input|output|inout)\s+(?:wire\s+|reg\s+)?(?:signed\s+)?(\[[^\]]+\]\s*)?([A-Za-z_][\w$]*|\\\S+)\s*;")


def module_ports(verilog: str, module: str) -> list[tuple[str, str, str]]:
    """``(direction, range, name)`` of each port of ``module`` in Amaranth's Verilog output."""
    m = re.search(rf"^module\s+\\?{re.escape(module)}\s*\(", verilog, re.M)
    if m is None:
        raise ValueError(f"module {module!r} not found in the generated Verilog")
    end = verilog.index("endmodule", m.end())
    return [(pm.group(1), (pm.group(2) or "").strip(), pm.group(3))
            for pm in map(_PORT_RE.match, verilog[m.end():end].splitlines()) if pm]


def clock_wrapper(verilog: str, top: str) -> str:
    """The top module ``sc_tb`` around ``top``: every port but ``clk`` passed through, the clock made here.

    Generated because the port list is the design's; a testbench with simulator-side logic brings
    its own ``sc_tb`` instead (``build(wrapper=...)``).
    """
    ports = module_ports(verilog, top)
    if "clk" not in [name for _, _, name in ports]:
        raise ValueError(f"the design {top!r} has no 'clk' port (a synchronous design is expected)")
    decl = [f"    {d} wire {r + ' ' if r else ''}{name}" for d, r, name in ports if name != "clk"]
    conns = [f"        .{name}({name})" for _, _, name in ports]
    return "\n".join([
        "`timescale 1ns/1ps",
        "// Simulation top written by sc_neurocore.sim.runner.clock_wrapper: the clock comes from the simulator.",
        f"module {TB_TOP} (", ",\n".join(decl), ");",
        "    reg clk = 1'b0;",
        f"    always #{HALF_PERIOD_NS} clk = ~clk;",
        f"    {top} dut (", ",\n".join(conns), "    );",
        "endmodule", "",
    ])


def verilog_of(component, name: str) -> str:
    """Verilog text of an Amaranth component (top module ``name``), via ``amaranth.back.verilog``."""
    from amaranth.back import verilog

    return verilog.convert(component, name=name, emit_src=False)


_TRIGGER_RE = re.compile(r"reg (\\\$auto\$verilog_backend\.cc:\d+:dump_module\$\d+) ")
_LONE_ALWAYS_RE = re.compile(r"^(\s*)always @\*\n(\s+)(?!begin\b)([^\n]*;)\n", re.M)


def icarus_fixups(verilog: str) -> str:
    """Make Amaranth's combinational ``always @*`` blocks run at time 0 under Icarus.

    Yosys's Verilog backend gives its ``always @*`` blocks a time-0 trigger register
    (``if (\\$auto$...dump_module$1 ) begin end``) initialised to 0, which Icarus does not see
    as an event; its one-statement blocks (``always @* payload[2:1] = t;``) have no trigger at
    all.  Icarus then leaves such outputs at ``x`` until an input changes.  This adds the
    trigger to the one-statement blocks and pulses it once at time 0 (``initial #0``), so
    every block evaluates once.  (``always_comb`` would do it too, but Icarus widens its
    sensitivity lists to whole vectors and runs 10-100x slower.)  Verilator gets the text unchanged.
    """
    out = []
    for part in re.split(r"(?=^module )", verilog, flags=re.M):
        m = _TRIGGER_RE.search(part)
        if m:
            trig = m.group(1)
            part = _LONE_ALWAYS_RE.sub(
                lambda a, trig=trig: f"{a.group(1)}always @* begin\n{a.group(2)}if ({trig} ) begin end\n"
                f"{a.group(2)}{a.group(3)}\n{a.group(1)}end\n",
                part,
            )
            end = part.rindex("endmodule")
            part = part[:end] + f"  initial #0 {trig}  = 1'h1;\n" + part[end:]
        out.append(part)
    return "".join(out)


