"""The board link's soak: ``python bench/soak.py [-n 10000] [-o docs/bench/soak.md]``.

``tests/boards/test_soak.py``'s :func:`run_soak`: the unchanged host client sends ``n`` random images back to
back over the simulated UART (4 clock cycles per bit) to the link engine around a real ``SCNetworkCore``
(12-10-4, T=5, L=8, parallelism 2x4) on Verilator; every answer is compared with the NumPy SC model.
Writes the figures (lost, duplicated, wrong, retries, wall time, simulated time) as Markdown and JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "boards"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=10_000, help="images (default 10,000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", type=Path, default=ROOT / "docs/bench/soak.md")
    args = p.parse_args(argv)
    from test_soak import run_soak

    with tempfile.TemporaryDirectory() as tmp:
        r = run_soak(args.n, Path(tmp), seed=args.seed)
    ok = r["lost"] == r["duplicated"] == r["wrong"] == 0 and r["images"] == args.n
    lines = [
        "# Soak: the board link, back to back",
        "",
        f"Produced by `python bench/soak.py -n {args.n} --seed {args.seed}` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} "
        "UTC (run under `nice -n 10` on a shared 2-core machine).  The unchanged `BoardClient` sends random images "
        "back to back over the simulated UART (4 cycles per bit) to `LinkEngine` around a real `SCNetworkCore` "
        f"({'-'.join(map(str, r['sizes']))}, T={r['T']}, L={r['L']}, parallelism 2x4) on {r['sim']}; each answer is "
        "compared with `SCNetwork.predict_codes` (counts and prediction).  One request in flight (the protocol's flow "
        "control); the board's streams into and out of the core hand over by ready/valid.",
        "",
        "| images | answers | lost | duplicated | wrong | client retries | stray bytes at the end | wall time | "
        "simulated time | images/s (wall) |",
        "|---|---|---|---|---|---|---|---|---|---|",
        f"| {r['images']:,} | {r['answers_received']:,.0f} | {r['lost']} | {r['duplicated']} | {r['wrong']} | "
        f"{r['retried']} | {r['stray_bytes']} | {r['wall_s']:.0f} s | {r['sim_ns'] / 1e6:.1f} ms | "
        f"{r['images'] / r['wall_s']:.1f} |",
        "",
        "Wall time includes starting the simulator (the Verilator model is cached by content hash).",
    ]
    from sc_neurocore.fileio import atomic_write_text

    atomic_write_text(args.output, "\n".join(lines) + "\n")
    atomic_write_text(args.output.with_suffix(".json"), json.dumps(r, indent=1, default=str))
    print("\n".join(lines[-4:]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
