"""``sc_neurocore.report`` sits at the command-line layer: nothing below it imports it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Source folders of the layers below the command line (``sw/cli`` and ``sw/report`` are the top).
BELOW = [p for p in (ROOT / "sw").iterdir() if p.name not in ("cli", "report")] + [ROOT / d for d in ("hw", "sim", "boards")]


def _imports_report(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            names = [a.name for a in node.names]
            if mod == "sc_neurocore.report" or mod.startswith("sc_neurocore.report.") or (
                    node.level and (mod == "report" or mod.startswith("report.") or (not mod and "report" in names))):
                hits.append(f"{path.relative_to(root)}:{node.lineno}")
        elif isinstance(node, ast.Import):
            hits += [f"{path.relative_to(root)}:{node.lineno}" for a in node.names
                     if a.name == "sc_neurocore.report" or a.name.startswith("sc_neurocore.report.")]
    return hits


def test_nothing_below_the_cli_imports_report():
    files = [f for d in BELOW for f in ([d] if d.is_file() else d.rglob("*.py")) if f.suffix == ".py"]
    assert len(files) > 30
    assert [h for f in files for h in _imports_report(f)] == []


def test_the_check_sees_an_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from ..report import collect\nimport sc_neurocore.report.data\nfrom .. import report\n"
                   "from ..sc import network\n")
    assert _imports_report(bad, tmp_path) == ["bad.py:1", "bad.py:2", "bad.py:3"]
