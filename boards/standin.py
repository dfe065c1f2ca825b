"""A stand-in network core: the stream interface of ``SCNetworkCore``, none of its arithmetic.

:class:`StandInCore` exists to prove the board flow (UART protocol, builds, reports, the host
client) independently of the real network: it accepts k-bit input codes one per input, waits a
configurable number of cycles, and answers per-class "counts" computed by :func:`standin_model`
(a cheap deterministic function of the codes) and their argmax.  It is never used for accuracy
figures; the board tops use ``sc_neurocore.hw.SCNetworkCore`` whenever a net is given.
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Array, Module, Mux, Signal
from amaranth.lib import wiring

from ..hw.checks import Validated, check_int
from ..hw.ports import NetworkSignature, bits, output_layout

__all__ = ["StandInCore", "standin_model"]


def standin_model(codes, n_output: int, prob_bits: int, timesteps: int) -> tuple[np.ndarray, int]:
    """What :class:`StandInCore` answers: ``counts[j] = min(T, sum(codes[i] for i % n_output == j) >> (k-2))``."""
    codes = np.asarray(codes, dtype=np.int64).reshape(-1)
    sums = np.zeros(n_output, dtype=np.int64)
    for i, c in enumerate(codes):
        sums[i % n_output] += c
    counts = np.minimum(timesteps, sums >> max(0, prob_bits - 2))
    return counts, int(np.argmax(counts))


class StandInCore(Validated, wiring.Component):
    """Stand-in for ``SCNetworkCore`` (same signature, a :class:`~sc_neurocore.hw.ports.NetworkSignature`
    without trace; the answer is :func:`standin_model`).

    Attributes
    ----------
    i : In(stream.Signature(unsigned(prob_bits)))
        Input codes, one per input, in order; always ready while receiving.
    o : Out(stream.Signature(output_layout(n_output, timesteps)))
        Result, offered ``latency + n_output`` cycles after the last input code, until accepted.
    cycles_per_image : int
        Cycles from the first input accepted (one per cycle) to the result.
    """

    @staticmethod
    def validate(n_input: int, n_output: int, prob_bits: int = 8, timesteps: int = 25, latency: int = 100) -> None:
        for name, value, lo, hi in (("n_input", n_input, 1, None), ("n_output", n_output, 2, None),
                                    ("prob_bits", prob_bits, 2, 16), ("timesteps", timesteps, 1, None),
                                    ("latency", latency, 1, None)):
            check_int(name, value, lo, hi)

    def __init__(self, n_input: int, n_output: int, prob_bits: int = 8, timesteps: int = 25, latency: int = 100):
        self.n_input, self.n_output, self.prob_bits = n_input, n_output, prob_bits
        self.timesteps, self.latency = timesteps, latency
        self.count_width = bits(timesteps)
        super().__init__(NetworkSignature(prob_bits, output_layout(n_output, timesteps)))

    @property
    def cycles_per_image(self) -> int:
        return self.n_input + self.latency + self.n_output + 1

    def model(self, codes):
        return standin_model(codes, self.n_output, self.prob_bits, self.timesteps)

    def elaborate(self, platform) -> Module:
        m = Module()
        n, k, T = self.n_output, self.prob_bits, self.timesteps
        per_class = -(-self.n_input // n)
        sums = [Signal(range(per_class * ((1 << k) - 1) + 1), name=f"sum{j}") for j in range(n)]
        counts = [Signal(self.count_width, name=f"count{j}") for j in range(n)]
        idx = Signal(range(self.n_input))
        cls = Signal(range(n))
        wait = Signal(range(self.latency + 1))
        best = Signal(range(n))
        j = Signal(range(n + 1))
        shift = max(0, k - 2)

        with m.FSM():
            with m.State("LOAD"):
                m.d.comb += self.i.ready.eq(1)
                with m.If(self.i.valid):
                    for c in range(n):
                        with m.If(cls == c):
                            m.d.sync += sums[c].eq(sums[c] + self.i.payload)
                    m.d.sync += [idx.eq(idx + 1), cls.eq(cls + 1)]
                    with m.If(cls == n - 1):
                        m.d.sync += cls.eq(0)
                    with m.If(idx == self.n_input - 1):
                        m.d.sync += [idx.eq(0), cls.eq(0), wait.eq(self.latency)]
                        m.next = "COMPUTE"
            with m.State("COMPUTE"):
                with m.If(wait == 0):
                    for c in range(n):
                        q = sums[c] >> shift
                        m.d.sync += counts[c].eq(Mux(q > T, T, q))
                    m.d.sync += [best.eq(0), j.eq(1)]
                    m.next = "ARGMAX"
                with m.Else():
                    m.d.sync += wait.eq(wait - 1)
            with m.State("ARGMAX"):
                with m.If(j == n):
                    m.next = "DONE"
                with m.Else():
                    arr = Array(counts)
                    with m.If(arr[j] > arr[best]):  # strict: the lowest index wins ties
                        m.d.sync += best.eq(j)
                    m.d.sync += j.eq(j + 1)
            with m.State("DONE"):
                m.d.comb += self.o.valid.eq(1)
                for c in range(n):
                    m.d.comb += self.o.payload.counts[c].eq(counts[c])
                m.d.comb += self.o.payload.prediction.eq(best)
                with m.If(self.o.ready):
                    m.d.sync += [s.eq(0) for s in sums]
                    m.next = "LOAD"
        return m
