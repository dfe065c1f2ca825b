"""Classifiers: :class:`SpikingNet` (dense) and :class:`ConvSpikingNet` (convolutional).

Both take ``x`` of shape ``(T, batch, n_input)`` and return ``(spike_counts, membrane_acc)``,
each ``(batch, n_output)``: the output layer's spikes summed over T and its post-reset membrane
summed over T.  Classify with ``spike_counts.argmax(dim=1)``.

Speed: the layers run one after the other over all T (each Linear/Conv on ``(T * batch, ...)`` in
one call, each LIF population through the fused kernel).  When the input is the same at every
step -- ``x`` built with ``expand`` (stride 0 on the time axis), which is what
:func:`~sc_neurocore.training.loop.train_epoch` passes, or :meth:`forward_static`, or a copy
whose steps are all equal -- the first layer is computed once and fed to the LIF kernel as a
constant current.  A recurrent layer (``SpikingNet(recurrent=True)``) needs its own spikes of the step before, so
its cell steps through T one step at a time (its feedforward currents still come from one call).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from . import net_kernel
from .cells import (
    RESET_MODES,
    AdExCell,
    ALIFCell,
    AlphaCell,
    ExpIFCell,
    LIFCell,
    RecurrentLIFCell,
    SecondOrderLIFCell,
    SynapticCell,
)
from .checks import check_value_range, check_values
from .lif_kernel import lif_pool_sequence
from .pooling import spike_pool
from .spike_conv import spike_conv2d
from .surrogates import atan_surrogate

__all__ = ["SpikingNet", "ConvSpikingNet", "NEURON_KINDS"]

#: The neuron cells a :class:`SpikingNet` layer may use (``neuron=``), by the export's name
#: (``sc_neurocore.sc.contract.NEURONS``): the SC chain runs each.
NEURON_KINDS = ("lif", "synaptic", "alif", "alpha", "second_order", "expif", "adex")
#: Each kind's cell and the parameters it takes from :class:`SpikingNet` beyond ``beta`` and ``threshold`` (the
#: export's float decays and gains, by the same names).
_CELLS = {
    "synaptic": (SynapticCell, ("alpha",)),
    "alif": (ALIFCell, ("adapt_decay", "adapt_strength")),
    "alpha": (AlphaCell, ("alpha_exc", "alpha_inh")),
    "second_order": (SecondOrderLIFCell, ("alpha", "stiffness")),
    "expif": (ExpIFCell, ("v_rheobase", "delta_t")),
    "adex": (AdExCell, ("v_rheobase", "delta_t", "adapt_decay", "a", "b")),
}
#: The parameters every layer of a kind shares (the SC engine compiles one program for the net: ExpIF's exp table
#: reads the threshold, v_rheobase and delta_t; ``sc_neurocore.sc.contract.NEURONS[kind].shared``).
_SHARED = {"expif": ("threshold", "v_rheobase", "delta_t"), "adex": ("threshold", "v_rheobase", "delta_t")}


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, not {value!r}")
    return value


def _is_static(x: torch.Tensor) -> bool:
    """True when every timestep of ``x`` holds the same values.

    An ``expand``-ed time axis (stride 0) is recognised for free; on the CPU a copied input (``repeat``)
    by comparing values -- step 1 against step 0 first, so a time-varying input costs one small
    comparison.  Off the CPU values are not compared (that would wait for the device on every
    call), nor for an input that requires grad.
    """
    if x.shape[0] == 1 or x.stride(0) == 0:
        return True
    if x.requires_grad or x.device.type != "cpu":
        return False
    return torch.equal(x[1], x[0]) and torch.equal(x[1:], x[:1].expand_as(x[1:]))


def _sizes(sizes) -> list[int]:
    """``[n_input, n_1, ..., n_output]``: at least two positive integers."""
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise TypeError(f"sizes must be a list of layer widths [n_input, ..., n_output], not {sizes!r}")
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least two widths (n_input and n_output), not {sizes!r}")
    for i, n in enumerate(sizes):
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"sizes[{i}] must be a positive integer, not {n!r} (sizes={sizes!r})")
    return sizes


def _per_layer(name: str, value, n: int) -> list:
    """One value per layer: a number repeated, or a sequence of exactly ``n`` (each checked by LIFCell)."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [value] * n
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(f"{name} must be a number or one number per layer, not {value!r}")
    value = [float(v) if isinstance(v, torch.Tensor) else v for v in value]
    if len(value) != n:
        raise ValueError(f"{name} has {len(value)} entries for {n} layers; give one number or one per layer")
    return value


class _SpikingClassifier(nn.Module):
    """Shared input checks and the static-input shortcut."""

    n_input: int
    input_range: tuple[float, float] | None = (0.0, 1.0)

    def _check_input(self, x) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{type(self).__name__} expects a torch.Tensor, not {type(x).__name__}")
        if not x.is_floating_point():
            raise TypeError(f"{type(self).__name__} expects a floating-point input, not dtype {x.dtype}")
        return x

    def _check_values(self, x: torch.Tensor, static: bool) -> None:
        """NaN and inf always, values outside ``input_range`` unless it is ``None``: one reduction per
        forward (over one step when every step is the same)."""
        hint = "; pass input_range=None to the constructor to feed unbounded currents"
        check_values(type(self).__name__, x[0] if static else x, self.input_range, hint=hint)

    def forward_static(self, x: torch.Tensor, T: int):
        """The same ``(batch, ...)`` input at each of ``T`` steps (no copy)."""
        _positive_int("T", T)
        self._check_input(x)
        return self(x.unsqueeze(0).expand(T, *x.shape))


class SpikingNet(_SpikingClassifier):
    """Dense ``Linear -> LIF`` layers: ``n_layers`` hidden layers of ``n_hidden`` neurons, then the output layer.

    ``SpikingNet(64, 128, 10)`` is 64 -> 128 -> 10.  Any dense shape: ``SpikingNet(sizes=[784, 200, 100,
    10])`` (``n_input``, ``n_hidden``, ``n_output`` and ``n_layers`` left out; two entries make one
    layer).  ``beta`` and ``threshold`` are one number for all layers or one per layer
    (``len(sizes) - 1`` entries); ``learn_beta`` / ``learn_threshold`` give every layer its own
    trainable scalar.  ``reset`` (:data:`~sc_neurocore.training.cells.RESET_MODES`, one or one per
    layer): what a spike does to the membrane, ``"subtract"`` (the default), ``"zero"``, or
    ``"subtract-delayed"`` (snnTorch's ``reset_delay=True``); ``docs/interop.md`` maps them to the
    other libraries'.

    ``neuron`` (:data:`NEURON_KINDS`): ``"lif"`` (:class:`~.cells.LIFCell`, the default) or ``"synaptic"``
    (:class:`~.cells.SynapticCell`, current-based: ``i = alpha i + I; v = beta v + i``, subtract reset only),
    with ``alpha`` (one number or one per layer) its synaptic decay, ``"alif"`` (:class:`~.cells.ALIFCell`,
    an adaptive threshold ``theta + adapt_strength * a``, ``a = adapt_decay * a + s``; subtract reset only) or
    ``"alpha"`` (:class:`~.cells.AlphaCell`, an excitatory and an inhibitory current, ``i_exc = alpha_exc i_exc +
    relu(I)``, ``i_inh = alpha_inh i_inh + relu(-I)``, ``v = beta v + i_exc - i_inh``; subtract reset only) or
    ``"second_order"`` (:class:`~.cells.SecondOrderLIFCell`, an inertial term ``a = alpha a + I - stiffness v``,
    ``v = beta v + a``; ``alpha`` its decay; subtract reset only) or ``"expif"`` (:class:`~.cells.ExpIFCell`,
    ``v = beta v + (1 - beta) delta_t exp((min(v, theta) - v_rheobase) / delta_t) + I``; subtract reset only;
    ``threshold``, ``v_rheobase`` and ``delta_t`` one value for every layer, not learnt: the SC engine compiles one
    ``exp`` table for the net) or ``"adex"`` (:class:`~.cells.AdExCell`, ExpIF's drive minus an adaptation ``w =
    adapt_decay w + (1 - adapt_decay) a v_prev + b s``; ExpIF's shared three, ``adapt_decay``, ``a``, ``b`` per layer);
    each parameter one number or one per layer; ``learn_beta`` / ``learn_threshold`` apply to each
    (``learn_threshold`` not to ExpIF and AdEx).  ``self.lifs`` holds the cells whatever their kind.

    ``recurrent=True`` (LIF neurons only): every hidden layer (all but the output layer) is a
    :class:`~.cells.RecurrentLIFCell` of its width, ``v_t = beta v_{t-1} + (W x_t + b) + W_rec s_{t-1}``,
    ``s_t = surrogate(v_t - theta)``, then the layer's reset (``reset``; ``s_{-1} = 0``), with a learnable ``W_rec``
    ``(n, n)`` per hidden layer (``lifs[i].recurrent.weight``) that starts at **zero**: the net starts as the LIF
    net of the same seed (the same feedforward weights, and no random number drawn for ``W_rec``, so the batches
    that follow are the same too), and training grows the recurrence only where the loss asks for it (its
    gradient, ``sum_t dL/dv_t s_{t-1}^T``, is not zero once the layer spikes); ``nn.Linear``'s uniform
    ``U(-1/sqrt(n), 1/sqrt(n))`` start would add a random current of about ``0.6 sqrt(spikes) / sqrt(n)`` to every
    neuron from the first epoch.  A recurrent layer runs its ``T`` steps in one autograd node too (the fused
    recurrent kernel, :mod:`~.recurrent_kernel`: one ``(batch, n) @ (n, n)`` product per step each way).  The SC
    chain runs them (``docs/sc-arithmetic.md`` section 14).

    ``input_range``: the forward raises ``ValueError`` for an input holding NaN or inf, and for
    values outside this closed range (default ``(0, 1)``: pixel intensities, what the SC chain
    takes); ``None`` accepts any finite value (unbounded input currents).
    """

    def __init__(
        self,
        n_input: int | None = None,
        n_hidden: int | None = None,
        n_output: int | None = None,
        n_layers: int = 1,
        beta=0.9,
        threshold=1.0,
        surrogate_fn: Callable = atan_surrogate,
        learn_beta: bool = False,
        learn_threshold: bool = False,
        bias: bool = True,
        *,
        sizes=None,
        reset: str = "subtract",
        input_range: tuple[float, float] | None = (0.0, 1.0),
        neuron: str = "lif",
        alpha=0.8,
        adapt_decay=0.95,
        adapt_strength=0.2,
        alpha_exc=0.9,
        alpha_inh=0.8,
        stiffness=0.1,
        v_rheobase=0.8,
        delta_t=0.1,
        a=0.1,
        b=0.05,
        recurrent: bool = False,
    ):
        super().__init__()
        self.input_range = check_value_range("input_range", input_range)
        if neuron not in NEURON_KINDS:
            raise ValueError(f"neuron must be one of {NEURON_KINDS}, not {neuron!r}")
        if not isinstance(recurrent, bool):
            raise TypeError(f"recurrent must be a bool, not {recurrent!r}")
        if recurrent and neuron != "lif":
            raise ValueError(f"recurrent=True makes the hidden layers recurrent LIF layers (RecurrentLIFCell): "
                             f"not with neuron={neuron!r}; use neuron='lif'")
        if not isinstance(bias, bool):
            raise TypeError(f"bias must be a bool, not {bias!r}")
        if sizes is None:
            if n_input is None or n_hidden is None or n_output is None:
                raise TypeError("SpikingNet needs n_input, n_hidden and n_output, or sizes=[n_input, ..., n_output]")
            self.n_input = _positive_int("n_input", n_input)
            self.n_hidden = _positive_int("n_hidden", n_hidden)
            self.n_output = _positive_int("n_output", n_output)
            self.n_layers = _positive_int("n_layers", n_layers)
            shape = dict(n_input=n_input, n_hidden=n_hidden, n_output=n_output, n_layers=n_layers)
            sizes = [n_input] + [n_hidden] * n_layers + [n_output]
        else:
            if n_input is not None or n_hidden is not None or n_output is not None or n_layers != 1:
                raise TypeError("give either sizes=[...] or n_input, n_hidden, n_output (and n_layers), not both")
            sizes = _sizes(sizes)
            self.n_input, self.n_output = sizes[0], sizes[-1]
            self.n_hidden = sizes[1] if len(sizes) > 2 else None
            self.n_layers = len(sizes) - 2
            shape = dict(sizes=list(sizes))
        n_fc = len(sizes) - 1
        if recurrent and n_fc < 2:
            raise ValueError(f"recurrent=True makes the hidden layers recurrent, and sizes={sizes!r} has none: give "
                             "at least one hidden layer")
        betas = _per_layer("beta", beta, n_fc)
        thresholds = _per_layer("threshold", threshold, n_fc)
        resets = [reset] * n_fc if isinstance(reset, str) else _per_layer("reset", reset, n_fc)
        for r in resets:
            if r not in RESET_MODES:
                raise ValueError(f"reset must be one of {RESET_MODES} (or one per layer), not {r!r}")
            if neuron != "lif" and r != "subtract":
                raise ValueError(f"{neuron!r} neurons reset by subtraction; reset={r!r} applies to LIF neurons only")
        given = dict(alpha=alpha, adapt_decay=adapt_decay, adapt_strength=adapt_strength, alpha_exc=alpha_exc,
                     alpha_inh=alpha_inh, stiffness=stiffness, v_rheobase=v_rheobase, delta_t=delta_t, a=a, b=b)
        cell_cls, cell_params = _CELLS.get(neuron, (None, ()))
        per_layer = {name: _per_layer(name, given[name], n_fc) for name in cell_params}
        for name in _SHARED.get(neuron, ()):  # one exp table for the net: these are the same in every layer
            values = thresholds if name == "threshold" else per_layer[name]
            if len(set(values)) > 1:
                raise ValueError(f"{neuron!r} layers share one {name} (the SC engine compiles one exp table for the "
                                 f"net), not {values!r}")
        if neuron in _SHARED and learn_threshold:
            raise ValueError(f"{neuron!r} layers share one threshold (the SC engine compiles one exp table for the "
                             "net): learn_threshold=True would give each layer its own")
        self.hparams = dict(
            **shape,
            beta=beta if isinstance(beta, (int, float)) else list(betas),
            threshold=threshold if isinstance(threshold, (int, float)) else list(thresholds),
            surrogate_fn=surrogate_fn,
            learn_beta=learn_beta,
            learn_threshold=learn_threshold,
            bias=bias,
            input_range=self.input_range,
        )
        if reset != "subtract":  # absent from the seed's checkpoints, which keep loading unchanged
            self.hparams["reset"] = reset if isinstance(reset, str) else list(resets)
        if neuron != "lif":  # likewise
            self.hparams["neuron"] = neuron
        if recurrent:  # likewise
            self.hparams["recurrent"] = True
        self.recurrent = recurrent
        for name in cell_params:  # the kind's own parameters, as given (one number, or a list per layer)
            self.hparams[name] = given[name] if isinstance(given[name], (int, float)) else list(per_layer[name])
        self.neuron = neuron
        self.reset = reset if isinstance(reset, str) else list(resets)
        self.fcs = nn.ModuleList(nn.Linear(a, b, bias=bias) for a, b in zip(sizes[:-1], sizes[1:]))
        if cell_cls is not None:
            self.lifs = nn.ModuleList(
                cell_cls(beta=b, threshold=t, surrogate_fn=surrogate_fn, learn_beta=learn_beta,
                         learn_threshold=learn_threshold, **{name: per_layer[name][i] for name in cell_params})
                for i, (b, t) in enumerate(zip(betas, thresholds))
            )
        else:
            self.lifs = nn.ModuleList(
                RecurrentLIFCell(n, b, t, surrogate_fn, learn_beta, learn_threshold, reset_mode=r,
                                 recurrent_init="zeros") if recurrent and i < n_fc - 1
                else LIFCell(b, t, surrogate_fn, learn_beta, learn_threshold, reset_mode=r)
                for i, (n, b, t, r) in enumerate(zip(sizes[1:], betas, thresholds, resets))
            )

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.n_input,) + tuple(fc.out_features for fc in self.fcs)

    def run(self, x: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per layer ``(spikes, membranes)``, each ``(T, batch, n_layer_out)`` (every layer's feedforward current of
        all ``T`` steps in one ``Linear`` call; a recurrent layer's cell adds ``W_rec s_{t-1}`` step by step)."""
        T, B, static = self._checked(x)
        traces = []
        for i, (fc, lif) in enumerate(zip(self.fcs, self.lifs)):
            if i == 0 and static:
                spikes, mem, _ = lif.sequence(fc(x[0]), steps=T)
            else:
                inp = x if i == 0 else traces[-1][0]
                cur = fc(inp.reshape(T * B, -1)).view(T, B, -1)
                spikes, mem, _ = lif.sequence(cur)
            traces.append((spikes, mem))
        return traces

    def _checked(self, x: torch.Tensor) -> tuple[int, int, bool]:
        """``(T, batch, static)`` of an input that passes the checks (else ``TypeError`` / ``ValueError``)."""
        self._check_input(x)
        if x.dim() != 3 or x.shape[2] != self.n_input:
            raise ValueError(f"SpikingNet expects x of shape (T, batch, {self.n_input}), got {tuple(x.shape)}")
        T, B = x.shape[0], x.shape[1]
        if T < 1 or B < 1:
            raise ValueError(f"x needs at least one timestep and one sample, got shape {tuple(x.shape)}")
        static = _is_static(x)
        self._check_values(x, static)
        return T, B, static

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(counts, membrane sums)`` of the output layer, each ``(batch, n_output)``.  Training a net of plain
        LIF layers on the CPU runs as one autograd node (:mod:`~.net_kernel`: the same values, fewer steps)."""
        if isinstance(x, torch.Tensor) and net_kernel.applies(self.fcs, self.lifs, x):
            _, _, static = self._checked(x)
            return net_kernel.counts_and_membranes(self.fcs, self.lifs, x, static)
        spikes, mem = self.run(x)[-1]
        return spikes.sum(0), mem.sum(0)

    # ---------------------------------------------------------------- export
    def to_sc_weights(self) -> list[torch.Tensor]:
        """Per layer, the ``(n_out, n_in)`` weights min-max scaled to [0, 1] (as documented).

        ``(w - w.min()) / (w.max() - w.min())``; a constant layer maps to zeros.
        """
        out = []
        for fc in self.fcs:
            w = fc.weight.detach()
            lo, hi = w.min(), w.max()
            span = hi - lo
            out.append((w - lo) / span if span > 0 else torch.zeros_like(w))
        return out

    def to_quantized(self, config=None, *, input_kind: str = "prob"):
        """The signed integer export (:class:`sc_neurocore.export.QuantizedNet`) for ``config``.

        ``input_kind="spike"``: the first layer takes spike rasters (a net trained on ``rate_encode``,
        ``latency_encode`` or ``delta_encode`` inputs) instead of probability codes.  A recurrent net
        (``recurrent=True``) hands each hidden layer's ``W_rec`` over (``recurrent=[W_rec, ..., None]``): the
        export's ``recurrent_q``."""
        from ..export import QuantizedNet

        weights = [fc.weight.detach().cpu().double().numpy() for fc in self.fcs]
        biases = [None if fc.bias is None else fc.bias.detach().cpu().double().numpy() for fc in self.fcs]
        betas = [float(lif.param("beta").detach()) for lif in self.lifs]
        thresholds = [float(lif.threshold.detach()) for lif in self.lifs]
        resets = [getattr(lif, "reset_mode", "subtract") for lif in self.lifs]
        params = None
        if self.neuron in _CELLS:
            names = _CELLS[self.neuron][1]
            params = [{name: float(lif.param(name).detach()) for name in names} for lif in self.lifs]
        recurrent = [lif.recurrent_weight.detach().cpu().double().numpy() if isinstance(lif, RecurrentLIFCell)
                     else None for lif in self.lifs] if self.recurrent else None
        return QuantizedNet.from_float(weights, biases, betas, thresholds, config, resets=resets, neurons=self.neuron,
                                       neuron_params=params, input_kind=input_kind, recurrent=recurrent)


class ConvSpikingNet(_SpikingClassifier):
    """``Conv2d -> LIF -> MaxPool`` blocks, then ``Linear -> LIF`` readout, for images.

    Input ``(T, batch, C*H*W)`` (flattened, like :class:`SpikingNet`) or ``(T, batch, C, H, W)``.
    The default is 1x28x28 -> 12c5 -> pool 2 -> 32c5 -> pool 2 -> 10.  Every convolution has stride 1 and
    ``padding`` zeros on each side (0: "valid"; ``kernel_size // 2`` for an odd kernel: "same").  ``input_range``
    as for :class:`SpikingNet`.
    """

    def __init__(
        self,
        n_output: int = 10,
        input_shape: tuple[int, int, int] = (1, 28, 28),
        channels: tuple[int, ...] = (12, 32),
        kernel_size: int = 5,
        pool: int = 2,
        beta: float = 0.9,
        threshold: float = 1.0,
        surrogate_fn: Callable = atan_surrogate,
        learn_beta: bool = False,
        learn_threshold: bool = False,
        *,
        input_range: tuple[float, float] | None = (0.0, 1.0),
        padding: int = 0,
    ):
        super().__init__()
        self.input_range = check_value_range("input_range", input_range)
        input_shape = tuple(input_shape)
        channels = tuple(channels)
        if not isinstance(padding, int) or isinstance(padding, bool) or padding < 0:
            raise ValueError(f"padding must be an integer >= 0, not {padding!r}")
        if len(input_shape) != 3:
            raise ValueError(f"input_shape must be (channels, height, width), not {input_shape!r}")
        for name, value in (("n_output", n_output), ("kernel_size", kernel_size), ("pool", pool)):
            _positive_int(name, value)
        for value in input_shape + channels:
            _positive_int("input_shape and channels entries", value)
        if not channels:
            raise ValueError("channels must name at least one convolution")
        self.hparams = dict(
            n_output=n_output,
            input_shape=input_shape,
            channels=channels,
            kernel_size=kernel_size,
            pool=pool,
            beta=beta,
            threshold=threshold,
            surrogate_fn=surrogate_fn,
            learn_beta=learn_beta,
            learn_threshold=learn_threshold,
            input_range=self.input_range,
            padding=padding,
        )
        self.padding = padding
        self.kernel_size = kernel_size
        self.pool_size = pool
        self.input_shape = input_shape
        self.n_input = math.prod(input_shape)
        self.n_output = n_output
        c, h, w = input_shape
        convs = []
        for out_c in channels:
            convs.append(nn.Conv2d(c, out_c, kernel_size, padding=padding))
            h, w = (h + 2 * padding - kernel_size + 1) // pool, (w + 2 * padding - kernel_size + 1) // pool
            if h < 1 or w < 1:
                raise ValueError(f"input_shape {input_shape} is too small for {len(channels)} conv/pool blocks")
            c = out_c
        self.convs = nn.ModuleList(convs)
        self.pool = nn.MaxPool2d(pool)
        self.fc = nn.Linear(c * h * w, n_output)
        self.lifs = nn.ModuleList(
            LIFCell(beta, threshold, surrogate_fn, learn_beta, learn_threshold) for _ in range(len(convs) + 1)
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        given = self._check_input(x)
        if x.dim() == 3 and x.shape[2] == self.n_input:
            x = x.unflatten(2, self.input_shape)
        if x.dim() != 5 or tuple(x.shape[2:]) != self.input_shape:
            raise ValueError(
                f"ConvSpikingNet expects (T, batch, {self.n_input}) or (T, batch, {self.input_shape}), got {tuple(x.shape)}"
            )
        T, B = x.shape[0], x.shape[1]
        static = _is_static(x)
        self._check_values(given, static)  # the input as given: its indices in the messages
        h = None
        for i, (conv, lif) in enumerate(zip(self.convs, self.lifs)):
            if i == 0 and static:
                cur, steps = conv(x[0]), T
            else:
                if i == 0:
                    cur = conv(x.reshape(T * B, *x.shape[2:]))
                else:  # pooled spikes, mostly zeros: summed over the nonzero ones
                    cur = spike_conv2d(h.reshape(T * B, *h.shape[2:]), conv.weight, conv.bias, self.padding)
                cur, steps = cur.view(T, B, *cur.shape[1:]), None
            h = self._lif_pool(lif, cur, steps)
        cur = self.fc(h.reshape(T * B, -1)).view(T, B, -1)
        spikes, mem, _ = self.lifs[-1].sequence(cur)
        return spikes.sum(0), mem.sum(0)

    def _lif_pool(self, lif: LIFCell, cur: torch.Tensor, steps: int | None) -> torch.Tensor:
        """A block's LIF population over ``cur`` (``(T, B, C, H, W)``, or ``(B, C, H, W)`` held for ``steps``)
        and its spike pooling: ``(T, B, C, H // pool, W // pool)``.  One pass (:func:`~.lif_kernel.
        lif_pool_sequence`, no membranes kept) where the cell is the fused kernel's (subtract reset, a
        ``Surrogate``, no gain) and it runs; else the cell's sequence, then :func:`~.pooling.spike_pool`."""
        k = self.pool_size
        fused = lif.fused and lif.reset_mode == "subtract" and lif.input_gain == 1.0 and type(lif) is LIFCell
        if fused:
            p = lif.step_parameters()
            pooled = lif_pool_sequence(cur, p.beta, p.threshold, p.surrogate_fn, k, steps=steps)
            if pooled is not None:
                return pooled
        spikes, _, _ = lif.sequence(cur, steps=steps)
        T, B = spikes.shape[0], spikes.shape[1]
        h = spike_pool(spikes.reshape(T * B, *spikes.shape[2:]), k)  # = self.pool, faster
        return h.view(T, B, *h.shape[1:])

    # ---------------------------------------------------------------- export
    def to_sc_weights(self) -> list[torch.Tensor]:
        """Per layer, the weights min-max scaled to [0, 1] (as :meth:`SpikingNet.to_sc_weights`): each conv's
        ``(out_c, C, k, k)`` kernels, then the readout's ``(n_out, n_in)``."""
        out = []
        for mod in (*self.convs, self.fc):
            w = mod.weight.detach()
            lo, hi = w.min(), w.max()
            span = hi - lo
            out.append((w - lo) / span if span > 0 else torch.zeros_like(w))
        return out

    def conv_geometries(self) -> list:
        """Per conv block its :class:`~sc_neurocore.sc.conv.ConvGeometry` (input shape, kernel, padding, pool)."""
        from ..sc.geometry import ConvGeometry

        c, h, w = self.input_shape
        out = []
        for conv in self.convs:
            g = ConvGeometry(c, h, w, self.kernel_size, self.padding, self.pool_size)
            out.append(g)
            c, h, w = conv.out_channels, g.pooled_height, g.pooled_width
        return out

    def to_quantized(self, config=None, *, input_kind: str = "prob"):
        """The signed integer export (:class:`sc_neurocore.export.QuantizedNet`) for ``config``: one conv layer
        per block (kernels ``(out_c, C*k*k)``, a bias per channel, the block's LIF constants, OR pooling of its
        spikes), then the dense readout.  ``input_kind`` as for :meth:`SpikingNet.to_quantized`."""
        from ..export import QuantizedNet

        mods = (*self.convs, self.fc)
        weights = [m.weight.detach().cpu().double().reshape(m.weight.shape[0], -1).numpy() for m in mods]
        biases = [None if m.bias is None else m.bias.detach().cpu().double().numpy() for m in mods]
        betas = [float(lif.param("beta").detach()) for lif in self.lifs]
        thresholds = [float(lif.threshold.detach()) for lif in self.lifs]
        resets = [getattr(lif, "reset_mode", "subtract") for lif in self.lifs]
        return QuantizedNet.from_float(weights, biases, betas, thresholds, config, resets=resets,
                                       input_kind=input_kind, convs=[*self.conv_geometries(), None])
