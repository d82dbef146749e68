"""The ``replicate`` command line: run models and manage predictions, models, files and more.

Installed as the ``replicate`` console script; ``python -m replicate`` runs it too::

    $ replicate run --emulator replicate/hello-world text=world
    hello world

Commands: ``run`` and ``stream`` (on a model, a version, or ``--deployment``), ``batch`` (a
model on every row of a file, resumable: ``replicate._batch``), ``codegen`` (a typed module
per model: ``replicate.codegen``), ``predictions list|get|cancel``, ``models
get|list|search|versions|create``, ``files upload|list|get|download|delete``, ``trainings
create|get|list|cancel``, ``deployments list|get|create|update|delete``, ``hardware``,
``account`` and ``emulator``; ``replicate COMMAND --help`` describes each.

Dependencies: the parser is the standard library's argparse. The live view of ``run`` and
``stream`` (spinner, status, elapsed time, progress bar) uses rich, from the ``cli`` extra
(``pip install -e '.[cli]'`` in a checkout, or the wheel with ``[cli]``); without it those
two commands say so and exit with code 2, unless ``--json`` or ``--no-wait`` is given, which
show no live view. Every other command needs only the base install; ``--emulator`` and
``emulator`` need the ``emulator`` extra. ``import replicate`` never imports this package, nor rich.

Exit codes: 0 success, 1 the model failed or was canceled (or a cancel found it already
ended), 2 usage error (any bad argument, input, option or environment variable), 3 API or
network error, 130 interrupted by Ctrl-C (after canceling the running prediction on the
server). Each retry of a failed request is announced on stderr as it is decided.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit code.

    Errors are one line on stderr (with a traceback under ``--debug``), never a traceback
    alone, and never the API token.

    Example::

        from replicate.cli import main

        main(["run", "--emulator", "replicate/hello-world", "text=world"])  # prints hello world
    """
    from replicate.cli._errors import (
        EXIT_INTERRUPTED,
        EXIT_TERMINATED,
        EXIT_USAGE,
        Terminated,
        UsageError,
        describe,
    )
    from replicate.cli._logging import debug_requests, retry_notices
    from replicate.cli._parser import parse
    from replicate.cli._session import open_session

    arguments = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parse(arguments)
    except SystemExit as exit:  # argparse: --help, --version, or a usage error
        return exit.code if isinstance(exit.code, int) else EXIT_USAGE
    if args.handler is None:
        sys.stderr.write(args.usage())
        sys.stderr.write("error: a command is needed (see --help)\n")
        return EXIT_USAGE
    try:
        if args.emulator and args.command == "emulator":
            raise UsageError("`replicate emulator` serves an emulator itself: drop --emulator")
        with (
            _sigterm_interrupts(),
            _warnings_as_lines(),
            retry_notices(),
            debug_requests(args.debug),
            open_session(args) as session,
        ):
            code: int = args.handler(session)
            return code
    except Terminated:
        sys.stderr.write("terminated\n")
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return _stdout_closed()
    except Exception as error:
        code, message = describe(error)
        if args.debug:
            import traceback

            traceback.print_exc()
        sys.stderr.write(f"error: {message}\n")
        for line in getattr(error, "details", None) or ():
            sys.stderr.write(line + "\n")
        sys.stderr.flush()
        return code


@contextlib.contextmanager
def _warnings_as_lines() -> Iterator[None]:
    """The library's warnings (``PredictionMayBeRunningWarning``, ...) as one line each on
    stderr, ``warning: ...``, not Python's file-and-line format."""
    import warnings

    def show(message: Warning | str, *args: object, **kwargs: object) -> None:
        sys.stderr.write(f"warning: {message}\n")

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """While a command runs, SIGTERM raises ``Terminated`` (a KeyboardInterrupt): what the
    command started is canceled on the server, as on Ctrl-C, before it exits 143."""
    import signal
    import threading

    from replicate.cli._errors import Terminated

    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only: nothing to install
        return

    def terminate(signum: int, frame: object) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stdout_closed() -> int:
    """The reader of stdout went away (``replicate models list | head -1``): stop quietly."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the final flush does not fail again
    except (OSError, ValueError):
        pass
    return 141  # 128 + SIGPIPE, as a shell reports a command killed by a closed pipe
