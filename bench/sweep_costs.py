"""What ``sc-neurocore sweep`` costs a point, and how long the issue's grid takes on 1, 4 and 16 machines.

Writes ``docs/bench/sweep.md`` (and its data, ``docs/bench/sweep.json``)::

    python bench/sweep_costs.py --checkpoint build/boards/digits.pt --builds SWEEP_DIR [SWEEP_DIR ...]
    python bench/sweep_costs.py --render-only

The experiment measures (1) a ``--no-build`` sweep of the issue's grid on one process
(``--jobs 1``): the seconds each point took, and the command's wall time; (2) the build seconds of
every point of the given sweeps with builds (their ``results.json``), per board; for a board none
of them built, the reference build of ``docs/bench/boards.json`` (``nox -s build``).  The report
then schedules the grid's points, largest first (as the sweep hands them out), on ``W`` workers
(machines x cores, one point per core: the tools run on one thread) and gives the wall time.
"""

from __future__ import annotations

import argparse
import heapq
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "sweep"
SCRIPT = "bench/sweep_costs.py"
SCHEMA = 1
ISSUE_GRID = "length=8,16,32 rng=sobol,lfsr parallelism=1x8,1x16,2x16 board=icebreaker,ulx3s"
MACHINES = (1, 4, 16)
CORES = (2, 8)


def _run_no_build(ckpt: Path) -> dict:
    """The issue's grid without builds on one process: per-point seconds and the command's wall time."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "sc_neurocore.cli", "sweep", "--checkpoint", str(ckpt), "--grid", ISSUE_GRID,
               "--no-build", "--jobs", "1", "-o", str(Path(tmp) / "s")]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        data = json.loads((Path(tmp) / "s" / "results.json").read_text())
    per_point = [s.get("total", 0.0) for s in data["seconds"]]
    return {"points": len(per_point), "wall_s": wall, "point_s": per_point,
            "point_mean_s": sum(per_point) / len(per_point), "images": data["images"]}


def _builds(folders: list[Path]) -> dict:
    """Board -> list of ``{"parallelism", "rng", "length", "status", "build_s", "peak_mb"}`` of the sweeps' points."""
    out: dict[str, list] = {}
    for folder in folders:
        data = json.loads((folder / "results.json").read_text())
        if not data.get("build"):
            raise SystemExit(f"{folder} is a --no-build sweep")
        for row, sec in zip(data["rows"], data["seconds"]):
            if "build" in sec:
                out.setdefault(row["board"], []).append({
                    "parallelism": row["parallelism"], "rng": row["rng"], "length": row["length"],
                    "status": row["status"], "build_s": sec["build"], "peak_mb": sec.get("tools_peak_rss_mb"),
                    "luts": row.get("luts"), "sweep": str(folder)})
    return out


def _reference_builds() -> dict:
    data = json.loads((common.REPORT_DIR / "boards.json").read_text())
    return {b["board"]: {"build_s": b["seconds"], "parallelism": "x".join(map(str, b["parallelism"])),
                         "command": data["header"]["command"]} for b in data["boards"]}


def experiment(ckpt: Path, builds: list[Path]) -> dict:
    measured = {}
    for folder in builds:
        data = json.loads((folder / "results.json").read_text())
        measured[str(folder)] = [sec.get("total", 0.0) for sec in data["seconds"]]
    return dict(schema=SCHEMA, bench=NAME, when=common.utc_now(), revision=common.git_revision(),
                machine=common.machine_info(), checkpoint=str(ckpt), grid=ISSUE_GRID, no_build=_run_no_build(ckpt),
                builds=_builds(builds), reference=_reference_builds(), measured=measured)


def lpt_makespan(durations: list[float], workers: int) -> float:
    """Wall time of ``durations`` handed out longest first to ``workers`` workers (each takes the next when free)."""
    free = [0.0] * max(1, workers)
    heapq.heapify(free)
    for d in sorted(durations, reverse=True):
        heapq.heappush(free, heapq.heappop(free) + d)
    return max(free)


def _hms(s: float) -> str:
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.1f} min" if s < 7200 else f"{s / 3600:.1f} h"


def _size(parallelism: str) -> int:
    lanes, tl = (int(v) for v in parallelism.split("x"))
    return lanes * tl


def engine_build_s(d: dict, board: str, parallelism: str) -> tuple[float, str] | None:
    """Build seconds of a grid point from the measured builds of the *same or the next larger* engine on its board
    (lanes x time lanes; the largest measured when none is larger): the mean of that engine's builds, an upper
    bound for a smaller one.  ``None`` when the board has no measured build."""
    done = [b for b in d["builds"].get(board, []) if b["status"] in ("ok", "timing", "no-fit")]
    if not done:
        return None
    sizes = sorted({_size(b["parallelism"]) for b in done})
    want = _size(parallelism)
    pick = next((z for z in sizes if z >= want), sizes[-1])
    sel = [b["build_s"] for b in done if _size(b["parallelism"]) == pick]
    eng = next(b["parallelism"] for b in done if _size(b["parallelism"]) == pick)
    return sum(sel) / len(sel), f"{eng} builds ({len(sel)})"


def grid_durations(d: dict, eval_s: float) -> tuple[list[float], list[str]]:
    """Per point of the issue's grid: eval + its engine's build (:func:`engine_build_s`, else the board's cost)."""
    c = costs(d)
    parts = dict(kv.split("=") for kv in d["grid"].split())
    lengths, rngs = parts["length"].split(","), parts["rng"].split(",")
    out, notes = [], []
    for board in parts["board"].split(","):
        for par in parts["parallelism"].split(","):
            got = engine_build_s(d, board, par)
            secs, why = got if got is not None else (c[board][0], "the board's cost")
            out += [eval_s + secs] * (len(lengths) * len(rngs))
            notes.append(f"{board} {par}: {secs:.0f} s ({why})")
    return out, notes


def costs(d: dict) -> dict:
    """Seconds per point: ``eval`` (no build) and each board's build (the mean of the sweeps' builds, finished or
    not fitting, else the reference build), and where each figure comes from."""
    out = {"eval": (d["no_build"]["point_mean_s"], f"mean of {d['no_build']['points']} points, --no-build --jobs 1")}
    for board in ("icebreaker", "ulx3s"):
        done = [b["build_s"] for b in d["builds"].get(board, []) if b["status"] in ("ok", "timing", "no-fit")]
        if done:
            out[board] = (sum(done) / len(done), f"mean of the {len(done)} builds below (the grid has points that "
                                                 "fit and points that do not, as they do)")
        else:
            ref = d["reference"][board]
            out[board] = (ref["build_s"], f"the reference build ({ref['parallelism']}, `{ref['command']}`, "
                                          "docs/bench/boards.md): an upper bound for the grid's smaller engines "
                                          "(and made before the ECP5 boards routed with router2)")
    return out


def render(d: dict) -> str:
    c = costs(d)
    n_points = d["no_build"]["points"]
    per_board = n_points // 2
    eval_s = c["eval"][0]
    lines = [
        "# Sweep costs (`sc-neurocore sweep`)",
        "",
        f"Produced by `{d.get('command', SCRIPT)}` on {d['when']} (revision {d['revision']}); "
        f"{d['machine'].get('cpu', '')}, {d['machine'].get('cores', '?')} cores, load average at the start "
        f"{d['machine'].get('load', '?')}. Net: `{d['checkpoint']}`, {d['no_build']['images']} test images.",
        "",
        f"Grid: `{d['grid']}` ({n_points} points, {per_board} per board).",
        "",
        "## Cost of one point",
        "",
        common.md_table(["what", "seconds per point", "from"],
                        [["no build: SC model + clock model", f"{eval_s:.2f}", c["eval"][1]]]
                        + [[f"build for {b}", f"{c[b][0]:.0f}", c[b][1]] for b in ("icebreaker", "ulx3s")]),
        "",
        f"The `--no-build` sweep of the whole grid took {d['no_build']['wall_s']:.1f} s on one process "
        "(the command's wall time: loading torch, the checkpoint and the float model's predictions included).",
        "",
    ]
    rows = []
    for board, builds in d["builds"].items():
        for b in builds:
            rows.append([board, f"L={b['length']} {b['rng']} {b['parallelism']}", b["status"],
                         f"{b['build_s']:.0f}", "–" if b["luts"] is None else f"{b['luts']:,}",
                         "–" if b["peak_mb"] is None else f"{b['peak_mb']:.0f}"])
    if rows:
        lines += ["Builds measured (the sweeps given with `--builds`):", "",
                  common.md_table(["board", "point", "status", "build s", "LUTs", "tools' peak memory MiB"], rows), ""]
    durations, notes = grid_durations(d, eval_s)
    startup = max(0.0, d["no_build"]["wall_s"] - sum(d["no_build"]["point_s"]))
    table = []
    for cores in CORES:
        for m in MACHINES:
            w = m * cores
            table.append([str(m), str(cores), str(w), _hms(startup + lpt_makespan([eval_s] * n_points, w)),
                          _hms(startup + lpt_makespan(durations, w)), _hms(startup + sum(durations) / w)])
    lines += [
        "## The grid on N machines",
        "",
        "One point per core (the YoWASP tools run on one thread), the longest points first, each worker taking "
        "the next point when it is free (the sweep's order on either executor); the time to start the workers "
        f"(a few seconds) and to ship results back is left out; the command's own start ({startup:.0f} s: torch, the "
        "checkpoint, the float model's predictions) is added. *bound*: all the work divided by the workers. The "
        "builds were measured on this shared machine under the load above: on an idle core they take about half "
        "as long (the iCEBreaker reference build: 124 s, docs/bench/boards.md). A point's build is the mean of the "
        "measured builds of its engine on its board, or of the next larger engine measured (an upper bound): "
        + "; ".join(notes) + ".",
        "",
        common.md_table(["machines", "cores each", "workers", "--no-build", "with builds", "bound"], table),
        "",
        f"With builds the longest points decide: beyond {n_points} workers nothing is gained, and the longest "
        f"point ({_hms(max(durations))}) is the floor.",
    ]
    for folder, rows_s in d.get("measured", {}).items():
        if len(rows_s) < 12:  # a sweep of a few points says little about scheduling
            continue
        lines += [
            "",
            f"## The measured sweep `{folder}` on N machines",
            "",
            f"Its own {len(rows_s)} points with the seconds each took (sum {_hms(sum(rows_s))}, longest "
            f"{_hms(max(rows_s))}), scheduled the same way:",
            "",
            common.md_table(["machines", "cores each", "workers", "with builds", "bound"],
                            [[str(m), str(cores), str(m * cores), _hms(lpt_makespan(rows_s, m * cores)),
                              _hms(sum(rows_s) / (m * cores))] for cores in CORES for m in MACHINES]),
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", type=Path, default=common.ROOT / "build" / "boards" / "digits.pt")
    p.add_argument("--builds", type=Path, nargs="*", default=[], metavar="SWEEP_DIR",
                   help="folders of sweeps with builds (their results.json)")
    p.add_argument("--out-dir", type=Path, default=common.REPORT_DIR)
    common.add_render_only(p)
    args = p.parse_args(argv)
    data = common.saved_or_new(SCRIPT, NAME, SCHEMA, args, argv, lambda: experiment(args.checkpoint, args.builds))
    if data is None:
        return 2
    path = common.write_report(NAME, render(data), args.out_dir)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
