"""The host <-> board serial protocol: framing, checksum and payload layouts.

Shared by the host client (:mod:`sc_neurocore.boards.client`), the gateware front end
(:mod:`sc_neurocore.boards.link`, which reads its constants from here) and the tests.

Every frame, in both directions::

    SYNC  CMD  LEN_LO LEN_HI  PAYLOAD[LEN]  CRC_HI CRC_LO

* ``SYNC`` = ``0xA5``; ``LEN`` = payload length in bytes, little-endian;
* ``CRC`` = CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor) over
  ``CMD LEN_LO LEN_HI PAYLOAD``, sent high byte first: :data:`CRC`, the parameters of
  ``amaranth.lib.crc.catalog.CRC16_CCITT_FALSE`` for bytes, which the host computes in software
  (``CRC.compute``) and the gateware builds into ``lib.crc.Processor`` units.

Commands (host -> board) and answers (board -> host):

``CMD_INFO`` (no payload) -> ``RSP_INFO``: ``version u8, n_input u16, n_output u8, prob_bits u8,
timesteps u16, count_bytes u8, net_id u16`` (all little-endian; ``net_id`` = :func:`net_id` of the net
built into the bitstream, so a client can tell whether the board holds the net it expects).

``CMD_INFER`` (payload: ``n_input`` k-bit input codes, ``code_bytes(k)`` bytes each, little-endian,
in input order; for a spike-input net, ``n_input`` spike words of ``T`` bits, bit ``t`` the input's spike at
timestep ``t``, and ``RSP_INFO``'s ``prob_bits`` is ``T``: the width of an input word) -> ``RSP_RESULT``: ``prediction u8, counts[n_output] (count_bytes each, LE),
cycles u32`` where ``cycles`` is the number of clock cycles the network core took for this image
(from its first input code to its result), counted by the gateware.

Anything wrong -> ``RSP_ERROR`` with one byte, an ``ERR_*`` code.  The board checks the CRC before it
hands any input to the network, so a corrupted or truncated request is answered with an error
frame, never with a result computed from damaged inputs.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np
from amaranth.lib.crc.catalog import CRC16_CCITT_FALSE

__all__ = [
    "SYNC",
    "VERSION",
    "CMD_INFO",
    "CMD_INFER",
    "RSP_INFO",
    "RSP_RESULT",
    "RSP_ERROR",
    "ERR_CRC",
    "ERR_LENGTH",
    "ERR_COMMAND",
    "ERR_TRUNCATED",
    "ERR_LINE",
    "ERROR_NAMES",
    "INFO_LENGTH",
    "CYCLES_BYTES",
    "CRC",
    "crc16",
    "code_bytes",
    "count_bytes",
    "encode_frame",
    "decode_frame",
    "FrameDecoder",
    "Frame",
    "ProtocolError",
    "BoardInfo",
    "encode_codes",
    "encode_info",
    "decode_info",
    "encode_result",
    "decode_result",
    "net_id",
]

SYNC = 0xA5
VERSION = 1

CMD_INFO = 0x01
CMD_INFER = 0x02
RSP_INFO = 0x81
RSP_RESULT = 0x82
RSP_ERROR = 0xEE

ERR_CRC = 1  #: checksum mismatch
ERR_LENGTH = 2  #: payload length wrong for the command (or longer than any command allows)
ERR_COMMAND = 3  #: unknown command
ERR_TRUNCATED = 4  #: the line went idle in the middle of a frame
ERR_LINE = 5  #: UART framing error or overrun inside a frame

ERROR_NAMES = {
    ERR_CRC: "bad checksum",
    ERR_LENGTH: "bad length",
    ERR_COMMAND: "unknown command",
    ERR_TRUNCATED: "truncated frame",
    ERR_LINE: "serial line error",
}

INFO_LENGTH = 10
CYCLES_BYTES = 4

#: The frame checksum, CRC-16/CCITT-FALSE over bytes (``amaranth.lib.crc``), for host and gateware alike.
CRC = CRC16_CCITT_FALSE(data_width=8)


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE of ``data`` (:data:`CRC` computed in software)."""
    return CRC.compute(bytes(data))


def code_bytes(prob_bits: int) -> int:
    """Bytes per input word on the wire (``prob_bits``: the word's width, a code's k or a spike word's T)."""
    if not 1 <= prob_bits <= 64:
        raise ValueError(f"the input word width must be in [1, 64], not {prob_bits!r}")
    return (prob_bits + 7) // 8


def count_bytes(timesteps: int) -> int:
    """Bytes per spike count (a count lies in ``[0, timesteps]``)."""
    if timesteps < 1:
        raise ValueError(f"timesteps must be >= 1, not {timesteps!r}")
    return max(1, (int(timesteps).bit_length() + 7) // 8)


class ProtocolError(Exception):
    """A frame that cannot be trusted (bad sync, checksum, length) or an unexpected answer."""


@dataclass(frozen=True)
class Frame:
    cmd: int
    payload: bytes


def encode_frame(cmd: int, payload: bytes = b"") -> bytes:
    if not 0 <= cmd <= 0xFF:
        raise ValueError(f"command must be one byte, not {cmd!r}")
    payload = bytes(payload)
    if len(payload) > 0xFFFF:
        raise ValueError(f"payload of {len(payload)} bytes does not fit the 16-bit length field")
    body = bytes([cmd]) + struct.pack("<H", len(payload)) + payload
    return bytes([SYNC]) + body + struct.pack(">H", crc16(body))


def decode_frame(data: bytes) -> Frame:
    """Decode exactly one frame; raise :class:`ProtocolError` on any damage."""
    frames, rest = FrameDecoder().feed(data)
    if len(frames) != 1 or rest:
        raise ProtocolError(f"expected exactly one frame in {len(data)} bytes, got {len(frames)} (+{rest} stray bytes)")
    return frames[0]


class FrameDecoder:
    """Incremental frame parser (the host-side mirror of the gateware's receiver).

    :meth:`feed` returns the frames completed so far and the number of bytes skipped while hunting
    for ``SYNC``; a frame with a bad checksum raises :class:`ProtocolError`.
    """

    def __init__(self, max_payload: int = 0xFFFF):
        self.max_payload = max_payload
        self._buf = bytearray()

    @property
    def pending(self) -> int:
        return len(self._buf)

    def needed(self) -> int:
        """Bytes still missing for the frame under way (at least 1)."""
        buf = self._buf
        if len(buf) < 4:
            return 6 - len(buf)
        length = buf[2] | (buf[3] << 8)
        return max(1, 4 + length + 2 - len(buf))

    def feed(self, data: bytes) -> tuple[list[Frame], int]:
        self._buf += data
        frames, skipped = [], 0
        buf = self._buf
        while buf:
            if buf[0] != SYNC:
                del buf[0]
                skipped += 1
                continue
            if len(buf) < 4:
                break
            length = buf[2] | (buf[3] << 8)
            if length > self.max_payload:
                del buf[0]
                raise ProtocolError(f"frame announces {length} payload bytes, more than {self.max_payload}")
            total = 4 + length + 2
            if len(buf) < total:
                break
            body = bytes(buf[1 : 4 + length])
            crc = (buf[4 + length] << 8) | buf[5 + length]
            del buf[:total]
            if crc16(body) != crc:
                raise ProtocolError(f"bad checksum on a frame (command 0x{body[0]:02x}, {length} bytes)")
            frames.append(Frame(body[0], body[3:]))
        return frames, skipped


@dataclass(frozen=True)
class BoardInfo:
    """What a board reports about the net in its bitstream (``RSP_INFO``)."""

    version: int
    n_input: int
    n_output: int
    prob_bits: int
    timesteps: int
    count_bytes: int
    net_id: int

    @property
    def code_bytes(self) -> int:
        return code_bytes(self.prob_bits)

    @property
    def result_length(self) -> int:
        return 1 + self.n_output * self.count_bytes + CYCLES_BYTES

    @property
    def request_length(self) -> int:
        return self.n_input * self.code_bytes


def encode_info(info: BoardInfo) -> bytes:
    return struct.pack(
        "<BHBBHBH",
        info.version,
        info.n_input,
        info.n_output,
        info.prob_bits,
        info.timesteps,
        info.count_bytes,
        info.net_id,
    )


def decode_info(payload: bytes) -> BoardInfo:
    if len(payload) != INFO_LENGTH:
        raise ProtocolError(f"info payload has {len(payload)} bytes, expected {INFO_LENGTH}")
    return BoardInfo(*struct.unpack("<BHBBHBH", payload))


def encode_codes(codes, prob_bits: int) -> bytes:
    """Input codes -> ``CMD_INFER`` payload; codes outside ``[0, 2**k - 1]`` raise ``ValueError``."""
    arr = np.asarray(codes).reshape(-1)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"input codes must be integers, not dtype {arr.dtype}")
    hi = (1 << prob_bits) - 1
    if arr.size and (arr.min() < 0 or arr.max() > hi):
        raise ValueError(f"input codes must lie in [0, {hi}] for prob_bits={prob_bits}; got [{arr.min()}, {arr.max()}]")
    nb = code_bytes(prob_bits)
    return b"".join(int(c).to_bytes(nb, "little") for c in arr)


def encode_result(prediction: int, counts, n_count_bytes: int, cycles: int) -> bytes:
    return (
        bytes([prediction])
        + b"".join(int(c).to_bytes(n_count_bytes, "little") for c in counts)
        + int(cycles).to_bytes(CYCLES_BYTES, "little")
    )


def decode_result(payload: bytes, info: BoardInfo) -> tuple[int, np.ndarray, int]:
    """``RSP_RESULT`` payload -> ``(prediction, counts int64 (n_output,), cycles)``."""
    if len(payload) != info.result_length:
        raise ProtocolError(f"result payload has {len(payload)} bytes, expected {info.result_length}")
    nb = info.count_bytes
    counts = np.array(
        [int.from_bytes(payload[1 + i * nb : 1 + (i + 1) * nb], "little") for i in range(info.n_output)],
        dtype=np.int64,
    )
    cycles = int.from_bytes(payload[-CYCLES_BYTES:], "little")
    return payload[0], counts, cycles


def net_id(qnet) -> int:
    """A 16-bit fingerprint of a :class:`~sc_neurocore.export.QuantizedNet` (CRC-16 of its integers).

    The board reports it in ``RSP_INFO``; the client compares it with the net it loaded.
    """
    parts = [repr(sorted(vars(qnet.config).items())).encode()]
    for layer in qnet.layers:
        parts.append(np.ascontiguousarray(layer.weight_q, dtype="<i8").tobytes())
        parts.append(np.ascontiguousarray(layer.bias_q, dtype="<i8").tobytes())
        parts.append(
            struct.pack("<qqqqqq", layer.beta_q, layer.threshold_q, layer.scale_mult, layer.scale_shift,
                        int(layer.reset == "zero"), layer.reset_q or 0)
        )
    if qnet.spike_input:  # the same weights fed spikes are another net (a probability net's id is unchanged)
        parts.append(b"spike-input")
    return crc16(b"".join(parts))
