"""Co-simulation figures, written to ``docs/bench/cosim.md``: ``python -m sc_neurocore.sim.bench``.

* RTL accuracy equal to the NumPy SC model's on the digits test set, with 0 mismatches
  (every count, current, membrane and spike of every layer and timestep compared);
* RTL cycles per second under cocotb on Verilator and on Icarus;
* the ceiling: a plain Verilator C++ run (``--exe --build`` with a small C++ harness, no
  cocotb, no VPI) of the same network core on the same images.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from .runner import SimulationFailed, build_root, check_simulator, tool_env

__all__ = ["plain_verilator_run", "main"]

_HARNESS = r"""// Plain Verilator harness written by sc_neurocore.sim.bench: streams images into the
// network core, clocks it from C++, counts cycles; no cocotb, no VPI.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>
#include "V{top}.h"
#include "verilated.h"

int main(int argc, char** argv) {{
    Verilated::commandArgs(argc, argv);
    std::vector<uint32_t> codes;
    FILE* f = std::fopen("codes.hex", "r");
    if (!f) {{ std::fprintf(stderr, "codes.hex missing\n"); return 2; }}
    unsigned v;
    while (std::fscanf(f, "%x", &v) == 1) codes.push_back(v);
    std::fclose(f);
    const long n_images = {n_images};
    V{top}* top = new V{top};
    top->clk = 0; top->rst = 1; top->eval();
    for (int i = 0; i < 2; i++) {{ top->clk = 1; top->eval(); top->clk = 0; top->eval(); }}
    top->rst = 0;
    top->o__ready = 1;
    {trace_setup}
    std::vector<int> preds;
    size_t ptr = 0;
    uint64_t cycles = 0, trace_words = 0;
    auto t0 = std::chrono::steady_clock::now();
    while ((long)preds.size() < n_images) {{
        top->i__valid = ptr < codes.size();
        top->i__payload = ptr < codes.size() ? codes[ptr] : 0;
        top->eval();
        bool i_fire = top->i__valid && top->i__ready;
        if (top->o__valid) preds.push_back((int)((top->o__payload >> {pred_offset}) & {pred_mask}));
        {trace_count}
        top->clk = 1; top->eval(); top->clk = 0; top->eval();
        cycles++;
        if (i_fire) ptr++;
    }}
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("{{\"cycles\": %llu, \"seconds\": %.6f, \"trace_words\": %llu, \"predictions\": [",
                (unsigned long long)cycles, s, (unsigned long long)trace_words);
    for (size_t i = 0; i < preds.size(); i++) std::printf(i ? ",%d" : "%d", preds[i]);
    std::printf("]}}\n");
    top->final();
    delete top;
    return 0;
}}
"""


def _mangle(cpp: str) -> str:
    """Verilator's C++ names for ports with a double underscore (``i__valid`` -> ``i___05Fvalid``)."""
    import re

    return re.sub(r"top->(\w+?)__(\w+)", lambda m: f"top->{m.group(1)}___05F{m.group(2)}", cpp)


def plain_verilator_run(qnet, codes, T: int, *, parallelism=None, trace: bool = True) -> dict:
    """Build the network core alone with a C++ harness (``verilator --exe --build``) and run ``codes``.

    Returns ``cycles``, ``seconds``, ``cycles_per_s``, ``predictions`` and ``build_s``.
    """
    from ..hw.network import SCNetworkCore, output_layout
    from .runner import VERILATOR_ARGS, _hash, verilog_of
    from .tb_network import DEFAULT_PARALLELISM
    from .vectors import qnet_digest

    check_simulator("verilator")
    par = DEFAULT_PARALLELISM if parallelism is None else parallelism
    top = "sc_net"
    lay = output_layout(qnet.n_output, T)
    pred = dict((name, f) for name, f in lay)["prediction"]
    if lay.size > 64:
        raise ValueError("the C++ harness reads result words up to 64 bits")
    n_images = int(len(codes))
    cpp = _mangle(_HARNESS.format(
        top=top, n_images=n_images, pred_offset=pred.offset, pred_mask=(1 << pred.width) - 1,
        trace_setup="top->trace__ready = 1; top->trace_en = 1;" if trace else "",
        trace_count="if (top->trace__valid) trace_words++;" if trace else "",
    ))
    key = _hash("plain", qnet_digest(qnet), T, repr(par), trace, cpp)
    d = build_root() / f"plain-{top}-{key[:16]}"
    d.mkdir(parents=True, exist_ok=True)
    exe = d / "obj" / f"V{top}"
    t0 = time.perf_counter()
    if not exe.exists():
        (d / f"{top}.v").write_text(verilog_of(SCNetworkCore(qnet, T, parallelism=par, trace=trace), top))
        (d / "harness.cpp").write_text(cpp)
        opt = [a for a in VERILATOR_ARGS if a not in ("--timing",)]
        opt = [a for i, a in enumerate(opt) if not (a == "-CFLAGS" or (i and opt[i - 1] == "-CFLAGS"))]
        cmd = ["verilator", "--cc", "--exe", "--build", "-j", "2", "--top-module", top, "-Mdir", "obj",
               "-MAKEFLAGS", "CFG_CXXFLAGS_PCH_I=-include", *opt, f"{top}.v", "harness.cpp"]
        with open(d / "build.log", "w") as log:
            rc = subprocess.run(cmd, cwd=d, env=tool_env("verilator"), stdout=log, stderr=subprocess.STDOUT).returncode
        if rc:
            raise SimulationFailed(f"plain Verilator build failed; see {d / 'build.log'}")
    build_s = time.perf_counter() - t0
    (d / "codes.hex").write_text("\n".join(format(int(c), "x") for c in np.asarray(codes).reshape(-1)) + "\n")
    out = subprocess.run([str(exe)], cwd=d, capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["cycles_per_s"] = res["cycles"] / res["seconds"] if res["seconds"] > 0 else 0.0
    res["build_s"] = build_s
    return res


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m sc_neurocore.sim.bench", description=__doc__.splitlines()[0])
    p.add_argument("--export", type=Path, default=None, help="a saved QuantizedNet (default: the shipped reference net)")
    p.add_argument("--icarus-limit", type=int, default=4)
    p.add_argument("--limit", type=int, default=None, help="images on Verilator (default: all 360)")
    p.add_argument("--T", type=int, default=25)
    p.add_argument("-o", "--output", type=Path, default=Path("docs") / "bench" / "cosim.md",
                   help="Markdown file to write (default docs/bench/cosim.md, from the current folder)")
    args = p.parse_args(argv)

    from ..export import QuantizedNet
    from ..sc.contract import SCConfig, quantize_probability
    from .reference import digits_test, reference_info, reference_net, with_source
    from .tb_network import DEFAULT_PARALLELISM
    from .verify import format_table, verify_chain

    config = SCConfig()
    qnet = with_source(QuantizedNet.load(args.export) if args.export else reference_net(), rng=config.rng)
    config = qnet.config
    info = {} if args.export else reference_info()
    float_pred = info.get("float_prediction") if info.get("T") == args.T else None
    x, y = digits_test()
    rows = []
    for sim, limit in (("verilator", args.limit), ("icarus", args.icarus_limit)):
        print(f"{sim}: cocotb run ...", flush=True)
        rows += verify_chain(qnet, x, y, T=args.T, sim=sim, limit=limit, float_pred=float_pred,
                             what="digits (trained)", waves="never").rows
    n = len(x) if args.limit is None else min(args.limit, len(x))
    print("plain Verilator C++ run ...", flush=True)
    codes = quantize_probability(x[:n], config.prob_bits)
    plain = plain_verilator_run(qnet, codes, args.T)
    from ..sc.network import SCNetwork

    sc_pred = SCNetwork.from_quantized(qnet).run_codes(codes, args.T, trace=False).prediction
    plain_agree = int(np.sum(np.asarray(plain["predictions"]) == sc_pred))

    ver = next(r for r in rows if r.simulator == "verilator")
    ica = next(r for r in rows if r.simulator == "icarus")
    src = f"--export {args.export}" if args.export else ""
    net_cmd = f"--export {args.export or 'sim/data/digits_reference.npz'}"
    lines = [
        "# Co-simulation: RTL against the NumPy SC model",
        "",
        f"Written by `python -m sc_neurocore.sim.bench {src}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        f" ({platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        "other jobs shared the machine, so times are upper bounds).",
        "",
        f"Net {'-'.join(map(str, qnet.sizes))} trained on digits ({info.get('train_command', str(args.export))}), "
        f"L={config.length}, {config.rng}, k={config.prob_bits}, "
        f"T={args.T}; `SCNetworkCore` with parallelism {DEFAULT_PARALLELISM} (neurons x timesteps per clock) "
        "and the trace stream on: every count, current, membrane and spike of every layer at every timestep is "
        "compared with `SCNetwork.run_codes(..., trace=True)`, plus the class counts and the prediction.",
        "",
        format_table(rows),
        "",
        f"- RTL accuracy on Verilator {100 * (ver.rtl_acc or 0):.2f} % = NumPy SC accuracy {100 * ver.sc_acc:.2f} % "
        f"over {ver.images} test images, {ver.mismatches} mismatches in {ver.compared:,} integers.",
        f"  Command: `sc-neurocore verify {net_cmd} --sim verilator`.",
        f"- Icarus: {ica.images} images, {ica.mismatches} mismatches, RTL {100 * (ica.rtl_acc or 0):.2f} % = SC "
        f"{100 * ica.sc_acc:.2f} %. Command: `sc-neurocore verify {net_cmd} --sim icarus --limit "
        f"{args.icarus_limit}`.",
        "",
        "## Simulation speed (RTL clock cycles per second of wall time)",
        "",
        "| how | images | cycles | seconds | cycles/s |",
        "|---|---|---|---|---|",
        f"| cocotb + Verilator 5.48 (simulator-side clock, simulator-side stream driver and monitors) | {ver.images} | "
        f"{ver.cycles:,} | {ver.cycles / max(ver.cycles_per_s, 1e-9):.2f} | {ver.cycles_per_s:,.0f} |",
        f"| cocotb + Icarus 11 (same testbench) | {ica.images} | {ica.cycles:,} | "
        f"{ica.cycles / max(ica.cycles_per_s, 1e-9):.2f} | {ica.cycles_per_s:,.0f} |",
        f"| plain Verilator C++ harness (`--exe --build`, no cocotb), same core | {n} | {plain['cycles']:,} | "
        f"{plain['seconds']:.2f} | {plain['cycles_per_s']:,.0f} |",
        "",
        f"The plain run's predictions equal the SC model's on {plain_agree} of {n} images. cocotb cycles/s are "
        "measured inside the simulation from the first image's start to the last result (batches of 32 "
        "images; Python reads the trace files between batches); the rows' wall times above also include the "
        "simulator's start-up and the Python side of the scoreboard. Build times (cached afterwards): "
        f"Verilator {ver.build_s:.0f} s, Icarus {ica.build_s:.0f} s, plain {plain['build_s']:.0f} s.",
        "",
        "Speed command: `python -m sc_neurocore.sim.bench` (this file).",
        "",
    ]
    from ..fileio import atomic_write_text

    args.output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.output, "\n".join(lines))
    print("\n".join(lines))
    ok = all(r.mismatches == 0 for r in rows) and plain_agree == n
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
