"""Host-side framing: CRC, frames, payload layouts."""

from __future__ import annotations

import numpy as np
import pytest
from sc_neurocore.boards import protocol as P


def test_crc16_check_value():
    # CRC-16/CCITT-FALSE catalogue check value
    assert P.crc16(b"123456789") == 0x29B1
    assert P.crc16(b"") == 0xFFFF


def test_crc16_equals_the_bitwise_definition():
    """The library's CRC against the textbook MSB-first loop (poly 0x1021, init 0xFFFF), on random data."""

    def bitwise(data):
        crc = 0xFFFF
        for byte in data:
            crc ^= byte << 8
            for _ in range(8):
                crc = (((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)) & 0xFFFF
        return crc

    rng = np.random.default_rng(4)  # seed 4
    for n in (1, 2, 7, 64, 300):
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert P.crc16(data) == bitwise(data)
    frame = P.encode_frame(P.CMD_INFO)
    assert P.crc16(frame[1:]) == 0  # the residue of a frame with its CRC: what the gateware checks


def test_frame_roundtrip():
    payload = bytes(range(70))
    frame = P.encode_frame(P.CMD_INFER, payload)
    assert frame[0] == P.SYNC and frame[1] == P.CMD_INFER
    assert frame[2] | (frame[3] << 8) == 70
    assert len(frame) == 4 + 70 + 2
    assert P.decode_frame(frame) == P.Frame(P.CMD_INFER, payload)


def test_every_single_bit_flip_is_caught():
    frame = P.encode_frame(P.CMD_INFER, bytes(range(64)))
    for pos in range(1, len(frame)):  # the sync byte itself: the decoder re-syncs instead
        for bit in range(8):
            bad = bytearray(frame)
            bad[pos] ^= 1 << bit
            try:
                frames, _ = P.FrameDecoder().feed(bytes(bad))
            except P.ProtocolError:
                continue
            assert frames == [], f"flip at byte {pos} bit {bit} went through"


def test_decoder_incremental_and_resync():
    a = P.encode_frame(P.RSP_INFO, b"\x01\x02")
    b = P.encode_frame(P.RSP_ERROR, bytes([P.ERR_CRC]))
    dec = P.FrameDecoder()
    frames, skipped = dec.feed(b"\x00\x13" + a[:3])
    assert frames == [] and skipped == 2 and dec.needed() >= 1
    frames, _ = dec.feed(a[3:] + b)
    assert [f.cmd for f in frames] == [P.RSP_INFO, P.RSP_ERROR]
    with pytest.raises(P.ProtocolError, match="one frame"):
        P.decode_frame(a + b)
    with pytest.raises(P.ProtocolError, match="checksum"):
        P.decode_frame(a[:-1] + bytes([a[-1] ^ 1]))


def test_info_and_result_layouts():
    info = P.BoardInfo(P.VERSION, 64, 10, 8, 25, 1, 0xBEEF)
    assert P.decode_info(P.encode_info(info)) == info
    assert info.result_length == 1 + 10 + 4 and info.request_length == 64
    payload = P.encode_result(7, list(range(10)), 1, 123456)
    pred, counts, cycles = P.decode_result(payload, info)
    assert pred == 7 and counts.tolist() == list(range(10)) and cycles == 123456
    with pytest.raises(P.ProtocolError, match="expected 15"):
        P.decode_result(payload[:-1], info)


def test_codes():
    assert P.encode_codes(np.array([0, 255, 16]), 8) == bytes([0, 255, 16])
    assert P.encode_codes([0x1234], 13) == b"\x34\x12"
    with pytest.raises(ValueError, match=r"\[0, 255\]"):
        P.encode_codes([256], 8)
    with pytest.raises(TypeError, match="float"):
        P.encode_codes(np.array([0.5]), 8)
    assert P.count_bytes(25) == 1 and P.count_bytes(255) == 1 and P.count_bytes(256) == 2


def test_net_id_tracks_the_net():
    from sc_neurocore.export import QuantizedNet

    rng = np.random.default_rng(0)
    w = [rng.normal(size=(8, 12)), rng.normal(size=(3, 8))]
    a = QuantizedNet.from_float(w, [None, None], [0.9, 0.9], [1.0, 1.0])
    w[1][0, 0] += 1.0
    b = QuantizedNet.from_float(w, [None, None], [0.9, 0.9], [1.0, 1.0])
    a2 = QuantizedNet.from_float([w[0], w[1] - np.eye(3, 8)[0:3] * 0], [None, None], [0.9, 0.9], [1.0, 1.0])
    assert P.net_id(b) == P.net_id(a2)  # same integers, same id
    assert P.net_id(a) != P.net_id(b)
    assert 0 <= P.net_id(a) <= 0xFFFF
