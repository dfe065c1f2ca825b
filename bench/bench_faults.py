"""Fault curves (issue 15): accuracy under bit flips for the SC net beside the binary fixed-point net.

For each net of :data:`NETS` (trained with the command shown, as ``bench/bench_board_matrix.py`` trains them)
and each site and rate, ``sc_neurocore.cli.faults.fault_table`` runs the NumPy SC model and the binary rung on
the digits test split under the same seeded fault model (``sc_neurocore.sc.faults``), ``--repeats`` seeds
averaged.  Writes ``docs/bench/faults.md``, ``docs/bench/faults.json`` and ``docs/img/faults.png`` (the
reference net's curves)::

    python bench/bench_faults.py [--repeats 3] [--nets h128-b0.90-s0,h64-b0.90-s1] [--render-only]
    python bench/bench_faults.py --rtl-only verilator [--rtl-images 20]   # add NumPy == RTL under faults

``--rtl-only SIM`` keeps the saved curves and adds, for each site at the rate :data:`RTL_RATE`, a fault build of
the network core (``hw.faults``) on the simulator over the first ``--rtl-images`` test images of the first net,
compared integer for integer with the NumPy model under the same faults (``sc-neurocore faults --rtl``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from bench_board_matrix import NETS, train_command  # noqa: E402

NAME = "faults"
SCRIPT = "bench/bench_faults.py"
SCHEMA = 1
RATES = (1e-4, 1e-3, 1e-2, 5e-2)
SITES = ("bitstream", "count", "membrane", "weights")
DEFAULT_NETS = ("h128-b0.90-s0", "h64-b0.90-s1", "h96-b0.85-s2")
#: The bit-error rate of the RTL checks.
RTL_RATE = 1e-2


def _checkpoint(name: str, out: Path) -> Path:
    path = out / f"{name}.pt"
    if not path.exists():
        opts = dict(NETS)[name]
        cmd = train_command(name, opts, out)
        subprocess.run([sys.executable, "-m", "sc_neurocore.cli", *cmd[1:]], check=True, cwd=common.ROOT,
                       stdout=subprocess.DEVNULL)
    return path


def run(nets: list[str], repeats: int, out: Path) -> dict:
    from sc_neurocore.cli.faults import fault_table
    from sc_neurocore.cli.nets import load_net
    from sc_neurocore.datasets import load_dataset

    x, y = load_dataset("digits", "test")
    results = []
    for name in nets:
        net = load_net(_checkpoint(name, out))
        t0 = time.perf_counter()
        table = fault_table(net.qnet, x, y, net.T, RATES, SITES, repeats=repeats,
                            progress=lambda text, n=name: print(f"[faults] {n}: {text}", flush=True))
        table.update(net=name, seconds=time.perf_counter() - t0,
                     train=" ".join(train_command(name, dict(NETS)[name], out)))
        results.append(table)
    return {"schema": SCHEMA, "machine": common.machine_info(), "revision": common.git_revision(),
            "when": common.utc_now(), "repeats": repeats, "nets": results}


def run_rtl(data: dict, sim: str, images: int, out: Path) -> list[dict]:
    """NumPy == RTL under each site's faults at :data:`RTL_RATE` (seed 0) on the first net's first images."""
    from sc_neurocore.cli.faults import rtl_mismatches
    from sc_neurocore.cli.nets import load_net
    from sc_neurocore.datasets import load_dataset
    from sc_neurocore.sc.contract import quantize_probability
    from sc_neurocore.sc.faults import FaultModel

    name = data["nets"][0]["net"]
    net = load_net(_checkpoint(name, out))
    x, _ = load_dataset("digits", "test")
    codes = quantize_probability(x[:images], net.qnet.config.prob_bits)
    rows = []
    for site in SITES:
        t0 = time.perf_counter()
        bad, compared = rtl_mismatches(net.qnet, codes, net.T, FaultModel(site, RTL_RATE, 0), sim)
        rows.append({"net": name, "site": site, "rate": RTL_RATE, "sim": sim, "images": images, "mismatches": bad,
                     "compared": compared, "seconds": time.perf_counter() - t0})
        print(f"[faults] RTL {site}: {bad} mismatches in {compared} integers", flush=True)
    return rows


def render(data: dict, argv: list[str]) -> str:
    lines = ["# Fault injection: SC beside binary fixed point (issue 15)", "",
             f"Made by `{common.command_line(SCRIPT, argv)}` at {data['revision']} on {data['when']}; "
             f"machine: {data['machine'].get('cpu', '?')}.", "",
             "Per-bit flip probability (*rate*) into one site at a time, the same seeded fault model for both nets "
             "(`sc_neurocore.sc.faults`, `sc-neurocore faults`): **bitstream** -- the SC net's product bits (each "
             "worth one count) and the binary net's product words `x_q * |w|` (16 bits; a flipped bit b is worth "
             "2^b), at every timestep; **count** -- each neuron's count word; **membrane** -- the 16-bit state "
             "register after each step; **weights** -- the stored weight words (magnitude and sign), an upset for "
             "the whole run.  Accuracy on the 360 digits test images, T = 25, Sobol L = 16, mean of "
             f"{data['repeats']} fault seeds (0..{data['repeats'] - 1}).", ""]
    for table in data["nets"]:
        c = table["clean"]
        lines += [f"## {table['net']}", "",
                  f"Trained with `{table['train']}`; clean: SC {100 * c['sc_accuracy']:.2f} %, binary "
                  f"{100 * c['binary_accuracy']:.2f} %; {table['seconds']:.0f} s for the grid.", ""]
        rows = []
        for r in table["rows"]:
            d_sc = 100 * (r["sc_accuracy"] - c["sc_accuracy"])
            d_bin = 100 * (r["binary_accuracy"] - c["binary_accuracy"])
            rows.append([r["site"], f"{r['rate']:g}", f"{100 * r['sc_accuracy']:.2f} % ({d_sc:+.2f})",
                         f"{100 * r['binary_accuracy']:.2f} % ({d_bin:+.2f})"])
        lines += [common.md_table(["site", "rate", "SC accuracy (change)", "binary accuracy (change)"], rows), ""]
    lines += ["![accuracy against bit-error rate, per site](../img/faults.png)", ""]
    if data.get("rtl"):
        r0 = data["rtl"][0]
        lines += ["## NumPy == RTL under faults", "",
                  f"`{data.get('rtl_command', 'python bench/bench_faults.py --rtl-only ' + r0['sim'])}`: a fault build of "
                  f"the network core (`hw.faults`: the count changes and membrane upsets of the NumPy run, injected "
                  f"image by image; weight upsets as a core built from the corrupted weights) for {r0['net']} on "
                  f"{r0['sim']}, the first {r0['images']} test images, every count, current, membrane and spike of "
                  f"every layer at every timestep and the results compared with the NumPy model under the same "
                  f"faults (rate {r0['rate']:g}, seed 0).", ""]
        lines += [common.md_table(["site", "integers compared", "mismatches", "seconds"],
                                  [[r["site"], f"{r['compared']:,}", r["mismatches"], f"{r['seconds']:.0f}"]
                                   for r in data["rtl"]]), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nets", default=",".join(DEFAULT_NETS))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path("build/matrix"), help="trained nets (default: build/matrix)")
    ap.add_argument("--rtl-only", choices=("verilator", "icarus"), default=None,
                    help="keep the saved curves, add the NumPy == RTL checks on this simulator")
    ap.add_argument("--rtl-images", type=int, default=20)
    common.add_render_only(ap)
    args = ap.parse_args(argv)
    if args.rtl_only:
        data = common.read_json(NAME, schema=SCHEMA)
        data["rtl"] = run_rtl(data, args.rtl_only, args.rtl_images, args.out)
        data["rtl_command"] = common.command_line(SCRIPT, argv)
        common.write_json(NAME, data)
    elif args.render_only:
        data = common.read_json(NAME, schema=SCHEMA)
    else:
        args.out.mkdir(parents=True, exist_ok=True)
        data = run(args.nets.split(","), args.repeats, args.out)
        data["argv"] = argv
        common.write_json(NAME, data)
    from sc_neurocore.cli.faults import render_plot

    render_plot(data["nets"][0], common.ROOT / "docs" / "img" / "faults.png")
    print(f"wrote {common.write_report(NAME, render(data, data.get('argv', argv)))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
