"""``replicate run`` and ``replicate stream``: create a prediction, show it, print its output.

The steps, in order: find the model's version and its schema; turn ``key=value`` arguments
into the input (rejecting bad ones before anything is created); create the prediction
(without ``Prefer: wait``, so that its ID is known at once and Ctrl-C can cancel it); follow
it to its end, showing its status, progress and logs on stderr and its streamed text on
stdout as it arrives; save its files; print its output.

Text streams come from the prediction's event stream (``Prediction.stream()``) when the
facade offers it, and otherwise from polling the growing output. Polling starts at 50 ms
and backs off to the client's ``poll_interval`` (0.5 s by default), so a quick model
answers quickly and a long one costs two requests a second.

``--deployment`` runs the prediction on a deployment (``owner/name``) instead, its input
checked against the schema of the version the deployment serves.

Example::

    $ replicate run replicate/hello-world text=world
    hello world
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from replicate.cli._display import FINISHED, OutputLine, View, make_view, require_rich
from replicate.cli._errors import EXIT_OK, PredictionUnsuccessful, UsageError, interrupted
from replicate.cli._format import print_json
from replicate.cli._inputs import InputSchema, build_input
from replicate.cli._outputs import OutputWriter, is_token_stream, output_schema

if TYPE_CHECKING:
    from replicate.cli._session import Session
    from replicate.client import Client
    from replicate.prediction import CreatePredictionParams, Prediction

__all__ = ["Target", "resolve_deployment", "resolve_target", "run_command"]

JSON = dict[str, Any]

FIRST_POLL = 0.05
"""Seconds before the first poll; each next wait is 1.5 times longer, up to poll_interval."""

_URL_PREFIXES = ("https://", "http://", "data:")


@dataclass
class Target:
    """What a prediction runs on, and the schema its input is checked against."""

    label: str
    owner: str | None
    name: str | None
    version_id: str | None
    openapi_schema: JSON | None
    route: Literal["version", "model", "deployment"] = "version"
    """Where the prediction is created: on the version, on the model (official and
    versionless models), or on the deployment ``owner/name``."""


def resolve_target(client: Client, ref: str) -> Target:
    """The version ``ref`` names (``owner/name``, ``owner/name:version`` or a version ID).

    Example::

        resolve_target(client, "replicate/hello-world").version_id  # '5c7d5dc6dd8b...'
    """
    from replicate.identifier import Reference

    try:
        reference = Reference.parse(ref)
    except ValueError:
        raise UsageError(
            f"invalid model {ref!r}: expected owner/name, owner/name:version or a version ID"
        ) from None
    owner, name = reference.owner, reference.name
    if reference.kind == "version" and not owner:
        # a bare version ID: the API offers no way to its schema without the model's name
        return Target(ref, None, None, ref, None)
    if reference.kind == "version":
        from replicate.version import Versions

        version = Versions(client, (owner, name)).get(reference.version_id)
        return Target(ref, owner, name, version.id, version.openapi_schema)
    model = client.models.get(owner, name)
    latest = model.latest_version
    if latest is None:
        return Target(ref, owner, name, None, None, route="model")
    route: Literal["version", "model"] = "model" if model.is_official else "version"
    return Target(ref, owner, name, latest.id, latest.openapi_schema, route=route)


def resolve_deployment(client: Client, ref: str) -> Target:
    """The deployment ``ref`` (``owner/name``) names, with the input schema of its version.

    Example::

        resolve_deployment(client, "acme/hello-prod").route  # 'deployment'
    """
    owner, _, name = ref.partition("/")
    if not owner or not name or "/" in name or ":" in name:
        raise UsageError(f"invalid deployment {ref!r}: expected owner/name")
    release = client.deployments.get(f"{owner}/{name}").current_release
    version_id = release.version if release else None
    schema = _schema_of(client, release.model, version_id) if release else None
    return Target(f"deployment {ref}", owner, name, version_id, schema, route="deployment")


def _schema_of(client: Client, model: str | None, version_id: str | None) -> JSON | None:
    """A version's schema, or None where it cannot be read (the API checks the input then)."""
    from replicate.exceptions import ReplicateError
    from replicate.version import Versions

    owner, _, name = (model or "").partition("/")
    if not (owner and name and version_id):
        return None
    try:
        return Versions(client, (owner, name)).get(version_id).openapi_schema
    except ReplicateError:  # a version of another's private model, say
        return None


def run_command(session: Session) -> int:
    """``replicate run`` and ``replicate stream``."""
    args = session.args
    if not args.no_wait and not args.json:
        require_rich(f"the live view of `replicate {args.command}` (or use --json)")
    output_dir = _output_dir(args.output_dir)
    client = session.client
    target = _target(client, args.model, on_deployment=args.on_deployment)
    schema = InputSchema.of(target.openapi_schema)
    inputs = build_input(args.inputs, schema, target.label)
    try:
        prediction = _create(client, target, inputs, _create_params(args))
    except KeyboardInterrupt as interrupt:
        # the library has canceled what the create made, or warned that it may be running
        _say("interrupted while creating the prediction")
        return interrupted(interrupt)
    if args.no_wait:
        if args.json:
            print_json(prediction)
        else:
            print(prediction.id, flush=True)
            _say(
                f"prediction {prediction.id} is {prediction.status}; follow it with "
                f"`replicate predictions get {prediction.id}`"
            )
        return EXIT_OK

    out_schema = output_schema(target.openapi_schema)
    line = OutputLine()
    view = make_view(json_mode=args.json, show_logs=args.logs, line=line)
    tokens = None
    if not args.json and (args.command == "stream" or out_schema is None):
        tokens = _TokenPrinter(view, line, guessing=args.command != "stream")
    elif not args.json and is_token_stream(out_schema):
        tokens = _TokenPrinter(view, line, guessing=False)
    try:
        _follow(prediction, target.label, view, tokens, client.poll_interval)
    except KeyboardInterrupt as interrupt:
        _cancel(client, prediction)
        return interrupted(interrupt)

    if prediction.status != "succeeded":
        if args.json:
            print_json(prediction)
        sent_text = any(not item.partition("=")[0].endswith(":") for item in args.inputs)
        if prediction.status == "failed" and schema is None and sent_text:
            _say(
                f"note: {target.label} publishes no input schema, so key=value inputs were "
                "sent as text; send numbers and booleans as key:=JSON (max_tokens:=64)"
            )
        raise PredictionUnsuccessful.of(prediction)
    writer = OutputWriter(client, out_schema, output_dir)
    try:
        writer.save(prediction.output)
    except KeyboardInterrupt as interrupt:
        _say("interrupted while saving the output files")
        return interrupted(interrupt)
    if args.json:
        print_json(prediction)
    elif tokens is None or not tokens.printed:
        writer.print(prediction.output)
    return EXIT_OK


def _target(client: Client, ref: str, *, on_deployment: bool) -> Target:
    from replicate.exceptions import NotFoundError

    if on_deployment:
        return resolve_deployment(client, ref)
    try:
        return resolve_target(client, ref)
    except NotFoundError as error:
        if ref.count("/") == 1 and ":" not in ref:  # owner/name: perhaps a deployment's
            error.hint = error.hint or f"if {ref} is a deployment, run it with --deployment"
        raise


def _create_params(args: argparse.Namespace) -> CreatePredictionParams:
    params: CreatePredictionParams = {}
    if args.webhook:
        params["webhook"] = args.webhook
    if args.webhook_events:
        params["webhook_events_filter"] = args.webhook_events
    if args.command == "stream":
        params["stream"] = True
    return params


def _follow(
    prediction: Prediction,
    label: str,
    view: View,
    tokens: _TokenPrinter | None,
    poll_interval: float,
) -> None:
    """Show the prediction until it ends (streamed text included); updates ``prediction``."""
    view.start(prediction.id, label)
    try:
        if tokens is not None and not tokens.guessing:
            _follow_events(prediction, view, tokens)
        _poll(prediction, view, tokens, poll_interval)
    except KeyboardInterrupt:
        _end_text(tokens)
        view.stop("interrupted", None)
        raise
    except BaseException:
        _end_text(tokens)
        view.stop(prediction.status, None)
        raise
    _end_text(tokens)  # before the view's last lines, so that they start a line of their own
    view.stop(prediction.status, prediction.logs)


def _end_text(tokens: _TokenPrinter | None) -> None:
    if tokens is not None:
        tokens.finish()


def _output_dir(value: str | None) -> Path | None:
    if value is None:
        return None
    path = Path(value).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot use --output-dir {value}: {error.strerror or error}") from None
    return path


def _create(
    client: Client, target: Target, inputs: JSON, params: CreatePredictionParams
) -> Prediction:
    if target.route == "deployment":
        assert target.owner is not None and target.name is not None
        deployment = (target.owner, target.name)
        return client.deployments.predictions.create(deployment, inputs, **params)
    if target.route == "model":
        assert target.owner is not None and target.name is not None
        return client.models.predictions.create((target.owner, target.name), inputs, **params)
    assert target.version_id is not None
    return client.predictions.create(version=target.version_id, input=inputs, **params)


def _poll(prediction: Prediction, view: View, tokens: _TokenPrinter | None, cap: float) -> None:
    delay = FIRST_POLL
    while True:
        view.update(prediction.status, prediction.logs)
        if tokens is not None and not tokens.from_events:
            tokens.feed(prediction.output)
        if _ended(prediction):
            return
        time.sleep(delay)
        delay = min(delay * 1.5, max(cap, FIRST_POLL))
        prediction.reload()


def _ended(prediction: Prediction) -> bool:
    # a status this client does not know yet counts as ended once completed_at is set
    if prediction.status in FINISHED:
        return True
    return prediction.status not in ("starting", "processing") and bool(prediction.completed_at)


def _follow_events(prediction: Prediction, view: View, tokens: _TokenPrinter) -> None:
    """Print text from the prediction's event stream as it arrives, where the facade can.

    Leaves ``tokens.from_events`` False when it cannot (no ``urls.stream``, or a facade
    without ``Prediction.stream()``), so that polling prints the text instead.
    """
    from replicate.exceptions import ReplicateError, ReplicateException

    if not (prediction.urls or {}).get("stream"):
        return
    logs = prediction.logs or ""
    try:
        for event in prediction.stream(use_file_output=False):
            tokens.from_events = True
            kind = getattr(event, "event", "output")
            kind = str(getattr(kind, "value", kind))
            data = getattr(event, "data", None)
            text = data if isinstance(data, str) else str(event)
            if kind == "output":
                tokens.write(text)
            elif kind == "logs":
                logs += text if text.endswith("\n") else text + "\n"
                view.update(view.status, logs)
            elif kind == "done":
                break
    except NotImplementedError:
        return
    except ReplicateError:
        raise
    except ReplicateException:
        pass  # an error event: the prediction failed, and polling will say so
    prediction.reload()


class _TokenPrinter:
    """Writes streamed text to stdout as it arrives."""

    def __init__(self, view: View, line: OutputLine, *, guessing: bool) -> None:
        self._view = view
        self._line = line
        self.guessing = guessing
        """No output schema: print only while the output is a list of plain strings."""
        self.from_events = False
        self.printed = False
        self._count = 0
        self._last = ""

    def feed(self, output: Any) -> None:
        """Print the items added to a list output since the last call."""
        if not isinstance(output, list):
            return
        if self.guessing and not all(
            isinstance(item, str) and not item.startswith(_URL_PREFIXES) for item in output
        ):
            return
        for item in output[self._count :]:
            self.write(item if isinstance(item, str) else str(item))
        self._count = len(output)

    def write(self, text: str) -> None:
        if not text:
            return
        if not self.printed:
            self._view.pause()
            self.printed = True
        sys.stdout.write(text)
        sys.stdout.flush()
        self._line.wrote(text)
        self._last = text[-1]

    def finish(self) -> None:
        """End the text with a line break, if it has none."""
        if self.printed and self._last != "\n":
            sys.stdout.write("\n")
            sys.stdout.flush()
            self._line.wrote("\n")
            self._last = "\n"


def _cancel(client: Client, prediction: Prediction) -> None:
    import httpx

    from replicate.cli._errors import describe
    from replicate.exceptions import ReplicateException

    _say(f"canceling prediction {prediction.id}")
    try:
        canceled = client.predictions.cancel(prediction.id)
    except KeyboardInterrupt:
        _say(f"interrupted again: prediction {prediction.id} may still be running")
    except (ReplicateException, httpx.HTTPError) as error:
        _say(f"could not cancel prediction {prediction.id}: {describe(error)[1]}")
    else:
        _say(f"prediction {prediction.id} is {canceled.status}")


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
