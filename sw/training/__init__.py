"""Surrogate-gradient training of spiking networks in PyTorch (``pip install 'sc-neurocore[training]'``).

Modules: :mod:`.surrogates` (seven surrogate gradients), :mod:`.cells` (ten neuron cells: parameter
records, pure step functions and the modules around them),
:mod:`.lif_kernel` (the fused multi-step LIF autograd node), :mod:`.net_kernel` (a dense LIF net's forward and
backward in one node), :mod:`.networks` (``SpikingNet``,
``ConvSpikingNet``), :mod:`.encoders`, :mod:`.losses`, :mod:`.loop` (``train_epoch``,
``evaluate``, ``auto_device``), :mod:`.checkpoint` and :mod:`.finetune` (SC-aware fine-tuning against the
bit-exact SC model, ``sc_finetune``), :mod:`.equation_cell` (``EquationCell``: a neuron compiled from
equations by ``sc_neurocore.compiler``, handed over as plain data).
"""

from . import cells, encoders, finetune, lif_kernel, loop, losses, networks, surrogates
from .cells import *  # noqa: F403 - the names of each module's __all__, listed once, there
from .checkpoint import load_checkpoint, save_checkpoint
from .encoders import *  # noqa: F403
from .equation_cell import EquationCell
from .finetune import *  # noqa: F403
from .lif_kernel import *  # noqa: F403
from .loop import *  # noqa: F403
from .losses import *  # noqa: F403
from .networks import *  # noqa: F403
from .surrogates import *  # noqa: F403

__all__ = [
    *surrogates.__all__,
    *cells.__all__,
    *lif_kernel.__all__,
    *networks.__all__,
    *encoders.__all__,
    *losses.__all__,
    *loop.__all__,
    "save_checkpoint",
    "load_checkpoint",
    *finetune.__all__,
    "EquationCell",
]
