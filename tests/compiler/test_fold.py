"""Table foldings (sc_neurocore.compiler.fold): the folded program gives the original's integers everywhere, its
lookups read the state directly and its constant products are in the tables; what cannot fold is left alone."""

from __future__ import annotations

import numpy as np
import pytest
from sc_neurocore.compiler import from_equations
from sc_neurocore.compiler.fold import fold_tables
from sc_neurocore.compiler.ir import FixedNeuron

EXPIF_EQ = "v = beta*v + (1 - beta)*dT*exp((min(v, theta) - vr)/dT) + I"


def expif(theta=1.0, vr=0.8, dT=0.1, fmt="Q8.8", domain=(-8, 2)) -> FixedNeuron:
    """ExpIF as the engine compiles it: beta a runtime leak in Q2.8, the table at 16 fraction bits."""
    n = from_equations(EXPIF_EQ, threshold="v > theta", reset="v = v - theta",
                       params={"beta": 0.0, "theta": theta, "vr": vr, "dT": dT}, runtime={"beta": (0, 1)},
                       domains={"exp": domain})
    return n.compile(fmt, formats={"beta": "Q2.8"}, split_saturation=True, coef_frac=16)


def every_state_value(fixed: FixedNeuron, currents=(-32768, -300, 0, 77, 32767)):
    """Every value of the one state against a few currents (the saturation edges among them)."""
    (s,) = fixed.states
    st = fixed.ops[fixed.state_ops[s]]
    v, cur = np.meshgrid(np.arange(st.lo, st.hi + 1), np.asarray(currents), indexing="ij")
    return {s: v.ravel()}, cur.ravel()


def assert_same_steps(a: FixedNeuron, b: FixedNeuron, state, current, params):
    na, sa = a.step(state, current, params)
    nb, sb = b.step(state, current, params)
    for s in a.states:
        np.testing.assert_array_equal(nb[s], na[s], err_msg=s)
    np.testing.assert_array_equal(sb, sa)


@pytest.mark.parametrize("theta, vr, dT", [(1.0, 0.8, 0.1), (0.5, -0.25, 0.25), (2.0, 1.5, 0.0625)])
@pytest.mark.parametrize("beta", [0, 1, 128, 230, 256])
def test_expif_folded_equals_the_original_at_every_state_value(theta, vr, dT, beta):
    f = expif(theta, vr, dT)
    g = fold_tables(f)
    state, cur = every_state_value(f)
    assert_same_steps(f, g, state, cur, {"beta": beta})


def test_the_lookup_reads_the_state_and_the_constant_products_are_in_its_table():
    f = expif()
    g = fold_tables(f)
    (lut,) = [op for op in g.ops if op.kind == "lut"]
    assert g.ops[lut.args[0]].kind == "state"  # no min, product, offset or shift in front of the table
    # the original multiplies its lookup by the constant dT (13 at its scale) twice: once alone, once after beta
    lut_at = g.ops.index(lut)
    assert not any(op.kind == "mul" and lut_at in op.args and any(g.ops[a].kind == "const" for a in op.args)
                   for op in g.ops)
    (old,) = f.tables
    (new,) = g.tables
    # the new table's entries are the old ones times that constant, the one the original multiplies its lookup by
    old_at = next(i for i, op in enumerate(f.ops) if op.kind == "lut")
    (c,) = {f.ops[a].k for op in f.ops if op.kind == "mul" and old_at in op.args for a in op.args
            if f.ops[a].kind == "const"}
    assert c > 1 and set(new.entries) <= {c * e for e in old.entries}
    assert len(g.ops) < len(f.ops)


def test_a_table_longer_than_the_limit_keeps_its_index_chain():
    f = expif()
    g = fold_tables(f, max_entries=100)  # the lookup of v would need 259 entries
    lut = next(op for op in g.ops if op.kind == "lut")
    assert g.ops[lut.args[0]].kind != "state"
    (old,), (new,) = f.tables, g.tables
    assert len(new.entries) == len(old.entries) and new.entries != old.entries  # the constant products still fold
    ratios = {n // o for n, o in zip(new.entries, old.entries)}
    assert len(ratios) == 1 and all(n == o * next(iter(ratios)) for n, o in zip(new.entries, old.entries))
    state, cur = every_state_value(f)
    assert_same_steps(f, g, state, cur, {"beta": 200})


def test_a_lookup_read_elsewhere_keeps_its_table_and_its_products():
    """exp(v) is read by a product by 3 and by a sum: folding the product would copy the table, so it stays."""
    n = from_equations("v = 0.5*v + 3*exp(v) + exp(v)/4 + I", domains={"exp": (-2, 1)})
    f = n.compile("Q4.8", coef_frac=12)
    g = fold_tables(f)
    assert len(g.tables) == len(f.tables) == 1
    luts = [i for i, op in enumerate(g.ops) if op.kind == "lut"]
    assert len(luts) == 1 and g.ops[g.ops[luts[0]].args[0]].kind == "state"
    state, cur = every_state_value(g, currents=(-2048, 0, 5, 2047))
    assert_same_steps(f, g, state, cur, None)


def test_a_program_without_tables_is_returned_as_it_is():
    f = from_equations("v = 0.9*v + I", threshold="v > 1", reset="v = 0").compile()
    assert fold_tables(f) is f


def test_a_lookup_of_the_input_is_not_folded():
    """An index that reads the current is not a function of a state: it stays."""
    f = from_equations("v = 0.5*v + exp(I)", domains={"exp": (-4, 1)}).compile("Q4.8", coef_frac=10)
    g = fold_tables(f)
    lut = next(op for op in g.ops if op.kind == "lut")
    assert g.ops[lut.args[0]].kind not in ("state", "input")  # its index chain stays in front of it
    rng = np.random.default_rng(3)
    state = {"v": rng.integers(-2048, 2048, 5000)}
    assert_same_steps(f, g, state, rng.integers(-2048, 2048, 5000), None)


def test_two_states_each_with_its_lookup():
    """AdEx-like: v's table folds to a lookup of v; w's product reads v too but holds no table."""
    n = from_equations("w = 0.9*w + 0.05*v", "v = 0.8*v + 0.2*0.25*exp((min(v, 1) - 0.5)/0.25) - w + I",
                       threshold="v > 1", reset="v = v - 1; w = w + 0.1", domains={"exp": (-8, 2)})
    f = n.compile("Q8.8", coef_frac=16)
    g = fold_tables(f)
    lut = next(op for op in g.ops if op.kind == "lut")
    assert g.ops[lut.args[0]].kind == "state" and g.ops[lut.args[0]].name in ("v", "")
    rng = np.random.default_rng(4)
    state = {"w": rng.integers(-32768, 32768, 20000), "v": rng.integers(-32768, 32768, 20000)}
    assert_same_steps(f, g, state, rng.integers(-32768, 32768, 20000), None)


def test_not_a_compiled_neuron():
    with pytest.raises(TypeError, match="FixedNeuron"):
        fold_tables("v = v + I")


def test_a_chain_that_changes_at_both_ends_of_the_state():
    """Q4.4, exp(-v) over (-8, 8) at a step of 1/16 (257 entries, lut_bits 9): the index is -v, so the entry
    changes at every value of v, the lowest and the highest included -- the table of v is the state's whole range,
    256 entries from -128."""
    f = from_equations("v = 0.5*v + exp(-v)/4096 + I", domains={"exp": (-8, 8)}).compile("Q4.4", coef_frac=16,
                                                                                           lut_bits=9)
    assert f.ops[next(op for op in f.ops if op.kind == "lut").args[0]].kind == "neg"
    g = fold_tables(f)
    (t,) = g.tables
    assert (t.lo_i, len(t.entries)) == (-128, 256)
    state, cur = every_state_value(f, currents=(-128, 0, 3, 127))
    assert_same_steps(f, g, state, cur, None)


def test_a_lookup_whose_index_is_constant_stays():
    """exp(max(v, 2)) over (-1, 1): every value of v reads the top entry, so there is nothing to fold."""
    f = from_equations("v = 0.5*v + exp(max(v, 2))/64 + I", domains={"exp": (-1, 1)}).compile("Q4.4", coef_frac=8)
    g = fold_tables(f, products=False)
    assert g is f


def test_the_table_limit_is_inclusive():
    f = expif()
    n = len(fold_tables(f).tables[0].entries)
    assert fold_tables(f, products=False, max_entries=n).ops != f.ops  # exactly at the limit: folded
    assert fold_tables(f, products=False, max_entries=n - 1) is f  # one past it: left alone


def test_indices_alone_and_products_alone():
    f = expif()
    g = fold_tables(f, products=False)
    (lut,) = [op for op in g.ops if op.kind == "lut"]
    assert g.ops[lut.args[0]].kind == "state" and g.tables[0].entries[-1] in f.tables[0].entries
    h = fold_tables(f, indices=False)
    (lut,) = [op for op in h.ops if op.kind == "lut"]
    assert h.ops[lut.args[0]].kind != "state" and h.tables[0].entries != f.tables[0].entries
    state, cur = every_state_value(f)
    for folded in (g, h):
        assert_same_steps(f, folded, state, cur, {"beta": 177})


@pytest.mark.parametrize("eq", ["v = 0.5*v + v*exp(v)/16 + I", "v = 0.5*v + exp(v)*I/16"])
def test_a_product_by_a_state_or_the_input_is_not_a_constant_product(eq):
    """v * exp(v) (the state first) and exp(v) * I (the lookup first): the lookup's product reads a signal, so the
    lookup keeps its entries (and its product)."""
    f = from_equations(eq, domains={"exp": (-2, 1)}).compile("Q4.8", coef_frac=10)
    g = fold_tables(f, indices=False)
    assert g is f
    state, cur = every_state_value(f, currents=(-2048, 0, 9, 2047))
    assert_same_steps(f, fold_tables(f), state, cur, None)


def test_a_lookup_read_by_two_constants_keeps_its_entries():
    """w = 5 exp(v), v = ... + 3 exp(v): one lookup, two constants -- no one table of products serves both."""
    f = from_equations("w = 5*exp(v)", "v = 0.5*v + 3*exp(v) + I", domains={"exp": (-2, 1)}).compile(
        "Q8.8", coef_frac=12)
    g = fold_tables(f, indices=False)
    assert g is f
    rng = np.random.default_rng(5)
    state = {"w": rng.integers(-32768, 32768, 20000), "v": rng.integers(-32768, 32768, 20000)}
    assert_same_steps(f, fold_tables(f), state, rng.integers(-32768, 32768, 20000), None)


@pytest.mark.parametrize("eq", ["v = 0.5*v + 3*exp(v) + I", "v = 0.5*v + p*exp(v)*3 + I"])
def test_a_product_alone_and_a_parameter_product_alone_fold(eq):
    """Only lookup * c, or only (p * lookup) * c: each becomes a lookup of the products (times p)."""
    kw = {"params": {"p": 0.5}, "runtime": {"p": (0, 1)}} if "p*" in eq else {}
    f = from_equations(eq, domains={"exp": (-2, 1)}, **kw).compile("Q8.8", coef_frac=12)
    g = fold_tables(f, indices=False)
    lut_at = next(i for i, op in enumerate(g.ops) if op.kind == "lut")
    assert not any(op.kind == "mul" and lut_at in op.args and any(g.ops[a].kind == "const" for a in op.args)
                   for op in g.ops)
    assert {e // 3 for e in g.tables[0].entries} <= set(f.tables[0].entries)
    rng = np.random.default_rng(6)
    params = {"p": rng.integers(0, 257, 20000)} if kw else None
    assert_same_steps(f, g, {"v": rng.integers(-32768, 32768, 20000)}, rng.integers(-32768, 32768, 20000), params)


@pytest.mark.parametrize("lut_bits, folds", [(10, True), (11, False)])
def test_the_default_limit_is_1024_entries(lut_bits, folds):
    """exp(-v) over (0, 4) in Q4.8: a table of v of 1,024 entries at lut_bits 10 (a step of 1/128), of 1,025 at
    lut_bits 11 (1/256: v's own step) -- the first folds, the second is one past the documented limit."""
    f = from_equations("v = 0.5*v + exp(-v)/4096 + I", domains={"exp": (0, 4)}).compile("Q4.8", coef_frac=16,
                                                                                         lut_bits=lut_bits)
    assert len(fold_tables(f, products=False, max_entries=2000).tables[0].entries) == 1024 + (lut_bits == 11)
    assert (fold_tables(f, products=False) is not f) == folds


def test_a_small_lookup_of_the_input_is_not_folded_either():
    """exp(I/2) with I in Q4.4 (256 values: a table of I would fit): the fold is for a state's lookups only."""
    f = from_equations("v = 0.5*v + exp(I/2)/64", domains={"exp": (-4, 4)}).compile("Q8.8", formats={"I": "Q4.4"},
                                                                                     coef_frac=8)
    g = fold_tables(f, products=False)
    assert g is f
