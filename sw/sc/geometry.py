"""The shape of a conv layer: a format of the contract that the export, the SC model and the gateware read.

:class:`ConvGeometry` fixes a conv layer's input ``(C, H, W)``, its square kernel, zero padding, stride 1
and the OR pooling of its spikes; the arithmetic over it is in :mod:`sc_neurocore.sc.conv`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["ConvGeometry"]


@dataclass(frozen=True)
class ConvGeometry:
    """Shape of one conv layer: its input ``(in_channels, height, width)``, a square ``kernel``, zero
    ``padding`` on every side, stride 1, and OR pooling over ``pool x pool`` windows (``pool = 1``: none).

    ``ValueError`` for sizes that are not positive integers or leave no output position or no pooled value.
    """

    in_channels: int
    height: int
    width: int
    kernel: int
    padding: int = 0
    pool: int = 1

    def __post_init__(self):
        for name in ("in_channels", "height", "width", "kernel", "pool"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ValueError(f"conv {name} must be an integer >= 1, not {v!r}")
        p = self.padding
        if not isinstance(p, (int, np.integer)) or isinstance(p, bool) or p < 0:
            raise ValueError(f"conv padding must be an integer >= 0, not {p!r}")
        if self.out_height < 1 or self.out_width < 1:
            raise ValueError(f"a {self.kernel}x{self.kernel} kernel with padding {p} leaves no output position on a "
                             f"{self.height}x{self.width} input")
        if self.pooled_height < 1 or self.pooled_width < 1:
            raise ValueError(f"pool {self.pool} is larger than the {self.out_height}x{self.out_width} conv output")

    @property
    def in_shape(self) -> tuple[int, int, int]:
        return (self.in_channels, self.height, self.width)

    @property
    def n_in(self) -> int:
        """Inputs the layer takes: ``C * H * W``."""
        return self.in_channels * self.height * self.width

    @property
    def taps(self) -> int:
        """Weights per kernel: ``C * k * k``."""
        return self.in_channels * self.kernel * self.kernel

    @property
    def out_height(self) -> int:
        return self.height + 2 * self.padding - self.kernel + 1

    @property
    def out_width(self) -> int:
        return self.width + 2 * self.padding - self.kernel + 1

    @property
    def positions(self) -> int:
        """Output positions per channel: ``H' * W'``."""
        return self.out_height * self.out_width

    @property
    def pooled_height(self) -> int:
        return self.out_height // self.pool

    @property
    def pooled_width(self) -> int:
        return self.out_width // self.pool

    def n_neurons(self, out_channels: int) -> int:
        return out_channels * self.positions

    def n_out(self, out_channels: int) -> int:
        """Values handed to the next layer: ``out_c * (H'//pool) * (W'//pool)``."""
        return out_channels * self.pooled_height * self.pooled_width

    def to_dict(self) -> dict:
        return {k: int(v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d) -> ConvGeometry:
        if not isinstance(d, dict) or set(d) != {"in_channels", "height", "width", "kernel", "padding", "pool"}:
            raise ValueError(f"conv geometry must name in_channels, height, width, kernel, padding and pool, not {d!r}")
        return cls(**d)
