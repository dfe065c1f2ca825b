"""Surrogate-gradient training of spiking networks in PyTorch (``pip install 'sc-neurocore[training]'``).

Modules: :mod:`.surrogates` (seven surrogate gradients), :mod:`.cells` (ten neuron cells),
:mod:`.lif_kernel` (the fused multi-step LIF autograd node), :mod:`.networks` (``SpikingNet``,
``ConvSpikingNet``), :mod:`.encoders`, :mod:`.losses`, :mod:`.loop` (``train_epoch``,
``evaluate``, ``auto_device``), :mod:`.checkpoint` and :mod:`.finetune` (SC-aware fine-tuning against the
bit-exact SC model, ``sc_finetune``).
"""

from .cells import (
    AdExCell,
    ALIFCell,
    AlphaCell,
    ExpIFCell,
    IFCell,
    LapicqueCell,
    LIFCell,
    RecurrentLIFCell,
    SecondOrderLIFCell,
    SpikingCell,
    SynapticCell,
)
from .checkpoint import load_checkpoint, save_checkpoint
from .encoders import delta_encode, latency_encode, rate_encode
from .finetune import sc_finetune, sc_forward
from .lif_kernel import lif_sequence
from .loop import auto_device, evaluate, train_epoch
from .losses import membrane_loss, spike_count_loss, spike_l1_loss, spike_l2_loss, spike_rate_loss
from .networks import ConvSpikingNet, SpikingNet
from .surrogates import (
    SURROGATES,
    Surrogate,
    atan_surrogate,
    boxcar,
    fast_sigmoid,
    get_surrogate,
    sigmoid_surrogate,
    straight_through,
    superspike,
    triangular,
)

__all__ = [
    # surrogates
    "Surrogate",
    "SURROGATES",
    "get_surrogate",
    "atan_surrogate",
    "fast_sigmoid",
    "superspike",
    "sigmoid_surrogate",
    "straight_through",
    "triangular",
    "boxcar",
    # cells
    "SpikingCell",
    "LIFCell",
    "IFCell",
    "ALIFCell",
    "SynapticCell",
    "RecurrentLIFCell",
    "ExpIFCell",
    "AdExCell",
    "LapicqueCell",
    "AlphaCell",
    "SecondOrderLIFCell",
    "lif_sequence",
    # networks
    "SpikingNet",
    "ConvSpikingNet",
    # encoding
    "rate_encode",
    "latency_encode",
    "delta_encode",
    # losses
    "spike_count_loss",
    "membrane_loss",
    "spike_rate_loss",
    "spike_l1_loss",
    "spike_l2_loss",
    # training
    "train_epoch",
    "evaluate",
    "auto_device",
    "save_checkpoint",
    "load_checkpoint",
    # SC-aware fine-tuning
    "sc_finetune",
    "sc_forward",
]
