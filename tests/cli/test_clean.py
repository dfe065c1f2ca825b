"""``sc-neurocore clean``: what the cache holds, --dry-run, refusal of folders that are not a cache."""

from __future__ import annotations

from pathlib import Path


def _fill(root: Path) -> int:
    (root / "sim" / "net-verilator-k1").mkdir(parents=True)
    (root / "sim" / "net-verilator-k1" / "Vtop").write_bytes(b"x" * 3000)
    (root / "nets").mkdir()
    (root / "nets" / "digits.pt").write_bytes(b"y" * 1000)
    return 4000


def test_dry_run_then_clean(tmp_path, monkeypatch, cli):
    root = tmp_path / "cache"
    root.mkdir()
    size = _fill(root)
    monkeypatch.setenv("SC_NEUROCORE_CACHE", str(root))
    r = cli("clean", "--dry-run")
    assert r.code == 0 and f"would remove {root}: 3.9 KB in 2 files" in r.out
    assert "sim/" in r.out and "nets/" in r.out and "2.9 KB" in r.out
    assert (root / "nets" / "digits.pt").exists()
    r = cli("clean")
    assert r.code == 0 and f"removed {root} (3.9 KB)" in r.out and not root.exists()
    assert size == 4000
    r = cli("clean")
    assert r.code == 0 and "nothing to clean" in r.out


def test_clean_refuses_home_and_project_folders(tmp_path, monkeypatch, cli):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    for target in (tmp_path / "home", tmp_path):
        monkeypatch.setenv("SC_NEUROCORE_CACHE", str(target))
        r = cli("clean")
        assert r.code == 2 and "refusing to remove" in r.err and target.exists()
    monkeypatch.chdir(tmp_path / "home")
    monkeypatch.setenv("SC_NEUROCORE_CACHE", str(tmp_path / "home"))
    assert cli("clean", "--dry-run").code == 2
