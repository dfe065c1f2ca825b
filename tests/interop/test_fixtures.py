"""NIR files written by snnTorch (both reset timings), Norse, SpikingJelly and Rockpool, imported and run as float
nets, against each library's own saved outputs (``fixtures/make_fixtures.py`` wrote both).

Goal (issue 12): >= 99 % agreement of the predictions with the matching reset convention.  Each
fixture also states how many images get the library's output spike counts exactly; the bound is
the measured value rounded down, so a regression in the mapping shows.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

nir = pytest.importorskip("nir")
torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from sc_neurocore.nir import from_nir  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: name -> (least fraction of images with the library's prediction, least fraction with its exact counts)
#: (measured 2026-12 with the committed files: 100 % predictions everywhere; exact counts 100 %, 92.5 %,
#: 100 %, 100 %, 100 %.)  snnTorch's reset_delay=False is not exactly our subtract: when a membrane is still above
#: the threshold after its reset (it was past 2 theta), snnTorch's next step subtracts theta before the
#: comparison and undoes it without a spike, so that step fires only above 2 theta; ours fires above
#: theta.  The spike counts then differ, the predictions did not.
BOUNDS = {
    "snntorch_delayed": (0.99, 0.99),
    "snntorch_immediate": (0.99, 0.90),
    "norse": (0.99, 0.99),
    "spikingjelly": (0.99, 0.99),
    "rockpool": (0.99, 0.99),
}
#: The library each fixture came from (regeneration needs it).
LIBRARY = {"snntorch_delayed": "snntorch", "snntorch_immediate": "snntorch", "norse": "norse",
           "spikingjelly": "spikingjelly", "rockpool": "rockpool"}


def _load(name):
    with np.load(FIXTURES / f"{name}_outputs.npz") as f:
        return {k: f[k][()] if f[k].ndim == 0 else f[k] for k in f.files}


def _test_images():
    from sc_neurocore.datasets import load_digits_split

    _, x_te, _, y_te = load_digits_split()
    return x_te, y_te


def our_counts(name, **overrides):
    out = _load(name)
    imp = from_nir(FIXTURES / f"{name}.nir", dt=float(out["dt"]), reset=str(out["reset"]), T=int(out["T"]),
                   tau_times_dt=bool(out["tau_times_dt"]), **overrides)
    x, _ = _test_images()
    assert hashlib.sha256(np.ascontiguousarray(x, dtype=np.float32).tobytes()).hexdigest() == str(out["x_sha"])
    model = imp.to_spiking_net()
    with torch.no_grad():
        counts, _ = model.forward_static(torch.as_tensor(x), int(out["T"]))
    return counts.numpy().astype(np.int64), out, imp


@pytest.mark.parametrize("name", list(BOUNDS))
def test_float_import_agrees_with_the_library(name):
    ours, out, imp = our_counts(name)
    theirs = out["counts"]
    assert ours.shape == theirs.shape == (360, 10)
    assert theirs.sum() > 0
    pred_agree = float((ours.argmax(1) == theirs.argmax(1)).mean())
    exact = float((ours == theirs).all(axis=1).mean())
    min_pred, min_exact = BOUNDS[name]
    print(f"{name}: predictions agree on {pred_agree:.2%}, exact counts on {exact:.2%}")
    assert pred_agree >= min_pred
    assert exact >= min_exact


def test_the_reset_convention_matters_for_snntorch():
    """Importing snnTorch's default (delayed) file with the wrong convention loses the exact counts."""
    right, out, _ = our_counts("snntorch_delayed")
    wrong = our_counts_with_reset("snntorch_delayed", "subtract")
    assert (right == out["counts"]).all(axis=1).mean() > (wrong == out["counts"]).all(axis=1).mean()


def our_counts_with_reset(name, reset):
    out = _load(name)
    imp = from_nir(FIXTURES / f"{name}.nir", dt=float(out["dt"]), reset=reset, T=int(out["T"]),
                   tau_times_dt=bool(out["tau_times_dt"]))
    x, _ = _test_images()
    with torch.no_grad():
        counts, _ = imp.to_spiking_net().forward_static(torch.as_tensor(x), int(out["T"]))
    return counts.numpy().astype(np.int64)


def test_the_files_say_what_the_libraries_write():
    """What each library's exporter put in its file (the pitfalls of docs/interop.md, as found)."""
    for name in BOUNDS:
        assert "dt" not in nir.read(FIXTURES / f"{name}.nir", type_check=False).metadata  # no library writes dt
    norse = nir.read(FIXTURES / "norse.nir", type_check=False)
    lifs = [n for n in norse.nodes.values() if isinstance(n, nir.LIF)]
    assert lifs and all(np.allclose(n.tau, 1e-5) for n in lifs)  # 10 ms neurons written as tau * dt
    with pytest.raises(Exception, match="Norse #411"):
        from_nir(FIXTURES / "norse.nir", dt=1e-3)


def test_rockpool_files_are_read_as_rockpool_steps():
    """Rockpool's exporter writes r = tau exp(-dt/tau) / dt and no dt; Rockpool steps v = exp(-dt/tau) v + W x.

    Read by NIR's own equations (an explicit discretization) the same file loses the exact counts; read
    without a dt, the dt Rockpool used (1 ms) is recovered from r and tau.
    """
    g = nir.read(FIXTURES / "rockpool.nir", type_check=False)
    lifs = {k: n for k, n in g.nodes.items() if isinstance(n, nir.LIF)}
    assert sorted(lifs) == ["1_LIFNeuronTorch", "3_LIFNeuronTorch"]
    for n in lifs.values():  # the file as Rockpool 3.1.0 writes it, checked against its formula at dt = 1 ms
        tau = np.asarray(n.tau, dtype=np.float64)
        np.testing.assert_allclose(n.r, tau * np.exp(-1e-3 / tau) / 1e-3, rtol=1e-6)
        assert not np.any(n.v_leak)  # the neuron's own bias is not written (v_leak = 0 whatever it was)
    right, out, imp = our_counts("rockpool")
    assert any("Rockpool" in note for note in imp.notes)
    assert all(la.beta == pytest.approx(np.exp(-1e-3 / 20e-3), abs=1e-7) for la in imp.layers)
    for disc in ("euler", "exact"):
        literal, _, imp_literal = our_counts("rockpool", discretization=disc)
        assert (literal == out["counts"]).all(axis=1).mean() < 0.5 < (right == out["counts"]).all(axis=1).mean()
        assert any("by NIR's equations" in note for note in imp_literal.notes)
    no_dt = from_nir(FIXTURES / "rockpool.nir", reset="subtract", T=int(out["T"]))
    assert no_dt.meta["dt"] == 1e-3 and no_dt.meta["discretization"] == "exact"
    assert any("derived from the r and tau" in note for note in no_dt.notes)
    for a, b in zip(no_dt.layers, imp.layers):
        assert a.beta == b.beta
        np.testing.assert_array_equal(a.weight, b.weight)


def test_rockpool_default_neuron_is_refused_by_name():
    """Rockpool's default LIF (LIFTorch, with a synaptic current) exports as CubaLIF: refused, naming the node."""
    g = nir.read(FIXTURES / "rockpool_lifcuba.nir", type_check=False)
    assert type(g.nodes["1_LIFTorch"]).__name__ == "CubaLIF"
    with pytest.raises(Exception, match=r"node '1_LIFTorch' is a current-based LIF \(NIR CubaLIF.*LIFNeuronTorch"):
        from_nir(FIXTURES / "rockpool_lifcuba.nir", dt=1e-3)


def test_rockpool_dt_inverts_the_exporters_r():
    from sc_neurocore.nir.reader import rockpool_dt

    for tau, dt in [(20e-3, 1e-3), (20e-3, 1e-4), (1e-3, 1e-3), (10e-3, 50e-3), (5.0, 1e-6)]:
        assert rockpool_dt(tau, tau * np.exp(-dt / tau) / dt) == pytest.approx(dt, rel=1e-12)
    with pytest.raises(ValueError, match="finite and > 0"):
        rockpool_dt(20e-3, 0.0)


@pytest.mark.parametrize("lib", sorted(set(LIBRARY.values())))
def test_regeneration_needs_the_libraries(lib):
    """Only regenerating the fixtures needs the libraries (each skipped without it)."""
    pytest.importorskip(lib)
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert set(mod.FIXTURES) == set(BOUNDS) == set(LIBRARY)
    assert set(mod.REFUSED) == {"rockpool_lifcuba"}
