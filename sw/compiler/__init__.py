"""The equation compiler: neuron models written as equations -> one fixed-point form -> NumPy, Amaranth,
Verilog and torch, bit-exact.

* :mod:`.equation_compiler` -- the front end: ``from_equations(...) -> EquationNeuron`` (exact
  symbolic step, float dynamics, refusals as :class:`EquationError`);
* :mod:`.ir` -- the fixed-point intermediate form (``EquationNeuron.compile(...) -> FixedNeuron``):
  formats per signal, rounding, overflow, constants, lookup tables, range analysis;
* :mod:`.numpy_backend` -- the bit-exact NumPy stepper over a batch of neurons;
* :mod:`.cells` -- the ten cells of the training library as equations.

Layering: this package sits beside the number contract; it imports ``sc_neurocore.sc.contract``
only.  The gateware back-end (``sc_neurocore.hw.equation``: the Amaranth component,
``compile_to_verilog``, ``equation_to_fpga``) and the testbench (``sc_neurocore.sim.equation``:
``generate_testbench``) import it; the torch cell (``sc_neurocore.training.equation_cell``) takes
the compiled program as plain data and imports nothing of ours.
"""

from .equation_compiler import METHODS, EquationError, EquationNeuron, from_equations
from .ir import OVERFLOW, ROUNDING, FixedNeuron, format_name, parse_format

__all__ = ["METHODS", "OVERFLOW", "ROUNDING", "EquationError", "EquationNeuron", "FixedNeuron", "format_name",
           "from_equations", "parse_format"]
