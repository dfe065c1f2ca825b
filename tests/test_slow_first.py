"""The scheduling hint of ``tests/conftest.py``: its slow files exist, and collection puts them first in its order."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _conftest():
    """tests/conftest.py, loaded by path (``import conftest`` finds whichever conftest module was imported first)."""
    spec = importlib.util.spec_from_file_location("sc_neurocore_tests_conftest", ROOT / "tests" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_CONF = _conftest()
SLOW_FIRST, _slow_rank = _CONF.SLOW_FIRST, _CONF._slow_rank


class _Item:
    def __init__(self, nodeid):
        self.nodeid = nodeid


def test_every_slow_file_exists():
    missing = [p for p in SLOW_FIRST if not (ROOT / p).is_file()]
    assert not missing, f"SLOW_FIRST names files that are not there (renamed?): {missing}"


def test_slow_files_first_in_their_order_and_the_rest_kept_in_place():
    ids = ["tests/a.py::t1", f"{SLOW_FIRST[1]}::t1", "tests/b.py::t1", f"{SLOW_FIRST[0]}::t2",
           f"{SLOW_FIRST[1]}::t0", f"{SLOW_FIRST[0]}::t1", "tests/a.py::t2"]
    items = sorted((_Item(i) for i in ids), key=_slow_rank)
    assert [i.nodeid for i in items] == [f"{SLOW_FIRST[0]}::t2", f"{SLOW_FIRST[0]}::t1", f"{SLOW_FIRST[1]}::t1",
                                         f"{SLOW_FIRST[1]}::t0", "tests/a.py::t1", "tests/b.py::t1", "tests/a.py::t2"]
