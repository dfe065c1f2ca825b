"""The signed export: one object that the SC model, the gateware and the co-simulation consume.

A :class:`QuantizedNet` is a trained SpikingNet turned into the contract's integers for one
:class:`~sc_neurocore.sc.contract.SCConfig`: per layer the signed k-bit weight codes
(sign + magnitude, ``|weight_q| <= 2**k - 1``), the per-layer weight scale ``s = max|W|``,
Q8.8 biases and threshold, the Q0.8 leak, and the count -> current multiplier/shift for SC
(``scale_mult``/``scale_shift``) and for the exact fixed-point rung (``fxp_mult``/``fxp_shift``).

Layer 0 takes k-bit input probabilities (``input_kind="prob"``) or, for a net fed spike-encoded inputs,
spikes (``input_kind="spike"``); every later layer takes the previous layer's spikes (``input_kind="spike"``).  Each layer names its neuron model
(:data:`~sc_neurocore.sc.contract.NEURONS`: ``"lif"``; ``"synaptic"`` with its ``alpha_q``; ``"alif"`` with its
``adapt_decay_q`` and ``adapt_strength_q``; ``"alpha"`` with its ``alpha_exc_q`` and ``alpha_inh_q``;
``"second_order"`` with its ``alpha_q`` and ``stiffness_q``; ``"expif"`` with its ``v_rheobase_q`` and ``delta_t_q``,
which every layer shares with its ``threshold_q``: one ``exp`` table for the net; ``"adex"`` with ExpIF's two and its
``adapt_decay_q``, ``a_q``, ``b_q``), whose
states every neuron carries.  A model is a name and its constants in the schema-3 layout: a new model needs no
new schema.  A dense layer may be *recurrent* (``recurrent_q``: ``W_rec``, the layer's own spikes of the previous
timestep as more inputs; schema 5; ``docs/sc-arithmetic.md`` section 14).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from .sc.contract import (
    NEURONS,
    FixedPoint,
    NeuronModel,
    SCConfig,
    check_lif_constants,
    check_neuron_constants,
    count_real_scale,
    current_scale,
    expif_table_bounds,
    quantize_beta,
)
from .sc.geometry import ConvGeometry

__all__ = ["QuantizedLayer", "QuantizedNet", "EXPORT_SCHEMA", "FLOAT_RESETS", "check_shared"]

#: Version of the ``.npz`` layout written by :meth:`QuantizedNet.save` (2: per-layer ``reset``, ``reset_q``;
#: 3: per-layer ``neuron`` and ``neuron_params``; 4: per-layer ``conv`` geometry; 5: per-layer ``recurrent_q``).
EXPORT_SCHEMA = 5
#: Schemas :meth:`QuantizedNet.load` reads (a schema-1 file has subtract resets only; schemas 1 and 2 have LIF
#: neurons only; schemas 1 to 3 dense layers only; schemas 1 to 4 no recurrent layers).
READ_SCHEMAS = (1, 2, 3, 4, 5)
#: The float models' reset names (``SpikingNet(reset=...)``) that :meth:`QuantizedNet.from_float` takes.
FLOAT_RESETS = ("subtract", "zero", "subtract-delayed")


@dataclass(frozen=True, eq=False)
class QuantizedLayer:
    """One dense or conv layer + its neuron population in contract integers.

    Attributes
    ----------
    weight_q : int64 array (n_out, n_in), or (out_c, C*k*k) for a conv layer
        Signed weight codes in ``[-(2**k-1), 2**k-1]``: ``round((2**k-1) * |w| / s) * sign(w)``; a conv layer's
        rows are its kernels, taps in ``(c, dy, dx)`` order.
    weight_scale : float
        ``s = max |W|`` of the float layer (1.0 for an all-zero layer).
    bias_q : int64 array (n_out,), or (out_c,) for a conv layer
        Q8.8 bias, added to the current every timestep (a conv layer's: one per output channel).
    beta_q : int
        Leak, unsigned Q0.8 in ``[0, 256]`` (256: no leak, integrate-and-fire).
    threshold_q : int
        Threshold, Q8.8, > 0.
    input_kind : ``"prob"`` | ``"spike"``
    scale_mult, scale_shift : int
        SC count -> Q8.8 current (:func:`~sc_neurocore.sc.fixed.scale_count`).
    fxp_mult, fxp_shift : int
        Exact integer count ``sum(weight_q * x_q)`` -> Q8.8 current (fixed-point rung).
    reset : ``"subtract"`` | ``"zero"``
        What a spike does to the membrane (:data:`~sc_neurocore.sc.contract.RESETS`).
    reset_q : int or None
        Q8.8 amount a subtract reset subtracts; ``None``: ``threshold_q`` (snnTorch's delayed
        reset: ``theta / beta``).
    neuron : str
        The neuron model (:data:`~sc_neurocore.sc.contract.NEURONS`): ``"lif"`` (one state, the membrane),
        ``"synaptic"`` (a synaptic current ``i_syn``, then the membrane), ``"alif"`` (an adaptation ``a`` and the
        membrane), ``"alpha"`` (the currents ``i_exc``, ``i_inh``, then the membrane), ``"second_order"`` (an
        inertial term ``a``, then the membrane), ``"expif"`` (the membrane, driven by an ``exp`` table) or ``"adex"``
        (an adaptation ``w``, then the ExpIF membrane it is subtracted from).
    neuron_params : dict
        The model's extra constants: ``{"alpha_q": int}`` for ``"synaptic"`` (the synaptic current's leak,
        in the leak's format like ``beta_q``), ``{"adapt_decay_q", "adapt_strength_q"}`` for ``"alif"`` (a leak
        and a gain in the membrane format), ``{"alpha_exc_q", "alpha_inh_q"}`` for ``"alpha"`` (two leaks),
        ``{"alpha_q", "stiffness_q"}`` for ``"second_order"`` (a leak and a gain), ``{"v_rheobase_q", "delta_t_q"}``
        for ``"expif"`` (in the membrane format, ``v_rheobase_q`` signed; the same in every layer of the net, as
        ``threshold_q``: :func:`check_shared`), the same and ``{"adapt_decay_q", "a_q", "b_q"}`` for ``"adex"`` (a leak,
        a signed level and a gain, per layer); empty for ``"lif"``.
    conv : :class:`~sc_neurocore.sc.conv.ConvGeometry` or None
        ``None`` for a dense layer; a conv layer's input shape, kernel, padding and OR pooling
        (:mod:`sc_neurocore.sc.conv`): its neurons are the ``out_c * H' * W'`` output positions and it hands the
        next layer their pooled spikes.
    """

    weight_q: np.ndarray
    weight_scale: float
    bias_q: np.ndarray
    beta_q: int
    threshold_q: int
    input_kind: str
    scale_mult: int
    scale_shift: int
    fxp_mult: int
    fxp_shift: int
    reset: str = "subtract"
    reset_q: int | None = None
    neuron: str = "lif"
    neuron_params: dict = field(default_factory=dict)
    conv: ConvGeometry | None = None
    recurrent_q: np.ndarray | None = None

    @property
    def recurrent(self) -> bool:
        """The layer reads its own spikes of the previous timestep (:attr:`recurrent_q`)."""
        return self.recurrent_q is not None

    @property
    def model(self) -> NeuronModel:
        """The neuron model (its states and extra constants)."""
        return NEURONS[self.neuron]

    @property
    def float_reset(self) -> str:
        """The float model's name of this layer's reset (:data:`FLOAT_RESETS`)."""
        if self.reset == "zero":
            return "zero"
        return "subtract" if self.reset_q is None or self.reset_q == self.threshold_q else "subtract-delayed"

    @property
    def is_conv(self) -> bool:
        return self.conv is not None

    @property
    def n_in(self) -> int:
        """Inputs the layer takes (``C*H*W`` for a conv layer)."""
        return int(self.weight_q.shape[1]) if self.conv is None else self.conv.n_in

    @property
    def n_neurons(self) -> int:
        """Neurons (states) of the layer: ``n_out`` for a dense layer, ``out_c * H' * W'`` for a conv layer."""
        return int(self.weight_q.shape[0]) if self.conv is None else self.conv.n_neurons(self.weight_q.shape[0])

    @property
    def n_out(self) -> int:
        """Values the layer hands on (a conv layer's pooled spikes: ``out_c * (H'//pool) * (W'//pool)``)."""
        return int(self.weight_q.shape[0]) if self.conv is None else self.conv.n_out(self.weight_q.shape[0])

    def neuron_bias_q(self) -> np.ndarray:
        """The Q8.8 bias of every neuron, ``(n_neurons,)`` (a conv layer's channel bias repeated over positions)."""
        if self.conv is None:
            return self.bias_q
        return np.repeat(self.bias_q, self.conv.positions)

    @property
    def weight_sign(self) -> np.ndarray:
        """1 where the weight is negative, else 0 (uint8, the hardware's sign bit)."""
        return (self.weight_q < 0).astype(np.uint8)

    @property
    def weight_mag(self) -> np.ndarray:
        """k-bit magnitudes (int64)."""
        return np.abs(self.weight_q)


@dataclass(frozen=True, eq=False)
class QuantizedNet:
    """A whole dense net in contract integers, for one :class:`SCConfig`: any widths, each layer its own leak,
    threshold and scales (``SpikingNet(sizes=...)``, ``sc_neurocore.nir.from_nir``)."""

    layers: tuple[QuantizedLayer, ...]
    config: SCConfig

    @property
    def n_input(self) -> int:
        return self.layers[0].n_in

    @property
    def n_output(self) -> int:
        return self.layers[-1].n_out

    @property
    def spike_input(self) -> bool:
        """The first layer takes spikes (``input_kind == "spike"``: a rate/latency/delta-encoded input, one spike
        word per input, bit ``t`` the spike at timestep ``t``) instead of probability codes."""
        return self.layers[0].input_kind == "spike"

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.n_input,) + tuple(layer.n_out for layer in self.layers)

    def describe(self) -> str:
        """The shape in words: ``64-128-10`` for a dense net; ``1x28x28-12c5-pool2-32c5-pool2-10`` with conv
        layers (``p1`` after the kernel for a padding of 1)."""
        first = self.layers[0].conv
        parts = [f"{first.in_channels}x{first.height}x{first.width}" if first is not None else str(self.n_input)]
        for layer in self.layers:
            g = layer.conv
            if g is None:
                parts.append(str(layer.n_out))
                continue
            parts.append(f"{layer.weight_q.shape[0]}c{g.kernel}" + (f"p{g.padding}" if g.padding else ""))
            if g.pool > 1:
                parts.append(f"pool{g.pool}")
        return "-".join(parts)

    @property
    def has_conv(self) -> bool:
        """Some layer is a conv layer (:attr:`QuantizedLayer.conv`)."""
        return any(layer.conv is not None for layer in self.layers)

    @property
    def extra_states(self) -> tuple[str, ...]:
        """The states beyond the membrane that some layer's neurons carry (``("i_syn",)`` for a Synaptic net),
        in the order of the models' records; ``()`` for a LIF net."""
        out: list[str] = []
        for layer in self.layers:
            out += [s for s in layer.model.extra_states if s not in out]
        return tuple(out)

    @classmethod
    def from_float(cls, weights, biases, betas, thresholds, config: SCConfig | None = None, *,
                   resets=None, neurons=None, neuron_params=None, input_kind: str = "prob",
                   convs=None, recurrent=None) -> QuantizedNet:
        """Quantise float layers (lists, one entry per layer; weights ``(n_out, n_in)``).

        Biases may be ``None`` entries (no bias).  ``betas`` in [0, 1] (1: no leak, ``beta_q = 256``),
        ``thresholds`` > 0.  ``resets``: ``None`` (subtract everywhere) or one of :data:`FLOAT_RESETS`
        per layer; ``"subtract-delayed"`` becomes a subtract reset of ``theta / beta`` (``beta > 0``).
        ``neurons``: ``None`` (LIF everywhere), one name of :data:`~sc_neurocore.sc.contract.NEURONS` or one
        per layer; ``neuron_params``: per layer the model's float decays (``{"alpha": 0.8}`` for
        ``"synaptic"``, each in [0, 1], quantised like ``beta``) and gains (``>= 0``, in the membrane format;
        ALIF's ``adapt_strength``, the second-order LIF's ``stiffness``, ExpIF's ``delta_t``) and levels (any value of
        the membrane format: ExpIF's ``v_rheobase``), ``None`` for none.  A model with shared constants (ExpIF:
        ``threshold``, ``v_rheobase``, ``delta_t``) takes the same in every layer (:func:`check_shared`).
        ``input_kind``: what the first layer takes: ``"prob"`` (probability codes, a constant current) or
        ``"spike"`` (a spike raster: rate-, latency- or delta-encoded inputs).
        ``convs``: ``None`` (every layer dense) or per layer a :class:`~sc_neurocore.sc.conv.ConvGeometry` (a conv
        layer: weights ``(out_c, C*k*k)``, one bias per output channel) or ``None`` (dense).
        ``recurrent``: ``None`` (no recurrent layer) or per layer a float ``(n_out, n_out)`` ``W_rec`` (a recurrent
        dense layer, :attr:`QuantizedLayer.recurrent_q`, quantised with the layer's ``W`` under one scale) or
        ``None``.
        NaN/inf anywhere raises ``ValueError``; mismatched shapes raise ``ValueError``.
        """
        if input_kind not in ("prob", "spike"):
            raise ValueError(f"input_kind must be 'prob' or 'spike', not {input_kind!r}")
        config = SCConfig() if config is None else config
        if not isinstance(config, SCConfig):
            raise TypeError(f"config must be an SCConfig, not {config!r}")
        weights = list(weights)
        n = len(weights)
        if n == 0:
            raise ValueError("a network needs at least one layer")
        biases, betas, thresholds = list(biases), list(betas), list(thresholds)
        resets = ["subtract"] * n if resets is None else [resets] * n if isinstance(resets, str) else list(resets)
        neurons = ["lif"] * n if neurons is None else [neurons] * n if isinstance(neurons, str) else list(neurons)
        neuron_params = [None] * n if neuron_params is None else list(neuron_params)
        convs = [None] * n if convs is None else list(convs)
        recurrent = [None] * n if recurrent is None else list(recurrent)
        for name, seq in (("biases", biases), ("betas", betas), ("thresholds", thresholds), ("resets", resets),
                          ("neurons", neurons), ("neuron_params", neuron_params), ("convs", convs),
                          ("recurrent", recurrent)):
            if len(seq) != n:
                raise ValueError(f"{name} has {len(seq)} entries for {n} layers")
        fmt, bfmt = config.membrane, config.beta_format
        qmax = config.prob_max
        layers = []
        prev_out = None
        for i, (w, b, beta, theta, reset) in enumerate(zip(weights, biases, betas, thresholds, resets)):
            nparams = _neuron_params(neurons[i], neuron_params[i], bfmt, fmt, i)
            if NEURONS[neurons[i]].resets == ("subtract",) and reset != "subtract":
                what = "its adaptive threshold" if neurons[i] == "alif" else "its threshold"
                raise ValueError(f"layer {i}: an {neurons[i]!r} neuron resets by subtracting {what}, not {reset!r}")
            w = np.asarray(w, dtype=np.float64)
            if w.ndim != 2:
                raise ValueError(f"layer {i}: weights must be 2-D (n_out, n_in), got shape {w.shape}")
            if not np.isfinite(w).all():
                raise ValueError(f"layer {i}: weights contain NaN or inf")
            geom = convs[i]
            if geom is not None and not isinstance(geom, ConvGeometry):
                raise TypeError(f"layer {i}: convs entries must be ConvGeometry or None, not {geom!r}")
            if geom is not None and w.shape[1] != geom.taps:
                raise ValueError(f"layer {i}: kernels of {w.shape[1]} taps, the geometry has {geom.taps} "
                                 f"({geom.in_channels}x{geom.kernel}x{geom.kernel})")
            n_in = w.shape[1] if geom is None else geom.n_in
            if prev_out is not None and n_in != prev_out:
                raise ValueError(f"layer {i}: takes {n_in} inputs but layer {i - 1} has {prev_out} outputs")
            prev_out = w.shape[0] if geom is None else geom.n_out(w.shape[0])
            b = np.zeros(w.shape[0]) if b is None else np.asarray(b, dtype=np.float64).reshape(-1)
            if b.shape != (w.shape[0],):
                raise ValueError(f"layer {i}: bias has shape {b.shape}, expected ({w.shape[0]},)")
            if not np.isfinite(b).all():
                raise ValueError(f"layer {i}: bias contains NaN or inf")
            beta = float(np.asarray(beta, dtype=np.float64).reshape(-1)[0]) if np.size(beta) == 1 else beta
            if not isinstance(beta, float) or not 0.0 <= beta <= 1.0:
                raise ValueError(f"layer {i}: beta must be one scalar in [0, 1], not {beta!r}")
            if reset not in FLOAT_RESETS:
                raise ValueError(f"layer {i}: reset must be one of {FLOAT_RESETS}, not {reset!r}")
            if reset == "subtract-delayed" and not beta > 0:
                raise ValueError(f"layer {i}: a delayed subtract reset subtracts theta / beta: beta must be > 0")
            theta = float(np.asarray(theta, dtype=np.float64).reshape(-1)[0]) if np.size(theta) == 1 else theta
            if not isinstance(theta, float) or not theta > 0 or not np.isfinite(theta):
                raise ValueError(f"layer {i}: threshold must be one positive scalar, not {theta!r}")
            kind = input_kind if i == 0 else "spike"
            w_rec = _recurrent_weights(recurrent[i], w.shape[0], geom, i)
            s = float(max(np.abs(w).max(), 0.0 if w_rec is None else np.abs(w_rec).max()))
            s = s if s > 0 else 1.0
            wq = _codes(w, s, qmax)
            # a spike into a probability layer is a stream of ones, code 2**k, worth 2**k / Q of a code-Q input
            rec_q = None if w_rec is None else _codes(w_rec * (qmax / (1 << config.prob_bits) if kind == "prob"
                                                               else 1.0), s, qmax)
            m, sh = current_scale(count_real_scale(s, config, kind, stochastic=True), config.scale_bits)
            fm, fsh = current_scale(count_real_scale(s, config, kind, stochastic=False), config.scale_bits)
            theta_q = fmt.from_float(theta)
            if theta_q < 1:
                raise ValueError(f"layer {i}: threshold {theta} rounds to 0 in {fmt}")
            reset_q = _delayed_reset_q(theta, beta, fmt, i) if reset == "subtract-delayed" else None
            check_lif_constants(quantize_beta(beta, bfmt), theta_q, "zero" if reset == "zero" else "subtract", reset_q,
                                fmt=fmt, beta_bits=bfmt.frac_bits, where=f"layer {i}: ")
            layers.append(
                QuantizedLayer(
                    weight_q=wq,
                    weight_scale=s,
                    bias_q=fmt.from_float(b).reshape(-1),
                    beta_q=quantize_beta(beta, bfmt),
                    threshold_q=theta_q,
                    input_kind=kind,
                    scale_mult=m,
                    scale_shift=sh,
                    fxp_mult=fm,
                    fxp_shift=fsh,
                    reset="zero" if reset == "zero" else "subtract",
                    reset_q=reset_q,
                    neuron=neurons[i],
                    neuron_params=nparams,
                    conv=geom,
                    recurrent_q=rec_q,
                )
            )
        check_shared(layers, fmt)
        return cls(tuple(layers), config)

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> Path:
        """Write a versioned ``.npz`` (schema :data:`EXPORT_SCHEMA`), atomically (``sc_neurocore.fileio``)."""
        from .fileio import atomic_output

        path = Path(path)
        arrays = {}
        meta = {"schema": EXPORT_SCHEMA, "config": _config_to_dict(self.config), "layers": []}
        for i, layer in enumerate(self.layers):
            arrays[f"weight_q_{i}"] = layer.weight_q
            arrays[f"bias_q_{i}"] = layer.bias_q
            if layer.recurrent:
                arrays[f"recurrent_q_{i}"] = layer.recurrent_q
            lm = {f.name: getattr(layer, f.name) for f in fields(layer) if f.name not in _ARRAYS}
            lm["conv"] = None if layer.conv is None else layer.conv.to_dict()
            meta["layers"].append(lm)
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        with atomic_output(path) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        return path

    @classmethod
    def load(cls, path) -> QuantizedNet:
        """Read a file written by :meth:`save`.

        Anything wrong with the file raises ``ValueError`` naming it: not an ``.npz`` or a damaged one
        (the zip CRCs are checked), another schema, a missing entry, or integers outside the contract
        (weight codes beyond ``2**k - 1``, layers whose widths do not chain, leak, threshold, reset and
        neuron constants out of range); a missing file raises ``FileNotFoundError``.
        """
        from .fileio import read_npz

        return read_npz(path, cls._from_npz, "QuantizedNet export")

    @classmethod
    def _from_npz(cls, data, path: Path) -> QuantizedNet:
        if not hasattr(data, "files"):
            raise ValueError(f"{path}: not a QuantizedNet export (a single .npy array, not an .npz archive)")
        if "meta" not in data:
            raise ValueError(f"{path}: not a QuantizedNet export (no 'meta' entry)")
        meta = json.loads(bytes(data["meta"]).decode())
        if not isinstance(meta, dict) or meta.get("schema") not in READ_SCHEMAS:
            schema = meta.get("schema") if isinstance(meta, dict) else None
            raise ValueError(f"{path}: export schema {schema!r}, this version reads "
                             f"{', '.join(map(str, READ_SCHEMAS))}")
        try:
            config = _config_from_dict(meta["config"])
            if not isinstance(meta["layers"], list) or not meta["layers"]:
                raise ValueError("'layers' must be a non-empty list")
            layers = []
            for i, lm in enumerate(meta["layers"]):
                layer = _loaded_layer(data, i, lm, config)
                if layers and layer.n_in != layers[-1].n_out:
                    raise ValueError(f"layer {i} takes {layer.n_in} inputs but layer {i - 1} has {layers[-1].n_out} "
                                     "outputs")
                layers.append(layer)
            check_shared(layers, config.membrane)
        except (ValueError, TypeError, KeyError) as exc:
            what = f"damaged QuantizedNet export: no entry {exc}" if isinstance(exc, KeyError) else str(exc)
            raise ValueError(f"{path}: {what}") from None
        return cls(tuple(layers), config)


#: The fields of :class:`QuantizedLayer` an export holds as arrays (``recurrent_q`` only for a recurrent layer).
_ARRAYS = ("weight_q", "bias_q", "recurrent_q")
#: The per-layer entries of an export's ``meta`` (every field of :class:`QuantizedLayer` but the arrays).
_LAYER_KEYS = tuple(f.name for f in fields(QuantizedLayer) if f.name not in _ARRAYS)
_OLD_LAYER_KEYS = {"reset", "reset_q", "neuron", "neuron_params", "conv"}  # absent from older schemas: defaults


def _loaded_layer(data, i: int, lm, config: SCConfig) -> QuantizedLayer:
    """Layer ``i`` of an export, every integer checked against the contract (``ValueError`` saying which)."""
    where = f"layer {i}: "
    if not isinstance(lm, dict) or not set(_LAYER_KEYS) - _OLD_LAYER_KEYS <= set(lm) <= set(_LAYER_KEYS):
        got = sorted(lm) if isinstance(lm, dict) else lm
        raise ValueError(f"{where}entries {got!r}, expected {list(_LAYER_KEYS)}")
    w, b = data[f"weight_q_{i}"], data[f"bias_q_{i}"]
    fmt = config.membrane
    if w.dtype.kind not in "iu" or w.ndim != 2 or 0 in w.shape:
        raise ValueError(f"{where}weight codes must be a non-empty 2-D integer array, not {w.dtype} {w.shape}")
    w = w.astype(np.int64)
    lm = dict(lm)
    if lm.get("conv") is not None:
        lm["conv"] = ConvGeometry.from_dict(lm["conv"])
        if w.shape[1] != lm["conv"].taps:
            raise ValueError(f"{where}kernels of {w.shape[1]} taps, the conv geometry has {lm['conv'].taps}")
    if np.abs(w).max() > config.prob_max:
        raise ValueError(f"{where}weight codes reach {int(np.abs(w).max())}, beyond 2**k - 1 = {config.prob_max}")
    if b.dtype.kind not in "iu" or b.shape != (w.shape[0],):
        raise ValueError(f"{where}bias must be ({w.shape[0]},) integers, not {b.dtype} {b.shape}")
    b = b.astype(np.int64)
    if b.min() < fmt.min_int or b.max() > fmt.max_int:
        raise ValueError(f"{where}bias codes outside {fmt}'s [{fmt.min_int}, {fmt.max_int}]")
    scale = lm["weight_scale"]
    if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"{where}weight_scale must be a finite number > 0, not {scale!r}")
    if lm["input_kind"] not in (("prob", "spike") if i == 0 else ("spike",)):
        raise ValueError(f"{where}input_kind {lm['input_kind']!r}: layer 0 takes 'prob' or 'spike' (spike-encoded "
                         "inputs), later layers 'spike'")
    for name in ("scale_mult", "scale_shift", "fxp_mult", "fxp_shift"):
        v = lm[name]
        if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < (1 << 63):
            raise ValueError(f"{where}{name} must be a non-negative integer, not {v!r}")
    rec = None
    if f"recurrent_q_{i}" in data.files:
        rec = data[f"recurrent_q_{i}"]
        if lm.get("conv") is not None or rec.dtype.kind not in "iu" or rec.shape != (w.shape[0], w.shape[0]):
            raise ValueError(f"{where}recurrent weight codes must be ({w.shape[0]}, {w.shape[0]}) integers of a dense "
                             f"layer, not {rec.dtype} {rec.shape}")
        rec = rec.astype(np.int64)
        if np.abs(rec).max() > config.prob_max:
            raise ValueError(f"{where}recurrent weight codes reach {int(np.abs(rec).max())}, beyond 2**k - 1 = "
                             f"{config.prob_max}")
    layer = QuantizedLayer(weight_q=w, bias_q=b, recurrent_q=rec, **lm)
    check_neuron_constants(layer.neuron, layer.neuron_params, beta_bits=config.beta_format.frac_bits, fmt=fmt,
                           where=where)
    if layer.reset not in layer.model.resets or (layer.model.resets == ("subtract",) and layer.reset_q is not None):
        raise ValueError(f"{where}an {layer.neuron!r} neuron takes no {layer.reset!r} reset (reset_q {layer.reset_q!r})")
    check_lif_constants(layer.beta_q, layer.threshold_q, layer.reset, layer.reset_q, fmt=fmt,
                        beta_bits=config.beta_format.frac_bits, where=where)
    return layer


def check_shared(layers, fmt: FixedPoint) -> None:
    """``ValueError`` unless the layers of a model with shared constants (``NeuronModel.shared``: ExpIF's
    ``threshold``, ``v_rheobase``, ``delta_t``, from which the engine compiles one ``exp`` table for the net) all
    have the same ones (the message names the first that differs), and the table they make is the contract's
    (:func:`~sc_neurocore.sc.contract.expif_table_bounds`)."""
    for name in dict.fromkeys(s for layer in layers for s in layer.model.shared):
        which = [(i, layer) for i, layer in enumerate(layers) if name in layer.model.shared]
        values = [int(layer.threshold_q) if name == "threshold" else int(layer.neuron_params[f"{name}_q"])
                  for _, layer in which]
        if len(set(values)) > 1:
            j = next(k for k, v in enumerate(values) if v != values[0])
            raise ValueError(f"layer {which[j][0]}: its {name} ({values[j] / fmt.one:g}) differs from layer "
                             f"{which[0][0]}'s ({values[0] / fmt.one:g}); an {which[0][1].neuron!r} net shares one "
                             f"{name} in every layer (the engine compiles one exp table for the net)")
    for i, layer in enumerate(layers):
        if layer.neuron in ("expif", "adex"):
            expif_table_bounds(int(layer.threshold_q), int(layer.neuron_params["v_rheobase_q"]),
                               int(layer.neuron_params["delta_t_q"]), fmt, where=f"layer {i}: ")


def _codes(w: np.ndarray, s: float, qmax: int) -> np.ndarray:
    """Signed weight codes ``round(qmax * |w| / s) * sign(w)`` (round half up)."""
    return (np.floor(np.abs(w) / s * qmax + 0.5).astype(np.int64)) * np.where(w < 0, -1, 1)


def _recurrent_weights(w_rec, n_out: int, geom, i: int) -> np.ndarray | None:
    """Layer ``i``'s float ``W_rec`` ``(n_out, n_out)`` checked (a dense layer's, finite), or ``None``."""
    if w_rec is None:
        return None
    if geom is not None:
        raise ValueError(f"layer {i}: a conv layer cannot be recurrent (recurrent weights are for dense layers)")
    w_rec = np.asarray(w_rec, dtype=np.float64)
    if w_rec.shape != (n_out, n_out):
        raise ValueError(f"layer {i}: recurrent weights must be ({n_out}, {n_out}), got shape {w_rec.shape}")
    if not np.isfinite(w_rec).all():
        raise ValueError(f"layer {i}: recurrent weights contain NaN or inf")
    return w_rec


def _neuron_params(neuron, values, bfmt: FixedPoint, fmt: FixedPoint, i: int) -> dict:
    """A layer's float decays and gains (``{"alpha": 0.8}``) -> its integer constants (``{"alpha_q": 205}``):
    decays like ``beta``, gains in ``fmt`` (``>= 0``); checked."""
    model = NEURONS.get(neuron) if isinstance(neuron, str) else None
    if model is None:
        raise ValueError(f"layer {i}: neuron must be one of {tuple(NEURONS)}, not {neuron!r}")
    values = {} if values is None else dict(values)
    names = model.decays + model.gains + model.levels
    if set(values) != set(names):
        raise ValueError(f"layer {i}: a {neuron!r} neuron takes the decays {list(names)}, not {sorted(values)}")
    out = {}
    for name in model.decays:
        try:
            out[f"{name}_q"] = quantize_beta(values[name], bfmt)
        except (TypeError, ValueError):
            raise ValueError(f"layer {i}: {name} must be a number in [0, 1], not {values[name]!r}") from None
    for name in model.gains:
        x = values[name]
        ok = isinstance(x, (int, float, np.floating, np.integer)) and not isinstance(x, bool) and np.isfinite(x)
        if not ok or x < 0 or x * fmt.one >= fmt.max_int + 0.5:
            raise ValueError(f"layer {i}: {name} must be a number in [0, {fmt.max_int / fmt.one}], not {x!r}")
        out[f"{name}_q"] = int(fmt.from_float(x))
    for name in model.levels:
        x = values[name]
        ok = isinstance(x, (int, float, np.floating, np.integer)) and not isinstance(x, bool) and np.isfinite(x)
        if not ok or not fmt.min_int - 0.5 <= x * fmt.one < fmt.max_int + 0.5:
            raise ValueError(f"layer {i}: {name} must be a number in [{fmt.min_int / fmt.one}, "
                             f"{fmt.max_int / fmt.one}], not {x!r}")
        out[f"{name}_q"] = int(fmt.from_float(x))
    return out


def _delayed_reset_q(theta: float, beta: float, fmt: FixedPoint, i: int) -> int:
    """``theta / beta`` in ``fmt`` (snnTorch's delayed reset, fired at theta); it must fit the format."""
    q = fmt.from_float(theta / beta)
    if not 1 <= q < fmt.max_int:
        raise ValueError(f"layer {i}: the delayed reset subtracts theta / beta = {theta / beta:g}, which does not fit "
                         f"{fmt.width}-bit Q{fmt.int_bits}.{fmt.frac_bits}")
    return q


def _config_to_dict(config: SCConfig) -> dict:
    return asdict(config)


def _config_from_dict(d: dict) -> SCConfig:
    d = dict(d)
    d["membrane"] = FixedPoint(**d["membrane"])
    d["beta_format"] = FixedPoint(**d["beta_format"])
    return SCConfig(**d)
