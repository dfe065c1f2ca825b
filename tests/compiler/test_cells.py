"""The ten cells as equations: a short fixed-point trace of each, computed by hand (Q8.8, truncate,
saturate, constants at 16 fraction bits), and the float dynamics equal to the training library's cells."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sc_neurocore.compiler.cells import CELLS, cell_neuron


def trace(name, currents, **params):
    """Fixed-point run of one neuron over ``currents`` (Q8.8 integers): ``(spikes, {state: values})``."""
    fixed = cell_neuron(name, **params).compile()
    spikes, states = fixed.run(np.array(currents)[:, None])
    return spikes[:, 0].tolist(), {s: v[:, 0].tolist() for s, v in states.items()}


def test_lif():
    # v = 0.5 v + I, fire above 256, subtract 256.  I = 256: 256 (not > 256); 128 + 256 = 384 -> 128, spike;
    # I = 64: 64 + 64 = 128; I = -3: 64 - 3 = 61
    assert trace("LIF", [256, 256, 64, -3], beta=0.5) == ([0, 1, 0, 0], {"v": [256, 128, 128, 61]})


def test_if():
    # v = v + I: 192; 320 -> 64, spike; 64 - 512 = -448
    assert trace("IF", [192, 128, -512]) == ([0, 1, 0], {"v": [192, 64, -448]})


def test_lapicque():
    # tau = 1/ln 2, dt = 1, R = 2: beta = e^(-ln 2) = 0.5, gain (1 - beta) R = 1: v = 0.5 v + I
    # 128; 64 + 128 = 192; 96 + 256 = 352 -> 96, spike
    got = trace("Lapicque", [128, 128, 256], tau=1 / math.log(2), R=2.0)
    assert got == ([0, 0, 1], {"v": [128, 192, 96]})


def test_synaptic():
    # i = 0.5 i + I; v = 0.5 v + i.  i: 256, 128, 64, 32 + 256 = 288; v: 256, 128 + 128 = 256, 128 + 64 = 192,
    # 96 + 288 = 384 -> 128, spike
    got = trace("Synaptic", [256, 0, 0, 256], alpha=0.5, beta=0.5)
    assert got == ([0, 0, 0, 1], {"i_syn": [256, 128, 64, 288], "v": [256, 256, 192, 128]})


def test_alif():
    # th = 1 + 0.5 a (from a before its decay); a = 0.5 a; v = 0.5 v + I; fire above th, v -= th, a += 1.
    # I = 384: th 256, v 384 -> 128, a 0 + 256 = 256; th 384, a 128, v 64 + 384 = 448 -> 64, a 384;
    # th 256 + 192 = 448, a 192, v 32 + 384 = 416 (not > 448)
    got = trace("ALIF", [384, 384, 384], beta=0.5, adapt_decay=0.5, adapt_strength=0.5)
    assert got == ([1, 1, 0], {"a": [256, 384, 192], "v": [128, 64, 416]})


def _exp_entry(x):
    return math.floor(math.exp(x) * 65536 + 0.5)


EXP_PARAMS = dict(beta=0.5, v_rheobase=0.5, delta_t=0.5)  # threshold 1: exp's range (-9, 1)


def test_expif():
    # v = 0.5 v + 0.25 exp(2 min(v, 1) - 1) + I.  The argument 2 min(v, 1) - 1 is exact at 7 fraction bits
    # (min(v, 256) - 128), rounded down to the table's 4 (>> 3; 161 entries from -144); the entry has 16,
    # 0.25 makes it 18: v_new = ((v << 9) + entry + (I << 10)) >> 10.  I = 64 throughout:
    # v 0: arg -128 >> 3 = -16 (exp(-1) = 24109): 89645 >> 10 = 87
    # v 87: arg -41 >> 3 = -6 (exp(-0.375) = 45042): 44544 + 45042 + 65536 = 155122 >> 10 = 151
    # v 151: arg 23 >> 3 = 2 (exp(0.125) = 74262): 77312 + 74262 + 65536 = 217110 >> 10 = 212
    # v 212: arg 84 >> 3 = 10 (exp(0.625) = 122437): 108544 + 122437 + 65536 = 296517 >> 10 = 289 -> 33, spike
    assert [_exp_entry(x / 16) for x in (-16, -6, 2, 10)] == [24109, 45042, 74262, 122437]
    fixed = cell_neuron("ExpIF", **EXP_PARAMS).compile()
    (table,) = fixed.tables
    assert (table.step_frac, table.lo_i, len(table.entries)) == (4, -144, 161)
    assert trace("ExpIF", [64] * 4, **EXP_PARAMS) == ([0, 0, 0, 1], {"v": [87, 151, 212, 33]})


def test_adex():
    # w_next = 0.5 w + 0.25 v (exact at 10 fraction bits, >> 2); v = the ExpIF drive - w + I; w = w_next.
    # step 1 as ExpIF (w 0): v 87, w 0; step 2: w_next (0 + 87) >> 2 = 21, v 151 (w was 0), w 21;
    # step 3: w_next (42 + 151) >> 2 = 48; v: 77312 + 74262 - (21 << 10) + 65536 = 195606 >> 10 = 191; w 48;
    # step 4: w_next (96 + 191) >> 2 = 71; v 191: arg 63 >> 3 = 7 (exp(0.4375) = 101504):
    # 97792 + 101504 - 49152 + 65536 = 215680 >> 10 = 210; w 71
    assert _exp_entry(7 / 16) == 101504
    got = trace("AdEx", [64] * 4, adapt_decay=0.5, a=0.5, b=0.25, **EXP_PARAMS)
    assert got == ([0, 0, 0, 0], {"w": [0, 21, 48, 71], "v": [87, 151, 191, 210]})


def test_alpha():
    # i_e = 0.5 i_e + max(I, 0); i_i = 0.5 i_i + max(-I, 0); v = 0.5 v + i_e - i_i.
    # I 256: 256, 0, v 256; I -128: 128, 128, v 128; I 0: 64, 64, v 64; I 512: 544, 32, v 32 + 512 = 544 -> 288
    got = trace("Alpha", [256, -128, 0, 512], alpha_exc=0.5, alpha_inh=0.5, beta=0.5)
    assert got == ([0, 0, 0, 1], {"i_exc": [256, 128, 64, 544], "i_inh": [0, 128, 64, 32], "v": [256, 128, 64, 288]})


def test_second_order_lif():
    # a = 0.5 a + I - 0.25 v (v before its update); v = 0.5 v + a.
    # a 256, v 256; a 128 - 64 = 64, v 192; a 32 - 48 = -16, v 96 - 16 = 80
    got = trace("SecondOrderLIF", [256, 0, 0], alpha=0.5, beta=0.5, stiffness=0.25)
    assert got == ([0, 0, 0], {"v": [256, 192, 80], "a": [256, 64, -16]})


def test_recurrent_lif_is_lif_with_the_recurrent_drive_in_its_input():
    assert CELLS["RecurrentLIF"].equations == CELLS["LIF"].equations
    assert trace("RecurrentLIF", [256, 256, 64, -3], beta=0.5) == trace("LIF", [256, 256, 64, -3], beta=0.5)


def test_cell_neuron_checks_its_arguments():
    with pytest.raises(ValueError, match="unknown cell 'Izhikevich'"):
        cell_neuron("Izhikevich")
    with pytest.raises(ValueError, match="has no parameter 'gamma'"):
        cell_neuron("LIF", gamma=1.0)


# ------------------------------------------------------------------------------ against the training cells


@pytest.mark.parametrize("name", list(CELLS))
def test_float_dynamics_equal_the_training_cells(name):
    torch = pytest.importorskip("torch")
    import sc_neurocore.training.cells as tc

    spec = CELLS[name]
    torch.manual_seed(1)
    kw = {"n_neurons": 6} if name == "RecurrentLIF" else {}
    cell = getattr(tc, spec.training_class)(**kw).double()
    params = {p: (getattr(cell, p) if p in ("tau", "R", "dt") else float(getattr(cell, p))) for p in spec.defaults}
    neuron = cell_neuron(name, **params)
    cur = np.random.default_rng(2).normal(0.5 if name != "Lapicque" else 2.0, 0.8, (60, 6))
    if name == "RecurrentLIF":  # the net's part: the recurrent drive from the neuron's own last spikes
        w = cell.recurrent.weight.detach().numpy()
        state, prev, spikes, v = neuron.initial_state(6), np.zeros(6), [], []
        for t in range(len(cur)):
            state, prev = neuron.step_float(state, cur[t] + prev @ w.T)
            spikes.append(prev)
            v.append(state["v"])
        spikes, v = np.array(spikes), np.array(v)
    else:
        spikes, states = neuron.run_float(cur)
        v = states["v"]
    with torch.no_grad():
        ts, tv, _ = cell.sequence(torch.tensor(cur))
    assert spikes.sum() > 10  # the comparison covers firing and reset
    assert np.array_equal(ts.numpy(), spikes)
    np.testing.assert_allclose(tv.numpy(), v, rtol=0, atol=1e-6)
