"""The contract's constants against the copy in docs/sc-arithmetic.md, section 12, and recorded states.

Every table of that section is parsed here.  The recorded states are first re-derived from the
section's own tables by the small reference below, which imports nothing of ``sc_neurocore`` (so a
wrong literal in the docs fails too), then compared with the code under test: the NumPy sources,
the config defaults, the seed derivation, and the gateware sources in Amaranth's simulator.  The
last table ties the tables' fingerprint to the export and vector schema versions: a changed
constant needs a new row and a schema bump (the section says why).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from sc_neurocore.export import EXPORT_SCHEMA
from sc_neurocore.sc import contract, sources
from sc_neurocore.sc.contract import Q8_8, UQ0_8, SCConfig, derive_seed

DOC = Path(__file__).resolve().parents[2] / "docs" / "sc-arithmetic.md"
SECTION = "## 12. Pinned constants"
#: Fingerprints already published with a schema: rows of the docs table may be added, never rewritten.
PUBLISHED = {1: "9786a066a5123cf6", 2: "895a21b7ad742f59"}


# ------------------------------------------------------------------ the docs tables


def _section() -> str:
    text = DOC.read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start:] if end < 0 else text[start:end]


def _tables() -> dict[str, list[list[str]]]:
    """``{subsection title: rows of cells}`` (header and separator rows dropped)."""
    out: dict[str, list[list[str]]] = {}
    title = None
    for line in _section().splitlines():
        if line.startswith("### "):
            title = line[4:].strip()
            out[title] = []
        elif line.startswith("|") and title is not None:
            out[title].append([c.strip() for c in line.strip().strip("|").split("|")])
    for rows in out.values():
        del rows[:2]
    return out


def _table(prefix: str) -> list[list[str]]:
    hits = [rows for title, rows in _tables().items() if title.startswith(prefix)]
    assert len(hits) == 1, f"one table titled {prefix!r} in {DOC.name} section 12"
    assert hits[0], f"the table {prefix!r} is empty"
    return hits[0]


def _ints(cell: str) -> tuple[int, ...]:
    return tuple(int(v) for v in cell.split(","))


def doc_taps() -> dict[int, tuple[int, ...]]:
    return {int(w): _ints(t) for w, t in _table("LFSR polynomials")}


def doc_sobol16() -> dict[int, tuple[int, ...]]:
    return {int(d): _ints(v) for d, v in _table("Sobol direction numbers")}


def doc_defaults() -> dict[str, str]:
    return {k: v for k, v in _table("Defaults")}


def doc_seeds() -> list[tuple[int, int, int, int]]:
    return [tuple(int(c) for c in row) for row in _table("Derived seeds")]


def doc_states() -> list[tuple[str, int, int, tuple[int, ...]]]:
    return [(src, int(layer), int(role), _ints(vals)) for src, layer, role, vals in _table("Recorded states")]


def doc_schemas() -> list[tuple[int, int, str]]:
    return [(int(e), int(v), fp) for e, v, fp in _table("Schema versions")]


def fingerprint() -> str:
    """First 16 hex digits of the sha256 of every table of the section but the schema table."""
    tables = {t: rows for t, rows in _tables().items() if not t.startswith("Schema versions")}
    return hashlib.sha256(json.dumps(tables, sort_keys=True).encode()).hexdigest()[:16]


# ------------------------------------------------------------------ an independent reference

_M64 = (1 << 64) - 1


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def _seed(base: int, layer: int, role: int, bits: int, nonzero: bool) -> int:
    x = _splitmix64((base * 65536 + 2 * layer + role) & _M64) % (1 << bits)
    return 1 if nonzero and x == 0 else x


def _lfsr(seed: int, width: int, taps, n: int, kind: str) -> list[int]:
    out, s = [], seed
    for _ in range(n):
        out.append(s)
        if kind == "fibonacci":
            fb = 0
            for t in taps:
                fb ^= (s >> (t - 1)) & 1
            s = ((s << 1) | fb) % (1 << width)
        else:
            s = (s >> 1) ^ (sum(1 << (t - 1) for t in taps) if s & 1 else 0)
    return out


def _sobol(k: int, v16, mask: int, n: int) -> list[int]:
    v = [x >> (16 - k) for x in v16[:k]]
    out = []
    for i in range(n):
        x = mask
        for j in range(k):
            if (i % (1 << k)) >> j & 1:
                x ^= v[j]
        out.append(x)
    return out


def _expected_states(src: str, layer: int, role: int, n: int) -> list[int]:
    """A recorded row, from the docs' own tables (defaults, taps, directions) by the reference above."""
    d = doc_defaults()
    base, k, width = int(d["seed"]), int(d["prob_bits"]), int(d["lfsr_width"])
    if src == "sobol":
        return _sobol(k, doc_sobol16()[role], _seed(base, layer, role, k, False), n)
    kind = src.split()[1]
    taps = doc_taps()[width]
    if role == 1:  # reciprocal polynomial
        taps = (width,) + tuple(width - t for t in taps if t != width)
    return _lfsr(_seed(base, layer, role, width, True), width, taps, n, kind)


# ------------------------------------------------------------------ the docs are self-consistent


def test_docs_tables_cover_the_contract():
    assert sorted(doc_taps()) == list(range(4, 33))
    assert sorted(doc_sobol16()) == [0, 1]
    assert len(doc_seeds()) >= 4 and len(doc_states()) >= 7


def test_docs_literals_equal_the_independent_reference():
    for layer, role, lfsr_seed, sobol_mask in doc_seeds():
        assert _seed(1, layer, role, 16, True) == lfsr_seed, (layer, role)
        assert _seed(1, layer, role, 8, False) == sobol_mask, (layer, role)
    for src, layer, role, values in doc_states():
        assert list(values) == _expected_states(src, layer, role, len(values)), (src, layer, role)
    # the reference's Sobol rule from the table: dimension 0 is bit reversal, dimension 1 is x + 1
    v16 = doc_sobol16()
    assert v16[0] == tuple(1 << (15 - j) for j in range(16))
    assert all(v16[1][j] == v16[1][j - 1] ^ (v16[1][j - 1] >> 1) for j in range(1, 16))


def test_the_reference_sees_the_named_tap_change():
    """The issue's survivor: width 16's taps swapped for another primitive polynomial changes the default states."""
    states = [row for row in doc_states() if row[0] == "lfsr fibonacci" and row[1:3] == (0, 0)][0][3]
    assert _lfsr(states[0], 16, (16, 14, 13, 11), 3, "fibonacci") == [53683, 41830, 18124]
    assert list(states[:3]) != [53683, 41830, 18124]


# ------------------------------------------------------------------ the code equals the docs


def test_lfsr_taps_pinned_for_every_width():
    assert dict(sources.LFSR_TAPS) == doc_taps()
    for width, taps in doc_taps().items():
        assert sources.lfsr_taps(width) == taps
        assert sources.lfsr_tap_mask(width) == sum(1 << (t - 1) for t in taps)


@pytest.mark.parametrize("k", range(1, 17))
def test_sobol_directions_pinned(k):
    for dim, v16 in doc_sobol16().items():
        assert sources.sobol_directions(k, dim) == tuple(v >> (16 - k) for v in v16[:k])


def test_defaults_pinned():
    d, cfg = doc_defaults(), SCConfig()
    for name in ("length", "prob_bits", "seed", "lfsr_width", "lfsr_steps", "scale_bits"):
        assert getattr(cfg, name) == int(d[name]), name
    for name in ("rng", "polarity", "lfsr_kind"):
        assert getattr(cfg, name) == d[name], name
    for name, fmt in (("membrane", cfg.membrane), ("beta_format", cfg.beta_format)):
        ib, fb, sign = (c.strip() for c in d[name].split(","))
        assert (fmt.int_bits, fmt.frac_bits, fmt.signed) == (int(ib), int(fb), sign == "signed"), name
    assert cfg.membrane == Q8_8 and cfg.beta_format == UQ0_8
    from dataclasses import fields

    from sc_neurocore.export import QuantizedLayer

    assert {f.name: f.default for f in fields(QuantizedLayer)}["reset"] == d["reset"] == contract.RESETS[0]
    assert {f.name: f.default for f in fields(QuantizedLayer)}["neuron"] == d["neuron"] == next(iter(contract.NEURONS))
    assert (contract.ROLE_INPUT, contract.ROLE_WEIGHT) == (int(d["ROLE_INPUT"]), int(d["ROLE_WEIGHT"]))


def test_derived_seeds_pinned():
    for layer, role, lfsr_seed, sobol_mask in doc_seeds():
        assert derive_seed(1, layer, role, 16) == lfsr_seed
        assert derive_seed(1, layer, role, 8, nonzero=False) == sobol_mask
        assert sources.source_seed(SCConfig(rng="lfsr"), layer, role) == lfsr_seed
        assert sources.source_seed(SCConfig(), layer, role) == sobol_mask


def test_default_sources_pinned():
    for src, layer, role, values in doc_states():
        n = len(values)
        if src == "sobol":
            got = sources.source_values(SCConfig(), layer, role, n)
        else:
            kind = src.split()[1]
            full = sources.lfsr_states(values[0], 16, n, kind=kind, reciprocal=role == 1)
            assert sources.source_values(SCConfig(rng="lfsr", lfsr_kind=kind), layer, role, n).tolist() == \
                [v & 0xFF for v in values], (src, layer, role)
            got = full
        assert got.tolist() == list(values), (src, layer, role)


def test_schema_versions_carry_the_fingerprint():
    """The tables' fingerprint is the one of the current schemas; published rows are never rewritten."""
    from sc_neurocore.sim.vectors import VECTORS_SCHEMA

    rows = doc_schemas()
    assert [r[0] for r in rows] == sorted({r[0] for r in rows}), "export schemas only grow, one row each"
    assert rows[-1][:2] == (EXPORT_SCHEMA, VECTORS_SCHEMA), \
        "the last row of the fingerprint table names the current EXPORT_SCHEMA and VECTORS_SCHEMA"
    assert rows[-1][2] == fingerprint(), (
        f"the pinned tables changed (fingerprint {fingerprint()}): bump EXPORT_SCHEMA and VECTORS_SCHEMA and "
        "append a row to the table (docs/sc-arithmetic.md section 12)")
    for schema, _, fp in rows:
        if schema in PUBLISHED:
            assert fp == PUBLISHED[schema], f"the row of published schema {schema} was rewritten"


def test_saved_export_carries_the_pinned_schema(tmp_path):
    import numpy as np
    from sc_neurocore.export import QuantizedNet

    q = QuantizedNet.from_float([np.array([[0.5, -0.25]])], [None], [0.5], [1.0])
    path = q.save(tmp_path / "net.npz")
    with np.load(path) as data:
        meta = json.loads(bytes(data["meta"]).decode())
    assert meta["schema"] == doc_schemas()[-1][0]
    meta["schema"] = doc_schemas()[-1][0] + 1
    arrays = {k: v for k, v in np.load(path).items() if k != "meta"}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(tmp_path / "future.npz", **arrays)
    with pytest.raises(ValueError, match=re.escape(f"export schema {EXPORT_SCHEMA + 1}, this version reads")):
        QuantizedNet.load(tmp_path / "future.npz")


# ------------------------------------------------------------------ the gateware sources equal the docs


def _simulate(component, ports, n):
    from amaranth.sim import Simulator

    got = []

    async def bench(ctx):
        ctx.set(component.en, 1)
        for _ in range(n):
            got.append(tuple(ctx.get(p) for p in ports))
            await ctx.tick()

    sim = Simulator(component)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return got


def test_gateware_sources_equal_the_recorded_states():
    pytest.importorskip("amaranth")
    from sc_neurocore.hw.rng import LFSR, contract_source

    for src, layer, role, values in doc_states():
        n = len(values)
        if src == "sobol":
            hw_src, _ = contract_source(SCConfig(), layer, role, window=2)
            got = _simulate(hw_src, [hw_src.values[0], hw_src.values[1]], n // 2)
            assert [v for pair in got for v in pair] == list(values), (src, layer, role)
        else:
            kind = src.split()[1]
            lfsr = LFSR(16, kind=kind, reciprocal=role == 1, seed=values[0])
            assert [s for (s,) in _simulate(lfsr, [lfsr.state], n)] == list(values), (src, layer, role)
