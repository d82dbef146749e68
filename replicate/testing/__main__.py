"""Serve the emulator from the command line until Ctrl-C.

Example::

    $ python -m replicate.testing --port 8080
    REPLICATE_BASE_URL=http://127.0.0.1:8080/v1
    REPLICATE_API_TOKEN=r8_emulator_token
    ...
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line's options.

    Example: ``parse(["--port", "0", "--seed", "1"]).seed == 1``.
    """
    parser = argparse.ArgumentParser(
        prog="python -m replicate.testing",
        description="Serve a local emulator of Replicate's HTTP API until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="API port (default 0: any free)")
    parser.add_argument("--delivery-port", type=int, default=0, help="file host port")
    parser.add_argument("--token", help="the API token to accept (default: r8_emulator_token)")
    parser.add_argument(
        "--no-validate", action="store_true", help="skip request validation (faster)"
    )
    parser.add_argument(
        "--real-deviations",
        action="store_true",
        help="answer as recorded 2023-2024 traffic did (early Prefer: wait answers, "
        "timestamps of 0 to 9 fractional digits, more nulls)",
    )
    parser.add_argument("--rate-limits", action="store_true", help="apply the service's limits")
    parser.add_argument("--seed", type=int, help="seed for reproducible ids")
    parser.add_argument(
        "--page-size", type=int, help="every list's page size (default: the API's, 25 models)"
    )
    parser.add_argument(
        "--tokens-per-second", type=float, default=50.0, help="the language model's speed"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit status.

    Raises ImportError without the ``emulator`` extra, and OSError when the address cannot
    be served (a port in use); ``command_line`` prints either as one line.

    Example: ``python -m replicate.testing --port 0 --seed 1``.
    """
    args = parse(argv)
    from replicate.testing import Emulator  # says which extra to install when it is missing

    emulator = Emulator(
        api_token=args.token,
        host=args.host,
        port=args.port,
        delivery_port=args.delivery_port,
        validate_requests=not args.no_validate,
        real_deviations=args.real_deviations,
        rate_limits=args.rate_limits,
        page_size=args.page_size,
        seed=args.seed,
        tokens_per_second=args.tokens_per_second,
    )
    stop = threading.Event()

    def on_signal(number: int, frame: FrameType | None) -> None:
        stop.set()

    # SIGTERM (a supervisor, a test's terminate()) stops as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, on_signal)
    with emulator:
        # Lines a shell can use as they are (`export $(... | head -2)`), then the rest.
        print(f"REPLICATE_BASE_URL={emulator.base_url}")
        print(f"REPLICATE_API_TOKEN={emulator.api_token}")
        print(f"# file delivery host: {emulator.delivery_url}")
        print("# models: replicate/hello-world, replicate/language-model, replicate/image,")
        print("#         replicate/caption, replicate/fails, replicate/slow.")
        print("# Press Ctrl-C to stop.", flush=True)
        try:
            while not stop.wait(0.5):  # a timed wait, so that Ctrl-C is seen at once
                pass
        except KeyboardInterrupt:
            pass
    return 0


def command_line(argv: list[str] | None = None) -> int:
    """``python -m replicate.testing``: ``main``, with a missing extra or a port in use told
    in one line on stderr (exit status 2) rather than a traceback.

    Example: ``sys.exit(command_line(["--port", "8000"]))``.
    """
    try:
        return main(argv)
    except ImportError as error:
        message = str(error)
    except OSError as error:
        message = f"cannot serve the emulator: {error.strerror or error}"
    print(f"python -m replicate.testing: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(command_line())
