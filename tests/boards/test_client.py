"""BoardClient against a software board (the protocol's host-side mirror of LinkEngine), and the CLI's errors."""

from __future__ import annotations

import numpy as np
import pytest
from sc_neurocore.boards import protocol as P
from sc_neurocore.boards.client import BoardClient, BoardError, BoardTimeout, run_dataset
from sc_neurocore.boards.standin import standin_model


class SoftBoard:
    """A transport that answers like the gateware (stand-in core), with optional damage to its answers."""

    def __init__(self, info: P.BoardInfo, *, damage=None, silent=False):
        self.info, self.damage, self.silent = info, damage, silent
        self.out = bytearray()
        self.dec = P.FrameDecoder()

    def write(self, data):
        try:
            frames, _ = self.dec.feed(bytes(data))
        except P.ProtocolError:
            self._answer(P.RSP_ERROR, bytes([P.ERR_CRC]))
            return len(data)
        for f in frames:
            if f.cmd == P.CMD_INFO:
                self._answer(P.RSP_INFO, P.encode_info(self.info))
            elif f.cmd == P.CMD_INFER and len(f.payload) == self.info.request_length:
                codes = list(f.payload)
                counts, pred = standin_model(codes, self.info.n_output, self.info.prob_bits, self.info.timesteps)
                self._answer(P.RSP_RESULT, P.encode_result(pred, counts, self.info.count_bytes, 1234))
            elif f.cmd == P.CMD_INFER:
                self._answer(P.RSP_ERROR, bytes([P.ERR_LENGTH]))
            else:
                self._answer(P.RSP_ERROR, bytes([P.ERR_COMMAND]))
        return len(data)

    def _answer(self, cmd, payload):
        frame = bytearray(P.encode_frame(cmd, payload))
        if self.damage:
            frame = self.damage(frame)
        if not self.silent:
            self.out += frame

    def read(self, n):
        chunk = bytes(self.out[:n])
        del self.out[:n]
        return chunk


INFO = P.BoardInfo(P.VERSION, 16, 4, 8, 25, 1, 0x4242)


def test_info_and_infer():
    client = BoardClient(SoftBoard(INFO))
    assert client.info() == INFO
    codes = np.arange(16) * 15
    pred, counts, cycles = client.infer(codes)
    want, want_pred = standin_model(codes, 4, 8, 25)
    assert counts.tolist() == want.tolist() and pred == want_pred and cycles == 1234


def test_run_dataset():
    client = BoardClient(SoftBoard(INFO))
    rows = np.random.default_rng(0).integers(0, 256, size=(5, 16))
    run = run_dataset(client, rows)
    assert run.predictions.tolist() == [standin_model(r, 4, 8, 25)[1] for r in rows]
    assert run.accuracy(run.predictions) == 1.0 and run.images_per_s > 0


def test_damaged_answer_is_not_misread():
    def flip(frame):
        frame[5] ^= 0x01
        return frame

    client = BoardClient(SoftBoard(INFO, damage=flip))
    with pytest.raises(P.ProtocolError, match="checksum"):
        client.info()


def test_error_frame_raises():
    client = BoardClient(SoftBoard(INFO))
    client.info()
    with pytest.raises(ValueError, match="16 input codes"):
        client.infer(np.zeros(15, dtype=np.int64))
    client._info = P.BoardInfo(P.VERSION, 15, 4, 8, 25, 1, 0)  # pretend the board takes 15 -> it says no
    with pytest.raises(BoardError, match="bad length"):
        client.infer(np.zeros(15, dtype=np.int64))


def test_silent_board_times_out():
    client = BoardClient(SoftBoard(INFO, silent=True), max_polls=3)
    with pytest.raises(BoardTimeout, match="no answer"):
        client.info()


def test_check_net_refuses_another_net():
    from sc_neurocore.export import QuantizedNet

    rng = np.random.default_rng(1)
    qnet = QuantizedNet.from_float([rng.normal(size=(4, 16))], [None], [0.9], [1.0])
    client = BoardClient(SoftBoard(INFO))
    with pytest.raises(ValueError, match="different net"):
        client.check_net(qnet, 25)
    good = P.BoardInfo(P.VERSION, 16, 4, 8, 25, 1, P.net_id(qnet))
    assert BoardClient(SoftBoard(good)).check_net(qnet, 25) == good


def test_transport_checked():
    with pytest.raises(TypeError, match="read"):
        BoardClient(object())


class FlakyLine(SoftBoard):
    """A SoftBoard whose line damages the first ``bad`` requests (one flipped bit) or swallows them."""

    def __init__(self, info, *, bad: int, how: str = "flip"):
        super().__init__(info)
        self.bad, self.how, self.requests = bad, how, 0

    def write(self, data):
        self.requests += 1
        if self.requests <= self.bad:
            if self.how == "drop":
                return len(data)
            data = bytearray(data)
            data[6] ^= 0x10
            self.dec = P.FrameDecoder()
        return super().write(bytes(data))


@pytest.mark.parametrize("how", ["flip", "drop"])
def test_the_client_retries_a_damaged_or_lost_request(how):
    codes = np.arange(16) * 15
    want, want_pred = standin_model(codes, 4, 8, 25)
    line = FlakyLine(INFO, bad=2, how=how)
    client = BoardClient(line, max_polls=2, retries=2)
    client._info = INFO
    pred, counts, _ = client.infer(codes)
    assert counts.tolist() == want.tolist() and pred == want_pred
    assert client.retried == 2 and line.requests == 3


def test_the_client_gives_up_after_its_retries():
    line = FlakyLine(INFO, bad=3)
    client = BoardClient(line, max_polls=2, retries=2)
    client._info = INFO
    with pytest.raises(BoardError, match="bad checksum"):
        client.infer(np.zeros(16, dtype=np.int64))
    assert line.requests == 3
    with pytest.raises(ValueError, match="retries"):
        BoardClient(line, retries=-1)
