import shutil

import pytest
from sc_neurocore.training import native


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """A native module state with nothing loaded and the cache in tmp_path."""
    monkeypatch.setattr(native, "_tried", False)
    monkeypatch.setattr(native, "_lib", None)
    monkeypatch.setenv("SC_NEUROCORE_CACHE", str(tmp_path))
    return tmp_path


def test_builds_into_the_cache_and_binds(fresh):
    if not shutil.which("cc") and not shutil.which("gcc"):
        pytest.skip("no C compiler")
    lib = native.library()
    assert lib is not None and native.status.startswith("loaded")
    assert len(list(fresh.glob("lif_*.so"))) == 1
    assert native.library() is lib  # loaded once


def test_disabled_by_environment(fresh, monkeypatch):
    monkeypatch.setenv("SC_NEUROCORE_NATIVE", "0")
    assert native.library() is None
    assert "disabled" in native.status


def test_no_compiler_falls_back(fresh, monkeypatch):
    monkeypatch.setattr(native.shutil, "which", lambda name: None)
    assert native.library() is None
    assert "no C compiler" in native.status
