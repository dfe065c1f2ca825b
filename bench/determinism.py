"""The determinism matrix: ``python bench/determinism.py [-o docs/bench/determinism.md]``.

Runs ``tests/reliability/determinism_probe.py`` in fresh processes for several ``PYTHONHASHSEED`` values
and torch thread counts and tabulates the SHA-256 fingerprints of the CPU training run, the SC model's
integers, the vector file (arrays and bytes), the export's bytes and the Verilog: one row per process,
"=" where a fingerprint equals the first row's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = ROOT / "tests" / "reliability" / "determinism_probe.py"
RUNS = [("0", 1), ("0", 1), ("4242", 1), ("random", 1), ("0", 2), ("4242", 4)]
KEYS = ("training", "sc_model", "vectors", "vectors_file", "export_file", "verilog")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-o", "--output", type=Path, default=ROOT / "docs/bench/determinism.md")
    args = p.parse_args(argv)
    rows = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for n, (seed, threads) in enumerate(RUNS):
            out = Path(tmp) / f"{n}.json"
            r = subprocess.run([sys.executable, str(PROBE), str(threads), str(out)], cwd=tmp, capture_output=True,
                               text=True, env=dict(os.environ, PYTHONHASHSEED=seed), check=False)
            if r.returncode:
                print(r.stderr[-3000:], file=sys.stderr)
                return 1
            rows.append(json.loads(out.read_text()))
    seconds = time.perf_counter() - t0
    import torch

    ref = rows[0]
    lines = [
        "# Determinism: the same seeds, the same bits",
        "",
        f"Produced by `python bench/determinism.py` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC ({seconds:.0f} s, "
        f"torch {torch.__version__}, {os.cpu_count()} CPUs).  Each row is a fresh process running "
        "`tests/reliability/determinism_probe.py` (`sc-neurocore train` on CPU, seed 0, 1 epoch, 16 hidden, T=8; "
        "the SC model on 20 test images; a vector file; the export; `export-verilog`).  Cells: the first 12 hex "
        "digits of the SHA-256, or = when equal to the first row's.",
        "",
        "| process | PYTHONHASHSEED | torch threads | " + " | ".join(KEYS) + " |",
        "|---|---|---|" + "---|" * len(KEYS),
    ]
    for n, r in enumerate(rows):
        cells = [r[k][:12] if n == 0 or r[k] != ref[k] else "=" for k in KEYS]
        lines.append(f"| {n + 1} | {r['hashseed']} | {r['threads']} | " + " | ".join(cells) + " |")
    same = {k: all(r[k] == ref[k] for r in rows) for k in KEYS}
    same_threads = {k: all(r[k] == ref[k] for r in rows if r["threads"] == ref["threads"]) for k in KEYS}
    lines += ["", "Identical in every process: " + (", ".join(k for k in KEYS if same[k]) or "none") + ".",
              "Identical at the same thread count only: " + (", ".join(k for k in KEYS if same_threads[k] and not same[k])
                                                             or "none") + ".",
              "Different even at the same thread count: " + (", ".join(k for k in KEYS if not same_threads[k])
                                                             or "none") + "."]
    from sc_neurocore.fileio import atomic_write_text

    atomic_write_text(args.output, "\n".join(lines) + "\n")
    atomic_write_text(args.output.with_suffix(".json"), json.dumps(rows, indent=1))
    print("\n".join(lines[-3:]))
    return 0 if all(same_threads.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
