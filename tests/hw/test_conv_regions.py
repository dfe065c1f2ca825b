"""A conv net of three conv blocks on the engine: layer ``l`` reads list region ``l % 2``, so layers 0 and 2 share
region 0's bit set, whose width must be the wider of the two (layer 2's here)."""

from __future__ import annotations

from sc_neurocore.hw.active_list import active_bits
from sc_neurocore.hw.plan import EngineSpec

from .test_conv_engine import _check, _images, conv_net


def test_three_conv_blocks_share_region_zero():
    """1x3x3 input, conv blocks of 1, 2, 2 channels (pool 1, padding 1): layer 0 reads 9 inputs, layer 1 9, layer 2
    18, so region 0's bit set is 18 bits wide (not layer 0's 9) and region 1's 9; every integer equals the
    model's."""
    qnet = conv_net(4, in_shape=(1, 3, 3), channels=(1, 2, 2), k=3, pad=1, pool=1, n_out=3)
    assert [layer.n_in for layer in qnet.layers] == [9, 9, 18, 18]
    assert active_bits(EngineSpec.of(qnet, 3, (2, 2))) == (18, 9)
    _check(qnet, 3, (2, 2), _images(5, 3, qnet.n_input))
