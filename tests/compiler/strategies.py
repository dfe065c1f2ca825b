"""Hypothesis strategies shared by the compiler's tests: random bounded polynomial neurons in random formats."""

from __future__ import annotations

from hypothesis import strategies as st

FORMATS = ("Q8.8", "Q4.12", "Q6.10", "Q10.6", "Q5.7", "Q12.4", "Q3.5")


@st.composite
def polynomial_neurons(draw, max_states: int = 2):
    """``(equations, keywords of from_equations, keywords of compile, stages, n_neurons)``: each state's update a
    sum of 1-4 terms ``(c/64) * monomial`` (degree <= 2 in the states and ``I``), as a discrete update or an
    Euler ODE; maybe a threshold on ``v`` with a reset; random formats, overflow, rounding, threshold split, pipeline and bank."""
    names = ["v", "w"][: draw(st.integers(1, max_states))]
    atoms = [*names, "I"]
    monos = ["1", *atoms] + [f"{a}*{b}" for i, a in enumerate(atoms) for b in atoms[i:]]
    ode = draw(st.booleans())
    eqs = []
    for x in names:
        terms = draw(st.lists(st.tuples(st.sampled_from(monos), st.integers(-64, 64).filter(bool)), min_size=1,
                              max_size=4, unique_by=lambda t: t[0]))
        rhs = " + ".join(f"({c}/64)*{m}" for m, c in terms)
        eqs.append(f"d{x}/dt = {rhs}" if ode else f"{x} = {rhs}")
    kw = {"dt": draw(st.sampled_from([1.0, 0.5, 0.25, 0.1]))} if ode else {}
    if draw(st.booleans()):
        theta = draw(st.integers(1, 64)) / 32
        kw["threshold"] = f"v > {theta}"
        kw["reset"] = draw(st.sampled_from([f"v = v - {theta}", "v = 0", "v = -0.5", f"v = 0.5*v; {names[-1]} = 0"]))
    fmts = {x: draw(st.sampled_from(FORMATS)) for x in atoms}
    ckw = {"formats": fmts, "overflow": draw(st.sampled_from(["saturate", "wrap"])),
           "rounding": draw(st.sampled_from(["truncate", "round"])), "split_saturation": draw(st.booleans())}
    stages = draw(st.integers(1, 3))
    return eqs, kw, ckw, stages, draw(st.integers(stages, 4))
