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


def sc_forward(model, x, T: int, config: SCConfig, constants=None):
    """Output spike counts ``(B, n_output)`` of the SC forward (with straight-through gradients).

    ``x`` is a float tensor ``(B, n_input)`` of probabilities in [0, 1].  ``constants`` defaults to the model's
    export: per layer ``(beta_q, threshold_q)`` (a LIF layer) or ``(beta_q, threshold_q, neuron, params)``, the
    contract's neuron model (``sc.contract.NEURONS``) and its integer constants (``{"alpha_q": 205}``): the
    Synaptic layer's current (``sc.fixed.synaptic_step``), ALIF's adaptive threshold (``alif_step``), Alpha's two
    currents (``alpha_step``), the second-order LIF's inertial term (``second_order_step``), ExpIF's exp table
    (``expif_step``) are stepped in integers
    before and around the membrane.  Runs in float64 on the
    device of the model's weights.
    """
    if config.polarity != "signed":
        raise ValueError(f"SC-aware fine-tuning models the signed polarity, not {config.polarity!r}")
    fcs = _linears(model)
    constants = _lif_constants(model, config) if constants is None else constants
    k, L = config.prob_bits, config.length
    qmax = float(config.prob_max)
    fmt = config.membrane
    one = float(fmt.one)
    lo, hi = float(fmt.min_int), float(fmt.max_int)
    bb = config.beta_format.frac_bits
    dtype = torch.float64
    device = fcs[0].weight.device
    opts = dict(dtype=dtype, device=device)
    xq_np = quantize_probability(x.detach().cpu().numpy(), k)
    xq = torch.tensor(xq_np, **opts)
    B = xq.shape[0]

    def window(layer: int, role: int) -> torch.Tensor:
        values = source_values(config, layer, role, T * L).astype(np.int64).reshape(T, L)
        return torch.tensor(values, **opts)

    def sat(z):
        return torch.clamp(z, lo, hi)

    def leak(q, z):  # (q * z) >> bb of the integer value of z, the float value q / 2**bb * z
        return (q / 2.0**bb) * z, torch.floor(q * z.detach() / 2.0**bb)

    layers = []
    for li, fc in enumerate(fcs):
        w = fc.weight.to(dtype)
        s = float(w.detach().abs().max())
        s = s if s > 0 else 1.0
        wq = torch.floor(w.detach().abs() / s * qmax + 0.5) * torch.where(w.detach() < 0, -1.0, 1.0)
        w_ste = w + (wq * s / qmax - w).detach()
        kind = "prob" if li == 0 else "spike"
        m, sh = current_scale(count_real_scale(s, config, kind, stochastic=True), config.scale_bits)
        b = fc.bias.to(dtype) if fc.bias is not None else torch.zeros(w.shape[0], **opts)
        b_q = torch.clamp(torch.floor(b.detach() * one + 0.5), lo, hi)
        layers.append(dict(w=w_ste, wq=wq, m=m, sh=sh, b=b, b_q=b_q, rw=window(li, ROLE_WEIGHT), kind=kind))
    rin0 = window(0, ROLE_INPUT)

    state = [{} for _ in fcs]
    v = [torch.zeros(B, fc.out_features, **opts) for fc in fcs]
    total = 0
    x_float = xq / qmax
    for t in range(T):
        h = None
        for li, lay in enumerate(layers):
            mag, sign = lay["wq"].abs(), torch.sign(lay["wq"])
            wbits = (lay["rw"][t][:, None, None] < mag[None]).to(dtype) * sign[None]  # (L, n_out, n_in)
            if li == 0:
                xbits = (rin0[t][None, :, None] < xq[:, None, :]).to(dtype)  # (B, L, n_in)
                count = xbits.reshape(B, -1) @ wbits.permute(0, 2, 1).reshape(-1, wbits.shape[1])
                inp = x_float
            else:
                count = h.detach() @ wbits.sum(0).T
                inp = h
            cur_int = torch.clamp(torch.floor((count * lay["m"] + 2.0 ** (lay["sh"] - 1)) / 2.0 ** lay["sh"])
                                  + lay["b_q"], lo, hi)
            cur_float = (inp @ lay["w"].T + lay["b"]) * one
            cur = _ste(cur_float, cur_int)
            beta_q, theta_q, *rest = constants[li]
            neuron, p = rest if rest else ("lif", {})
            st = state[li]  # the neuron's states beside its membrane, 0 at the start
            for name in {"synaptic": ("i_syn",), "alif": ("a",), "alpha": ("i_exc", "i_inh"),
                         "second_order": ("a",), "adex": ("w",)}.get(neuron, ()):
                st.setdefault(name, torch.zeros_like(v[li]))
            if neuron == "synaptic":  # the synaptic current integrates the input current first
                f, i = leak(p["alpha_q"], st["i_syn"])
                st["i_syn"] = _ste(f + cur, sat(i + cur_int))
                cur, cur_int = st["i_syn"], st["i_syn"].detach()
            elif neuron == "alpha":  # the positive part excites, the negative part inhibits; their difference drives
                fe, ie = leak(p["alpha_exc_q"], st["i_exc"])
                fh, ih = leak(p["alpha_inh_q"], st["i_inh"])
                st["i_exc"] = _ste(fe + torch.relu(cur), sat(ie + torch.clamp(cur_int, min=0)))
                st["i_inh"] = _ste(fh + torch.relu(-cur), sat(ih + torch.clamp(-cur_int, min=0)))
                cur = st["i_exc"] - st["i_inh"]
                cur_int = cur.detach()
            elif neuron in ("expif", "adex"):  # beta v + (1 - beta) delta_t exp(x) (AdEx: - w): the cell's drive, the
                # contract's integers
                fv = _expif_float(v[li], beta_q, theta_q, p, one, bb)
                iv = _expif_int(v[li].detach(), beta_q, theta_q, p, fmt, bb)
                if neuron == "adex":
                    fv, iv = fv - st["w"], iv - st["w"].detach()
                vv = _ste(fv + cur, sat(iv + cur_int))
            elif neuron == "second_order":  # the inertial term, pulled back by the membrane before the step
                fa, _ = leak(p["alpha_q"], st["a"])
                k_q, f = p["stiffness_q"], fmt.frac_bits
                d = max(bb, f) + f  # alpha_q a - stiffness_q v, exact at d fraction bits, floored once
                exact = (p["alpha_q"] * st["a"].detach() * 2.0 ** (d - bb - f)
                         - k_q * v[li].detach() * 2.0 ** (d - 2 * f))
                st["a"] = _ste(fa + cur - (k_q / one) * v[li], sat(torch.floor(exact / 2.0 ** (d - f)) + cur_int))
                cur, cur_int = st["a"], st["a"].detach()
            if neuron not in ("expif", "adex"):
                fv, iv = leak(beta_q, v[li])
                vv = _ste(fv + cur, sat(iv + cur_int))
            theta = theta_q
            if neuron == "alif":  # the adaptive threshold of the adaptation before the step
                k_q = p["adapt_strength_q"]
                theta = _ste(theta_q + (k_q / one) * st["a"], sat(theta_q + torch.floor(k_q * st["a"].detach() / one)))
            spike = _surrogate(model, li)((vv - theta) / one).to(dtype)
            v_before = v[li]
            v[li] = vv - spike * theta
            if neuron == "adex":  # adapt_decay w + (1 - adapt_decay) a v_before, one floor; + b (saturated) on a spike
                ad, a_q, b_q, f = p["adapt_decay_q"], p["a_q"], p["b_q"], fmt.frac_bits
                fw = (ad / 2.0**bb) * st["w"] + (1 - ad / 2.0**bb) * (a_q / one) * v_before + b_q * spike
                exact = ad * st["w"].detach() * 2.0**f + (2**bb - ad) * a_q * v_before.detach()  # < 2**40: exact
                iw = sat(torch.floor(exact / 2.0 ** (bb + f)))
                st["w"] = _ste(fw, torch.where(spike.detach() > 0, sat(iw + b_q), iw))
            if neuron == "alif":  # the adaptation decays, then a spike adds one
                fa, ia = leak(p["adapt_decay_q"], st["a"])
                st["a"] = _ste(fa + spike * one, sat(sat(ia) + spike.detach() * one))
            h = spike
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
