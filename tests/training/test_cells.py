import math

import pytest
import torch
from sc_neurocore.training import (
    AdExCell,
    ALIFCell,
    AlphaCell,
    ExpIFCell,
    IFCell,
    LapicqueCell,
    LIFCell,
    RecurrentLIFCell,
    SecondOrderLIFCell,
    SynapticCell,
    atan_surrogate,
    straight_through,
)
from sc_neurocore.training import cells as C

INPUTS = [0.6, 0.7, -0.3, 0.9, 0.8]


def H(x):
    return 1.0 if x > 0 else 0.0


def run_cell(cell, inputs=INPUTS):
    """Single steps on a (1, 1) current: lists of spikes and of every state field."""
    cell = cell.double()
    state = cell.init_state(1, 1, dtype=torch.float64)
    spikes, states = [], []
    for x in inputs:
        s, state = cell(torch.tensor([[x]], dtype=torch.float64), state)
        spikes.append(float(s))
        states.append(tuple(float(f) for f in state))
    return spikes, states


def check(cell, expected_spikes, expected_states, tol=1e-6):  # parameters are float32
    spikes, states = run_cell(cell)
    assert spikes == expected_spikes
    for got, want in zip(states, expected_states):
        assert got == pytest.approx(want, abs=tol)
    # the multi-step path gives the same spikes and membranes
    seq = torch.tensor(INPUTS, dtype=torch.float64).view(-1, 1, 1)
    s_seq, v_seq, _ = cell.sequence(seq)
    assert s_seq.flatten().tolist() == expected_spikes
    v_index = cell.state_names.index("v")
    assert v_seq.flatten().tolist() == pytest.approx([st[v_index] for st in expected_states], abs=tol)


def test_lif_hand_trace():
    # v = 0.5 v + I; theta = 1: 0.6 | 0.3+0.7=1.0 (not > 1) | 0.5-0.3=0.2 | 0.1+0.9=1.0 | 0.5+0.8=1.3 -> 0.3
    check(LIFCell(beta=0.5, threshold=1.0), [0, 0, 0, 0, 1], [(0.6,), (1.0,), (0.2,), (1.0,), (0.3,)])


@pytest.mark.parametrize("fused", [True, False])
def test_lif_fused_flag_same_trace(fused):
    check(LIFCell(beta=0.5, threshold=1.0, fused=fused), [0, 0, 0, 0, 1], [(0.6,), (1.0,), (0.2,), (1.0,), (0.3,)])


def test_if_hand_trace():
    # no leak: 0.6 | 1.3 -> 0.3 | 0.0 | 0.9 | 1.7 -> 0.7
    check(IFCell(threshold=1.0), [0, 1, 0, 0, 1], [(0.6,), (0.3,), (0.0,), (0.9,), (0.7,)])


def test_lapicque_hand_trace():
    tau, R, dt = 2.0, 3.0, 1.0
    b = math.exp(-dt / tau)
    v, spikes, states = 0.0, [], []
    for x in INPUTS:
        v = b * v + (1 - b) * R * x
        s = H(v - 1.0)
        v -= s
        spikes.append(s)
        states.append((v,))
    cell = LapicqueCell(tau=tau, R=R, dt=dt)
    assert float(cell.beta) == pytest.approx(b)
    check(cell, spikes, states, tol=1e-7)  # beta is stored in float32
    assert sum(spikes) >= 1


def test_synaptic_hand_trace():
    # i = 0.5 i + I; v = 0.5 v + i; theta = 1
    i, v, spikes, states = 0.0, 0.0, [], []
    for x in INPUTS:
        i = 0.5 * i + x
        v = 0.5 * v + i
        s = H(v - 1.0)
        v -= s
        spikes.append(s)
        states.append((i, v))
    assert spikes[1] == 1.0  # i = 1.0, v = 0.3 + 1.0
    check(SynapticCell(alpha=0.5, beta=0.5), spikes, states)


def test_alif_hand_trace():
    # theta_t = 1 + 0.5 a; v = 0.9 v + I; reset by theta_t; a = 0.5 a + s
    v, a, spikes, states = 0.0, 0.0, [], []
    for x in INPUTS:
        th = 1.0 + 0.5 * a
        v = 0.9 * v + x
        s = H(v - th)
        v -= s * th
        a = 0.5 * a + s
        spikes.append(s)
        states.append((v, a))
    check(ALIFCell(beta=0.9, threshold=1.0, adapt_decay=0.5, adapt_strength=0.5), spikes, states)
    assert sum(spikes) >= 1


def test_expif_hand_trace():
    v, spikes, states = 0.0, [], []
    for x in INPUTS:
        v = 0.9 * v + 0.1 * 0.2 * math.exp((min(v, 1.0) - 0.5) / 0.2) + x
        s = H(v - 1.0)
        v -= s
        spikes.append(s)
        states.append((v,))
    check(ExpIFCell(beta=0.9, threshold=1.0, v_rheobase=0.5, delta_t=0.2), spikes, states)


def test_adex_hand_trace():
    v, w, spikes, states = 0.0, 0.0, [], []
    for x in INPUTS:
        v_prev = v
        v = 0.9 * v + 0.1 * 0.2 * math.exp((min(v, 1.0) - 0.5) / 0.2) - w + x
        s = H(v - 1.0)
        w = 0.8 * w + 0.2 * 0.3 * v_prev + 0.1 * s
        v -= s
        spikes.append(s)
        states.append((v, w))
    check(AdExCell(beta=0.9, v_rheobase=0.5, delta_t=0.2, adapt_decay=0.8, a=0.3, b=0.1), spikes, states)


def test_alpha_hand_trace():
    ie, ii, v, spikes, states = 0.0, 0.0, 0.0, [], []
    for x in INPUTS:
        ie = 0.9 * ie + max(x, 0.0)
        ii = 0.5 * ii + max(-x, 0.0)
        v = 0.8 * v + ie - ii
        s = H(v - 1.0)
        v -= s
        spikes.append(s)
        states.append((ie, ii, v))
    check(AlphaCell(alpha_exc=0.9, alpha_inh=0.5, beta=0.8), spikes, states)


def test_second_order_hand_trace():
    a, v, spikes, states = 0.0, 0.0, [], []
    for x in INPUTS:
        a = 0.5 * a + x - 0.2 * v
        v = 0.7 * v + a
        s = H(v - 1.0)
        v -= s
        spikes.append(s)
        states.append((a, v))
    check(SecondOrderLIFCell(alpha=0.5, beta=0.7, stiffness=0.2), spikes, states)


def test_second_order_without_stiffness_is_synaptic():
    a = run_cell(SecondOrderLIFCell(alpha=0.6, beta=0.8, stiffness=0.0))
    b = run_cell(SynapticCell(alpha=0.6, beta=0.8))
    assert a == b


def test_recurrent_lif_hand_trace():
    cell = RecurrentLIFCell(2, beta=0.5, threshold=1.0).double()
    with torch.no_grad():
        cell.recurrent.weight.copy_(torch.tensor([[0.0, 0.4], [-0.5, 0.0]]))
    state = cell.init_state(1)
    assert tuple(state.v.shape) == (1, 2)
    cur = torch.tensor([[1.2, 1.5]], dtype=torch.float64)
    s0, state = cell(cur, state)  # v = (1.2, 1.5) -> both spike -> v = (0.2, 0.5)
    assert s0.tolist() == [[1.0, 1.0]]
    s1, state = cell(cur, state)  # v = 0.1 + 1.2 + 0.4 = 1.7 -> 0.7;  0.25 + 1.5 - 0.5 = 1.25 -> 0.25
    assert s1.tolist() == [[1.0, 1.0]]
    assert state.v.tolist()[0] == pytest.approx([0.7, 0.25])
    assert torch.equal(state.spike_prev, s1)


@pytest.mark.parametrize("fused", [True, False])
def test_learnable_beta_and_threshold_get_gradients(fused):
    cell = LIFCell(beta=0.8, threshold=0.9, learn_beta=True, learn_threshold=True, fused=fused)
    assert {n for n, _ in cell.named_parameters()} == {"beta", "threshold"}
    currents = torch.rand(10, 4, 8) * 0.6
    spikes, mems, _ = cell.sequence(currents)
    (spikes.sum() + mems.sum()).backward()
    assert float(cell.beta.grad.abs()) > 0
    assert float(cell.threshold.grad.abs()) > 0


@pytest.mark.parametrize(
    "cell",
    [
        SynapticCell(learn_alpha=True, learn_beta=True, learn_threshold=True),
        ALIFCell(learn_beta=True, learn_threshold=True),
        AlphaCell(learn_beta=True, learn_threshold=True),
        SecondOrderLIFCell(learn_beta=True, learn_threshold=True),
        RecurrentLIFCell(8, learn_beta=True, learn_threshold=True),
    ],
    ids=lambda c: type(c).__name__,
)
def test_other_cells_learnable_parameters(cell):
    spikes, mems, _ = cell.sequence(torch.rand(10, 4, 8) * 0.8)
    (spikes.sum() + mems.sum()).backward()
    for name, p in cell.named_parameters():
        if name in ("beta", "threshold", "alpha"):
            assert p.grad is not None and float(p.grad.abs()) > 0, name


def test_learnable_beta_is_clamped():
    cell = LIFCell(beta=0.9, learn_beta=True)
    with torch.no_grad():
        cell.beta.fill_(1.7)
    assert float(cell.param("beta").detach()) == 1.0


def test_init_state_and_state_types():
    cell = AlphaCell()
    state = cell.init_state(3, 5)
    assert state._fields == ("i_exc", "i_inh", "v")
    assert all(tuple(t.shape) == (3, 5) and float(t.abs().sum()) == 0 for t in state)
    spike, new = cell(torch.ones(3, 5), state)
    assert isinstance(new, cell.State)


def test_sequence_continues_from_state():
    cell = LIFCell(beta=0.7)
    x = torch.rand(12, 2, 3)
    s_all, v_all, _ = cell.sequence(x)
    s_a, v_a, state = cell.sequence(x[:5])
    s_b, v_b, _ = cell.sequence(x[5:], state)
    assert torch.equal(torch.cat([s_a, s_b]), s_all)
    torch.testing.assert_close(torch.cat([v_a, v_b]), v_all)


def test_step_inputs_of_a_sequence():
    """``sequence`` hands the cells its steps as ``_Steps``: a constant current ``steps`` times, or the rows of a
    ``(T, ...)`` current (split only when read); the generic step loop walks them in order."""
    from sc_neurocore.training.cells import _Steps

    x = torch.arange(12.0).reshape(3, 2, 2)
    rows = _Steps(x, None)
    assert not rows.const and len(rows) == 3 and rows._rows is None
    assert [torch.equal(r, x[t]) for t, r in enumerate(rows)] == [True] * 3 and rows._rows is not None
    assert torch.equal(rows[-1], x[2])
    image = x[0]
    const = _Steps(image, 4)
    assert const.const and len(const) == 4 and const[3] is image and const[-4] is image
    assert sum(1 for _ in const) == 4
    with pytest.raises(IndexError):
        const[4]
    # the generic loop (a plain callable surrogate) over a constant current equals it over the repeated current
    cell = LIFCell(beta=0.8, surrogate_fn=lambda v: (v > 0).float())
    s_const, v_const, _ = cell.sequence(x[0], steps=4)
    s_rep, v_rep, _ = cell.sequence(x[0].expand(4, 2, 2))
    assert torch.equal(s_const, s_rep) and torch.equal(v_const, v_rep) and float(s_const.sum()) > 0


def test_errors():
    with pytest.raises(ValueError, match="beta"):
        LIFCell(beta=1.5)
    with pytest.raises(ValueError, match="threshold"):
        LIFCell(threshold=0.0)
    with pytest.raises(TypeError, match="beta"):
        LIFCell(beta="high")
    with pytest.raises(TypeError, match="surrogate_fn"):
        LIFCell(surrogate_fn=3)
    with pytest.raises(TypeError, match="learn_beta"):
        LIFCell(learn_beta=1)
    with pytest.raises(ValueError, match="tau"):
        LapicqueCell(tau=0)
    with pytest.raises(ValueError, match="n_neurons"):
        RecurrentLIFCell(0)
    cell = LIFCell()
    with pytest.raises(TypeError, match="floating-point"):
        cell(torch.ones(2, 3, dtype=torch.long))
    with pytest.raises(TypeError, match="torch.Tensor"):
        cell([1.0])
    with pytest.raises(ValueError, match="shape"):
        cell(torch.ones(2, 3), cell.init_state(2, 4))
    with pytest.raises(ValueError, match="batch_size"):
        cell.init_state(0, 3)
    with pytest.raises(ValueError, match="neurons"):
        RecurrentLIFCell(4)(torch.ones(2, 3))
    with pytest.raises(ValueError, match="steps"):
        cell.sequence(torch.ones(2, 3), steps=0)
    with pytest.raises(ValueError, match="T, batch"):
        cell.sequence(torch.ones(3))
    assert atan_surrogate is LIFCell().surrogate_fn


# ---------------------------------------------------------------- the pure step functions, by hand
# Two neurons per case (one that stays below threshold, one that fires); binary fractions, so every
# hand result below is exact in float64 (the ExpIF cases hold e**2, computed in the comment's formula).


def _t(*values):
    return torch.tensor(values, dtype=torch.float64)


E2 = math.exp(2.0)

BY_HAND = {
    # v = 0.5 * 0.5 + I: 0.25 + 0.75 = 1.0 (not > 1) | 0.25 + 1.0 = 1.25 -> spike, 0.25
    "lif": (C.lif_step, C.LIFParameters(beta=0.5, threshold=1.0), C.LIFState, [(0.5, 0.5)], (0.75, 1.0),
            (0, 1), [(1.0, 0.25)]),
    # input_gain 2: 0.25 + 2 * 0.25 = 0.75 | 0.25 + 2 * 0.5 = 1.25 -> 0.25
    "lif, input_gain 2": (C.lif_step, C.LIFParameters(beta=0.5, input_gain=2.0), C.LIFState, [(0.5, 0.5)], (0.25, 0.5),
                          (0, 1), [(0.75, 0.25)]),
    # i = 0.5 * 0.5 + I: 0.5 | 1.0;  v = 0.5 * 0.5 + i: 0.75 | 1.25 -> spike, 0.25
    "synaptic": (C.synaptic_step, C.SynapticParameters(alpha=0.5, beta=0.5, threshold=1.0), C.SynapticState,
                 [(0.5, 0.5), (0.5, 0.5)], (0.25, 0.75), (0, 1), [(0.5, 1.0), (0.75, 0.25)]),
    # theta = 1 + 0.5 * a = 1.5 (a = 1);  v = 0.25 + I: 1.25 (< 1.5) | 1.75 -> spike, 1.75 - 1.5 = 0.25
    # a = 0.5 * 1 + s: 0.5 | 1.5
    "alif": (C.alif_step, C.ALIFParameters(beta=0.5, threshold=1.0, adapt_decay=0.5, adapt_strength=0.5),
             C.ALIFState, [(0.5, 0.5), (1.0, 1.0)], (1.0, 1.5), (0, 1), [(1.25, 0.25), (0.5, 1.5)]),
    # drive = 0.5 v + 0.5 * 0.25 * exp((min(v, 1) - 0.5) / 0.25)
    # v = 0.5: 0.25 + 0.125 * e**0 = 0.375, + I 0.5 = 0.875 (no spike)
    # v = 1.5 (clipped to 1 inside exp): 0.75 + 0.125 * e**2, + I 0 -> spike, minus 1
    "expif": (C.expif_step, C.ExpIFParameters(beta=0.5, threshold=1.0, v_rheobase=0.5, delta_t=0.25), C.LIFState,
              [(0.5, 1.5)], (0.5, 0.0), (0, 1), [(0.875, 0.75 + 0.125 * E2 - 1.0)]),
    # v = 0.5, w = 0.25: drive 0.375 - w + I: I = 0.5 -> 0.625 | I = 1.0 -> 1.125 -> spike, 0.125
    # w = 0.5 * 0.25 + (1 - 0.5) * 0.5 * v_prev (0.5) + 0.25 * s = 0.25 | 0.5
    "adex": (C.adex_step, C.AdExParameters(beta=0.5, threshold=1.0, v_rheobase=0.5, delta_t=0.25,
                                           adapt_decay=0.5, a=0.5, b=0.25), C.AdExState,
             [(0.5, 0.5), (0.25, 0.25)], (0.5, 1.0), (0, 1), [(0.625, 0.125), (0.25, 0.5)]),
    # i_exc = 0.5 * 0.5 + relu(I): I = -0.5 -> 0.25 | I = 1.5 -> 1.75;  i_inh = 0.5 * 0.25 + relu(-I): 0.625 | 0.125
    # v = 0.5 * 0.5 + i_exc - i_inh: -0.125 | 1.875 -> spike, 0.875
    "alpha": (C.alpha_step, C.AlphaParameters(alpha_exc=0.5, alpha_inh=0.5, beta=0.5, threshold=1.0), C.AlphaState,
              [(0.5, 0.5), (0.25, 0.25), (0.5, 0.5)], (-0.5, 1.5), (0, 1),
              [(0.25, 1.75), (0.625, 0.125), (-0.125, 0.875)]),
    # a = 0.5 * 0.5 + I - 0.25 * v_prev (1.0): I = 0.25 -> 0.25 | I = 1.0 -> 1.0;  v = 0.5 * 1.0 + a: 0.75 | 1.5 -> 0.5
    "second order": (C.second_order_lif_step,
                     C.SecondOrderLIFParameters(alpha=0.5, beta=0.5, threshold=1.0, stiffness=0.25),
                     C.SecondOrderLIFState, [(0.5, 0.5), (1.0, 1.0)], (0.25, 1.0), (0, 1),
                     [(0.25, 1.0), (0.75, 0.5)]),
    # v = 0.5 * 0.5 + I + W @ (1, 1): neuron 0: 0.25 + 0.5 + 0.5 = 1.25 -> spike, 0.25;
    # neuron 1: 0.25 + 1.0 - 0.25 = 1.0 (not > 1); spike_prev = the new spikes
    "recurrent": (C.recurrent_lif_step,
                  C.RecurrentLIFParameters(beta=0.5, threshold=1.0, recurrent_weight=_t(0.0, 0.5, -0.25, 0.0).view(2, 2)),
                  C.RecurrentLIFState, [(0.5, 0.5), (1.0, 1.0)], (0.5, 1.0), (1, 0), [(0.25, 1.0), (1.0, 0.0)]),
}


@pytest.mark.parametrize("case", list(BY_HAND))
def test_step_function_by_hand(case):
    step, params, state_type, state, current, spikes, new_state = BY_HAND[case]
    s, st = step(_t(*current), state_type(*(_t(*f) for f in state)), params)
    assert s.tolist() == list(spikes)
    assert isinstance(st, state_type)
    for got, want in zip(st, new_state):
        assert got.tolist() == pytest.approx(list(want), abs=1e-12)


def test_fire_and_reset_detaches_the_spike_in_the_reset():
    # straight-through: ds/dv = 1; v_new = v - s.detach() * theta, so dv_new/dv = 1: d(s + v_new)/dv = 2
    v = _t(0.5, 1.5).requires_grad_()
    s, v_new = C.fire_and_reset(v, 1.0, straight_through)
    assert s.tolist() == [0.0, 1.0] and v_new.tolist() == [0.5, 0.5]
    (s.sum() + v_new.sum()).backward()
    assert v.grad.tolist() == [2.0, 2.0]


@pytest.mark.parametrize(
    "cell, record, step",
    [
        (LIFCell(), C.LIFParameters, C.lif_step),
        (IFCell(), C.LIFParameters, C.lif_step),
        (LapicqueCell(), C.LIFParameters, C.lif_step),
        (SynapticCell(), C.SynapticParameters, C.synaptic_step),
        (ALIFCell(), C.ALIFParameters, C.alif_step),
        (ExpIFCell(), C.ExpIFParameters, C.expif_step),
        (AdExCell(), C.AdExParameters, C.adex_step),
        (AlphaCell(), C.AlphaParameters, C.alpha_step),
        (SecondOrderLIFCell(), C.SecondOrderLIFParameters, C.second_order_lif_step),
        (RecurrentLIFCell(3), C.RecurrentLIFParameters, C.recurrent_lif_step),
    ],
    ids=lambda x: getattr(x, "__name__", type(x).__name__),
)
def test_each_cell_is_its_step_function(cell, record, step):
    assert cell.step is step and cell.Parameters is record
    p = cell.step_parameters()
    assert isinstance(p, record)
    torch.manual_seed(0)
    current, state = torch.rand(2, 3) * 2, cell.init_state(2, 3)
    state = cell.State(*(torch.rand(2, 3) for _ in state))
    s_cell, st_cell = cell(current, state)
    s_fn, st_fn = step(current, state, p)
    assert torch.equal(s_cell, s_fn) and all(torch.equal(a, b) for a, b in zip(st_cell, st_fn))


def test_parameter_records_are_frozen_and_keyword_only():
    import dataclasses

    p = C.LIFParameters(beta=0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.beta = 0.7
    with pytest.raises(TypeError):
        C.LIFParameters(0.5)
    lap = LapicqueCell(tau=2.0, R=3.0).step_parameters()
    assert lap.input_gain == pytest.approx((1 - math.exp(-0.5)) * 3.0) and float(lap.beta) == pytest.approx(
        math.exp(-0.5)
    )
    assert float(IFCell().step_parameters().beta) == 1.0


# ------------------------------------------------------------------ the peers' conventions (issue 12, item 3)


def _snntorch_delayed(currents, beta, theta):
    """snnTorch's ``Leaky`` with its defaults (subtract reset, ``reset_delay=True``), written from its
    documented recurrence: ``m[t] = beta m[t-1] + I[t] - theta H(m[t-1] - theta)``, ``s[t] = H(m[t] - theta)``."""
    m = torch.zeros_like(currents[0])
    spikes = []
    for cur in currents:
        m = beta * m + cur - theta * (m > theta).to(m.dtype)
        spikes.append((m > theta).to(m.dtype))
    return torch.stack(spikes)


@pytest.mark.parametrize("beta,theta", [(0.9, 1.0), (0.5, 0.7), (0.99, 2.0)])
def test_subtract_delayed_reproduces_snntorch_reset_delay(beta, theta):
    g = torch.Generator().manual_seed(21)  # seed 21, float64; the claim is equality, not closeness
    currents = torch.rand(200, 64, generator=g, dtype=torch.float64) * 1.5 * theta - 0.2
    cell = LIFCell(beta, theta, reset_mode="subtract-delayed").double()
    spikes, _, _ = cell.sequence(currents)
    want = _snntorch_delayed(currents, float(cell.beta), float(cell.threshold))
    assert int(want.sum()) > 1000
    assert torch.equal(spikes, want)
    plain, _, _ = LIFCell(beta, theta).double().sequence(currents)
    assert not torch.equal(plain, want)  # the convention matters: subtract-now differs


def test_zero_reset_and_its_membrane():
    cell = LIFCell(beta=0.5, threshold=1.0, reset_mode="zero")
    spikes, mems, _ = cell.sequence(torch.tensor([[0.6], [1.0], [0.2], [1.5], [0.3]]))
    assert spikes.flatten().tolist() == [0, 1, 0, 1, 0]  # 0.6, 1.3 -> 0, 0.2, 1.6 -> 0, 0.3
    torch.testing.assert_close(mems.flatten(), torch.tensor([0.6, 0.0, 0.2, 0.0, 0.3]))


def test_reset_mode_errors_and_fused_path():
    with pytest.raises(ValueError, match="reset_mode must be one of"):
        LIFCell(reset_mode="hard")
    with pytest.raises(ValueError, match="beta must be > 0"):
        LIFCell(beta=0.0, reset_mode="subtract-delayed")
    x = torch.rand(30, 4, 8) * 0.6
    a, _, _ = LIFCell(0.8, 1.0, fused=True).sequence(x)
    b, _, _ = LIFCell(0.8, 1.0, fused=False).sequence(x)
    assert torch.equal(a, b)
