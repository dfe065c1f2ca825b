"""The README runs as written: its set-up demo and every command of its tour, with small settings.

The commands are read from ``README.md`` itself (the first ``bash`` block's ``sc-neurocore``
commands and the "A tour" block), so an edit to the README is tested as it is written.  Only
the sizes shrink (``--epochs 1 --hidden 8``, ``--limit 2`` images on the RTL); ``pip install``
lines are checked by importing what they install; ``nox`` lines are this test suite.  The demo
and ``train`` train the same net here, so ``verify`` reuses the demo's simulator build.
"""

from __future__ import annotations

import importlib.util
import shlex
import time
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"

#: What the ``pip install`` extras of the README bring, by a module of each.
EXTRA_MODULES = {"training": "torch", "hw": "amaranth", "sim": "cocotb", "boards": "amaranth_boards"}


def readme_blocks(text: str) -> list[tuple[str, list[str]]]:
    """``(heading, lines)`` of every ```bash block of the README."""
    blocks, heading, inside, lines = [], "", False, []
    for line in text.splitlines():
        if line.startswith("#") and not inside:
            heading = line.lstrip("#").strip()
        elif line.strip().startswith("```bash"):
            inside, lines = True, []
        elif line.strip().startswith("```") and inside:
            inside = False
            blocks.append((heading, lines))
        elif inside:
            lines.append(line)
    return blocks


def commands(lines: list[str]) -> list[list[str]]:
    """Each line's commands (split on ``&&``, comments dropped) as argv lists."""
    out = []
    for line in lines:
        words = shlex.split(line, comments=True)
        cmd: list[str] = []
        for w in words + ["&&"]:
            if w == "&&":
                if cmd:
                    out.append(cmd)
                cmd = []
            else:
                cmd.append(w)
    return out


def tour() -> list[list[str]]:
    """The README's set-up commands, then its tour, in order."""
    blocks = readme_blocks(README.read_text())
    setup = blocks[0][1]
    tour_lines = next(lines for heading, lines in blocks if heading.lower() == "a tour")
    return commands(setup) + commands(tour_lines)


def _set(argv: list[str], option: str, value: str) -> list[str]:
    argv = list(argv)
    if option in argv:
        argv[argv.index(option) + 1] = value
    else:
        argv += [option, value]
    return argv


def small(argv: list[str]) -> list[str]:
    """The same command with test-sized settings (what the README promises stays the same)."""
    command = argv[1]
    argv = argv[1:]
    if command in ("train", "demo"):
        argv = _set(_set(argv, "--epochs", "1"), "--hidden", "8")
    if command in ("demo", "verify", "report"):
        argv = _set(argv, "--limit", "2")
    if command == "train":
        argv.append("--no-progress")
    return argv


def test_readme_has_the_commands_the_tour_needs():
    cmds = tour()
    names = [c[1] for c in cmds if c[0] == "sc-neurocore"]
    lines = README.read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("```bash"))
    assert lines[first + 1].startswith("pip install") and lines[first + 2].startswith("pip install")  # set-up
    assert lines[first + 3].startswith("```")
    assert names[0] == "demo"
    assert {"train", "sc-eval", "export-verilog", "verify", "build", "report"} <= set(names)


def test_every_readme_command_parses():
    """Every ``sc-neurocore`` command written anywhere in the README is accepted by the parser as written."""
    from sc_neurocore.cli import build_parser

    parser = build_parser()
    text = README.read_text()
    found = 0
    for _, lines in readme_blocks(text):
        for argv in commands(lines):
            if argv[0] == "sc-neurocore":
                args = parser.parse_args(argv[1:])
                assert args.func, argv
                found += 1
    for chunk in text.split("`")[1::2]:  # inline `sc-neurocore ...`
        if chunk.startswith("sc-neurocore ") and not set(chunk) & set("|<"):  # not `sc-neurocore <command>:`
            try:
                parser.parse_args(shlex.split(chunk)[1:])
            except SystemExit as exc:  # --help, --version
                assert exc.code == 0, chunk
            found += 1
    assert found >= 7


@pytest.mark.sim
@pytest.mark.synth
def test_readme_tour_runs(tmp_path, monkeypatch, cli):
    """Every command of the README, small, in a fresh folder: all exit 0, no traceback."""
    pytest.importorskip("torch")
    pytest.importorskip("cocotb")
    monkeypatch.chdir(tmp_path)
    ran = []
    for argv in tour():
        if argv[0] == "pip":
            spec = next((a for a in argv if "[" in a), "[]")
            extras = spec.split("[", 1)[1].rstrip("]\"'").split(",")
            missing = [e for e in extras if EXTRA_MODULES.get(e) and not importlib.util.find_spec(EXTRA_MODULES[e])]
            if missing:
                pytest.skip(f"the README installs the extras {missing} at this point; they are not installed here")
            continue
        if argv[0] == "nox":
            continue  # the test suite itself
        assert argv[0] == "sc-neurocore", f"the README's tour runs only sc-neurocore, pip and nox: {argv}"
        run = small(argv)
        t0 = time.perf_counter()
        r = cli(*run)
        ran.append((" ".join(run), r.code, time.perf_counter() - t0))
        assert "Traceback" not in r.err, r.err
        assert r.code == 0, f"sc-neurocore {' '.join(run)}: exit {r.code}\n{r.err[-3000:]}"
        if run[0] == "build":
            assert "clocks/image: mean" in r.out and "theoretical worst" in r.out and "tool log:" in r.out
        if run[0] == "demo":
            assert "RTL on the first 2 test images:" in r.out and "runs/demo/digits_export.npz" in r.out
    assert [c for c, _, _ in ran][0].startswith("demo")
    print("\n".join(f"{s:6.1f} s  exit {code}  sc-neurocore {c}" for c, code, s in ran))
    assert (tmp_path / "runs/demo/digits.pt").is_file() and (tmp_path / "digits.pt").is_file()
    assert (tmp_path / "net.v").is_file() and (tmp_path / "digits_export.npz").is_file()
    assert (tmp_path / "report/index.html").is_file() and (tmp_path / "report/report.json").is_file()
