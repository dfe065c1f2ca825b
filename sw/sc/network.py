"""End-to-end SC inference of a :class:`~sc_neurocore.export.QuantizedNet`, bit-exact, batched.

:class:`SCNetwork` follows the timing contract of ``docs/interfaces.md`` (and
``docs/sc-arithmetic.md``): layer ``l`` at timestep ``t`` uses SC cycles ``t*L .. t*L+L-1``
of its own input and weight sources (restarted at every image), counts with the
accumulative parallel counter, scales the count to a Q8.8 current
(:func:`~sc_neurocore.sc.fixed.scale_count`), and steps its neuron population
(:func:`~sc_neurocore.sc.fixed.neuron_step`: ``lif_step``, or the step of the layer's model -- ``synaptic_step``,
``alif_step``, ``alpha_step``, ``second_order_step`` -- whose other states, a synaptic current, an adaptation, are
kept per neuron); layer ``l > 0`` takes layer ``l-1``'s spikes of
the same timestep, and a recurrent layer (``QuantizedLayer.recurrent_q``) also its own spikes of the timestep
before (none at ``t = 0``): their counts (a spike is a stream of ones) add to the feedforward ones before the
scaling (``docs/sc-arithmetic.md`` section 14).  Counts come from :func:`~sc_neurocore.sc.counting.counts_fast`, which
gives the integers of the bit-level path (:func:`~sc_neurocore.sc.counting.counts_packed`).

:class:`FixedPointNetwork` is the exact rung between float and SC: the same neuron integers,
the count is the exact integer dot product ``sum_i weight_q * x_q`` scaled by
``fxp_mult``/``fxp_shift``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..export import QuantizedNet
from .contract import ROLE_INPUT, ROLE_WEIGHT, SCConfig, quantize_probability
from .conv import conv_counts_gather, or_pool, patches, to_positions
from .counting import (
    LayerArith,
    counts_fast,
    counts_from_spikes,
    counts_packed,
    input_codes,
    prepare_layer,
    spike_weight_counts,
)
from .faults import FaultModel, binary_product_deltas, bitstream_deltas, corrupt_weights, flip_bits
from .fixed import neuron_step, scale_count
from .sources import source_values

__all__ = ["SCTrace", "SCNetwork", "FixedPointNetwork", "MAX_SPIKE_T", "spike_raster", "spike_words"]


@dataclass
class SCTrace:
    """The integers of one run (int64 arrays; lists indexed by layer).

    ``counts (B, n_output)`` output spikes over T; ``prediction (B,)`` argmax, lowest index on
    ties; per layer ``sc_counts``, ``currents``, ``membranes`` (after step and reset) and
    ``spikes``, each ``(T, B, n_l)``, and ``states``: the neurons' other states after the step, a dict
    ``{name: (T, B, n_l)}`` (``{}`` for LIF; ``{"i_syn": ...}`` for Synaptic, ``{"i_exc": ..., "i_inh": ...}`` for
    Alpha).  The per-layer lists are
    empty when run without ``trace``.  A traced run under a bitstream, count or membrane fault also keeps what the
    faults did, per layer ``(T, B, n_l)``: ``faults["count_delta"]`` (the recorded count minus the fault-free count
    of the same inputs) and ``faults["state_xor"]`` (the bits flipped in the membrane after the step): what a fault
    build of the gateware injects (``hw.faults.FaultPlan``).
    """

    counts: np.ndarray
    prediction: np.ndarray
    sc_counts: list = field(default_factory=list)
    currents: list = field(default_factory=list)
    membranes: list = field(default_factory=list)
    spikes: list = field(default_factory=list)
    states: list = field(default_factory=list)
    faults: dict = field(default_factory=dict)


#: Longest spike word (timesteps) a spike-input net takes: the words are int64.
MAX_SPIKE_T = 62


def spike_words(spikes) -> np.ndarray:
    """A spike raster ``(T, B, n)`` (or ``(T, n)``) of 0/1 -> spike words ``(B, n)`` int64: bit ``t`` is the
    spike at timestep ``t`` (the gateware's input word of a spike-input net).  Values other than 0/1, NaN,
    or ``T`` outside ``[1, MAX_SPIKE_T]`` raise ``ValueError``."""
    s = np.asarray(spikes)
    if s.dtype == bool:
        s = s.astype(np.int64)
    if s.dtype.kind not in "iuf":
        raise TypeError(f"a spike raster must hold numbers, not dtype {s.dtype}")
    if s.ndim == 2:
        s = s[:, None]
    if s.ndim != 3:
        raise ValueError(f"a spike raster must be (T, batch, n_input) or (T, n_input), got shape {np.shape(spikes)}")
    if not 1 <= s.shape[0] <= MAX_SPIKE_T:
        raise ValueError(f"a spike raster must have 1..{MAX_SPIKE_T} timesteps, got {s.shape[0]}")
    if s.size and not np.isin(s, (0, 1)).all():
        raise ValueError("a spike raster must hold only 0 and 1 (NaN and other values are refused)")
    bits = s.astype(np.int64)
    weights = np.left_shift(np.int64(1), np.arange(s.shape[0], dtype=np.int64))
    return np.tensordot(weights, bits, axes=(0, 0)).astype(np.int64)


def spike_raster(words, T: int) -> np.ndarray:
    """Spike words ``(B, n)`` -> the raster ``(T, B, n)`` int64 of 0/1 (inverse of :func:`spike_words`)."""
    w = np.asarray(words, dtype=np.int64)
    return (w[None] >> np.arange(T, dtype=np.int64).reshape((T,) + (1,) * w.ndim)) & 1


def _concat(parts: list, trace: bool) -> SCTrace:
    """One :class:`SCTrace` of consecutive batches."""
    if len(parts) == 1:
        return parts[0]
    res = SCTrace(
        counts=np.concatenate([p.counts for p in parts]),
        prediction=np.concatenate([p.prediction for p in parts]),
    )
    if trace:
        for name in ("sc_counts", "currents", "membranes", "spikes"):
            n_layers = len(getattr(parts[0], name))
            setattr(res, name, [np.concatenate([getattr(p, name)[li] for p in parts], axis=1) for li in range(n_layers)])
        res.states = [{k: np.concatenate([p.states[li][k] for p in parts], axis=1) for k in st}
                      for li, st in enumerate(parts[0].states)]
        res.faults = {k: [np.concatenate([p.faults[k][li] for p in parts], axis=1) for li in range(len(v))]
                      for k, v in parts[0].faults.items()}
    return res


def _check_T(T) -> int:
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T (timesteps) must be a positive integer, not {T!r}")
    return int(T)


def _check_qnet(qnet) -> QuantizedNet:
    if not isinstance(qnet, QuantizedNet):
        raise TypeError(f"expected a QuantizedNet, not {type(qnet).__name__}")
    return qnet


class _Base:
    """Shared input checking and the time loop."""

    def __init__(self, qnet: QuantizedNet):
        self.qnet = _check_qnet(qnet)
        self.config: SCConfig = qnet.config

    @property
    def n_input(self) -> int:
        return self.qnet.n_input

    @property
    def n_output(self) -> int:
        return self.qnet.n_output

    @property
    def spike_input(self) -> bool:
        """The first layer takes spikes (``input_kind == "spike"``): its inputs are spike words, not codes."""
        return self.qnet.spike_input

    def _codes(self, xq, T: int | None = None) -> np.ndarray:
        xq = np.asarray(xq)
        what = "spike words" if self.spike_input else "input codes"
        if xq.dtype.kind not in "iu":
            raise TypeError(f"{what} must be integers, not dtype {xq.dtype}")
        if xq.ndim == 1:
            xq = xq[None]
        if xq.ndim != 2 or xq.shape[1] != self.n_input:
            raise ValueError(f"{what} must be (batch, {self.n_input}), got shape {xq.shape}")
        if self.spike_input:
            q = (1 << (T if T is not None else MAX_SPIKE_T)) - 1
            if xq.size and (xq.min() < 0 or int(xq.max()) > q):
                raise ValueError(f"spike words of T={T} timesteps must be in [0, 2**{T} - 1], "
                                 f"got [{xq.min()}, {xq.max()}]")
        else:
            q = self.config.prob_max
            if xq.size and (xq.min() < 0 or xq.max() > q):
                raise ValueError(f"input codes must be in [0, {q}], got [{xq.min()}, {xq.max()}]")
        return xq.astype(np.int64)

    def _quantize(self, x) -> np.ndarray:
        if self.spike_input:
            raise ValueError("this net takes spike-encoded inputs: use run_spikes/predict_spikes with a (T, batch, "
                             f"{self.n_input}) raster, or run_codes with spike words")
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 1:
            x = x[None]
        return self._codes(quantize_probability(x, self.config.prob_bits))

    def predict_spikes(self, spikes) -> np.ndarray:
        """Output spike counts for a spike raster ``(T, B, n_input)`` of 0/1 (a spike-input net)."""
        return self.run_spikes(spikes, trace=False).counts

    def run_spikes(self, spikes, trace: bool = True) -> SCTrace:
        """Run a spike raster ``(T, B, n_input)`` (or ``(T, n_input)``) of 0/1 values through a spike-input net
        (``rate_encode``/``latency_encode``/``delta_encode`` output); T is the raster's first axis."""
        if not self.spike_input:
            raise ValueError("this net's first layer takes probability codes (input_kind 'prob'), not spikes: "
                             "export it with input_kind='spike' to run rasters")
        words = spike_words(spikes)
        return self.run_codes(words, int(np.shape(spikes)[0]), trace=trace)

    def predict(self, x, T: int = 25) -> np.ndarray:
        """Output spike counts ``(B, n_output)`` for probabilities ``x`` ``(B, n_input)`` in [0, 1]."""
        return self.run(x, T, trace=False).counts

    def predict_codes(self, xq, T: int = 25) -> np.ndarray:
        """Output spike counts for k-bit integer input codes."""
        return self.run_codes(xq, T, trace=False).counts

    def run(self, x, T: int = 25, trace: bool = True) -> SCTrace:
        """Run float probabilities ``x`` (quantised with ``quantize_probability``)."""
        return self.run_codes(self._quantize(x), T, trace=trace)

    def run_codes(self, xq, T: int = 25, trace: bool = True, batch_size: int = 4096, *, faults=None) -> SCTrace:
        """Run k-bit input codes ``(B, n_input)`` for ``T`` timesteps; see :class:`SCTrace`.

        ``faults``: a :class:`~sc_neurocore.sc.faults.FaultModel` (bit flips into the bitstreams, counts,
        membranes or weights, drawn per batch of ``batch_size`` images), or ``None``.

        A spike-input net (``qnet.spike_input``) takes *spike words* instead: input ``i``'s spike at timestep
        ``t`` is bit ``t`` of ``xq[b, i]`` (:func:`spike_words`; what the gateware's input stream carries)."""
        T = _check_T(T)
        xq = self._codes(xq, T)
        if self.qnet.has_conv:  # bound the (T, batch, neurons) arrays of a conv layer's positions
            widest = max(layer.n_neurons for layer in self.qnet.layers)
            batch_size = max(1, min(batch_size, (1 << 24) // (T * widest)))
        if faults is not None:
            if any(layer.recurrent for layer in self.qnet.layers):
                raise ValueError("fault injection is not modelled for recurrent layers yet: run it on a feedforward net")
            if self.qnet.has_conv:
                raise ValueError("fault injection is not modelled for conv layers yet: run it on a dense net")
            if not isinstance(faults, FaultModel):
                raise TypeError(f"faults must be a sc.faults.FaultModel or None, not {faults!r}")
            if faults.site == "weights":
                return self._run_corrupted(xq, T, trace, batch_size, faults)
            if faults.site == "bitstream" and self.config.polarity != "signed":
                raise ValueError("bitstream faults are modelled for the signed polarity (the gateware's) only")
        self._faults = faults
        try:
            parts = [self._run_batch(xq[i : i + batch_size], T, trace) for i in range(0, max(len(xq), 1), batch_size)]
        finally:
            self._faults = None
        return _concat(parts, trace)

    def _run_corrupted(self, xq, T, trace, batch_size, faults) -> SCTrace:
        """A weights fault: the same net with upset weight words, for the run or drawn per image."""
        if faults.persist == "run":
            return self._with_qnet(corrupt_weights(self.qnet, faults)).run_codes(xq, T, trace, batch_size)
        parts = [self._with_qnet(corrupt_weights(self.qnet, faults, b)).run_codes(xq[b : b + 1], T, trace)
                 for b in range(len(xq))]
        return _concat(parts, trace)

    def _with_qnet(self, qnet):  # the same kind of model for another net
        return type(self)(qnet)

    def _layer_inputs(self, li, t, xq, T, s_prev):
        """The values layer ``li`` takes at ``t``: codes (layer 0 of a probability net) or spikes."""
        if li > 0:
            return s_prev
        return spike_raster(xq, T)[t] if self.spike_input else xq

    def _fault_counts(self, li, t, c, inputs, faults):  # counts under a bitstream or count fault
        raise NotImplementedError

    # subclasses: counts of layer l at timestep t (or all timesteps for layer 0)
    def _layer0_counts(self, xq, T) -> np.ndarray:  # (T, B, n_0)
        raise NotImplementedError

    def _spike_counts(self, li, t, spikes_prev) -> np.ndarray:  # (B, n_l)
        raise NotImplementedError

    def _scaling(self, li) -> tuple[int, int]:
        raise NotImplementedError

    def _recurrent_counts(self, li, t, own_prev) -> np.ndarray:  # (B, n_l): W_rec's count of the spikes of t - 1
        raise NotImplementedError

    def _run_batch(self, xq, T, trace) -> SCTrace:
        cfg = self.config
        fmt = cfg.membrane
        beta_bits = cfg.beta_format.frac_bits
        batch = xq.shape[0]
        layers = self.qnet.layers
        c0 = self._layer0_counts(xq, T)
        state = [{s: np.zeros((batch, layer.n_neurons), dtype=np.int64) for s in layer.model.states}
                 for layer in layers]
        out_counts = np.zeros((batch, self.n_output), dtype=np.int64)
        rec = {name: [np.empty((T, batch, layer.n_neurons), dtype=np.int64) for layer in layers] for name in
               ("sc_counts", "currents", "membranes", "spikes")} if trace else None
        extra = [{s: np.empty((T, batch, layer.n_neurons), dtype=np.int64) for s in layer.model.extra_states}
                 for layer in layers] if trace else None
        faults = getattr(self, "_faults", None)
        injected = ({k: [np.zeros((T, batch, layer.n_neurons), dtype=np.int64) for layer in layers]
                     for k in ("count_delta", "state_xor")} if trace and faults is not None else None)
        scal = [self._scaling(li) for li in range(len(layers))]
        biases = [layer.neuron_bias_q() for layer in layers]
        own = [np.zeros((batch, layer.n_neurons), dtype=np.int64) if layer.recurrent else None for layer in layers]
        for t in range(T):
            s_prev = None
            for li, layer in enumerate(layers):
                c = c0[t] if li == 0 else self._spike_counts(li, t, s_prev)
                if layer.recurrent:  # the layer's own spikes of t - 1, more spike inputs of the same count
                    c = c + self._recurrent_counts(li, t, own[li])
                if faults is not None and faults.site in ("bitstream", "count"):
                    clean = c
                    c = self._fault_counts(li, t, c, self._layer_inputs(li, t, xq, T, s_prev), faults)
                    if injected is not None:
                        injected["count_delta"][li][t] = c - clean
                m, sh = scal[li]
                cur = scale_count(c, m, sh, biases[li], fmt)
                state[li], s = neuron_step(layer.neuron, state[li], cur, int(layer.beta_q), int(layer.threshold_q),
                                           layer.neuron_params, fmt, beta_bits, reset=layer.reset,
                                           reset_q=layer.reset_q)
                if trace:
                    rec["sc_counts"][li][t] = c
                    rec["currents"][li][t] = cur
                    rec["membranes"][li][t] = state[li]["v"]
                    rec["spikes"][li][t] = s
                    for name, arr in extra[li].items():
                        arr[t] = state[li][name]
                if faults is not None and faults.site == "membrane":  # an upset of the register between steps:
                    # the trace holds the step's result, the next step starts from the upset value
                    before = state[li]["v"]
                    state[li]["v"] = flip_bits(before, fmt.width, faults.rate, faults.rng(li, t))
                    if injected is not None:
                        injected["state_xor"][li][t] = (before ^ state[li]["v"]) & ((1 << fmt.width) - 1)
                if layer.recurrent:
                    own[li] = s
                # a conv layer hands on its spikes OR-pooled (the trace keeps every position's)
                s_prev = s if layer.conv is None else or_pool(s, layer.weight_q.shape[0], layer.conv)
            out_counts += s_prev
        res = SCTrace(counts=out_counts, prediction=np.argmax(out_counts, axis=1).astype(np.int64))
        if trace:
            res.sc_counts, res.currents, res.membranes, res.spikes = (
                rec["sc_counts"], rec["currents"], rec["membranes"], rec["spikes"])
            res.states = extra
            res.faults = injected or {}
        return res


class SCNetwork(_Base):
    """Bit-exact SC model of a :class:`QuantizedNet` (its ``config`` fixes L, sources, seeds, polarity).

    ``polarity`` overrides ``qnet.config.polarity`` (``"signed"``: the hardware; ``"bipolar"``;
    ``"minmax"``: the documentation's min-max path).  ``exact_bits=True`` counts with the
    packed bit-level reference instead of the tables (slow; for tests).
    """

    def __init__(self, qnet: QuantizedNet, polarity: str | None = None, *, exact_bits: bool = False):
        super().__init__(qnet)
        pol = self.config.polarity if polarity is None else polarity
        if pol != self.config.polarity:
            self.config = self.config.replace(polarity=pol)
        self.polarity = pol
        self.arith: list[LayerArith] = [prepare_layer(layer, self.config, pol) for layer in qnet.layers]
        if pol == "minmax" and any(layer.recurrent for layer in qnet.layers):
            raise ValueError("the min-max polarity maps each layer's codes to [0, Q] on their own: it has no "
                             "recurrent layers; use 'signed' or 'bipolar'")
        # a recurrent layer's W_rec: spike inputs (a stream of ones per spike) under the layer's sources
        self.rec_arith = [prepare_layer(replace(layer, weight_q=layer.recurrent_q, input_kind="spike"), self.config,
                                        pol) if layer.recurrent else None for layer in qnet.layers]
        self.exact_bits = bool(exact_bits)
        self._sources: dict = {}

    @classmethod
    def from_quantized(cls, qnet: QuantizedNet, **kwargs) -> SCNetwork:
        return cls(qnet, **kwargs)

    @classmethod
    def from_spiking_net(cls, model, config: SCConfig | None = None, **kwargs) -> SCNetwork:
        """``from_quantized(model.to_quantized(config))``."""
        return cls.from_quantized(model.to_quantized(config), **kwargs)

    def windows(self, layer: int, role: int, T: int) -> np.ndarray:
        """Random numbers of a layer's source for T timesteps, ``(T, L)`` int64 (cached)."""
        key = (layer, role, T)
        if key not in self._sources:
            vals = source_values(self.config, layer, role, T * self.config.length)
            self._sources[key] = vals.astype(np.int64).reshape(T, self.config.length)
        return self._sources[key]

    def _count(self, li, codes, t0, t1, T):
        a = self.arith[li]
        rin = self.windows(li, ROLE_INPUT, T)[t0:t1] if a.needs_input_source else None
        rw = self.windows(li, ROLE_WEIGHT, T)[t0:t1]
        fn = counts_packed if self.exact_bits else counts_fast
        return fn(codes, a, rin, rw, self.config.prob_bits)

    def _run_batch(self, xq, T, trace):
        self._T = T
        return super()._run_batch(xq, T, trace)

    def _with_qnet(self, qnet):
        return type(self)(qnet, self.polarity, exact_bits=self.exact_bits)

    def _fault_counts(self, li, t, c, inputs, faults):
        a, cfg = self.arith[li], self.config
        rng = faults.rng(li, t)
        if faults.site == "count":  # the count word: the engine's width, (n_in * L).bit_length() + 1
            return flip_bits(c, (a.n_in * cfg.length).bit_length() + 1, faults.rate, rng)
        codes = input_codes(a, inputs, cfg.prob_bits)
        rin = self.windows(li, ROLE_INPUT, self._T)[t] if a.needs_input_source else None
        rw = self.windows(li, ROLE_WEIGHT, self._T)[t]
        return c + bitstream_deltas(rng, faults.rate, codes, a.mag, a.sign, rin, rw, a.needs_input_source,
                                    1 << cfg.prob_bits)

    def _layer0_counts(self, xq, T):
        if self.spike_input:
            raster = spike_raster(xq, T)
            return np.stack([self._spike_counts(0, t, raster[t]) for t in range(T)])
        geom = self.qnet.layers[0].conv
        if geom is None:
            codes = input_codes(self.arith[0], xq, self.config.prob_bits)
            return self._count(0, codes, 0, T, T)
        a = self.arith[0]  # a first conv layer: every position's patch, counted against the kernels
        codes = input_codes(a, patches(xq, geom), self.config.prob_bits)
        rin = self.windows(0, ROLE_INPUT, T) if a.needs_input_source else None
        rw = self.windows(0, ROLE_WEIGHT, T)
        if self.exact_bits:
            rows = counts_packed(codes, a, rin, rw, self.config.prob_bits)
        else:
            rows = conv_counts_gather(codes, a.op, a.mag, a.sign, rin, rw, self.config.prob_bits)
        return to_positions(rows, xq.shape[0], geom)

    def _spike_counts(self, li, t, spikes_prev):
        a = self.arith[li]
        geom = self.qnet.layers[li].conv
        inputs = spikes_prev if geom is None else patches(spikes_prev, geom)  # a conv layer: patch rows
        if a.op == "and" and not self.exact_bits:  # spikes gate precomputed per-window weight counts
            key = ("spike", li, self._T)
            if key not in self._sources:
                rw = self.windows(li, ROLE_WEIGHT, self._T)
                self._sources[key] = spike_weight_counts(a, rw, self.config.prob_bits)
            c = counts_from_spikes(inputs, self._sources[key][t])  # exact: it picks float32/64 by the bound
        else:
            codes = input_codes(self.arith[li], inputs, self.config.prob_bits)
            c = self._count(li, codes, t, t + 1, self._T)[0]
        return c if geom is None else to_positions(c, spikes_prev.shape[0], geom)

    def _scaling(self, li):
        return self.arith[li].mult, self.arith[li].shift

    def _recurrent_counts(self, li, t, own_prev):
        a = self.rec_arith[li]
        rw = self.windows(li, ROLE_WEIGHT, self._T)
        if a.op == "and" and not self.exact_bits:
            key = ("recurrent", li, self._T)
            if key not in self._sources:
                self._sources[key] = spike_weight_counts(a, rw, self.config.prob_bits)
            return counts_from_spikes(own_prev, self._sources[key][t])
        codes = input_codes(a, own_prev, self.config.prob_bits)
        rin = self.windows(li, ROLE_INPUT, self._T)[t : t + 1] if a.needs_input_source else None
        fn = counts_packed if self.exact_bits else counts_fast
        return fn(codes, a, rin, rw[t : t + 1], self.config.prob_bits)[0]


class FixedPointNetwork(_Base):
    """The exact integer rung: ``C = sum_i weight_q * x_q`` (spikes count as 1), scaled by
    ``fxp_mult``/``fxp_shift``, then the same neuron integers as :class:`SCNetwork`."""

    @classmethod
    def from_quantized(cls, qnet: QuantizedNet) -> FixedPointNetwork:
        return cls(qnet)

    def __init__(self, qnet: QuantizedNet):
        super().__init__(qnet)
        self._w = [np.asarray(layer.weight_q, dtype=np.float64).T for layer in qnet.layers]
        # a spike into a probability layer is the code 2**k (a stream of ones); into a spike layer, 1
        self._rec = [np.asarray(layer.recurrent_q, dtype=np.float64).T
                     * (1 << qnet.config.prob_bits if layer.input_kind == "prob" else 1)
                     if layer.recurrent else None for layer in qnet.layers]

    def _layer0_counts(self, xq, T):
        if self.spike_input:
            return np.stack([self._spike_counts(0, t, s) for t, s in enumerate(spike_raster(xq, T))])
        c = self._exact(0, xq)
        return np.broadcast_to(c, (T,) + c.shape)

    def _spike_counts(self, li, t, spikes_prev):
        return self._exact(li, spikes_prev)

    def _exact(self, li, values):
        """``sum_i weight_q * x`` per neuron (a conv layer: per patch row, then per position); ``|C| < 2**53``."""
        geom = self.qnet.layers[li].conv
        rows = values if geom is None else patches(values, geom)
        c = np.rint(rows.astype(np.float64) @ self._w[li]).astype(np.int64)
        return c if geom is None else to_positions(c, values.shape[0], geom)

    def _recurrent_counts(self, li, t, own_prev):
        return np.rint(own_prev.astype(np.float64) @ self._rec[li]).astype(np.int64)

    def _fault_counts(self, li, t, c, inputs, faults):
        layer, k = self.qnet.layers[li], self.config.prob_bits
        prob = layer.input_kind == "prob"
        rng = faults.rng(li, t)
        if faults.site == "count":  # the exact count's word: room for n_in products of 2k (or k) bits
            top = layer.n_in * ((1 << k) - 1) * (((1 << k) - 1) if prob else 1)
            return flip_bits(c, top.bit_length() + 1, faults.rate, rng)
        return c + binary_product_deltas(rng, faults.rate, inputs, np.asarray(layer.weight_q), 2 * k if prob else k)

    def _scaling(self, li):
        layer = self.qnet.layers[li]
        return int(layer.fxp_mult), int(layer.fxp_shift)
