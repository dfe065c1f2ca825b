"""The report page: one net down the whole chain, as a static HTML page a person can look at.

``collect`` (:mod:`.data`) runs the models and gathers the numbers into a :class:`ReportData`;
``write_report`` (:mod:`.render`) draws it with matplotlib and writes ``index.html`` (figures
inlined) and ``report.json``.  The command is ``sc-neurocore report``.  This package sits at the
command-line layer (it uses training, sim and hw); nothing below it imports it.
"""

from __future__ import annotations

from .data import LENGTHS, SOURCES, ReportData, collect, read_board_folder, requantize

__all__ = ["LENGTHS", "SOURCES", "ReportData", "collect", "read_board_folder", "requantize", "render_html",
           "write_report"]


def __getattr__(name):
    if name in ("render_html", "write_report"):  # matplotlib only when drawing
        from . import render

        return getattr(render, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
