"""NIR in and out: nets from snnTorch, Norse, SpikingJelly, Lava ... into the SC chain, and ours out to them.

``pip install 'sc-neurocore[nir]'`` (the ``nir`` package, which brings ``h5py``).

* :func:`from_nir` reads a ``nir.NIRGraph`` (or a ``.nir`` file) into an :class:`ImportedNet`: per
  layer float weights, biases, leak, threshold and reset, with what was assumed (``notes``).  Its
  :meth:`~ImportedNet.to_quantized` is the :class:`~sc_neurocore.export.QuantizedNet` the SC model,
  the gateware and the boards take (no torch needed); :meth:`~ImportedNet.to_spiking_net` is the
  float :class:`~sc_neurocore.training.SpikingNet` a checkpoint holds.
* :func:`to_nir` writes a ``SpikingNet`` or a ``QuantizedNet`` as a ``nir.NIRGraph`` whose metadata
  says what NIR itself cannot (``dt``, the reset convention and timing, ``T``, the input encoding,
  the readout).

The mapping, the conventions and the other libraries' pitfalls are in ``docs/interop.md``.

Layering: this package sits beside the command line, above the rest: it may import
``sc_neurocore.training`` (lazily, for ``SpikingNet``), ``sc_neurocore.export`` and
``sc_neurocore.sc``; nothing below the command line imports it (training -> nothing of ours;
sc -> its contract; hw -> sc; sim -> hw, sc; boards -> hw; cli on top).
"""

from __future__ import annotations

from .graph import METADATA_KEYS, ImportedNet, NIRImportError, NIRLayer
from .reader import from_nir
from .writer import to_nir

__all__ = ["from_nir", "to_nir", "ImportedNet", "NIRLayer", "NIRImportError", "METADATA_KEYS"]
