"""``sc-neurocore infer``: run a dataset through a board over its serial port; accuracy and images/s.

The client first asks the board what it runs and refuses a board built for another net; then it
sends each test image's k-bit input codes and compares the board's predictions with the labels
and with the NumPy SC model (``SCNetwork``), which must agree exactly (exit 1 otherwise).
"""

from __future__ import annotations

from .argtypes import positive_float, positive_int
from .export_vectors import add_data_options, encoded_inputs, load_inputs
from .nets import add_net_options, net_from_args

EXAMPLES = """\
examples:
  sc-neurocore infer --port /dev/ttyUSB1 --board icebreaker --checkpoint digits.pt
  sc-neurocore infer --port /dev/ttyUSB1 --export digits_export.npz --limit 100
"""


def register(sub) -> None:
    from ..boards.registry import board_names

    p = sub.add_parser(
        "infer",
        help="classify a dataset on a board over its serial port",
        description="Send a dataset's images to a board built with 'sc-neurocore build', compare its predictions "
        "with the labels and its counts with the NumPy SC model, and report images/s over the link.",
        epilog=EXAMPLES,
    )
    p.add_argument("--port", required=True, help="serial port of the board (e.g. /dev/ttyUSB1)")
    p.add_argument("--board", choices=board_names(), default=None, metavar="BOARD",
                   help="the board the net was built for: its SC source is the default, as in 'build' "
                   f"({', '.join(board_names())})")
    add_net_options(p)
    add_data_options(p)
    p.add_argument("--baud", type=positive_int, default=1_000_000, help="baud rate (default: 1000000)")
    p.add_argument("--timeout", type=positive_float, default=1.0, help="serial read timeout in seconds (default: 1)")
    p.add_argument("--no-model", action="store_true", help="skip the NumPy SC model comparison")
    p.set_defaults(func=run)


def run(args) -> int:
    import numpy as np

    from ..boards.client import BoardClient, BoardError, BoardTimeout, open_serial, run_dataset
    from ..boards.protocol import ProtocolError
    from ..errors import CheckFailed
    from ..sc.contract import quantize_probability
    from ..sc.network import spike_words

    defaults = {}
    if args.board is not None:
        from ..boards.registry import get_board

        defaults["rng"] = get_board(args.board).rng
    net = net_from_args(args, conv=True, **defaults)
    x, y, _ = load_inputs(args, net)
    x = encoded_inputs(args, net, x)  # a spike-input net: the raster, sent as T-bit spike words
    codes = spike_words(x) if net.qnet.spike_input else quantize_probability(x, net.qnet.config.prob_bits)
    port = open_serial(args.port, args.baud, args.timeout)
    with port:
        client = BoardClient(port)
        try:
            info = client.check_net(net.qnet, net.T)
        except ValueError as exc:
            raise CheckFailed(f"{exc} (built from this checkpoint? pass the build's --board, or its --rng/--length)") \
                from exc
        try:
            run = run_dataset(client, codes)
        except (BoardError, BoardTimeout, ProtocolError) as exc:
            raise CheckFailed(f"the board failed: {exc}") from exc
    acc = run.accuracy(y)
    print(f"{len(y)} images: accuracy {acc:.2%}, {run.images_per_s:,.0f} images/s over the link "
          f"({int(np.median(run.cycles)):,} core cycles per image, T={info.timesteps})")
    if not args.no_model:
        from ..sc.network import SCNetwork

        model = SCNetwork.from_quantized(net.qnet).predict_codes(codes, net.T)
        same = np.array_equal(model, run.counts)
        print(f"NumPy SC model: accuracy {np.mean(np.argmax(model, axis=1) == y):.2%}; board counts "
              f"{'equal the model on every image' if same else 'DIFFER from the model'}")
        if not same:
            bad = int(np.sum(np.any(model != run.counts, axis=1)))
            raise CheckFailed(f"the board's counts differ from the NumPy SC model on {bad} of {len(y)} images")
    return 0
