"""``sc-neurocore build``: a board bitstream for a trained net, its resource/timing report, optional programming.

Builds ``BoardTop`` (UART protocol + ``SCNetworkCore``) with the platform's toolchain (YoWASP
tools unless ``$YOSYS``/``$NEXTPNR_*`` say otherwise), showing each stage (elaborate,
synthesis, place, route with the router's progress, bitstream) while it runs, and prints the
figures parsed from the tools' reports: resources, fmax against the clock, and clocks per image
-- mean and worst over the net's test set, and the theoretical worst case -- with the images/s
each gives.  The tools' console output goes to ``DIR/build.log``.  With ``--program`` it loads
the bitstream with the board's programmer.  Exit 1 when timing is not met or the build fails,
3 when a tool, the boards extra or the programmer/board is missing.  A design that misses its
clock exits 1 with its fmax, the clock domain, and the options: the highest standard clock it meets
(with images/s there) and a smaller parallelism (with its images/s); ``--clock auto`` takes the
first of them itself.  A router that runs past ``--route-budget`` is stopped and reported as
congested (exit 1).
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from ..boards.registry import BOARDS, REPORT_FILE, board_names
from .argtypes import (
    PARALLELISM_SYNTAX,
    clock_mhz,
    format_parallelism,
    non_negative_float,
    output_dir,
    parallelism,
    positive_int,
    seed_or_auto,
)
from .export_vectors import add_data_file_option, add_encoding_options, encoded_inputs
from .nets import add_net_options, net_from_args

EXAMPLES = """\
examples:
  sc-neurocore build --board icebreaker --checkpoint digits.pt
  sc-neurocore build --board ulx3s --export digits_export.npz --parallelism 8x25 --clock 50 -o build/u
  sc-neurocore build --board icebreaker --checkpoint digits.pt --program
  sc-neurocore build --board ulx3s --checkpoint digits.pt --clock auto

boards:
""" + "\n".join(f"  {spec.name:17s} {spec.description}" for spec in BOARDS.values()) + """

Needs the boards extra (amaranth-boards and the YoWASP tools): pip install -c constraints.txt -e ".[boards]"
"""


def register(sub) -> None:
    from ..datasets import DATASETS

    p = sub.add_parser(
        "build",
        help="build (and program) a board bitstream for a trained net",
        description="Build an FPGA bitstream of a trained net's network core with a UART link for a board, and "
        "report its resources, fmax and images/s; optionally program the board.",
        epilog=EXAMPLES,
    )
    p.add_argument("--board", required=True, choices=board_names(), metavar="BOARD",
                   help=f"board to build for: {', '.join(board_names())}")
    # the board's measured source is build's default (sc_neurocore.hw.presets.BOARD_ENGINES), not SCConfig()'s
    add_net_options(p, sc_fields=("length", "rng", "seed"), shown={"rng": "the board's, hw.presets.BOARD_ENGINES"})
    p.add_argument("--dataset", choices=DATASETS, default=None, help="images for the clocks/image figures: this dataset's test split "
                   "(default: the checkpoint's dataset, else digits)")
    add_data_file_option(p)
    add_encoding_options(p)
    p.add_argument("--parallelism", type=parallelism, default=None, metavar="LANESxTLANES",
                   help=f"SCNetworkCore {PARALLELISM_SYNTAX} (default: the board's)")
    p.add_argument("--clock", type=clock_mhz, default=None, metavar="MHZ|auto",
                   help="sync clock in MHz (default: the board's); 'auto': build at the board's clock, then at the "
                   "highest standard clock the placed design meets (up to 3 builds, each in DIR/clock-MHZ)")
    p.add_argument("--route-budget", type=non_negative_float, default=None, metavar="MINUTES",
                   help="stop a build whose router is still busy after this long, as congested (default: the "
                   "board's, 20; 0: no limit)")
    p.add_argument("--pnr-seed", type=seed_or_auto, default=None, metavar="N|auto",
                   help="nextpnr's placement seed (default: nextpnr's own); a build a few percent short of its clock "
                   f"may meet it with another seed. 'auto': nextpnr's own, then seeds {', '.join(map(str, AUTO_SEEDS))} "
                   "while a build misses its clock by less than 10 %% (each in DIR/seed-N); the first that meets wins")
    p.add_argument("--no-dsp", action="store_true",
                   help="products in logic, not DSP blocks (iCE40): every path timed whole by nextpnr (docs/boards.md)")
    p.add_argument("--baud", type=positive_int, default=None, help="UART baud rate (default: 1000000)")
    p.add_argument("-o", "--output", type=output_dir, default=None, metavar="DIR",
                   help="build folder, created if missing (default: build/boards/BOARD)")
    p.add_argument("--program", action="store_true", help="program the board after building")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def _ips(clock_hz: float, cycles) -> str:
    return f"{clock_hz / cycles:,.0f}" if cycles else "-"


def format_report(rep) -> list[str]:
    """The human-readable lines of a :class:`~sc_neurocore.boards.build.BuildReport`."""
    lines = [f"{rep.board}: {rep.device}, {rep.core} {format_parallelism(rep.parallelism) if rep.parallelism else ''}"
             .rstrip()]
    if rep.net.get("sizes"):
        n = rep.net
        shape = n.get("shape") or "-".join(map(str, n["sizes"]))
        lines.append(f"  net {shape}, T={n['timesteps']}, L={n['length']}, rng={n['rng']}")
    fmax = rep.sync_fmax_hz
    if fmax is not None:
        seed = "" if rep.pnr_seed is None else f", placement seed {rep.pnr_seed}"
        lines.append(f"  clock {rep.clock_hz / 1e6:.2f} MHz, fmax {fmax / 1e6:.2f} MHz "
                     f"({'meets timing' if rep.meets_timing else 'FAILS timing'}{seed})")
        if rep.dsp_chain_hz is not None:
            lines.append(f"  paths through combinational DSPs: nextpnr times them in pieces; chained, they bound fmax "
                         f"at {rep.dsp_chain_hz / 1e6:.2f} MHz (docs/boards.md, 'Paths through combinational DSPs')")
    used = ", ".join(f"{k} {v['used']:,}/{v['available']:,}" for k, v in rep.utilization.items() if v["used"])
    if used:
        lines.append(f"  resources: {used}")
    clk = f"{rep.clock_hz / 1e6:.2f} MHz"
    if rep.cycles_mean:
        lines.append(f"  clocks/image: mean {rep.cycles_mean:,.0f}, worst {rep.cycles_max_seen:,} over "
                     f"{rep.images_name} ({rep.images_measured:,} images); theoretical worst {rep.cycles_per_image:,}")
        lines.append(f"  images/s at {clk}: {_ips(rep.clock_hz, rep.cycles_mean)} (mean), "
                     f"{_ips(rep.clock_hz, rep.cycles_max_seen)} (worst over {rep.images_name}), "
                     f"{_ips(rep.clock_hz, rep.cycles_per_image)} (theoretical worst)")
    elif rep.cycles_per_image:
        lines.append(f"  clocks/image: theoretical worst {rep.cycles_per_image:,} "
                     f"-> {_ips(rep.clock_hz, rep.cycles_per_image)} images/s at {clk}")
    link = rep.link_images_per_s()
    if link:
        lines.append(f"  over the UART at {rep.baud:,} baud: {link:,.0f} images/s (mean compute time included)")
    lines.append(f"  bitstream: {rep.bitstream}" + (" (reused: the inputs are unchanged)" if rep.reused else ""))
    if rep.log:
        known, other = rep.known_warnings, rep.other_warnings
        parts = []
        if known:
            parts.append(f"{len(known)} known harmless (docs/boards.md, 'Tool warnings')")
        if other:
            parts.append(f"{len(other)} other")
        lines.append(f"  tool log: {rep.log}" + (f" (warnings: {', '.join(parts)})" if parts else " (no warnings)"))
        lines += [f"    {w}" for w in other[:5]]
    return lines


def run(args) -> int:
    from ..boards.build import ProgrammerError, build_board, program_board
    from ..boards.registry import get_board, without_dsp
    from ..boards.top import DEFAULT_BAUD
    from ..datasets import load_dataset
    from ..errors import CheckFailed, MissingTool
    from ..sc.contract import quantize_probability
    from ..sc.network import spike_words
    from .bars import Bars

    if args.clock == "auto" and args.pnr_seed == "auto":
        raise ValueError("--clock auto and --pnr-seed auto each make several builds: give one of them")
    spec = get_board(args.board)
    if args.no_dsp:
        spec = without_dsp(spec)
    net = net_from_args(args, conv=True, rng=spec.rng)
    if args.data is not None:
        from ..datasets import load_data_file

        if args.dataset is not None:
            raise ValueError("give --data FILE.npz or --dataset NAME, not both")
        dataset = str(args.data)
        x, _ = load_data_file(args.data, net.qnet.n_input, rasters=net.qnet.spike_input)
    else:
        dataset = args.dataset or net.meta.get("dataset", "digits")
        x, _ = load_dataset(dataset, "test")
    if x.shape[-1] != net.qnet.n_input:
        raise ValueError(f"the net takes {net.qnet.n_input} inputs; {dataset} images have {x.shape[-1]} "
                         "(give the net's --dataset)")
    if x.ndim == 3 and x.shape[0] != net.T:
        raise ValueError(f"{dataset} holds rasters of {x.shape[0]} timesteps; the net runs T={net.T}")
    x = encoded_inputs(args, net, x)  # a spike-input net: the rasters its images/s are measured on
    codes = spike_words(x) if net.qnet.spike_input else quantize_probability(x, net.qnet.config.prob_bits)
    out = args.output or Path("build") / "boards" / spec.name
    command = "sc-neurocore " + " ".join(shlex.quote(a) for a in sys.argv[1:]) \
        if sys.argv and sys.argv[0].endswith("sc-neurocore") else None
    budget = spec.route_budget_s if args.route_budget is None else (args.route_budget * 60 or None)

    def build(clock_hz, folder, seed=None if args.pnr_seed == "auto" else args.pnr_seed):
        with Bars("build") as bars:
            return build_board(spec, net.qnet, T=net.T, build_dir=folder, parallelism=args.parallelism,
                               clock_hz=clock_hz, baud=args.baud or DEFAULT_BAUD, command=command, images=codes,
                               images_name=f"{dataset} test", progress=bars, route_budget_s=budget,
                               pnr_seed=seed)

    clock_hz = None if args.clock in (None, "auto") else args.clock * 1e6
    if args.clock == "auto":
        rep = _auto_clock(spec, build, out)
    elif args.pnr_seed == "auto":
        rep = _auto_seed(lambda seed, folder: build(clock_hz, folder, seed), out)
    else:
        rep = build(clock_hz, out)
    from ..fileio import atomic_write_text

    atomic_write_text(Path(out) / REPORT_FILE, json.dumps(rep.to_json(), indent=1, default=str))  # 'report' reads it
    if args.json:
        print(json.dumps(rep.to_json(), indent=1, default=str))
    else:
        print("\n".join(format_report(rep)) + f"\n  report: {Path(out) / REPORT_FILE}")
    if rep.meets_timing is False:
        raise CheckFailed(timing_failure(spec, rep, net.qnet, codes)
                          + (" The board was not programmed." if args.program else ""))
    if args.program:
        try:
            program_board(spec, rep.build_dir)
        except ProgrammerError as exc:
            raise MissingTool(str(exc)) from exc
        print(f"programmed {spec.name} with {rep.bitstream}")
    return 0


#: The seeds ``--pnr-seed auto`` tries after nextpnr's own.
AUTO_SEEDS = (2, 3, 4)


def _auto_seed(build, out: Path, seeds=AUTO_SEEDS):
    """``--pnr-seed auto``: build with nextpnr's own seed in ``out``; while the last build misses its clock by less
    than 10 %, place again with the next of ``seeds`` (each in ``out/seed-N``).  The first build that meets timing
    is the result, else the one with the highest fmax.  ``build(seed, folder) -> BuildReport``."""
    reports = [build(None, out)]
    for seed in seeds:
        last = reports[-1]
        fmax = last.sync_fmax_hz
        if last.meets_timing is not False or not fmax or fmax < 0.9 * last.clock_hz:
            break
        print(f"pnr-seed auto: fmax {fmax / 1e6:.2f} MHz misses {last.clock_hz / 1e6:.2f} MHz by less than 10 %: "
              f"placing again with seed {seed}", file=sys.stderr)
        reports.append(build(seed, out / f"seed-{seed}"))
    met = [r for r in reports if r.meets_timing]
    return met[0] if met else max(reports, key=lambda r: r.sync_fmax_hz or 0.0)


def _auto_clock(spec, build, out: Path, attempts: int = 3):
    """``--clock auto``: build at the board's clock, then at the fastest standard clock below the fmax
    found, until a build meets its clock at the fastest standard clock its own fmax allows (each
    build in ``out/clock-MHZ``); the fastest build that meets timing wins, else the last one."""
    from ..boards.clocks import fastest_standard_clock

    platform = spec.make_platform()
    reports, clock = {}, spec.clock_hz
    for _ in range(attempts):
        key = round((clock or platform.default_clk_frequency) / 1e6, 3)
        rep = build(clock, out / f"clock-{key:g}")
        reports[key] = rep
        print(f"clock auto: {rep.clock_hz / 1e6:.2f} MHz -> fmax "
              f"{(rep.sync_fmax_hz or 0) / 1e6:.2f} MHz ({'meets' if rep.meets_timing else 'fails'})", file=sys.stderr)
        best = fastest_standard_clock(platform, rep.sync_fmax_hz) if rep.sync_fmax_hz else None
        if best is None or round(best / 1e6, 3) in reports:
            break
        clock = best
    met = [r for r in reports.values() if r.meets_timing]
    return max(met, key=lambda r: r.clock_hz) if met else rep


def timing_failure(spec, rep, qnet, codes) -> str:
    """The message of a build that misses its clock: fmax, the clock domain, and what to change."""
    from ..boards.clocks import achieved_clock, fastest_standard_clock
    from ..hw.timing import image_cycles

    fmax = rep.sync_fmax_hz
    domains = ", ".join(f"'{name}' {f / 1e6:.2f} MHz" for name, f in rep.fmax_hz.items())
    if rep.dsp_chain_hz is not None:
        domains += f"; paths through combinational DSPs, chained: {rep.dsp_chain_hz / 1e6:.2f} MHz"
    lines = [f"timing not met: the 'sync' clock domain (nextpnr: {domains}) reaches fmax {fmax / 1e6:.2f} MHz, "
             f"below its {rep.clock_hz / 1e6:.2f} MHz clock; the bitstream {rep.bitstream or '(none)'} may fail on "
             "the board. Options:"]
    mean = rep.cycles_mean or rep.cycles_per_image
    platform = spec.make_platform()
    best = fastest_standard_clock(platform, fmax)
    if best is not None and mean:  # the PLL's achieved clock (48 MHz asked of the ULX3S's PLL gives 46.875)
        got = achieved_clock(platform, best)
        pll = "" if got == best else f" ({got / 1e6:g} MHz from the PLL)"
        lines.append(f"  --clock {best / 1e6:g}{pll}: the fastest standard clock below fmax, {got / mean:,.0f} "
                     "images/s (mean); or --clock auto to build at it")
    if fmax >= 0.9 * rep.clock_hz:  # seed to seed, nextpnr's fmax moves by a few percent
        now = "nextpnr's default" if rep.pnr_seed is None else rep.pnr_seed
        lines.append(f"  --pnr-seed N: another placement (this one: {now}); a path long in routing may meet the "
                     "clock with another seed, one long in logic hardly moves (docs/boards.md)")
    lanes, tlanes = rep.parallelism or (1, 1)
    smaller = (lanes // 2, tlanes) if lanes > 1 else (lanes, max(1, tlanes // 2)) if tlanes > 1 else None
    if smaller is not None:
        cyc = float(image_cycles(qnet, rep.net["timesteps"], smaller, codes).mean())
        lines.append(f"  --parallelism {format_parallelism(smaller)}: less logic per clock, {rep.clock_hz / cyc:,.0f} "
                     f"images/s (mean) at {rep.clock_hz / 1e6:.2f} MHz if it meets timing")
    return "\n".join(lines)
