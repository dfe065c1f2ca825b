"""The progress renderer: plain lines off a terminal, tqdm bars on one; stages open and close once."""

from __future__ import annotations

import io

from sc_neurocore.cli.bars import Bars
from sc_neurocore.progress import ProgressEvent, emit


class TTY(io.StringIO):
    def isatty(self):
        return True


def test_plain_lines_off_a_terminal():
    out = io.StringIO()
    with Bars("verify", file=out, note_every=0.0) as bars:
        emit(bars, "compile verilator", 0, None)
        emit(bars, "compile verilator", 1, 1)
        for i in range(4):
            emit(bars, "images", i, 3, f"{i} mismatches")
        emit(bars, "images", 3, 3, "3 mismatches (final)")  # a repeated end draws nothing
        bars("a plain message")
        emit(bars, "unfinished", 0, 10)
    lines = out.getvalue().splitlines()
    assert lines[0] == "sc-neurocore verify: compile verilator ..."
    assert lines[1].startswith("sc-neurocore verify: compile verilator done in ")
    assert "sc-neurocore verify: images (3) ..." in lines
    assert any(line.startswith("sc-neurocore verify: images 1/3: 1 mismatches") for line in lines)
    assert lines[-3].startswith("sc-neurocore verify: images done in ") and lines[-3].endswith(": 3 mismatches")
    assert lines[-2:] == ["sc-neurocore verify: a plain message", "sc-neurocore verify: unfinished (10) ..."]
    assert all(line.startswith("sc-neurocore verify: ") for line in lines)


def test_notes_are_rate_limited():
    out = io.StringIO()
    bars = Bars("build", file=out, note_every=3600)
    for i in range(50):
        emit(bars, "route", i, None, f"iteration {i}")
    emit(bars, "route", 1, 1, "0 overused wires")
    assert len(out.getvalue().splitlines()) == 2  # start and end, no note in between within the hour


def test_tqdm_bars_on_a_terminal():
    out = TTY()
    with Bars("build", file=out) as bars:
        assert bars.tqdm is not None
        with bars.step("elaborate"):
            pass
        emit(bars, "route", 3, None, "iteration 3: 12 overused wires")
    text = out.getvalue()
    assert "elaborate" in text and "route" in text and "12 overused wires" in text


def test_disabled_and_bad_events():
    out = io.StringIO()
    Bars("x", file=out, enabled=False)(ProgressEvent("s", 0, 1))
    assert out.getvalue() == ""
    import pytest

    with pytest.raises(TypeError, match="ProgressEvent"):
        Bars("x", file=out)(42)
