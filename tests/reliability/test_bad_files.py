"""Every loader against damaged and invalid files: a clear error or the original content, never a traceback.

The damage is drawn by hypothesis (where a file is cut, which bit flips, what is appended); the invalid
contents are one case each (:data:`campaign.CASES`).  Outcomes are classified by
:func:`campaign.classify`; ``bench/bad_input_campaign.py`` tallies the same campaign for the docs.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import campaign as C  # noqa: E402

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

HAVE = {"checkpoint": importlib.util.find_spec("torch") is not None,
        "nir": importlib.util.find_spec("nir") is not None, "export": True, "vectors": True, "data": True}
KINDS = [pytest.param(k, marks=pytest.mark.skipif(not HAVE[k], reason=f"{k} needs an optional extra"))
         for k in C.LOADERS]
#: HDF5 (the NIR container) keeps no checksum: a flipped bit inside a float array loads as another value.
#: Our own formats detect it (zip CRCs; a checkpoint's digest, since PyTorch does not check the CRCs).
NO_CHECKSUM = {"nir"}


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    folder = tmp_path_factory.mktemp("originals")
    files = C.make_originals(folder)
    return {k: (p, p.read_bytes(), C.original_content(k, p)) for k, p in files.items()}


@pytest.mark.parametrize("kind", KINDS)
def test_the_originals_load(kind, originals):
    path, _, content = originals[kind]
    assert C.classify(kind, path, content, must_refuse=False).outcome == "intact"


@pytest.mark.parametrize("kind", KINDS)
def test_byte_damage(kind, originals, tmp_path_factory):
    path, raw, content = originals[kind]
    folder = tmp_path_factory.mktemp(f"damage_{kind}")

    @settings(max_examples=40, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(how=st.sampled_from(C.BYTE_DAMAGE), a=st.integers(0, 1 << 30), b=st.integers(0, 1 << 30))
    def check(how, a, b):
        bad = folder / f"bad{path.suffix}"
        damaged = C.damage_bytes(raw, how, a, b)
        bad.write_bytes(damaged)
        got = C.classify(kind, bad, content, must_refuse=False)
        assert got.outcome != "traceback", f"{how} {a} {b}: {got.detail}"
        if how == "truncate":  # a cut file is never whole
            assert got.outcome == "clean error", f"{how} {a % len(raw)}: {got.detail}"
        if kind not in NO_CHECKSUM:
            assert got.outcome in ("clean error", "intact"), f"{how} {a} {b}: {got.detail}"

    check()


def _cases():
    out = []
    for kind, make in C.CASES.items():
        if not HAVE[kind]:
            continue
        out += [pytest.param(kind, name, id=f"{kind}: {name}") for name in make()]
    return out


@pytest.mark.parametrize(("kind", "name"), _cases())
def test_invalid_content_is_refused(kind, name, originals, tmp_path):
    path, _, content = originals[kind]
    bad = C.write_case(kind, name, path, tmp_path / f"bad{path.suffix}")
    got = C.classify(kind, bad, content, must_refuse=True)
    assert got.outcome == "clean error", got.detail


def test_classify_can_fail(originals, tmp_path, monkeypatch):
    """The classifier sees a traceback and a silent acceptance when a loader has them."""
    path, raw, content = originals["data"]
    monkeypatch.setitem(C.LOADERS, "data", lambda p: {}["boom"])
    assert C.classify("data", path, content, must_refuse=False).outcome == "traceback"
    other = (np.zeros(2), np.ones(2))
    monkeypatch.setitem(C.LOADERS, "data", lambda p: other)
    assert C.classify("data", path, content, must_refuse=False).outcome == "silent"
    assert C.classify("data", path, C._content("data", other), must_refuse=False).outcome == "intact"
    assert C.classify("data", path, C._content("data", other), must_refuse=True).outcome == "silent"
