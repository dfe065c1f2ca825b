"""Replays every worked example of docs/sc-arithmetic.md with the code under test."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from sc_neurocore.export import QuantizedNet
from sc_neurocore.sc.bitstream import and_count_table, apc_count, sng_bits, stream_count_table
from sc_neurocore.sc.contract import (
    Q8_8,
    UQ0_8,
    SCConfig,
    count_real_scale,
    current_scale,
    derive_seed,
    quantize_probability,
)
from sc_neurocore.sc.fixed import (
    adex_step,
    alif_step,
    alpha_step,
    expif_step,
    lif_step,
    scale_count,
    second_order_step,
    synaptic_step,
)
from sc_neurocore.sc.sources import lfsr_states, lfsr_tap_mask, lfsr_taps, sobol_directions, sobol_values

DOC = Path(__file__).resolve().parents[2] / "docs" / "sc-arithmetic.md"


def test_doc_exists_and_names_this_test():
    assert "tests/sc/test_sc_arithmetic_doc.py" in DOC.read_text()


def test_fixed_point_examples():
    assert Q8_8.from_float(1.0) == 256
    assert Q8_8.from_float(-0.5) == -128
    assert Q8_8.from_float(200.0) == 32767
    assert UQ0_8.from_float(0.9) == 230


def test_probability_and_sng_examples():
    assert quantize_probability(0.3, 8) == 77
    assert quantize_probability(0.5, 8) == 128
    assert sng_bits([5], np.array([3, 7, 0, 5]))[0].tolist() == [1, 0, 1, 0]
    assert sng_bits([8], np.array([3, 7, 0, 5]))[0].tolist() == [1, 1, 1, 1]  # code P: all ones (k = 3)


def test_lfsr_examples():
    assert lfsr_tap_mask(4) == 12 and lfsr_tap_mask(4, reciprocal=True) == 9
    assert lfsr_taps(4, reciprocal=True) == (4, 1)
    assert lfsr_states(1, 4, 8).tolist() == [1, 2, 4, 9, 3, 6, 13, 10]
    assert lfsr_states(1, 4, 8, kind="galois").tolist() == [1, 12, 6, 3, 13, 10, 5, 14]
    assert lfsr_states(1, 4, 8, reciprocal=True).tolist() == [1, 3, 7, 15, 14, 13, 10, 5]
    assert lfsr_states(1, 4, 4, steps=3).tolist() == [1, 9, 13, 11]


def test_sobol_examples():
    assert sobol_directions(3, 0) == (4, 2, 1) and sobol_directions(3, 1) == (4, 6, 5)
    assert sobol_values(8, 3, 0).tolist() == [0, 4, 2, 6, 1, 5, 3, 7]
    assert sobol_values(8, 3, 1).tolist() == [0, 4, 6, 2, 5, 1, 3, 7]
    assert sobol_values(8, 3, 1, mask=5).tolist() == [5, 1, 3, 7, 0, 4, 6, 2]


def test_seed_examples():
    assert derive_seed(1, 0, 0, 16) == 53683
    assert derive_seed(1, 0, 1, 16) == 25967
    assert derive_seed(1, 1, 0, 16) == 42419
    assert derive_seed(1, 0, 0, 8, nonzero=False) == 179


def test_dot_product_examples():
    q = QuantizedNet.from_float([np.array([[-0.3, 0.8]])], [None], [0.9], [1.0], SCConfig())
    assert q.layers[0].weight_q.tolist() == [[-96, 255]]
    rin, rw = np.array([3, 7, 0, 5]), np.array([1, 4, 6, 2])
    xb = sng_bits([5, 2], rin)
    wb = sng_bits([3, 6], rw)
    assert xb.tolist() == [[1, 0, 1, 0], [0, 0, 1, 0]]
    assert wb.tolist() == [[1, 0, 0, 1], [1, 1, 0, 1]]
    assert int(apc_count(xb & wb, [1, -1])) == 1
    tab = and_count_table(rin, rw, 8)
    assert tab[5, 3] == 1 and tab[2, 6] == 0
    w_cnt = stream_count_table(rw, 8)
    assert w_cnt[2] == 1 and w_cnt[4] == 2
    assert 1 * w_cnt[2] - 0 * w_cnt[7] - 1 * w_cnt[4] == -1


def test_scaling_examples():
    cfg = SCConfig(prob_bits=3, length=4)
    r0 = count_real_scale(0.8, cfg, "prob")
    assert abs(r0 - 0.8 * 256 * 64 / 49 / 4) < 1e-12
    assert current_scale(r0, 16) == (34239, 9)
    assert scale_count(1, 34239, 9) == 67
    r1 = count_real_scale(0.8, cfg, "spike")
    assert current_scale(r1, 16) == (59919, 10)
    assert scale_count(-1, 59919, 10) == -59


def test_lif_examples():
    rows = [(300, 67, 230, 80, 1), (-300, 0, 230, -270, 0), (0, 256, 230, 256, 0), (32700, 500, 230, 29622, 1),
            (32767, 32767, 255, 32511, 1)]
    for row in rows:
        got_v, got_s = lif_step(np.array([row[0]]), np.array([row[1]]), row[2], 256)
        assert (int(got_v[0]), int(got_s[0])) == (row[3], row[4])


def test_synaptic_examples():
    rows = [(0, 0, 300, 205, 300, 44, 1), (300, 44, 0, 205, 240, 23, 1), (-300, 0, 0, 205, -241, -241, 0),
            (32767, 32767, 32767, 256, 32767, 32511, 1)]
    for i0, v0, cur, alpha_q, i1, v1, s1 in rows:
        got = synaptic_step(np.array([i0]), np.array([v0]), np.array([cur]), alpha_q, 230, 256)
        assert tuple(int(x[0]) for x in got) == (i1, v1, s1)


def test_alif_examples():
    rows = [(0, 300, 67, 256, 80, 1), (256, 300, 67, 499, 29, 1), (512, 0, 300, 486, 300, 0)]
    for a0, v0, cur, a1, v1, s1 in rows:
        got = alif_step(np.array([a0]), np.array([v0]), np.array([cur]), 243, 51, 230, 256)
        assert tuple(int(x[0]) for x in got) == (a1, v1, s1)


def doc_table(heading: str) -> list[list[int]]:
    """The worked-example table under ``heading`` in the doc: per row, the last integer of each cell (the result
    of ``69000 >> 8 = 269``, of ``80 + 32768 -> 32767``)."""
    text = DOC.read_text()
    section = text[text.index(heading):]
    section = section[:section.index("\n#", 1)]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and re.match(r"-?\d", cells[0]):
            rows.append([int(re.findall(r"-?\d+", c)[-1]) for c in cells])
    return rows


def test_alpha_examples():
    """The rows of the Alpha neuron's table, read from the doc (alpha_exc_q 230, alpha_inh_q 205, beta_q 230,
    theta_q 256)."""
    rows = doc_table("### The Alpha neuron")
    assert len(rows) == 4
    for e0, h0, v0, cur, e1, h1, v_add, s1, v1 in rows:
        got = alpha_step(np.array([e0]), np.array([h0]), np.array([v0]), np.array([cur]), 230, 205, 230, 256)
        assert tuple(int(x[0]) for x in got) == (e1, h1, v1, s1)
        assert v1 == v_add - s1 * 256


def test_second_order_examples():
    """The rows of the second-order LIF's table, read from the doc (alpha_q 205, stiffness_q 26, beta_q 230,
    theta_q 256); the exact difference column, and the one floor of it."""
    rows = doc_table("### The second-order (inertial) LIF neuron")
    assert len(rows) == 4
    for a0, v0, cur, diff, a1, v_add, s1, v1 in rows:
        assert diff == 205 * a0 - 26 * v0
        got = second_order_step(np.array([a0]), np.array([v0]), np.array([cur]), 205, 26, 230, 256)
        assert tuple(int(x[0]) for x in got) == (a1, v1, s1)
        assert v1 == v_add - s1 * 256


def test_expif_examples():
    """The rows of the ExpIF table, read from the doc (theta_q 256, v_rheobase_q 205, delta_t_q 26, beta_q 230): the
    constants and the table index recomputed here from the written rules, the step from sc.fixed."""
    import math

    rows = doc_table("### The exponential integrate-and-fire (ExpIF) neuron")
    assert len(rows) == 6
    m_inv, m_off = math.floor(2**24 / 26 + 0.5), math.floor(-205 * 2**16 / 26 + 0.5)
    assert (m_inv, m_off) == (645278, -516726) and math.ceil(16 * (256 - 205) / 26) == 32
    for v0, cur, x, e, exact, v_add, s1, v1 in rows:
        assert x == max(-128, min(32, (min(v0, 256) * m_inv + m_off * 2**8) >> 20))
        assert e == math.floor(math.exp(x / 16) * 2**16 + 0.5)
        assert exact == 230 * v0 * 2**16 + 26 * (256 - 230) * e
        assert v_add == max(-32768, min(32767, (exact >> 24) + cur))
        assert expif_step(v0, cur, 205, 26, 230, 256) == (v1, s1)
        assert v1 == v_add - s1 * 256


def test_adex_examples():
    """The rows of the AdEx table, read from the doc (ExpIF's constants, beta_q 230, adapt_decay_q 243, a_q 26, b_q 13):
    the drive from expif_step with I = 0, the exact adaptation sum recomputed here, the step from sc.fixed."""
    rows = doc_table("### The adaptive exponential integrate-and-fire (AdEx) neuron")
    assert len(rows) == 6
    for w0, v0, cur, drive, exact, w_new, v_add, s1, v1, w1 in rows:
        v_d, s_d = expif_step(v0, 0, 205, 26, 230, 256)  # the drive alone (I = 0), its reset undone
        assert v_d + 256 * s_d == drive
        assert exact == 243 * w0 * 2**8 + 13 * 26 * v0
        assert w_new == max(-32768, min(32767, exact >> 16))
        assert v_add == max(-32768, min(32767, drive - w0 + cur))
        assert adex_step(w0, v0, cur, 205, 26, 243, 26, 13, 230, 256) == (w1, v1, s1)
        assert v1 == v_add - s1 * 256 and w1 == (max(-32768, min(32767, w_new + 13)) if s1 else w_new)


def test_default_source_is_the_documented_one():
    text = DOC.read_text()
    assert "**The contract's default source is Sobol** (`SCConfig().rng == \"sobol\"`" in text
    assert SCConfig().rng == "sobol"
    assert (SCConfig().length, SCConfig().prob_bits) == (16, 8)
