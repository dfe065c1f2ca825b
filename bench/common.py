"""Shared helpers of the benchmark scripts: paths, machine description, interleaved timing, Markdown.

Every ``bench/bench_<name>.py`` exposes ``main(argv) -> int`` and writes ``docs/bench/<name>.md``
with :func:`write_report`; ``bench/run_all.py`` runs them and assembles ``docs/benchmarks.md``.
A benchmark is two parts: an experiment that runs things and returns plain data (saved with
:func:`write_json` as ``docs/bench/<name>.json`` beside the Markdown), and a report that renders
Markdown (and plots) from that data alone, so ``--render-only`` (:func:`add_render_only`)
re-renders a report from its JSON without re-running anything.

Timing rules used throughout: the libraries compared are run in the same process, on the same
data, interleaved repetition by repetition (the order rotated each time) so that noise from other
work on the machine hits all of them alike; figures are medians of the repetitions, and
comparisons are ratios of those medians.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata
from pathlib import Path

__all__ = [
    "ROOT",
    "BENCH_DIR",
    "REPORT_DIR",
    "IMG_DIR",
    "cpu_model",
    "machine_info",
    "load_average",
    "package_version",
    "versions",
    "git_revision",
    "utc_now",
    "calibrate",
    "interleaved",
    "median",
    "mean_std",
    "md_table",
    "command_line",
    "write_report",
    "write_json",
    "read_json",
    "add_render_only",
    "RenderError",
]

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
REPORT_DIR = ROOT / "docs" / "bench"
IMG_DIR = ROOT / "docs" / "img"


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, ``platform.processor()`` elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (``-`` where the OS has none): how busy a shared machine was."""
    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except (AttributeError, OSError):  # pragma: no cover - not Unix
        return "-"


def machine_info() -> dict[str, str]:
    """What a reader needs to place a figure: CPU, cores, OS, Python, and the load when it was asked."""
    return {
        "cpu": cpu_model(),
        "cores": f"{_usable_cores()} usable of {os.cpu_count()}",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load": load_average(),
    }


def package_version(dist: str) -> str | None:
    """Installed version of a distribution, ``None`` when it is not installed."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def versions(dists: Iterable[str]) -> dict[str, str]:
    """``{dist: version or "not installed"}``."""
    return {d: (package_version(d) or "not installed") for d in dists}


def git_revision() -> str:
    """Short commit of the working tree (``+dirty`` when it has changes); ``unknown`` without git."""
    try:
        rev = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if not rev:
        return "unknown"
    return rev + ("+dirty" if dirty else "")


def utc_now() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def calibrate(fn: Callable[[], object], target_s: float, probes: int = 3) -> int:
    """How many calls of ``fn`` make one timed block of about ``target_s`` seconds (at least 1).

    Timing a block of calls instead of one short call keeps a scheduler time slice lost to other
    work on a shared machine from weighing more on a fast call than on a slow one.
    """
    best = float("inf")
    for _ in range(probes):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return max(1, round(target_s / max(best, 1e-9)))


def interleaved(
    fns: dict[str, Callable[[], object]],
    repeats: int,
    warmup: int = 1,
    number: dict[str, int] | None = None,
) -> dict[str, list[float]]:
    """Time each callable ``repeats`` times, interleaved: one block of each per round, order rotated.

    ``warmup`` untimed rounds go first.  A block is ``number[name]`` calls (default 1).
    Returns ``{name: [seconds per call, ...]}``.
    """
    names = list(fns)
    number = {name: max(1, int((number or {}).get(name, 1))) for name in names}
    for _ in range(warmup):
        for name in names:
            fns[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        k = r % len(names) if names else 0
        for name in names[k:] + names[:k]:
            fn, n = fns[name], number[name]
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            times[name].append((time.perf_counter() - t0) / n)
    return times


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def mean_std(xs: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    if not xs:
        return float("nan"), float("nan")
    return statistics.fmean(xs), (statistics.stdev(xs) if len(xs) > 1 else 0.0)


def md_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(str(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines)


def command_line(script: str, argv: Sequence[str]) -> str:
    """The command that reproduces a run, as a user types it from the repository root."""
    return " ".join(["python", script, *argv]).strip()


def write_report(name: str, text: str, out_dir: Path | None = None) -> Path:
    """Write ``docs/bench/<name>.md`` (or ``out_dir/<name>.md``) atomically and return its path."""
    from sc_neurocore.fileio import atomic_write_text

    out = Path(out_dir) if out_dir is not None else REPORT_DIR
    out.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(out / f"{name}.md", text.rstrip() + "\n")


def _plain(value):
    """``value`` as JSON data: NumPy scalars and arrays to Python numbers and lists, NaN to ``None``."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):  # NumPy arrays and scalars, torch tensors
        return _plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(name: str, data: dict, out_dir: Path | None = None) -> Path:
    """Write an experiment's data as ``docs/bench/<name>.json`` (or in ``out_dir``), atomically."""
    from sc_neurocore.fileio import atomic_write_text

    out = Path(out_dir) if out_dir is not None else REPORT_DIR
    out.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(out / f"{name}.json", json.dumps(_plain(data), indent=1, allow_nan=False) + "\n")


class RenderError(Exception):
    """No usable data to render a report from (the message says why and what to run)."""


def read_json(name: str, out_dir: Path | None = None, *, schema: int | None = None) -> dict:
    """The data an experiment saved with :func:`write_json`; :class:`RenderError` if missing or another schema."""
    path = (Path(out_dir) if out_dir is not None else REPORT_DIR) / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RenderError(f"no {path}: run the benchmark without --render-only first") from None
    except (OSError, ValueError) as exc:
        raise RenderError(f"cannot read {path}: {exc}") from None
    if schema is not None and (not isinstance(data, dict) or data.get("schema") != schema):
        found = data.get("schema") if isinstance(data, dict) else None
        raise RenderError(f"{path} holds data of schema {found!r}, this report reads schema {schema}: re-run it")
    return data


def add_render_only(ap: argparse.ArgumentParser) -> None:
    """``--render-only``: re-render the report from the saved JSON, running nothing."""
    ap.add_argument(
        "--render-only",
        "--report-only",
        dest="render_only",
        action="store_true",
        help="re-render the report (and plot) from <out-dir>/<name>.json without running anything",
    )


def saved_or_new(script: str, name: str, schema: int, args, argv: Sequence[str],
                 run: Callable[[], dict]) -> dict | None:
    """The data a report renders, the common part of every benchmark's ``main``.

    With ``--render-only`` (``args.render_only``): the JSON saved as ``<args.out_dir>/<name>.json``; ``None``
    after saying why on stderr (``script: ...``) when it is missing or of another ``schema``: the caller exits 2.
    Otherwise ``run()``'s data, with ``command`` (the command line of ``script`` and ``argv``) added, saved to that
    JSON before it is returned.
    """
    if args.render_only:
        try:
            return read_json(name, args.out_dir, schema=schema)
        except RenderError as exc:
            print(f"{script}: {exc}", file=sys.stderr)
            return None
    data = run()
    data["command"] = command_line(script, argv)
    write_json(name, data, args.out_dir)
    return data


if __name__ == "__main__":  # pragma: no cover - manual check
    print(machine_info(), git_revision(), sys.version)
