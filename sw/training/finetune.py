"""SC-aware fine-tuning: a few epochs whose forward pass *is* the SC model of one :class:`SCConfig`.

The forward of :func:`sc_forward` reproduces :class:`~sc_neurocore.sc.network.SCNetwork`
(polarity ``"signed"``) integer for integer, in torch: weights quantised to sign + k-bit codes,
the exact SC count of every timestep window (layer 0: ``[rin_c < xq] @ sign*[rw_c < |wq|]`` over the
window's cycles; spike layers: ``s @ sign*W_t[|wq|]``), the count -> Q8.8 scaling with rounding,
bias and saturation, and the integer neuron step (LIF; a Synaptic layer's synaptic current first,
``sc.fixed.synaptic_step``; ALIF's adaptive threshold; the Alpha neuron's two currents; the second-order LIF's
inertial term; ExpIF's exp table, ``sc.fixed.expif_step``, and AdEx's adaptation besides).  Gradients go straight through: every exact
integer quantity ``z_int`` is used as ``z_float + (z_int - z_float).detach()`` where ``z_float``
is the float SpikingNet's value (fake-quantised weights, ``beta * v + I``), and spikes use the
model's surrogate (``atan`` by default) on ``(v - theta) / 2**frac_bits``.

So the network learns against the very noise and quantisation it will meet at short L, and the
export (``model.to_quantized(config)``) keeps its accuracy.  ``sc-neurocore train --sc-finetune
EPOCHS`` runs :func:`sc_finetune` after training, against the contract's default source at
``--length``.  Only dense nets (:class:`~sc_neurocore.training.networks.SpikingNet`, anything with
``fcs``, ``lifs`` and ``to_quantized``) go down the SC chain.

Measured on 14 digits nets not tuned for (``docs/bench/default_source.md``, Sobol, L = 16): 2 epochs
at lr 1e-4 raise the SC accuracy by 0.34 points on average (no net ends below its original float
accuracy), but do not raise the agreement between a net's float and SC predictions (99.44 % mean,
98.89 % worst, against 99.54 % and 99.17 % without); at lr 5e-4 the nets' test accuracy moved by up
to 2 points either way.
"""

from __future__ import annotations

import numpy as np
import torch

from ..progress import emit
from ..sc.contract import (
    EXPIF_TABLE,
    ROLE_INPUT,
    ROLE_WEIGHT,
    SCConfig,
    count_real_scale,
    current_scale,
    expif_table,
    quantize_probability,
)
from ..sc.sources import source_values
from .surrogates import atan_surrogate

__all__ = ["sc_forward", "sc_finetune"]


def _linears(model) -> list:
    if not callable(getattr(model, "to_quantized", None)) or getattr(model, "convs", None) is not None:
        raise TypeError(
            f"SC-aware fine-tuning needs a dense SpikingNet (a model with to_quantized and fcs), not "
            f"{type(model).__name__}; it models dense layers only"
        )
    fcs = getattr(model, "fcs", None)
    if fcs is None:
        fcs = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    fcs = list(fcs)
    if not fcs:
        raise ValueError("the model has no Linear layers")
    return fcs


def _surrogate(model, li):
    lifs = getattr(model, "lifs", None)
    fn = getattr(lifs[li], "surrogate_fn", None) if lifs is not None else None
    return atan_surrogate if fn is None else fn


def _lif_constants(model, config):
    """Per layer ``(beta_q, threshold_q, neuron, {constant: int})`` of the model's export (subtract resets only)."""
    q = model.to_quantized(config)
    for li, layer in enumerate(q.layers):
        if layer.reset != "subtract" or layer.reset_q is not None:
            raise ValueError(f"layer {li}: SC fine-tuning models the subtract-by-threshold reset only, not "
                             f"{layer.float_reset!r}")
    return [(int(layer.beta_q), int(layer.threshold_q), layer.neuron, dict(layer.neuron_params)) for layer in q.layers]


def _expif_float(v, beta_q, theta_q, p, one, bb):
    """The float drive of an ExpIF layer in membrane LSBs: ``beta v + (1 - beta) delta_t exp((min(v, theta) -
    v_rheobase) / delta_t)`` with the layer's quantised constants (the gradient's path)."""
    beta = beta_q / 2.0**bb
    d, r = p["delta_t_q"] / one, p["v_rheobase_q"] / one
    x = (torch.clamp(v, max=float(theta_q)) / one - r) / d
    return beta * v + (1 - beta) * d * torch.exp(x) * one


def _expif_int(v, beta_q, theta_q, p, fmt, bb):
    """``sc.fixed.expif_step``'s drive before ``+ I`` (floor of ``beta v + (1 - beta) delta_t E[x]``), on int64
    tensors (the exact sum may need more than float64's 53 bits), returned as ``v``'s dtype."""
    r, d = int(p["v_rheobase_q"]), int(p["delta_t_q"])
    lo_i, table = expif_table(int(theta_q), r, d, fmt)
    c, f, k = EXPIF_TABLE["frac"], fmt.frac_bits, EXPIF_TABLE["step_bits"]
    m_inv = ((1 << (c + f + 1)) // d + 1) // 2
    m_off = ((-r << (c + 1)) // d + 1) // 2
    vi = v.to(torch.int64)
    x = (torch.clamp(vi, max=int(theta_q)) * m_inv + (m_off << f)) >> (c + f - k)
    e = torch.tensor(table, device=v.device)[torch.clamp(x, lo_i, lo_i + len(table) - 1) - lo_i]
    exact = ((int(beta_q) * vi) << c) + d * ((1 << bb) - int(beta_q)) * e
    return (exact >> (bb + c)).to(v.dtype)


def _ste(z_float, z_int):
    """``z_int`` forward, ``z_float``'s gradient backward."""
    return z_float + (z_int - z_float).detach()


class _Arith:
    """The contract's membrane arithmetic on float64 tensors: saturation to the membrane format and the leak by a
    decay code of ``bb`` fraction bits."""

    def __init__(self, config: SCConfig):
        self.fmt = config.membrane
        self.one = float(self.fmt.one)
        self.lo, self.hi = float(self.fmt.min_int), float(self.fmt.max_int)
        self.bb = config.beta_format.frac_bits

    def sat(self, z):
        return torch.clamp(z, self.lo, self.hi)

    def leak(self, q, z):
        """``(q * z) >> bb`` of the integer value of ``z``, and the float value ``q / 2**bb * z``: ``(float, int)``."""
        return (q / 2.0**self.bb) * z, torch.floor(q * z.detach() / 2.0**self.bb)

    def membrane(self, beta_q, v, cur, cur_int):
        """``beta v + I`` (float) and ``sat(((beta_q v) >> bb) + I)`` (integer), straight through."""
        fv, iv = self.leak(beta_q, v)
        return _ste(fv + cur, self.sat(iv + cur_int))


# ----------------------------------------------------------------------------- the neuron models, one step each
# A drive takes ``(arith, constants, states, v, cur, cur_int)`` -- ``constants`` the layer's ``(beta_q, theta_q,
# neuron, params)``, ``states`` the neuron's states beside its membrane (updated in place), ``v`` the membrane
# before the step, ``cur`` / ``cur_int`` the input current (float with gradient / its exact integer) -- and
# returns ``(membrane before firing, threshold)``; an ``after`` updates the states from the step's spike.


def _lif_drive(ar, c, st, v, cur, cur_int):
    return ar.membrane(c[0], v, cur, cur_int), c[1]


def _synaptic_drive(ar, c, st, v, cur, cur_int):
    """The synaptic current integrates the input current first (``sc.fixed.synaptic_step``)."""
    f, i = ar.leak(c[3]["alpha_q"], st["i_syn"])
    st["i_syn"] = _ste(f + cur, ar.sat(i + cur_int))
    return ar.membrane(c[0], v, st["i_syn"], st["i_syn"].detach()), c[1]


def _alif_drive(ar, c, st, v, cur, cur_int):
    """The adaptive threshold of the adaptation before the step (``sc.fixed.alif_step``)."""
    theta_q, k_q = c[1], c[3]["adapt_strength_q"]
    theta = _ste(theta_q + (k_q / ar.one) * st["a"], ar.sat(theta_q + torch.floor(k_q * st["a"].detach() / ar.one)))
    return ar.membrane(c[0], v, cur, cur_int), theta


def _alif_after(ar, c, st, spike, v_before):
    """The adaptation decays, then a spike adds one."""
    fa, ia = ar.leak(c[3]["adapt_decay_q"], st["a"])
    st["a"] = _ste(fa + spike * ar.one, ar.sat(ar.sat(ia) + spike.detach() * ar.one))


def _alpha_drive(ar, c, st, v, cur, cur_int):
    """The positive part excites, the negative part inhibits; their difference drives (``sc.fixed.alpha_step``)."""
    p = c[3]
    fe, ie = ar.leak(p["alpha_exc_q"], st["i_exc"])
    fh, ih = ar.leak(p["alpha_inh_q"], st["i_inh"])
    st["i_exc"] = _ste(fe + torch.relu(cur), ar.sat(ie + torch.clamp(cur_int, min=0)))
    st["i_inh"] = _ste(fh + torch.relu(-cur), ar.sat(ih + torch.clamp(-cur_int, min=0)))
    drive = st["i_exc"] - st["i_inh"]
    return ar.membrane(c[0], v, drive, drive.detach()), c[1]


def _second_order_drive(ar, c, st, v, cur, cur_int):
    """The inertial term, pulled back by the membrane before the step (``sc.fixed.second_order_step``)."""
    p, f, bb = c[3], ar.fmt.frac_bits, ar.bb
    fa, _ = ar.leak(p["alpha_q"], st["a"])
    k_q = p["stiffness_q"]
    d = max(bb, f) + f  # alpha_q a - stiffness_q v, exact at d fraction bits, floored once
    exact = p["alpha_q"] * st["a"].detach() * 2.0 ** (d - bb - f) - k_q * v.detach() * 2.0 ** (d - 2 * f)
    st["a"] = _ste(fa + cur - (k_q / ar.one) * v, ar.sat(torch.floor(exact / 2.0 ** (d - f)) + cur_int))
    return ar.membrane(c[0], v, st["a"], st["a"].detach()), c[1]


def _expif_drive(ar, c, st, v, cur, cur_int):
    """``beta v + (1 - beta) delta_t exp(x)`` (AdEx: ``- w``): the cell's drive, the contract's integers."""
    beta_q, theta_q, neuron, p = c
    fv = _expif_float(v, beta_q, theta_q, p, ar.one, ar.bb)
    iv = _expif_int(v.detach(), beta_q, theta_q, p, ar.fmt, ar.bb)
    if neuron == "adex":
        fv, iv = fv - st["w"], iv - st["w"].detach()
    return _ste(fv + cur, ar.sat(iv + cur_int)), theta_q


def _adex_after(ar, c, st, spike, v_before):
    """``adapt_decay w + (1 - adapt_decay) a v_before``, one floor; ``+ b`` (saturated) on a spike."""
    p, bb, f = c[3], ar.bb, ar.fmt.frac_bits
    ad, a_q, b_q = p["adapt_decay_q"], p["a_q"], p["b_q"]
    fw = (ad / 2.0**bb) * st["w"] + (1 - ad / 2.0**bb) * (a_q / ar.one) * v_before + b_q * spike
    exact = ad * st["w"].detach() * 2.0**f + (2**bb - ad) * a_q * v_before.detach()  # < 2**40: exact
    iw = ar.sat(torch.floor(exact / 2.0 ** (bb + f)))
    st["w"] = _ste(fw, torch.where(spike.detach() > 0, ar.sat(iw + b_q), iw))


#: Per neuron model (``sc.contract.NEURONS``): its states beside the membrane, its drive, its update after firing.
_NEURON_STEPS = {
    "lif": ((), _lif_drive, None),
    "synaptic": (("i_syn",), _synaptic_drive, None),
    "alif": (("a",), _alif_drive, _alif_after),
    "alpha": (("i_exc", "i_inh"), _alpha_drive, None),
    "second_order": (("a",), _second_order_drive, None),
    "expif": ((), _expif_drive, None),
    "adex": (("w",), _expif_drive, _adex_after),
}


# ----------------------------------------------------------------------------- the layers' currents


def _codes(w, s: float, qmax: float):
    """Signed codes ``round(qmax |w| / s) sign(w)`` (round half up), as the export's."""
    return torch.floor(w.abs() / s * qmax + 0.5) * torch.where(w < 0, -1.0, 1.0)


def _layer(fc, w_rec, li: int, config: SCConfig, T: int, opts: dict) -> dict:
    """Layer ``li``'s quantised weights (straight-through ``w``, codes ``wq``; a recurrent layer's ``w_rec`` /
    ``rq`` under the same scale), the count scaling ``m`` / ``sh``, bias, and its weight source's ``(T, L)``
    window ``rw``."""
    qmax, one = float(config.prob_max), float(config.membrane.one)
    lo, hi = float(config.membrane.min_int), float(config.membrane.max_int)
    w = fc.weight.to(opts["dtype"])
    s = float(w.detach().abs().max())
    if w_rec is not None:
        w_rec = w_rec.to(opts["dtype"])
        s = max(s, float(w_rec.detach().abs().max()))
    s = s if s > 0 else 1.0
    wq = _codes(w.detach(), s, qmax)
    kind = "prob" if li == 0 else "spike"
    lay = dict(w=w + (wq * s / qmax - w).detach(), wq=wq, kind=kind, rq=None)
    if w_rec is not None:  # a spike into a probability layer is a stream of ones: P/Q of a code-Q input
        f = qmax / (1 << config.prob_bits) if kind == "prob" else 1.0
        rq = _codes(w_rec.detach() * f, s, qmax)
        lay.update(w_rec=w_rec + (rq * s / qmax / f - w_rec).detach(), rq=rq)
    lay["m"], lay["sh"] = current_scale(count_real_scale(s, config, kind, stochastic=True), config.scale_bits)
    lay["b"] = fc.bias.to(opts["dtype"]) if fc.bias is not None else torch.zeros(w.shape[0], **opts)
    lay["b_q"] = torch.clamp(torch.floor(lay["b"].detach() * one + 0.5), lo, hi)
    lay["rw"] = _window(config, li, ROLE_WEIGHT, T, opts)
    return lay


def _window(config: SCConfig, layer: int, role: int, T: int, opts: dict) -> torch.Tensor:
    """The ``(T, L)`` random numbers of a source (``sc.sources.source_values``), one row per timestep."""
    values = source_values(config, layer, role, T * config.length).astype(np.int64).reshape(T, config.length)
    return torch.tensor(values, **opts)


def _spike_count(wq, rw_t, spikes):
    """The signed SC count of spike inputs ``(B, n_in)`` through codes ``wq`` ``(n_out, n_in)`` at one timestep:
    ``sum_i sign(w_ji) popcount(s_i & [r_w < |w_ji|])``."""
    wsum = ((rw_t[:, None, None] < wq.abs()[None]).to(wq.dtype) * torch.sign(wq)[None]).sum(0)
    return spikes.detach() @ wsum.T


def _current(ar, lay, t, h, xq, rin0, own):
    """Layer input current at timestep ``t``: ``(float with gradient, exact integer)`` in membrane LSBs (``h``: the
    layer before's spikes, ``None`` for layer 0 whose inputs are the codes ``xq``; ``own``: a recurrent layer's
    spikes of ``t - 1``): the float current keeps the gradient, the integer one is what the SC model computes."""
    if h is None:
        B = xq.shape[0]
        mag, sign = lay["wq"].abs(), torch.sign(lay["wq"])
        wbits = (lay["rw"][t][:, None, None] < mag[None]).to(xq.dtype) * sign[None]  # (L, n_out, n_in)
        xbits = (rin0[t][None, :, None] < xq[:, None, :]).to(xq.dtype)  # (B, L, n_in)
        count = xbits.reshape(B, -1) @ wbits.permute(0, 2, 1).reshape(-1, wbits.shape[1])
        inp = lay["x_float"]
    else:
        count = _spike_count(lay["wq"], lay["rw"][t], h)
        inp = h
    cur_float = inp @ lay["w"].T + lay["b"]
    if lay["rq"] is not None:
        count = count + _spike_count(lay["rq"], lay["rw"][t], own)
        cur_float = cur_float + own @ lay["w_rec"].T
    cur_int = ar.sat(torch.floor((count * lay["m"] + 2.0 ** (lay["sh"] - 1)) / 2.0 ** lay["sh"]) + lay["b_q"])
    return _ste(cur_float * ar.one, cur_int), cur_int


def _recurrent_weights(model, n: int) -> list:
    """Per layer the float ``W_rec`` of a recurrent layer (``lifs[i].recurrent_weight``) or ``None``."""
    lifs = getattr(model, "lifs", None)
    if lifs is None:
        return [None] * n
    return [getattr(lif, "recurrent_weight", None) for lif in lifs]


def sc_forward(model, x, T: int, config: SCConfig, constants=None):
    """Output spike counts ``(B, n_output)`` of the SC forward (with straight-through gradients).

    ``x`` is a float tensor ``(B, n_input)`` of probabilities in [0, 1].  ``constants`` defaults to the model's
    export: per layer ``(beta_q, threshold_q)`` (a LIF layer) or ``(beta_q, threshold_q, neuron, params)``, the
    contract's neuron model (``sc.contract.NEURONS``) and its integer constants (``{"alpha_q": 205}``): the
    Synaptic layer's current (``sc.fixed.synaptic_step``), ALIF's adaptive threshold (``alif_step``), Alpha's two
    currents (``alpha_step``), the second-order LIF's inertial term (``second_order_step``), ExpIF's exp table
    (``expif_step``) are stepped in integers before and around the membrane (:data:`_NEURON_STEPS`).  A recurrent
    layer (``SpikingNet(recurrent=True)``) adds the count of its own spikes of the step before through its
    ``W_rec`` codes (``docs/sc-arithmetic.md`` section 14).  Runs in float64 on the device of the model's weights.
    """
    if config.polarity != "signed":
        raise ValueError(f"SC-aware fine-tuning models the signed polarity, not {config.polarity!r}")
    fcs = _linears(model)
    constants = _lif_constants(model, config) if constants is None else constants
    ar = _Arith(config)
    opts = dict(dtype=torch.float64, device=fcs[0].weight.device)
    xq = torch.tensor(quantize_probability(x.detach().cpu().numpy(), config.prob_bits), **opts)
    B = xq.shape[0]
    layers = [_layer(fc, w_rec, li, config, T, opts) for li, (fc, w_rec)
              in enumerate(zip(fcs, _recurrent_weights(model, len(fcs))))]
    layers[0]["x_float"] = xq / float(config.prob_max)
    rin0 = _window(config, 0, ROLE_INPUT, T, opts)
    consts = [(*c, "lif", {}) if len(c) == 2 else tuple(c) for c in constants]
    states = [{name: torch.zeros(B, fc.out_features, **opts) for name in _NEURON_STEPS[c[2]][0]}
              for fc, c in zip(fcs, consts)]
    v = [torch.zeros(B, fc.out_features, **opts) for fc in fcs]
    own = [torch.zeros(B, fc.out_features, **opts) for fc in fcs]  # each layer's spikes of t - 1
    total = 0
    for t in range(T):
        h = None
        for li, lay in enumerate(layers):
            cur, cur_int = _current(ar, lay, t, h, xq, rin0, own[li])
            _, drive, after = _NEURON_STEPS[consts[li][2]]
            vv, theta = drive(ar, consts[li], states[li], v[li], cur, cur_int)
            spike = _surrogate(model, li)((vv - theta) / ar.one).to(torch.float64)
            v_before, v[li] = v[li], vv - spike * theta
            if after is not None:
                after(ar, consts[li], states[li], spike, v_before)
            h = own[li] = spike
        total = total + h
    return total


def sc_finetune(model, config: SCConfig, x_train, y_train, *, epochs: int = 3, T: int = 25, lr: float = 1e-4,
                batch_size: int = 64, seed: int = 0, progress=None):
    """Fine-tune ``model`` (in place) through :func:`sc_forward`; returns the per-epoch mean losses.

    ``x_train`` float probabilities ``(N, n_input)`` in [0, 1], ``y_train`` int labels.
    Cross-entropy on the output spike counts, Adam (``lr`` 1e-4: 5e-4 moved the test accuracy of
    the nets of ``docs/bench/default_source.md`` by up to 2 points either way).  ``progress`` receives
    :class:`~sc_neurocore.progress.ProgressEvent` objects: stage ``"sc-finetune"``, one per batch
    (``done`` of ``epochs * batches``), the epoch's mean loss in ``note`` at the end of each epoch.
    """
    if not isinstance(config, SCConfig):
        raise TypeError(f"config must be an SCConfig, not {config!r}")
    _linears(model)
    for name, val in (("epochs", epochs), ("T", T), ("batch_size", batch_size)):
        if isinstance(val, bool) or not isinstance(val, int) or val < 1:
            raise ValueError(f"{name} must be a positive integer, not {val!r}")
    x = torch.as_tensor(np.asarray(x_train, dtype=np.float32))
    y = torch.as_tensor(np.asarray(y_train, dtype=np.int64))
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"x_train must be (N, n_input) and y_train (N,), got {tuple(x.shape)} and {tuple(y.shape)}")
    quantize_probability(x.numpy(), config.prob_bits)  # NaN or outside [0, 1] raises here, before any work
    device = next(model.parameters()).device
    y = y.to(device)
    constants = _lif_constants(model, config)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    batches = -(-x.shape[0] // batch_size)
    losses = []
    model.train()
    for epoch in range(epochs):
        perm = torch.randperm(x.shape[0], generator=gen)
        total, seen = 0.0, 0
        for b, i in enumerate(range(0, x.shape[0], batch_size)):
            idx = perm[i : i + batch_size]
            counts = sc_forward(model, x[idx], T, config, constants)
            loss = torch.nn.functional.cross_entropy(counts.float(), y[idx.to(device)])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
            seen += len(idx)
            done = epoch * batches + b + 1
            note = f"epoch {epoch + 1} loss {total / seen:.4f}" if b == batches - 1 else ""
            emit(progress, "sc-finetune", done, epochs * batches, note)
        losses.append(total / seen)
    model.eval()
    return losses
