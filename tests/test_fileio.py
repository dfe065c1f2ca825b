"""Output files: checked before work, written atomically, with the mode a plain write would give."""

from __future__ import annotations

import os
import stat

import pytest
from sc_neurocore.fileio import OutputPathError, atomic_output, atomic_write_text, check_output_path
from sc_neurocore.paths import CACHE_ENV, cache_dir


def test_check_output_path_accepts_a_file_in_an_existing_folder(tmp_path):
    assert check_output_path(tmp_path / "x.pt") == tmp_path / "x.pt"


@pytest.mark.parametrize(("rel", "directory", "fragment"), [
    ("nodir/x.pt", False, "does not exist"),
    (".", False, "is a folder"),
    ("file.txt/sub", True, "is not a folder"),
    ("file.txt/x.pt", False, "is not a folder"),
])
def test_check_output_path_refuses(tmp_path, rel, directory, fragment):
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(OutputPathError, match=fragment):
        check_output_path(tmp_path / rel, directory=directory)


def test_a_creatable_folder_is_accepted_and_not_created(tmp_path):
    out = check_output_path(tmp_path / "a" / "b", directory=True)
    assert out == tmp_path / "a" / "b" and not (tmp_path / "a").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_folder_is_refused(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    with pytest.raises(OutputPathError, match="no permission"):
        check_output_path(ro / "x.pt")


def test_atomic_write_replaces_and_keeps_a_normal_mode(tmp_path):
    target = tmp_path / "r.json"
    atomic_write_text(target, "one")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    target.chmod(0o640)
    atomic_write_text(target, "two")
    assert target.read_text() == "two" and stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_a_failed_writer_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "x.npz"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="killed"), atomic_output(target) as tmp:
        assert tmp.suffix == ".npz" and tmp.parent == tmp_path
        tmp.write_text("half")
        raise RuntimeError("killed midway")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.npz"]


def test_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "c"))
    assert cache_dir("sim") == tmp_path / "c" / "sim" and not (tmp_path / "c").exists()
    assert cache_dir("sim", create=True).is_dir()
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "sc_neurocore"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir("nets") == tmp_path / "home" / ".cache" / "sc_neurocore" / "nets"
