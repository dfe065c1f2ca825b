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
    assert g.ops[lut.args[0]].kind != "state"
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
