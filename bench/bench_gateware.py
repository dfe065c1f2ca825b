"""Clocks per image of the network cores for the trained digits net (``docs/bench/gateware.md``).

For each parallelism setting of the time-batched ``SCNetworkCore`` and each source, the exact
clocks of every digits test image (``sc_neurocore.hw.network.image_cycles``, the event model the
gateware tests hold the core to, cycle for cycle), their mean and max, the worst case (every
input non-zero, every hidden neuron spiking), and images/s at 24, 50 and 100 MHz.  Resources and
fmax of the board settings come from ``nox -s build`` (``docs/bench/boards.md``).

Usage::

    python bench/bench_gateware.py [--checkpoint CKPT] [--quick]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

DEFAULT_CHECKPOINT = common.ROOT / "build" / "boards" / "digits.pt"
TRAIN = ["train", "--dataset", "digits", "--epochs", "10", "--seed", "0", "--no-progress"]
SETTINGS = [(1, 16), (1, 25), (4, 25), (8, 25), (16, 25)]


def _checkpoint(path: Path) -> tuple[Path, str]:
    rel = path.relative_to(common.ROOT) if path.is_absolute() and path.is_relative_to(common.ROOT) else path
    shown = "sc-neurocore " + " ".join(TRAIN + ["-o", str(rel)])
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"[gateware] training the digits net: {shown}", flush=True)
        subprocess.run([sys.executable, "-m", "sc_neurocore.cli", *TRAIN, "-o", str(path)], check=True)
    return path, shown


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python bench/bench_gateware.py", description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    p.add_argument("--quick", action="store_true", help="first 40 test images only")
    p.add_argument("--out-dir", type=Path, default=None)
    args = p.parse_args(argv)
    argv = [] if argv is None else list(argv)

    import numpy as np
    from sc_neurocore.boards.nets import load_net
    from sc_neurocore.datasets import load_digits_split
    from sc_neurocore.hw.network import cycles_per_image, image_cycles
    from sc_neurocore.sc.contract import quantize_probability
    from sc_neurocore.sc.network import SCNetwork

    ckpt, trained_by = _checkpoint(args.checkpoint)
    _, x_test, _, y_test = load_digits_split()
    if args.quick:
        x_test, y_test = x_test[:40], y_test[:40]
    t0 = time.perf_counter()
    rows, nets = [], {}
    for rng in ("sobol", "lfsr"):
        qnet, T, _ = load_net(ckpt, rng=rng)
        codes = quantize_probability(np.asarray(x_test, dtype=np.float64), qnet.config.prob_bits)
        pred = SCNetwork.from_quantized(qnet).run_codes(codes, T, trace=False).prediction
        nets[rng] = (qnet, T, codes, float(np.mean(pred == y_test)))
        for par in SETTINGS:
            c = image_cycles(qnet, T, par, codes)
            worst = cycles_per_image(qnet, T, par)
            rows.append([f"`SCNetworkCore` {par}", rng, f"{nets[rng][3]:.2%}", f"{c.mean():,.0f}", f"{c.max():,}",
                         f"{worst:,}", f"{24e6 / c.mean():,.0f}", f"{50e6 / c.mean():,.0f}", f"{100e6 / c.mean():,.0f}"])
    qnet, T, codes, acc = nets["sobol"]
    seconds = time.perf_counter() - t0
    cmd = common.command_line("bench/bench_gateware.py", argv)
    text = "\n".join([
        "# Gateware: clocks per image",
        "",
        f"Produced by `{cmd}` on {common.utc_now()} ({seconds:.0f} s). Net: `{ckpt.relative_to(common.ROOT) if ckpt.is_relative_to(common.ROOT) else ckpt}`"
        f" (digits 64-128-10, T={T}, L={qnet.config.length}, k={qnet.config.prob_bits}; trained by `{trained_by}`),"
        f" {len(codes)} digits test images.",
        "",
        "Clocks from the input stream's first code to the next image's first code, images back to back.",
        "*mean* and *max* are over the test images: zero pixels and hidden neurons that never spike",
        "cost the time-batched core nothing; *worst* assumes every input non-zero and every hidden neuron",
        "active. The engine's figures are exact (`image_cycles`; `tests/hw/test_network.py` checks the",
        "model against simulation clock for clock).",
        "*SC accuracy*: the SC model on these images with that source (the RTL reproduces its integers).",
        "",
        common.md_table(["core (parallelism)", "source", "SC accuracy", "mean", "max", "worst",
                         "images/s at 24 MHz (mean)", "at 50 MHz", "at 100 MHz"], rows),
        "",
        "Settings: `(lanes, tlanes)` = neurons x timesteps per clock for `SCNetworkCore`. The iCEBreaker builds",
        "(1, 16) and the ULX3S (8, 25), both with the Sobol source: see `docs/bench/boards.md` for their resources",
        "and fmax.",
    ])
    path = common.write_report("gateware", text, args.out_dir)
    print(f"[gateware] wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
