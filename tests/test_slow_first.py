"""The scheduling hint of ``tests/conftest.py``: its slow files exist, and collection puts them first in its order."""

from __future__ import annotations

from pathlib import Path

from conftest import SLOW_FIRST, _slow_rank

ROOT = Path(__file__).resolve().parent.parent


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
