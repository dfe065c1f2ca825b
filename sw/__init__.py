"""sc-neurocore: spiking neural networks trained in PyTorch, run as stochastic-computing
bitstreams in a bit-exact NumPy model, built as Amaranth gateware and co-simulated with cocotb.

Parts: ``sc_neurocore.training`` (torch), ``sc_neurocore.sc`` (NumPy SC model and the number
contract), ``sc_neurocore.export`` (the signed integer export), ``sc_neurocore.layers``
(documented SC layers), ``sc_neurocore.hw`` (gateware), ``sc_neurocore.sim`` (cocotb),
``sc_neurocore.boards`` (FPGA builds).
"""

__version__ = "0.1.0"
