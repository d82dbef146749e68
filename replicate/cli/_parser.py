"""The command line's grammar (argparse, from the standard library).

Global options (``--emulator``, ``--base-url``, ``--token``, ``--max-retries``, ``--debug``)
are accepted before or after the command (``replicate run --emulator ...`` and ``replicate
--emulator run ...`` alike), and ``key=value`` inputs may be mixed with options.

Every argument is checked as it is parsed: counts are whole numbers of 0 or more, IDs and
names are not empty, and text that will be sent is valid UTF-8 (an undecodable byte in an
argument arrives as a lone surrogate, which neither JSON nor a URL can carry). A bad argument
is one line, ``error: argument --limit: ...``, and exit code 2.

Example::

    args = parse(["run", "--emulator", "replicate/hello-world", "text=world"])
    args.model, args.inputs, args.emulator  # ('replicate/hello-world', ['text=world'], True)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from replicate.cli import _commands as commands
from replicate.cli._batch import batch_command
from replicate.cli._codegen import codegen_command
from replicate.cli._inputs import is_utf8
from replicate.cli._running import run_command

__all__ = ["build_parser", "parse"]

_DESCRIPTION = "Run models on Replicate and manage predictions, models, files and more."

_EPILOG = """\
examples:
  replicate run --emulator replicate/hello-world text=world
  replicate run stability-ai/sdxl prompt="a fox" num_outputs=2 --output-dir out
  replicate stream meta/meta-llama-3-8b-instruct prompt="Tell me a joke"
  replicate models get replicate/hello-world      (its inputs, types and defaults)
  replicate predictions list --limit 5
  replicate codegen black-forest-labs/flux-schnell --output models   (a typed module)

  replicate run --deployment acme/prod-model prompt="a fox"   (on a deployment)

inputs (run, stream, trainings create):
  key=value    typed by the model's input schema: 7, 0.5, true, a,b,c or [1,2], {"a": 1}
  key=@path    the file at path, uploaded as a file input (@@text: the literal text @text)
  key:=JSON    any JSON value, as it is

The token comes from --token or REPLICATE_API_TOKEN (prefer the variable: command lines are
visible to other users of the machine), the base URL from --base-url or REPLICATE_BASE_URL.
A request that fails on the way (connection refused, HTTP 429 or 503) is retried, with a line
on stderr for each retry: retrying in 1.9 s (attempt 3 of 6): connection refused.

exit codes: 0 success, 1 the model failed or was canceled, 2 usage error (bad input
included), 3 API or network error, 130 interrupted (the prediction is canceled)."""


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The options every command takes; ``suppress`` keeps a subcommand from resetting them."""

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("global options")
    group.add_argument(
        "--emulator",
        action="store_true",
        default=default(False),
        help="run against a local emulator of the API started for this command "
        "(needs the 'emulator' extra)",
    )
    group.add_argument(
        "--base-url",
        type=_text,
        default=default(None),
        metavar="URL",
        help="the API's base URL (default https://api.replicate.com/v1)",
    )
    group.add_argument(
        "--token",
        type=_token,
        default=default(None),
        metavar="TOKEN",
        help="the API token (never printed)",
    )
    group.add_argument(
        "--max-retries",
        type=_count,
        default=default(None),
        metavar="N",
        help="retries of a failed request, each announced on stderr (default 5; 0: none)",
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=default(False),
        help="show tracebacks, and log each HTTP request",
    )


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line like every other error of the command line."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


class _Commands:
    """Adds commands to a subparsers action, each with the global options."""

    def __init__(self, action: Any) -> None:
        self._action = action
        self._parsers: list[argparse.ArgumentParser] = []

    def parsers(self) -> list[argparse.ArgumentParser]:
        """The commands added so far."""
        return list(self._parsers)

    def add(
        self, name: str, handler: Callable[..., int], help: str, **kwargs: Any
    ) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = self._action.add_parser(
            name, help=help, description=help, **kwargs
        )
        parser.set_defaults(handler=handler)
        _global_options(parser, suppress=True)
        self._parsers.append(parser)
        return parser

    def group(self, name: str, help: str) -> _Commands:
        parser: argparse.ArgumentParser = self._action.add_parser(name, help=help, description=help)
        parser.set_defaults(handler=None, usage=parser.format_usage)
        _global_options(parser, suppress=True)
        return _Commands(parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND"))


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")


def _limit(parser: argparse.ArgumentParser, default: int = 20) -> None:
    parser.add_argument(
        "--limit",
        type=_count,
        default=default,
        metavar="N",
        help=f"at most N (default {default}; 0: all)",
    )


def _inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs", nargs="*", metavar="key=value", help="inputs (see below; key:=JSON, key=@file)"
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``replicate`` command's parser."""
    from replicate import __version__

    parser = _Parser(
        prog="replicate",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"replicate-client {__version__}")
    _global_options(parser, suppress=False)
    parser.set_defaults(handler=None, usage=parser.format_usage)
    top = _Commands(parser.add_subparsers(dest="command", metavar="COMMAND"))

    for name, help in (
        ("run", "run a model and print its output"),
        ("stream", "run a model and print its text output as it is produced"),
    ):
        run = top.add(name, run_command, help, epilog=_EPILOG, formatter_class=_RAW)
        run.add_argument(
            "model",
            type=_name,
            metavar="MODEL",
            help="owner/name, owner/name:version or a version ID; with --deployment, the "
            "deployment's owner/name",
        )
        _inputs(run)
        run.add_argument(
            "--deployment",
            action="store_true",
            dest="on_deployment",
            help="MODEL names a deployment: run the prediction on it",
        )
        run.add_argument(
            "--no-wait", action="store_true", help="print the prediction's ID and exit"
        )
        run.add_argument("--output-dir", "-o", metavar="DIR", help="save output files in DIR")
        run.add_argument(
            "--json", action="store_true", help="print only the finished prediction, as JSON"
        )
        run.add_argument(
            "--webhook", type=_text, metavar="URL", help="a URL to receive the prediction's updates"
        )
        run.add_argument(
            "--webhook-events",
            type=_events,
            metavar="EVENTS",
            help="which events reach the webhook: start,output,logs,completed",
        )
        run.add_argument(
            "--logs",
            action="store_true",
            help="print the model's log lines on stderr as they arrive (progress lines included), "
            "each on its own line, apart from streamed text",
        )

    batch = top.add(
        "batch",
        batch_command,
        "run a model on every row of a file, resumably, at the API's rate limit",
        epilog=_BATCH_EPILOG,
        formatter_class=_RAW,
    )
    batch.add_argument(
        "model", type=_name, metavar="MODEL", help="owner/name, owner/name:version or a version ID"
    )
    _inputs(batch)
    batch.add_argument(
        "--input",
        "-i",
        type=_name,
        metavar="FILE",
        help="the rows: JSON Lines (one object a line), or CSV (.csv, a header row); -: stdin",
    )
    batch.add_argument(
        "--files", type=_name, metavar="DIR", help="a row per file in DIR (sorted), with --as"
    )
    batch.add_argument(
        "--as", dest="as_input", type=_name, metavar="KEY", help="the input each file goes to"
    )
    batch.add_argument(
        "--output",
        "-o",
        type=_name,
        required=True,
        metavar="FILE",
        help="the results, one JSON object a line; also the journal a rerun resumes from",
    )
    batch.add_argument(
        "--output-dir", metavar="DIR", help="save output files in DIR (their paths in the results)"
    )
    batch.add_argument(
        "--key",
        type=_name,
        metavar="FIELD",
        help="the column that keys each row (default: its line)",
    )
    batch.add_argument(
        "--per-minute",
        type=_rate,
        metavar="N",
        help="creates a minute at most (default 600, the API's limit; slowed down on HTTP 429)",
    )
    batch.add_argument(
        "--concurrency",
        type=_count,
        metavar="N",
        help="rows in flight at most (default 200)",
    )
    batch.add_argument(
        "--retry-failed", action="store_true", help="run the rows that failed last time again"
    )
    batch.add_argument(
        "--detach",
        action="store_true",
        help="on Ctrl-C, leave running predictions running (a rerun waits for them)",
    )

    codegen = top.add(
        "codegen",
        codegen_command,
        "write a typed Python module for each model, from its schema",
        epilog=_CODEGEN_EPILOG,
        formatter_class=_RAW,
    )
    codegen.add_argument(
        "models",
        nargs="+",
        type=_name,
        metavar="MODEL",
        help="owner/name (its latest version) or owner/name:version",
    )
    codegen.add_argument(
        "--output",
        "-o",
        type=_name,
        required=True,
        metavar="DIR",
        help="the folder to write the modules to (made if missing; modules there are replaced)",
    )
    codegen.add_argument(
        "--on-new-version",
        choices=("warn", "error"),
        default="warn",
        help="what a call does when the model has a newer version than the module's: "
        "warn once (the default) or raise",
    )

    predictions = top.group("predictions", "list, show and cancel predictions")
    _limit(
        predictions.add("list", commands.predictions_list, "list your predictions, newest first")
    )
    for name, handler, help in (
        ("get", commands.predictions_get, "show a prediction"),
        ("cancel", commands.predictions_cancel, _CANCEL_HELP.format(kind="prediction")),
    ):
        command = predictions.add(name, handler, help)
        command.add_argument("id", type=_name, metavar="ID")
        if name == "get":
            _logs(command, "prediction")
    for command in predictions.parsers():
        _json(command)

    models = top.group("models", "find models and see their inputs")
    get = models.add("get", commands.models_get, "show a model and its inputs")
    get.add_argument("model", type=_name, metavar="OWNER/NAME")
    _limit(models.add("list", commands.models_list, "list public models"))
    search = models.add("search", commands.models_search, "search public models")
    search.add_argument("query", type=_name, metavar="QUERY")
    _limit(search)
    versions = models.add("versions", commands.models_versions, "list a model's versions")
    versions.add_argument("model", type=_name, metavar="OWNER/NAME")
    new_model = models.add(
        "create",
        commands.models_create,
        "create a model (to push versions to, or as a training's destination)",
    )
    new_model.add_argument("model", type=_name, metavar="OWNER/NAME")
    new_model.add_argument(
        "--hardware",
        type=_name,
        required=True,
        metavar="SKU",
        help="the hardware it runs on (see `replicate hardware`)",
    )
    new_model.add_argument(
        "--visibility",
        choices=("public", "private"),
        default="private",
        help="default: private",
    )
    for option, help in (
        ("--description", "a short description"),
        ("--github-url", "its code"),
        ("--paper-url", "its paper"),
        ("--license-url", "its license"),
        ("--cover-image-url", "an image to show with it"),
    ):
        new_model.add_argument(
            option, type=_text, metavar="URL" if "url" in option else "TEXT", help=help
        )
    _limit(versions)
    for command in models.parsers():
        _json(command)

    files = top.group("files", "upload, list, download and delete files")
    upload = files.add("upload", commands.files_upload, "upload a file, to use as an input")
    upload.add_argument("path", metavar="PATH")
    upload.add_argument(
        "--metadata", type=_text, metavar="JSON", help="a JSON object kept with the file"
    )
    upload.add_argument(
        "--content-type", type=_name, metavar="TYPE", help="default: guessed from the name"
    )
    upload.add_argument(
        "--filename", type=_name, metavar="NAME", help="default: the file's own name"
    )
    _limit(files.add("list", commands.files_list, "list your files"))
    for name, handler, help in (
        ("get", commands.files_get, "show a file"),
        ("delete", commands.files_delete, "delete a file"),
    ):
        files.add(name, handler, help).add_argument("id", type=_name, metavar="ID")
    download = files.add(
        "download",
        commands.files_download,
        "download a file: one of yours by its ID, or anyone's by a signed download URL",
        epilog=_DOWNLOAD_EPILOG,
        formatter_class=_RAW,
    )
    download.add_argument(
        "file", type=_name, metavar="ID_OR_URL", help="the file's ID, or a signed download URL"
    )
    download.add_argument(
        "--output", "-o", metavar="PATH", help="default: the file's name; -: stdout"
    )
    download.add_argument("--owner", type=_name, help="a signed link's owner (with an ID)")
    download.add_argument("--expiry", type=_name, help="a signed link's expiry (with an ID)")
    download.add_argument("--signature", type=_name, help="a signed link's signature (with an ID)")
    for command in files.parsers():
        if command is not download:
            _json(command)

    trainings = top.group("trainings", "create, list, show and cancel trainings")
    create = trainings.add(
        "create", commands.trainings_create, "train a model version into a new version"
    )
    create.add_argument(
        "model",
        type=_name,
        metavar="MODEL",
        help="owner/name:version (or owner/name: latest)",
    )
    _inputs(create)
    create.add_argument(
        "--destination",
        type=_name,
        required=True,
        metavar="OWNER/NAME",
        help="the model the new version goes to (see `replicate models create`)",
    )
    create.add_argument(
        "--webhook", type=_text, metavar="URL", help="a URL to receive the training's updates"
    )
    _limit(trainings.add("list", commands.trainings_list, "list your trainings"))
    for name, handler, help in (
        ("get", commands.trainings_get, "show a training"),
        ("cancel", commands.trainings_cancel, _CANCEL_HELP.format(kind="training")),
    ):
        command = trainings.add(name, handler, help)
        command.add_argument("id", type=_name, metavar="ID")
        if name == "get":
            _logs(command, "training")
    for command in trainings.parsers():
        _json(command)

    deployments = top.group("deployments", "manage deployments")
    _limit(deployments.add("list", commands.deployments_list, "list your deployments"))
    for name, handler, help in (
        ("get", commands.deployments_get, "show a deployment"),
        ("delete", commands.deployments_delete, "delete a deployment"),
    ):
        deployments.add(name, handler, help).add_argument(
            "deployment", type=_name, metavar="OWNER/NAME"
        )
    created = deployments.add(
        "create",
        commands.deployments_create,
        "create a deployment (run it with `replicate run --deployment OWNER/NAME`)",
    )
    created.add_argument("name", type=_name, metavar="NAME")
    created.add_argument("--model", type=_name, required=True, metavar="OWNER/NAME[:VERSION]")
    created.add_argument(
        "--version", type=_name, metavar="ID", help="default: the model's latest version"
    )
    created.add_argument(
        "--hardware", type=_name, required=True, metavar="SKU", help="see `replicate hardware`"
    )
    created.add_argument("--min-instances", type=_count, default=0, metavar="N", help="default 0")
    created.add_argument("--max-instances", type=_count, default=1, metavar="N", help="default 1")
    updated = deployments.add("update", commands.deployments_update, "change a deployment")
    updated.add_argument("deployment", type=_name, metavar="OWNER/NAME")
    updated.add_argument("--version", type=_name, metavar="ID")
    updated.add_argument("--hardware", type=_name, metavar="SKU")
    updated.add_argument("--min-instances", type=_count, metavar="N")
    updated.add_argument("--max-instances", type=_count, metavar="N")
    for command in deployments.parsers():
        _json(command)

    _json(top.add("hardware", commands.hardware, "list the hardware models run on"))
    _json(top.add("account", commands.account, "show the account the token belongs to"))
    emulator = top.add(
        "emulator",
        commands.emulator,
        "serve a local emulator of the API until Ctrl-C (needs the 'emulator' extra)",
    )
    emulator.add_argument(
        "--port", type=_port, default=8000, help="the API's port (default 8000; 0: any free)"
    )
    emulator.add_argument("--host", type=_name, default="127.0.0.1", help="default 127.0.0.1")
    emulator.add_argument("--seed", type=int, help="seed for reproducible IDs")
    return parser


_RAW = argparse.RawDescriptionHelpFormatter

_BATCH_EPILOG = """\
examples:
  replicate batch replicate/hello-world --input rows.jsonl --output results.jsonl
  replicate batch acme/upscaler --files photos --as image scale=2 -o results.jsonl --output-dir out

Each row's result is a line of --output: {"key", "id", "status", "output", "error",
"metrics"}, the key being the row's --key value, its file's path, or its line number. Run the
same command again after a crash, kill -9 or Ctrl-C: finished rows are skipped, running
predictions waited for, and no prediction is created twice.

exit codes: 0 every row succeeded, 1 some failed (see --output; --retry-failed runs them
again), 2 usage error, 3 API or network error, 130 interrupted."""

_CODEGEN_EPILOG = """\
examples:
  replicate codegen replicate/image replicate/hello-world --output models
  replicate codegen acme/upscaler:VERSION --output models      (that version, pinned)

Each module holds a function named after its model, typed by the version's schema: keyword
arguments with the schema's types and defaults, Literal types for choices, the output's type;
it runs the model through replicate.use(). Run the same command again to regenerate them
(after a model changes, say): each module records it. Type-check your calls with mypy."""

_CANCEL_HELP = "cancel a {kind}; one that had already ended is left as it was, with exit code 1"

_DOWNLOAD_EPILOG = """\
examples:
  replicate files download cneqzikepnug6xezperrr4z55o         (one of your files)
  replicate files download "$URL" -o photo.png                (a signed download URL)

By its ID, a file of yours is fetched with your token. A signed download URL
(https://api.replicate.com/v1/files/ID/download?owner=...&expiry=...&signature=...; a
prediction that used the file shows one in its input) needs no token. The file is saved
under its own name unless --output is given."""


def _logs(parser: argparse.ArgumentParser, kind: str) -> None:
    parser.add_argument(
        "--logs", action="store_true", help=f"print the {kind}'s logs too (after its fields)"
    )


def _count(text: str) -> int:
    """A whole number of 0 or more (``--limit``, ``--max-retries``, instance counts)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _rate(text: str) -> float:
    """A number of creates a minute: more than 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def _port(text: str) -> int:
    value = _count(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, got {value}")
    return value


def _text(text: str) -> str:
    """Text that will be sent: valid UTF-8 (no surrogate from an undecodable byte)."""
    if not is_utf8(text):
        raise argparse.ArgumentTypeError(f"not valid UTF-8 text: {text!r}")
    return text


def _name(text: str) -> str:
    """An ID, a name or a reference: ``_text``, and not empty."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return _text(text)


def _token(text: str) -> str:
    # never echo the token: argparse's messages would show it
    if not is_utf8(text):
        raise argparse.ArgumentTypeError("not valid UTF-8 text")
    return text


def _events(text: str) -> list[str]:
    events = [event.strip() for event in text.split(",") if event.strip()]
    unknown = sorted(set(events) - {"start", "output", "logs", "completed"})
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown event {', '.join(unknown)} (choose from start, output, logs, completed)"
        )
    return events


def parse(argv: list[str]) -> argparse.Namespace:
    """Parse ``argv``; argparse's own errors exit with code 2, the token redacted from them.

    ``key=value`` arguments that argparse could not place (they came after an option) are
    added to the command's inputs.
    """
    parser = build_parser()
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            args, extra = parser.parse_known_args(argv)
            inputs = getattr(args, "inputs", None)
            strays = [item for item in extra if inputs is None or not _is_input(item)]
            if strays:
                parser.error(f"unrecognized arguments: {' '.join(strays)}")
    finally:
        sys.stderr.write(_redact(captured.getvalue(), argv))
    if inputs is not None:
        args.inputs = [*inputs, *extra]
    return args


def _is_input(argument: str) -> bool:
    return not argument.startswith("-") and "=" in argument


def _redact(text: str, argv: list[str]) -> str:
    secrets = [value for option, value in itertools.pairwise(argv) if option == "--token" and value]
    secrets += [item.partition("=")[2] for item in argv if item.startswith("--token=")]
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
