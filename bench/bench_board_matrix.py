"""Board builds on nets nobody tuned the presets for: the robustness matrix of issue 19
(``docs/bench/board_matrix.md``).

Per net of :data:`NETS` (different hidden widths, leaks and seeds): train it with the command shown
in the table (``sc-neurocore train``), then build it for each board with the user's command,
``sc-neurocore build --board B --checkpoint NET.pt --json -o build/matrix/B/NET`` (the board's
preset parallelism and clock, nothing tuned).  Each cell records the build's exit code, fmax
against the clock, resources, the mean images/s over the digits test split (the exact clock
model) and the build's wall time.  Results are saved after every cell in
``docs/bench/board_matrix.json``, so an interrupted run keeps what it finished, and a rerun reuses
every build folder whose inputs are unchanged (``build_board``'s reuse) and every trained net.

Usage::

    python bench/bench_board_matrix.py [--boards icebreaker,ulx3s] [--nets h64-b0.90-s1,...]
                                       [--jobs 2] [--out build/matrix] [--render-only]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "board_matrix"
SCRIPT = "bench/bench_board_matrix.py"
SCHEMA = 1
BOARDS = ("icebreaker", "ulx3s")

#: ``(name, training options)``: widths 64-160, leaks 0.85-0.95, six seeds; h96-b0.85 is the kind of net
#: that placed at 45.4 MHz on the old ULX3S preset, h128-b0.90-s0 the reference net (build_all.NET_COMMANDS);
#: h160 does not fit the UP5K's block RAM (35 of 30 EBR), so h112 makes the fifth net both boards build.
NETS = (
    ("h64-b0.90-s1", ["--hidden", "64", "--beta", "0.9", "--seed", "1"]),
    ("h96-b0.85-s2", ["--hidden", "96", "--beta", "0.85", "--seed", "2"]),
    ("h128-b0.90-s0", ["--hidden", "128", "--beta", "0.9", "--seed", "0"]),
    ("h128-b0.95-s3", ["--hidden", "128", "--beta", "0.95", "--seed", "3"]),
    ("h160-b0.88-s4", ["--hidden", "160", "--beta", "0.88", "--seed", "4"]),
    ("h112-b0.92-s5", ["--hidden", "112", "--beta", "0.92", "--seed", "5"]),
)
CLI = [sys.executable, "-m", "sc_neurocore.cli"]


def train_command(name: str, opts: list[str], out: Path) -> list[str]:
    return ["sc-neurocore", "train", "--dataset", "digits", "--epochs", "10", *opts, "--no-progress",
            "-o", str(out / f"{name}.pt")]


def build_command(board: str, name: str, out: Path) -> list[str]:
    return ["sc-neurocore", "build", "--board", board, "--checkpoint", str(out / f"{name}.pt"), "--json",
            "-o", str(out / board / name)]


def _run(cmd: list[str]) -> tuple[int, str, str, float]:
    t0 = time.perf_counter()
    proc = subprocess.run(CLI + cmd[1:], capture_output=True, text=True, cwd=common.ROOT)
    return proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - t0


def train(name: str, opts: list[str], out: Path) -> dict:
    """Train the net unless its checkpoint exists; the float validation accuracy from the checkpoint."""
    cmd = train_command(name, opts, out)
    ckpt = out / f"{name}.pt"
    if not ckpt.exists():
        code, stdout, stderr, _ = _run(cmd)
        if code:
            raise SystemExit(f"training {name} failed ({code}):\n{stderr[-2000:]}")
    import torch

    meta = torch.load(ckpt, map_location="cpu", weights_only=False).get("meta", {})
    acc = meta.get("val_accuracy")
    return {"net": name, "train_command": " ".join(cmd), "float_accuracy": None if acc is None else 100 * acc}


def build(board: str, name: str, out: Path) -> dict:
    """One cell: the build command's exit code and the figures of its JSON report."""
    cmd = build_command(board, name, out)
    code, stdout, stderr, wall = _run(cmd)
    cell = {"board": board, "net": name, "command": " ".join(cmd), "exit": code, "wall_s": round(wall, 1)}
    try:
        rep = json.loads(stdout[stdout.index("{"):])
    except ValueError:
        cell["error"] = (stderr.strip().splitlines() or ["no output"])[-1][:300]
        return cell
    cell.update(_figures(rep), built=_built_at(out / board / name))
    if code and not cell.get("meets", True):
        cell["error"] = stderr.strip().splitlines()[-1][:300] if stderr.strip() else ""
    return cell


def _figures(rep: dict) -> dict:
    """A cell's figures from a ``BuildReport.to_json()`` (the build's ``--json`` output or ``build_report.json``)."""
    util = rep.get("utilization", {})
    lut = next((util[k]["used"] for k in ("ICESTORM_LC", "TRELLIS_COMB") if k in util), None)
    ff = rep.get("yosys_cells", {}).get("TRELLIS_FF") or sum(v for k, v in rep.get("yosys_cells", {}).items()
                                                             if k.startswith("SB_DFF"))
    bram = next((util[k]["used"] for k in ("ICESTORM_RAM", "DP16KD") if k in util), None)
    dsp = next((util[k]["used"] for k in ("ICESTORM_DSP", "MULT18X18D") if k in util), None)
    return dict(clock_mhz=rep["clock_hz"] / 1e6, fmax_mhz=(rep.get("sync_fmax_hz") or 0) / 1e6,
                meets=rep.get("meets_timing"), luts=lut, ffs=ff, brams=bram, dsps=dsp,
                images_per_s=rep.get("images_per_s"), tool_s=rep.get("seconds"), reused=rep.get("reused"),
                parallelism=rep.get("parallelism"))


def _built_at(folder: Path) -> str | None:
    """When the build's design was written (``top.il``'s time, UTC): which version of the engine it is."""
    il = folder / "top.il"
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(il.stat().st_mtime)) if il.exists() else None


def _report_from_tools(board: str, name: str, out: Path) -> dict | None:
    """A ``BuildReport.to_json()``-like dict from the tools' own reports in a build folder whose build
    command died after the tools had finished (nextpnr's report and Yosys' log; the clocks per image
    from the exact clock model over the digits test images)."""
    folder = out / board / name
    if not (folder / "top.report.json").exists():
        return None
    import numpy as np
    from sc_neurocore.boards.build import parse_nextpnr_report, parse_yosys_stat
    from sc_neurocore.boards.registry import get_board
    from sc_neurocore.cli.nets import load_net
    from sc_neurocore.datasets import load_dataset
    from sc_neurocore.hw.timing import image_cycles
    from sc_neurocore.sc.contract import SCConfig, quantize_probability

    spec = get_board(board)
    util, fmax = parse_nextpnr_report(folder / "top.report.json")
    net = load_net(out / f"{name}.pt", config=SCConfig(rng=spec.rng))
    x, _ = load_dataset("digits", "test")
    cycles = image_cycles(net.qnet, net.T, spec.parallelism, quantize_probability(x, net.qnet.config.prob_bits))
    f = min(fmax.values())
    stamp = folder / "sc_neurocore_build.json"
    return {"clock_hz": spec.clock_hz, "sync_fmax_hz": f, "meets_timing": f >= spec.clock_hz, "utilization": util,
            "yosys_cells": parse_yosys_stat((folder / "top.rpt").read_text(errors="replace")),
            "images_per_s": spec.clock_hz / float(np.mean(cycles)),
            "seconds": json.loads(stamp.read_text()).get("seconds") if stamp.exists() else None,
            "reused": False, "parallelism": list(spec.parallelism)}


def collect(boards, nets, out: Path, data: dict) -> dict:
    """Re-read every cell's figures from its build folder's ``build_report.json`` (written by the build
    command itself; else from the tools' own reports, :func:`_report_from_tools`), keeping the recorded
    wall time; runs nothing."""
    for name, _ in nets:
        for board in boards:
            key, path = f"{board}/{name}", out / board / name / "build_report.json"
            rep = json.loads(path.read_text()) if path.exists() else _report_from_tools(board, name, out)
            if rep is not None:
                cell = data["cells"].get(key, {"board": board, "net": name, "exit": None, "wall_s": None,
                                                   "command": " ".join(build_command(board, name, out))})
                cell.update(_figures(rep))
                cell["source"] = "build_report.json" if path.exists() else "the tools' reports"
                cell["exit"] = 0 if cell["meets"] else 1
                cell["built"] = _built_at(out / board / name)
                cell.pop("error", None)
                data["cells"][key] = cell
    return data


def run(boards, nets, out: Path, jobs: int, data: dict) -> dict:
    data.setdefault("nets", {})
    data.setdefault("cells", {})
    for name, opts in nets:
        data["nets"][name] = train(name, opts, out)
        print(f"[matrix] trained {name}: {data['nets'][name]['float_accuracy']}", file=sys.stderr)
    cells = [(b, n) for n, _ in nets for b in boards]

    def one(cell):
        board, name = cell
        print(f"[matrix] building {name} for {board} ...", file=sys.stderr)
        res = build(board, name, out)
        print(f"[matrix] {name} {board}: exit {res['exit']}, fmax {res.get('fmax_mhz', 0):.2f} MHz "
              f"at {res.get('clock_mhz', 0):.2f}, {res['wall_s']:.0f} s", file=sys.stderr)
        return res

    mine = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for res in pool.map(one, cells):
            mine[f"{res['board']}/{res['net']}"] = res
            data.update(machine=common.machine_info(), revision=common.git_revision(), date=common.utc_now())
            try:  # another run (the other board's column) may have saved cells meanwhile: keep them
                saved = common.read_json(NAME, schema=SCHEMA)
                data["cells"] = {**data["cells"], **saved.get("cells", {})}
                data["nets"] = {**data["nets"], **saved.get("nets", {})}
            except common.RenderError:
                pass
            data["cells"].update(mine)  # this run's cells win over what was saved before
            common.write_json(NAME, data)  # after every cell: an interrupted run keeps what it finished
    return data


def render(data: dict) -> str:
    nets, cells = data["nets"], data["cells"]
    out = ["# Board builds on untuned nets (issue 19)\n",
           f"Made by `{data.get('command', 'python ' + SCRIPT)}` at {data.get('revision', '?')} on "
           f"{data.get('date', '?')}; machine: {data.get('machine', {}).get('cpu', '?')}, "
           f"{data.get('machine', {}).get('cores', '?')} cores, load {data.get('machine', {}).get('load', '?')}.\n",
           (data["note"] + "\n" if data.get("note") else "") +
           "Every net is trained with the command in the first table and built with the user's command, "
           "`sc-neurocore build --board BOARD --checkpoint NET.pt` (the board's preset parallelism and clock; "
           "nothing tuned per net).  *Build* is the tools' time (synthesis, place, route, bitstream: the "
           "report's `seconds`; elaboration and the clock model add about half a minute); images/s is the core's rate at the board clock, mean over the 360 digits test "
           "images (the exact clock model).\n",
           "## Nets\n",
           common.md_table(["net", "float val. accuracy", "train command"],
                           [[n, f"{v['float_accuracy']:.2f} %" if isinstance(v.get("float_accuracy"), (int, float))
                             else "-", f"`{v['train_command']}`"] for n, v in nets.items()]), ""]
    for board in BOARDS:
        rows = []
        for n in nets:
            c = cells.get(f"{board}/{n}")
            if c is None:
                continue
            if c.get("fmax_mhz") is None:
                rows.append([n, f"exit {c['exit']}", c.get("error", ""), "", "", "", "", "", f"{c['wall_s']:.0f} s",
                             c.get("built") or "-"])
                continue
            status = "meets" if c.get("meets") else "**FAILS**"
            star = "*" if c.get("source") == "the tools' reports" else ""
            rows.append([n, f"exit {c['exit']}{star}", f"{c['fmax_mhz']:.2f} MHz at {c['clock_mhz']:.2f} ({status})",
                         f"{c['luts']:,}" if c.get("luts") else "-", f"{c['ffs']:,}" if c.get("ffs") else "-",
                         c.get("brams", "-"), c.get("dsps", "-"),
                         f"{c['images_per_s']:,.0f}" if c.get("images_per_s") else "-",
                         f"{c['tool_s']:.0f} s" if c.get("tool_s") else f"{c['wall_s']:.0f} s", c.get("built") or "-"])
        if rows:
            unit = "LC" if board == "icebreaker" else "LUT4"
            out += [f"## {board}\n",
                    common.md_table(["net", "exit", "fmax", unit, "FF", "BRAM", "DSP", "images/s (mean)", "build",
                                     "design written (UTC)"],
                                    rows), ""]
            if any(cells.get(f"{board}/{n}", {}).get("source") == "the tools' reports" for n in nets):
                out += ["\\* read from the tools' own reports (`--collect`): the build command stopped after the tools "
                        "had finished (it imported a module changed under it by a merge during the run), so its "
                        "exit code is the one the figures imply.", ""]
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boards", default=",".join(BOARDS))
    ap.add_argument("--nets", default=",".join(n for n, _ in NETS))
    ap.add_argument("--jobs", type=int, default=1, help="builds at once (default 1)")
    ap.add_argument("--out", type=Path, default=Path("build/matrix"))
    ap.add_argument("--collect", action="store_true",
                    help="build nothing: re-read each cell's build_report.json from its build folder, then render")
    common.add_render_only(ap)
    args = ap.parse_args(argv)
    if args.render_only:
        data = common.read_json(NAME, schema=SCHEMA)
    elif args.collect:
        data = collect([b for b in args.boards.split(",") if b], NETS, args.out, common.read_json(NAME, schema=SCHEMA))
        common.write_json(NAME, data)
    else:
        boards = [b for b in args.boards.split(",") if b]
        wanted = args.nets.split(",")
        nets = [(n, o) for n, o in NETS if n in wanted]
        if not nets or any(b not in BOARDS for b in boards):
            ap.error(f"--nets from {[n for n, _ in NETS]}, --boards from {BOARDS}")
        args.out.mkdir(parents=True, exist_ok=True)
        try:
            data = common.read_json(NAME, schema=SCHEMA)
        except common.RenderError:
            data = {"schema": SCHEMA}
        data["command"] = common.command_line(SCRIPT, sys.argv[1:] if argv is None else argv)
        data = run(boards, nets, args.out, args.jobs, data)
    path = common.write_report(NAME, render(data))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
