"""``sc-neurocore build``: a board bitstream for a trained net, its resource/timing report, optional programming.

    sc-neurocore build --board icebreaker --checkpoint CKPT [--program] [-o DIR]

Builds ``BoardTop`` (UART protocol + ``SCNetworkCore``) with the platform's toolchain (YoWASP
tools unless ``$YOSYS``/``$NEXTPNR_*`` say otherwise), prints the figures parsed from the tools'
reports and, with ``--program``, loads the bitstream with the board's programmer.  Without a
programmer or a board it says what is missing and leaves the bitstream in ``-o DIR``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _board_names() -> list[str]:
    try:
        from ..boards.registry import board_names

        return board_names()
    except Exception:  # noqa: BLE001 - amaranth-boards missing: the run() error says what to install
        return []


def register(sub) -> None:
    p = sub.add_parser("build", help="build (and program) a board bitstream for a trained net")
    p.add_argument("--board", required=True, metavar="BOARD",
                   help="board to build for: " + (", ".join(_board_names()) or "see sc_neurocore.boards.registry"))
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", type=Path, metavar="CKPT", help="training checkpoint")
    src.add_argument("--export", type=Path, metavar="NPZ", help="QuantizedNet export (QuantizedNet.save)")
    p.add_argument("--T", type=int, default=None, help="timesteps per image (default: the checkpoint's, else 25)")
    p.add_argument("--length", type=int, default=None, help="SC bitstream length L (checkpoint only; default 16)")
    p.add_argument("--rng", choices=("lfsr", "sobol"), default=None,
                   help="random source (checkpoint only; default: the board's entry in the registry)")
    p.add_argument("--parallelism", default=None, metavar="LANES,TLANES",
                   help="SCNetworkCore neurons,timesteps per clock (default: the board's entry in the registry)")
    p.add_argument("--clock", type=float, default=None, metavar="MHZ", help="sync clock in MHz (default: the board's)")
    p.add_argument("--baud", type=int, default=None, help="UART baud rate (default 1000000)")
    p.add_argument("-o", "--output", type=Path, default=None, metavar="DIR", help="build folder (default build/boards/BOARD)")
    p.add_argument("--program", action="store_true", help="program the board after building")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..boards.build import BuildError, ProgrammerError, build_board, program_board
    from ..boards.nets import load_net
    from ..boards.registry import get_board
    from ..boards.top import DEFAULT_BAUD

    try:
        spec = get_board(args.board)
    except ValueError as exc:
        print(f"sc-neurocore build: {exc}", file=sys.stderr)
        return 2
    par = None
    if args.parallelism:
        try:
            par = tuple(int(v) for v in args.parallelism.split(","))
            if len(par) != 2:
                raise ValueError
        except ValueError:
            print(f"sc-neurocore build: --parallelism takes LANES,TLANES, not {args.parallelism!r}", file=sys.stderr)
            return 2
    try:
        rng = args.rng or (spec.rng if args.checkpoint is not None else None)  # the board's tested source
        qnet, T, _meta = load_net(args.checkpoint, args.export, T=args.T, length=args.length, rng=rng)
    except (FileNotFoundError, ValueError) as exc:
        print(f"sc-neurocore build: {exc}", file=sys.stderr)
        return 2
    out = args.output or Path("build") / "boards" / spec.name
    command = "sc-neurocore " + " ".join(sys.argv[1:]) if sys.argv and sys.argv[0].endswith("sc-neurocore") else None
    try:
        rep = build_board(spec, qnet, T=T, build_dir=out, parallelism=par,
                          clock_hz=None if args.clock is None else args.clock * 1e6,
                          baud=args.baud or DEFAULT_BAUD, command=command)
    except (BuildError, ValueError) as exc:
        print(f"sc-neurocore build: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(rep.to_json(), indent=1, default=str))
    else:
        fmax = rep.sync_fmax_hz
        print(f"{spec.name}: {rep.device}, {rep.core} {rep.parallelism}")
        print(f"  clock {rep.clock_hz / 1e6:.2f} MHz, fmax {fmax / 1e6:.2f} MHz "
              f"({'meets timing' if rep.meets_timing else 'FAILS timing'})")
        used = ", ".join(f"{k} {v['used']}/{v['available']}" for k, v in rep.utilization.items() if v["used"])
        print(f"  resources: {used}")
        print(f"  {rep.cycles_per_image:,} cycles/image -> {rep.images_per_s:,.0f} images/s at the clock, "
              f"{rep.link_images_per_s():,.0f} images/s over the UART at {rep.baud:,} baud")
        print(f"  bitstream: {rep.bitstream}")
    if not rep.meets_timing:
        print(f"sc-neurocore build: warning: fmax {rep.sync_fmax_hz / 1e6:.2f} MHz is below the "
              f"{rep.clock_hz / 1e6:.2f} MHz clock", file=sys.stderr)
    if args.program:
        try:
            program_board(spec, out)
        except ProgrammerError as exc:
            print(f"sc-neurocore build: {exc}", file=sys.stderr)
            return 3
        print(f"programmed {spec.name} with {rep.bitstream}")
    return 0
