"""The bad-file campaign as a tally: ``python bench/bad_input_campaign.py [-n 200] [-o docs/bench/bad_input_campaign.md]``.

Every loader (checkpoint, export, vector file, data file, NIR file) against ``n`` seeded byte damages
of each kind (cut, one flipped bit, appended bytes) and every invalid-content case of
``tests/reliability/campaign.py``; each outcome classified there (clean error / traceback / silent /
intact).  Writes a Markdown table (and ``.json`` beside it) with the counts per loader and class and
one line per invalid-content case with the message the loader gave.  Exit 1 when any outcome is a
traceback or a silent acceptance of a format that can detect it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "reliability"))


def run(n: int, seed: int) -> dict:
    import campaign as C

    rows, cases = [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        originals = C.make_originals(folder)
        for kind, path in originals.items():
            content = C.original_content(kind, path)
            raw = path.read_bytes()
            rng = np.random.default_rng(seed)
            for how in C.BYTE_DAMAGE:
                tally = dict.fromkeys(C.OUTCOMES, 0)
                crashes = 0  # clean errors that were a crash of the HDF5 library, caught in a child process
                example = {}
                for _ in range(n):
                    a, b = int(rng.integers(1 << 30)), int(rng.integers(1 << 30))
                    bad = folder / f"bad{path.suffix}"
                    bad.write_bytes(C.damage_bytes(raw, how, a, b))
                    got = C.classify(kind, bad, content, must_refuse=False)
                    tally[got.outcome] += 1
                    crashes += "crashed reading it" in got.detail
                    example.setdefault(got.outcome, got.detail.replace(str(folder), "DIR")[:160])
                rows.append({"loader": kind, "damage": how, "bytes": len(raw), **tally, "crashes caught": crashes,
                             "examples": example})
            for name in C.CASES[kind]():
                bad = C.write_case(kind, name, path, folder / f"case{path.suffix}")
                got = C.classify(kind, bad, content, must_refuse=True)
                cases.append({"loader": kind, "case": name, "outcome": got.outcome,
                              "detail": got.detail.replace(str(folder), "DIR")})
    return {"rows": rows, "cases": cases, "n": n, "seed": seed}


def render(result: dict, seconds: float) -> str:
    import campaign as C

    n, rows, cases = result["n"], result["rows"], result["cases"]
    totals = dict.fromkeys(C.OUTCOMES, 0)
    for r in rows:
        for o in C.OUTCOMES:
            totals[o] += r[o]
    case_totals = dict.fromkeys(C.OUTCOMES, 0)
    for c in cases:
        case_totals[c["outcome"]] += 1
    lines = [
        "# Bad files against every loader",
        "",
        f"Produced by `python bench/bad_input_campaign.py -n {n} --seed {result['seed']}` on "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC ({seconds:.0f} s).  The campaign is "
        "`tests/reliability/campaign.py`; `tests/reliability/test_bad_files.py` runs it under hypothesis.",
        "",
        "Outcomes: *clean error* = ValueError/TypeError/OSError with a message (the CLI's exit 2); *traceback* = "
        "any other exception (the CLI's exit 70, \"internal error\"); *silent* = loaded, with content that differs "
        "from the original (or an invalid file loaded at all); *intact* = byte damage the loader read through with "
        "the original content (a bit in a zip header's padding, a name the reader does not use, bytes after the "
        "end of the archive).",
        "",
        f"## Byte damage ({n} seeded damages per loader and kind)",
        "",
        "| loader | file bytes | damage | clean error | (of which a crash caught) | traceback | silent | intact |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['loader']} | {r['bytes']:,} | {r['damage']} | {r['clean error']} | {r['crashes caught']} | "
                     f"{r['traceback']} | "
                     f"{r['silent']} | {r['intact']} |")
    lines += ["", "Total: " + ", ".join(f"{v} {k}" for k, v in totals.items()) + f" of {sum(totals.values())}.", ""]
    crashed = sum(r["crashes caught"] for r in rows)
    if crashed:
        lines.append(f"Crashes caught: {crashed} damaged NIR files make the HDF5 library under h5py crash the process "
                     "(segmentation fault); `sc_neurocore.nir.read_graph` reads a file in a child process first and "
                     "turns that into a clean error.")
    silent = [r for r in rows if r["silent"]]
    for r in silent:
        lines.append(f"Silent ({r['loader']}, {r['damage']}): {r['silent']} of {n} -- "
                     + ("HDF5, the NIR container, keeps no checksum (nir.write does not ask h5py for one): a flipped "
                        "bit inside a float array reads as another float." if r["loader"] == "nir" else "a hole."))
    lines += ["", f"## Invalid content ({len(cases)} cases, one file each)", "",
              "| loader | case | outcome | message (DIR = the folder) |", "|---|---|---|---|"]
    for c in cases:
        detail = c["detail"].replace("|", "/").replace("\n", " ")
        lines.append(f"| {c['loader']} | {c['case']} | {c['outcome']} | {detail[:200]} |")
    lines += ["", "Total: " + ", ".join(f"{v} {k}" for k, v in case_totals.items()) + f" of {len(cases)}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=200, help="damages per loader and kind (default 200)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", type=Path, default=ROOT / "docs/bench/bad_input_campaign.md")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    result = run(args.n, args.seed)
    seconds = time.perf_counter() - t0
    from sc_neurocore.fileio import atomic_write_text

    atomic_write_text(args.output, render(result, seconds))
    atomic_write_text(args.output.with_suffix(".json"), json.dumps(result, indent=1))
    bad = sum(r["traceback"] + (r["silent"] if r["loader"] != "nir" else 0) for r in result["rows"])
    bad += sum(c["outcome"] != "clean error" for c in result["cases"])
    print(f"wrote {args.output}: {bad} tracebacks or silent acceptances where the format can tell")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
