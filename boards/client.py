"""Host client for a board running the sc-neurocore protocol (:mod:`sc_neurocore.boards.protocol`).

:class:`BoardClient` talks to any *transport*: an object with ``write(bytes)`` and ``read(n) ->
bytes`` that returns fewer bytes (or none) when nothing arrives within its timeout -- a
``serial.Serial`` opened by :func:`open_serial`, or the simulated UART of the co-simulation
tests.  Every answer is checked (sync, length, CRC, command, payload size); an error frame raises
:class:`BoardError` with the board's reason.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from . import protocol as P

__all__ = ["BoardClient", "BoardError", "BoardTimeout", "InferenceRun", "open_serial", "run_dataset", "RETRIED_ERRORS"]

#: Error codes the board gives for a request damaged on the line (worth sending again).
RETRIED_ERRORS = (P.ERR_CRC, P.ERR_LENGTH, P.ERR_TRUNCATED, P.ERR_LINE)


class BoardError(RuntimeError):
    """The board answered with an error frame (``code`` is the ``ERR_*`` value)."""

    def __init__(self, code: int):
        self.code = code
        super().__init__(f"board rejected the request: {P.ERROR_NAMES.get(code, 'error')} (code {code})")


class BoardTimeout(TimeoutError):
    """No (complete) answer within the transport's timeout."""


def open_serial(port: str, baud: int, timeout: float = 1.0):
    """A pyserial port; without pyserial :class:`~sc_neurocore.errors.MissingTool`, a port that does not
    open ``ValueError`` asking whether the board is attached and the name right."""
    try:
        import serial
    except ImportError as exc:
        from ..errors import missing_extra

        raise missing_extra("boards", exc, what="the serial client needs pyserial") from exc
    try:
        return serial.Serial(port, baudrate=baud, timeout=timeout)
    except (serial.SerialException, OSError) as exc:
        raise ValueError(f"cannot open the serial port {port} ({exc}): is the board attached, and is the "
                         "port name right?") from exc


class BoardClient:
    """Request/response client over a byte transport."""

    def __init__(self, transport, *, max_polls: int = 8, retries: int = 2):
        for name in ("read", "write"):
            if not callable(getattr(transport, name, None)):
                raise TypeError(f"transport must have read(n) and write(data) methods; {transport!r} lacks {name}")
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"retries must be a non-negative integer, not {retries!r}")
        self.transport = transport
        self.max_polls = max_polls
        self.retries = retries
        self.retried = 0  #: requests sent again so far (a count for reports)
        self._info: P.BoardInfo | None = None

    def _exchange(self, cmd: int, payload: bytes = b"") -> P.Frame:
        frame = P.encode_frame(cmd, payload)
        for attempt in range(self.retries + 1):
            if attempt:
                self.drain()
                self.retried += 1
            self.transport.write(frame)
            flush = getattr(self.transport, "flush", None)
            if callable(flush):
                flush()
            try:
                return self.read_frame()
            except BoardError as exc:
                if exc.code not in RETRIED_ERRORS or attempt == self.retries:
                    raise
            except (BoardTimeout, P.ProtocolError):
                if attempt == self.retries:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def drain(self, limit: int = 1 << 16) -> int:
        """Read and drop bytes until the transport returns none (one read timeout of silence); the count."""
        dropped = 0
        while dropped < limit:
            chunk = self.transport.read(256)
            if not chunk:
                break
            dropped += len(chunk)
        return dropped

    def read_frame(self) -> P.Frame:
        """Read one answer frame; ``BoardError`` for an error frame, ``ProtocolError`` for a damaged one."""
        dec = P.FrameDecoder(max_payload=1024)
        empty = 0
        while True:
            chunk = self.transport.read(dec.needed())
            if not chunk:
                empty += 1
                if empty >= self.max_polls:
                    raise BoardTimeout(f"no answer from the board ({dec.pending} bytes of a frame received)")
                continue
            empty = 0
            frames, _ = dec.feed(bytes(chunk))
            if frames:
                frame = frames[0]
                if frame.cmd == P.RSP_ERROR:
                    raise BoardError(frame.payload[0] if frame.payload else 0)
                return frame

    def info(self) -> P.BoardInfo:
        """Ask the board what it runs (``CMD_INFO``)."""
        frame = self._exchange(P.CMD_INFO)
        if frame.cmd != P.RSP_INFO:
            raise P.ProtocolError(f"expected an info frame, got command 0x{frame.cmd:02x}")
        self._info = P.decode_info(frame.payload)
        return self._info

    def check_net(self, qnet, T: int | None = None) -> P.BoardInfo:
        """``info()`` and verify that the board holds ``qnet`` (net id, sizes, k, T); ``ValueError`` if not."""
        info = self.info()
        width = (T if T is not None else info.timesteps) if qnet.spike_input else qnet.config.prob_bits
        want = (qnet.n_input, qnet.n_output, width, P.net_id(qnet))
        got = (info.n_input, info.n_output, info.prob_bits, info.net_id)
        if want != got or (T is not None and T != info.timesteps):
            raise ValueError(
                f"the board runs a different net: board (n_input, n_output, k, net_id, T) = {got + (info.timesteps,)}, "
                f"expected {want + (T,)}; rebuild with sc-neurocore build"
            )
        return info

    def infer(self, codes) -> tuple[int, np.ndarray, int]:
        """One image's k-bit input codes (a spike-input net: its T-bit spike words) -> ``(prediction, counts
        (n_output,), cycles)``."""
        info = self._info or self.info()
        codes = np.asarray(codes).reshape(-1)
        if codes.size != info.n_input:
            raise ValueError(f"the board takes {info.n_input} input codes per image, not {codes.size}")
        frame = self._exchange(P.CMD_INFER, P.encode_codes(codes, info.prob_bits))
        if frame.cmd != P.RSP_RESULT:
            raise P.ProtocolError(f"expected a result frame, got command 0x{frame.cmd:02x}")
        return P.decode_result(frame.payload, info)


@dataclass
class InferenceRun:
    predictions: np.ndarray
    counts: np.ndarray
    cycles: np.ndarray
    seconds: float

    def accuracy(self, labels) -> float:
        return float(np.mean(self.predictions == np.asarray(labels)))

    @property
    def images_per_s(self) -> float:
        return len(self.predictions) / self.seconds if self.seconds > 0 else float("inf")


def run_dataset(client: BoardClient, codes, progress=None) -> InferenceRun:
    """Send every row of ``codes`` (N, n_input); collect predictions, counts and the board's cycle counts."""
    codes = np.asarray(codes)
    preds, counts, cycles = [], [], []
    t0 = time.perf_counter()
    for n, row in enumerate(codes):
        p, c, cy = client.infer(row)
        preds.append(p)
        counts.append(c)
        cycles.append(cy)
        if progress is not None:
            progress(n + 1, len(codes))
    seconds = time.perf_counter() - t0
    return InferenceRun(np.array(preds, dtype=np.int64), np.array(counts, dtype=np.int64).reshape(len(preds), -1),
                        np.array(cycles, dtype=np.int64), seconds)
