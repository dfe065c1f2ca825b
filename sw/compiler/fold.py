"""Exact table foldings of a compiled neuron's program: fewer operations between a state and its next value, the
same integers.

A table lookup in a neuron's loop (ExpIF's and AdEx's ``exp``) is usually reached through an index computed from
the membrane -- ``min(v, theta)``, a product by ``1/delta_t``, an offset, a shift -- and left through constant
products (``delta_t``, then ``beta`` per layer).  Every one of those is logic on the one-clock path of the gateware's
membrane loop (``hw.equation.logic_depth``).  Two rewrites move them into the table's entries:

* **a lookup of one state**: a lookup whose index is computed from one state alone (and constants) becomes a
  lookup of that state.  Its table holds, for every value of the state from the last one below which the old
  chain no longer changes to the first one above which it no longer changes, the entry the old chain gives;
  values outside are clipped to the ends, as every table clips its index;
* **constant products**: ``lookup * c`` becomes a lookup of the products, and ``(p * lookup) * c`` (``p`` a
  runtime parameter) becomes ``p * (lookup * c)`` -- integer products, so the regrouping is exact.  A product is
  folded only where the old lookup then goes (no table is copied).

The engine's ExpIF and AdEx neurons use it (``hw.equation``): on the iCEBreaker the ExpIF digits net, timed whole
(no DSP), places at 11.08 MHz in 4,822 LC folded against 7.55 MHz in 5,171 LC unfolded (``docs/boards.md``).

Model: :func:`sc_neurocore.compiler.numpy_backend.step` -- the folded program gives the original's integers for
every state, current and parameter (``tests/compiler/test_fold.py`` checks every value of the state).  Every
back-end reads the result as it reads any program (``Op``/``Table``: the NumPy stepper, the torch cell, the
gateware).
"""

from __future__ import annotations

import copy

import numpy as np

from .ir import FixedNeuron, Op, Table, _interval, _live
from .numpy_backend import _op

__all__ = ["fold_tables", "MAX_ENTRIES"]

#: The most entries a lookup of one state may have (its state's span between the clipped ends); a longer one keeps
#: its index chain.
MAX_ENTRIES = 1024


def _sources(ops) -> list[frozenset]:
    """Per operation, the state, input and parameter operations it reads (through any chain)."""
    out: list[frozenset] = []
    for i, op in enumerate(ops):
        if op.kind in ("state", "input", "param"):
            out.append(frozenset([i]))
        else:
            out.append(frozenset().union(*(out[a] for a in op.args)))
    return out


def _chain_values(ops, tables, root: int, state: int) -> np.ndarray:
    """The values of operation ``root`` for every value of operation ``state`` in its range (``root`` reads only it
    and constants), computed by the NumPy stepper's own operations."""
    need = set(_live(ops, [root]))
    st = ops[state]
    vals: list = [None] * len(ops)
    vals[state] = np.arange(st.lo, st.hi + 1, dtype=np.int64)
    for i in sorted(need):
        if vals[i] is None:
            vals[i] = _op(ops[i], vals, tables)
    return np.broadcast_to(np.asarray(vals[root], dtype=np.int64), vals[state].shape)


def _lookup_of_state(ops, tables, i: int, state: int, max_entries: int):
    """``(op, table)``: lookup ``i`` as a lookup of ``state``, or ``None`` when its table would be longer than
    ``max_entries`` or the chain gives one value."""
    g = _chain_values(ops, tables, i, state)
    changed = np.flatnonzero(g != g[0])
    if changed.size == 0:
        return None
    first = int(changed[0]) - 1  # the last value of the state whose entry is the lowest one's
    last = int(np.flatnonzero(g != g[-1])[-1]) + 1  # the first whose entry is the highest one's
    entries = tuple(int(x) for x in g[first:last + 1])
    if len(entries) > max_entries:
        return None
    st, old = ops[state], tables[ops[i].k]
    lo_i = st.lo + first
    table = Table(old.function, (lo_i / 2**st.frac, (lo_i + len(entries) - 1) / 2**st.frac), st.frac, lo_i, old.frac,
                  entries)
    return Op("lut", (state,), -1, min(entries), max(entries), ops[i].frac, "", ops[i].name), table


def _scaled(op: Op, table: Table, c: Op) -> tuple[Op, Table]:
    """Lookup ``op`` times the constant ``c``: the lookup of the products."""
    entries = tuple(e * c.k for e in table.entries)
    frac = op.frac + c.frac
    return (Op("lut", op.args, -1, min(entries), max(entries), frac, "", op.name),
            Table(table.function, table.domain, table.step_frac, table.lo_i, table.frac + c.frac, entries))


def _users(ops, gone=()) -> list[list[int]]:
    """Per operation, the operations that read it (those in ``gone`` left out)."""
    users: list[list[int]] = [[] for _ in ops]
    for j, op in enumerate(ops):
        if j not in gone:
            for a in set(op.args):
                users[a].append(j)
    return users


def _rebuild(fixed: FixedNeuron, ops: list[Op], tables: list[Table], alias: dict[int, int]) -> FixedNeuron:
    """A copy of ``fixed`` with the program ``ops`` (operation ``j`` read as ``alias[j]`` where it has one; the same
    indices for the states, input, parameters and outputs), dead operations and unread tables dropped."""

    def real(i: int) -> int:
        while i in alias:
            i = alias[i]
        return i

    ops = [Op(o.kind, tuple(real(a) for a in o.args), o.k, o.lo, o.hi, o.frac, o.mode, o.name) for o in ops]
    next_state = {s: real(i) for s, i in fixed.next_state.items()}
    spike = real(fixed.spike) if fixed.spike is not None else None
    roots = [*fixed.state_ops.values(), fixed.input_op, *fixed.param_ops.values(), *next_state.values(),
             *([spike] if spike is not None else [])]
    keep = _live(ops, roots)
    new = {old: j for j, old in enumerate(keep)}
    kept = [ops[i] for i in keep]
    used = sorted({o.k for o in kept if o.kind == "lut"})
    out = copy.copy(fixed)
    out.ops = tuple(Op(o.kind, tuple(new[a] for a in o.args), used.index(o.k) if o.kind == "lut" else o.k, o.lo, o.hi,
                       o.frac, o.mode, o.name) for o in kept)
    out.tables = tuple(tables[t] for t in used)
    out.state_ops = {s: new[i] for s, i in fixed.state_ops.items()}
    out.input_op = new[fixed.input_op]
    out.param_ops = {p: new[i] for p, i in fixed.param_ops.items()}
    out.next_state = {s: new[i] for s, i in next_state.items()}
    out.spike = new[spike] if spike is not None else None
    return out


def _fold_indices(ops: list[Op], tables: list[Table], max_entries: int) -> bool:
    """Rewrite (in place) each lookup whose index reads one state alone; ``True`` if one was."""
    sources, changed = _sources(ops), False
    for i, op in enumerate(ops):
        if op.kind != "lut" or len(sources[i]) != 1:
            continue
        (state,) = sources[i]
        if ops[state].kind != "state" or op.args == (state,):
            continue
        folded = _lookup_of_state(ops, tables, i, state, max_entries)
        if folded is not None:
            new_op, table = folded
            tables.append(table)
            ops[i] = Op(new_op.kind, new_op.args, len(tables) - 1, new_op.lo, new_op.hi, new_op.frac, "", new_op.name)
            changed = True
    return changed


def _fold_products(ops: list[Op], tables: list[Table], alias: dict[int, int]) -> bool:
    """Rewrite (in place; a product that becomes the scaled lookup itself goes into ``alias``) ``lookup * c`` and
    ``(p * lookup) * c`` where every reader of the lookup is such a product by the one constant ``c`` (so that the
    old table goes); ``True`` if one was."""
    users = _users(ops, gone=alias)  # an aliased product is read as its lookup: no reader of anything

    def by_const(j):  # (other operand, constant operation) of a product by a constant, else None
        op = ops[j]
        if op.kind != "mul" or j in alias:
            return None
        a, b = op.args
        if ops[b].kind == "const" and ops[a].kind != "const":
            return a, b
        if ops[a].kind == "const" and ops[b].kind != "const":
            return b, a
        return None

    for li, lop in enumerate(ops):
        if lop.kind != "lut" or li in alias or not users[li]:
            continue
        # products lookup * c; p * lookup -> its products by c; each constant (value, frac) -> its operation
        direct, through, consts = [], {}, {}
        for u in users[li]:
            s = by_const(u)
            if s is not None and s[0] == li:
                direct.append(u)
                consts[ops[s[1]].k, ops[s[1]].frac] = s[1]
                continue
            other = [a for a in ops[u].args if a != li]
            outer = [by_const(w) for w in users[u]]
            if (ops[u].kind == "mul" and len(other) == 1 and ops[other[0]].kind == "param" and outer
                    and all(o is not None and o[0] == u for o in outer)):
                through[u] = list(users[u])
                consts.update(((ops[o[1]].k, ops[o[1]].frac), o[1]) for o in outer)
                continue
            direct, through = [], {}
            break
        if not (direct or through) or len(consts) != 1:
            continue
        (c,) = (ops[j] for j in consts.values())
        scaled, table = _scaled(lop, tables[lop.k], c)
        tables.append(table)
        ops[li] = Op("lut", lop.args, len(tables) - 1, scaled.lo, scaled.hi, scaled.frac, "", lop.name)
        for w in direct:  # lookup * c is the scaled lookup
            alias[w] = li
        for u, outer in through.items():  # (p * lookup) * c is p * the scaled lookup
            p = next(a for a in ops[u].args if a != li)
            lo, hi = _interval("mul", ops[p], ops[li], 0, "", ops, tables)
            for w in outer:
                ops[w] = Op("mul", (p, li), 0, lo, hi, ops[w].frac, "", ops[w].name)
        return True
    return False


def fold_tables(fixed: FixedNeuron, *, indices: bool = True, products: bool = True,
                max_entries: int = MAX_ENTRIES) -> FixedNeuron:
    """The program of ``fixed`` with its table foldings (module docstring); ``fixed`` itself when there are none.

    ``indices``: lookups of one state; ``products``: constant products into the entries; ``max_entries``: the
    longest table a lookup of one state may get (else its index chain stays)."""
    if not isinstance(fixed, FixedNeuron):
        raise TypeError(f"expected a compiled neuron (FixedNeuron), not {fixed!r}")
    ops, tables, alias = list(fixed.ops), list(fixed.tables), {}
    changed = indices and _fold_indices(ops, tables, max_entries)
    while products and _fold_products(ops, tables, alias):
        changed = True
    return _rebuild(fixed, ops, tables, alias) if changed else fixed
