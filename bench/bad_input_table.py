"""The bad-input table as a report: ``python bench/bad_input_table.py [-o docs/bench/bad_input.md]``.

Runs ``tests/cli/test_bad_input.py`` (every row: the command with bad input, the exit code it must give,
a fragment its message must hold, no traceback, nothing written) through pytest with a JUnit XML
report, and writes one Markdown row per table row with the test's verdict.  The verdicts come from that
run, not from this script: a row reads "as expected" only when its test passed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-o", "--output", type=Path, default=ROOT / "docs/bench/bad_input.md")
    args = p.parse_args(argv)
    from tests.cli.test_bad_input import ROWS, _id

    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "junit.xml"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
                        f"--junitxml={xml}", "tests/cli/test_bad_input.py::test_bad_input"], cwd=ROOT, check=False)
        seconds = time.perf_counter() - t0
        verdict = {}
        for case in ET.parse(xml).getroot().iter("testcase"):
            name = case.get("name", "")
            row_id = name[name.index("[") + 1:-1] if "[" in name else name
            kinds = {child.tag for child in case}
            verdict[row_id] = ("failed" if kinds & {"failure", "error"} else "skipped" if "skipped" in kinds
                               else "as expected")
    lines = [
        "# Bad input to every command",
        "",
        f"Produced by `python bench/bad_input_table.py` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC "
        f"({seconds:.0f} s): each row of `tests/cli/test_bad_input.py` run by pytest. *As expected* means the "
        "command exited with the code in the row, its last message line starts `sc-neurocore <command>:` and "
        "holds the fragment, no traceback was printed, and nothing was written.",
        "",
        "| # | command | exit code | message holds | result |",
        "|---|---|---|---|---|",
    ]
    counts: dict[str, int] = {}
    for n, row in enumerate(ROWS, 1):
        argv, code, fragment = row[:3]
        got = verdict.get(_id(row), "not run")
        counts[got] = counts.get(got, 0) + 1
        command = "sc-neurocore " + " ".join(shlex.quote(a) for a in argv)
        lines.append(f"| {n} | `{command}` | {code} | {fragment.replace('|', '/')} | {got} |")
    lines += ["", "Total: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + f" of {len(ROWS)} rows.",
              "Tracebacks: 0 in every row that ran (the test fails a row that prints one)."]
    args.output.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0 if set(counts) <= {"as expected", "skipped"} else 1


if __name__ == "__main__":
    sys.exit(main())
