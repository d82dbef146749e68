"""Predictions and trainings: create (with ``Prefer: wait`` and ``Cancel-After``), get, list,
cancel, and the SSE stream with resume from ``Last-Event-ID``."""

from __future__ import annotations

import asyncio
import base64
import re
import tempfile
import types
import typing
import urllib.parse
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from ._app import ProblemError, not_found, public, unvalidated
from ._engine import TERMINAL, Run
from ._models import EmulatedModel, InputProblem, progress
from ._state import JSON, ModelEntry, Version, format_timestamp

if TYPE_CHECKING:
    from ._app import EmulatorApp

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$")
MAX_WAIT = 60


def parse_prefer(header: str | None) -> float | None:
    """``wait`` -> 60 seconds, ``wait=N`` -> N; anything else -> no waiting."""
    if not header:
        return None
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name.strip() == "wait":
            return float(value) if value.strip().isdigit() else float(MAX_WAIT)
    return None


def parse_duration(text: str) -> float:
    """``30s``, ``5m``, ``1h30m``, ``90`` -> seconds."""
    match = _DURATION.match(text.strip())
    if not text.strip() or match is None:
        raise ProblemError(
            422, "Invalid Cancel-After", f"Cancel-After: {text!r} is not a duration like 30s or 5m"
        )
    hours, minutes, seconds = (int(group or 0) for group in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total < 5:
        raise ProblemError(
            422, "Invalid Cancel-After", "Cancel-After: the minimum duration is 5 seconds"
        )
    return float(total)


class Runs:
    """Creating, finding and showing runs; shared by predictions, deployments and trainings."""

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app
        self.store = app.store

    def find(self, run_id: str, kind: str = "prediction") -> Run:
        table = self.store.predictions if kind == "prediction" else self.store.trainings
        with self.store.lock:
            run = table.get(run_id)
        if run is None:
            raise not_found(f"{kind.capitalize()} {run_id}")
        return run  # type: ignore[no-any-return]

    def resolve_version(self, reference: str) -> tuple[ModelEntry, str | None]:
        """``owner/name:version``, ``owner/name`` or a bare version id -> (model, version id).

        The version id is None for an official model named without one: it runs by name, as
        through ``POST /models/{owner}/{name}/predictions``.
        """
        store = self.store
        name, _, version_id = reference.partition(":")
        if "/" in name:
            with store.lock:
                entry = store.models.get(name)
            if entry is None:
                raise ProblemError(422, "Invalid version", f"version: model {name} does not exist")
            if not version_id:
                if entry.is_official:
                    return entry, None
                if not entry.versions:
                    raise ProblemError(422, "Invalid version", f"version: {name} has no versions")
                version_id = entry.versions[-1].id
            if not any(version.id == version_id for version in entry.versions):
                raise ProblemError(
                    422, "Invalid version", f"version: {name} has no version {version_id}"
                )
            return entry, version_id
        found = store.find_version(reference)
        if found is None:
            raise ProblemError(
                422,
                "Invalid version",
                f"version: {reference} is not a version id (or owner/name:version)",
            )
        return found[0], found[1].id

    def create(
        self,
        request: Request,
        body: JSON,
        entry: ModelEntry,
        version_id: str | None,
        *,
        kind: str = "prediction",
        deployment: str | None = None,
        on_success: Any = None,
        runner: EmulatedModel | None = None,
    ) -> Run:
        """Create a run of ``entry`` (or of ``runner``, which takes any input: trainings).

        ``version_id`` None runs an official model by name: its prediction shows the opaque
        version of the model's deployment, and the name of the model behind it if it has one.
        """
        model = runner or self._model_for(entry, version_id)
        given = body.get("input")
        if not isinstance(given, dict):
            raise ProblemError(422, "Invalid input", "input: must be an object")
        inputs: JSON = {"inputs": given}
        if runner is None:
            inputs, problems = model.check_input(given)
            if problems:
                raise invalid_input(problems)
            inputs = self._file_inputs(model, inputs)
        cancel_after_header = request.headers.get("cancel-after")
        cancel_after = parse_duration(cancel_after_header) if cancel_after_header else None

        store = self.store
        run_id = store.ids.resource()
        now = store.now()
        by_name = version_id is None and kind == "prediction"
        fields: JSON = {
            "id": run_id,
            "model": (model.backing_model or entry.ref) if by_name else entry.ref,
            "version": (entry.deployed_version or "hidden") if version_id is None else version_id,
            "input": given,
            "logs": "",
            "output": None,
            "data_removed": False,
            "error": None,
            "status": "starting",
            "created_at": now,
            "started_at": None,
            "completed_at": None,
            "source": "api",
            "metrics": {},
        }
        if deployment:
            fields["deployment"] = deployment
        if cancel_after is not None:
            fields["deadline"] = _later(now, cancel_after)
        webhook = body.get("webhook")
        events = body.get("webhook_events_filter")
        run = Run(run_id, kind, fields, model=model, webhook=webhook, on_success=on_success)
        run.streams = kind == "prediction" and bool(model.streams)
        if events is not None:
            run.webhook_events = frozenset(events)
        with store.lock:
            table = store.predictions if kind == "prediction" else store.trainings
            table[run_id] = run
            entry.run_count += 1
        self.app.engine.start(run, inputs, cancel_after)
        return run

    def _model_for(self, entry: ModelEntry, version_id: str | None) -> EmulatedModel:
        if version_id is not None:
            for version in entry.versions:
                if version.id == version_id:
                    return version.model
        if entry.model is None:
            raise ProblemError(422, "Invalid model", f"{entry.ref} cannot be run")
        return entry.model

    def _file_inputs(self, model: EmulatedModel, inputs: JSON) -> JSON:
        """Give ``Path`` parameters a local file made from the URL or data URI sent.

        ``Path``, ``list[Path]`` and their optional forms (``Path | None``) are file inputs.
        """
        hints = typing.get_type_hints(model.function)
        resolved = dict(inputs)
        for key, value in inputs.items():
            hint = _without_none(hints.get(key))
            if hint is Path and isinstance(value, str):
                resolved[key] = self._fetch(key, value)
            elif typing.get_args(hint) == (Path,) and isinstance(value, list):
                resolved[key] = [self._fetch(key, item) for item in value]
        return resolved

    def _fetch(self, key: str, value: str) -> Path:
        data = self.read_url(value)
        if data is None:  # refused as the schema refuses an input: 422, naming the input
            text = f"the emulator cannot fetch {value[:80]}"
            raise invalid_input([InputProblem(f"input.{key}", "unreachable_file", text)])
        name = urllib.parse.urlparse(value).path.rsplit("/", 1)[-1] or "input"
        folder = Path(tempfile.mkdtemp(prefix="replicate-emulator-"))
        path = folder / (name if not value.startswith("data:") else "input")
        path.write_bytes(data)
        return path

    def read_url(self, url: str) -> bytes | None:
        """Bytes behind a data URI, an uploaded file's URL or a delivery URL of this emulator."""
        store = self.store
        if url.startswith("data:"):
            header, _, payload = url.partition(",")
            if header.endswith(";base64"):
                return base64.b64decode(payload)
            return urllib.parse.unquote_to_bytes(payload)
        parsed = urllib.parse.urlparse(url)
        with store.lock:
            if url.startswith(store.delivery_base_url):
                found = store.outputs.get(parsed.path)
                return found[0] if found else None
            match = re.search(r"/files/([^/]+)", parsed.path)
            if match and match.group(1) in store.file_contents:
                return store.file_contents[match.group(1)]
        return None

    def as_created(self, run: Run) -> JSON:
        """The run as its create request first saw it: ``starting``, before any work.

        The engine may already be running it on its own thread; a create answered without
        waiting must still say ``starting``, as the real API does.
        """
        return self.store.render(run, as_created=True)

    async def respond(self, request: Request, run: Run) -> Response:
        """The create response: waits for the end when ``Prefer: wait`` asks for it.

        With ``real_deviations``, a model whose output is one value is answered as soon as
        that output exists, as recorded in 2024: ``processing``, files inlined as ``data:``
        URIs. (Recordings show no such answer for iterator outputs, which wait for the end.)
        """
        wait = parse_prefer(request.headers.get("prefer"))
        if wait is None:
            return JSONResponse(self.as_created(run), status_code=201)
        model = run.model
        early = self.app.options.real_deviations and model is not None and not model.iterates

        def answered() -> bool:
            return run.done or (early and run.fields.get("output") not in (None, []))

        if await run.signal.wait_for(answered, timeout=min(wait, MAX_WAIT)):
            shown = self.store.render(run)
            # Whether or not the run has ended by now: the output exists, and the answer is
            # that output, processing (rendered while processing, it would have none).
            if early and shown["status"] in ("processing", "succeeded"):
                with self.store.lock:
                    output = run.fields.get("output")
                shown["status"] = "processing"
                shown.pop("completed_at", None)
                shown.pop("metrics", None)
                shown["output"] = self.inline_files(output)
            return JSONResponse(shown, status_code=201)
        # The window ran out (202: not all outputs yet).
        return JSONResponse(self.as_created(run), status_code=202)

    def inline_files(self, output: Any) -> Any:
        """``output`` with the files this emulator delivers written as ``data:`` URIs."""
        if isinstance(output, list):
            return [self.inline_files(item) for item in output]
        if isinstance(output, dict):
            return {key: self.inline_files(item) for key, item in output.items()}
        store = self.store
        if isinstance(output, str) and output.startswith(store.delivery_base_url):
            with store.lock:
                found = store.outputs.get(urllib.parse.urlparse(output).path)
            if found is not None:
                data, content_type = found
                return f"data:{content_type};base64,{base64.b64encode(data).decode()}"
        return output


def invalid_input(problems: list[InputProblem]) -> ProblemError:
    """The API's 422 for inputs its version's schema refuses: each named, with its reason."""
    title = "Input validation failed"
    detail = "".join(f"- {problem.field}: {problem.description}\n" for problem in problems)
    body: JSON = {
        "title": title,
        "detail": detail,
        "status": 422,
        "invalid_fields": [
            {"type": problem.kind, "field": problem.field, "description": problem.description}
            for problem in problems
        ],
    }
    return ProblemError(422, title, detail, body=body)


def _later(timestamp: str, seconds: float) -> str:
    return format_timestamp(datetime.fromisoformat(timestamp) + timedelta(seconds=seconds))


def routes(app: EmulatorApp) -> list[BaseRoute]:
    runs = app.runs
    store = app.store

    async def create_prediction(request: Request) -> Response:
        body = await app.json_body(request)
        entry, version_id = runs.resolve_version(str(body.get("version", "")))
        return await runs.respond(request, runs.create(request, body, entry, version_id))

    async def create_model_prediction(request: Request) -> Response:
        ref = f"{request.path_params['owner']}/{request.path_params['name']}"
        with store.lock:
            entry = store.models.get(ref)
        if entry is None:
            raise not_found(f"Model {ref}")
        body = await app.json_body(request)
        # An official model runs by name; any other model, its latest version.
        version_id = None if entry.is_official or not entry.versions else entry.versions[-1].id
        return await runs.respond(request, runs.create(request, body, entry, version_id))

    async def create_deployment_prediction(request: Request) -> Response:
        key = f"{request.path_params['owner']}/{request.path_params['name']}"
        with store.lock:
            deployment = store.deployments.get(key)
        if deployment is None:
            raise not_found(f"Deployment {key}")
        release = deployment["current_release"]
        entry, version_id = runs.resolve_version(f"{release['model']}:{release['version']}")
        body = await app.json_body(request)
        run = runs.create(request, body, entry, version_id, deployment=key)
        return await runs.respond(request, run)

    async def list_predictions(request: Request) -> Response:
        after = request.query_params.get("created_after")
        before = request.query_params.get("created_before")
        source = request.query_params.get("source")
        after, before = _normal(after) if after else None, _normal(before) if before else None
        with store.lock:
            chosen = [
                run
                for run in reversed(store.predictions.values())
                if (not after or run.fields["created_at"] >= after)
                and (not before or run.fields["created_at"] < before)
                and (not source or run.fields.get("source") == source)
            ]
        return JSONResponse(app.page(request, chosen, render=store.render))

    async def get_prediction(request: Request) -> Response:
        run = runs.find(request.path_params["id"])
        return JSONResponse(store.render(run))

    async def cancel_prediction(request: Request) -> Response:
        run = runs.find(request.path_params["id"])
        app.engine.cancel(run)
        await run.signal.wait_for(lambda: run.done, timeout=5)
        return JSONResponse(store.render(run))

    @public
    @unvalidated
    async def stream(request: Request) -> Response:
        run = runs.find(request.path_params["id"], request.path_params.get("kind", "prediction"))
        last_id = request.headers.get("last-event-id")
        cut_after = None
        if app.faults is not None:
            cut_after = app.faults.stream_cut(request.url.path, request.scope)
        return StreamingResponse(
            _events(run, last_id, cut_after),
            media_type="text/event-stream",
            headers={"cache-control": "no-store"},
        )

    async def create_training(request: Request) -> Response:
        owner, name = request.path_params["owner"], request.path_params["name"]
        version_id = request.path_params["version"]
        entry, version_id = runs.resolve_version(f"{owner}/{name}:{version_id}")
        body = await app.json_body(request)
        destination = str(body.get("destination", ""))
        with store.lock:
            target = store.models.get(destination)
        if target is None:  # the API answers a bare {detail, status} here
            detail = "The specified training destination does not exist"
            raise ProblemError(404, "", detail, body={"detail": detail, "status": 404})
        trainer = _trainer(app, entry, target)
        run = runs.create(
            request, body, entry, version_id, kind="training", on_success=trainer, runner=TRAINER
        )
        return JSONResponse(_training_view(runs.as_created(run)), status_code=201)

    async def list_trainings(request: Request) -> Response:
        with store.lock:
            chosen = list(reversed(store.trainings.values()))
        return JSONResponse(
            app.page(request, chosen, render=lambda run: _training_view(store.render(run)))
        )

    async def get_training(request: Request) -> Response:
        run = runs.find(request.path_params["id"], "training")
        return JSONResponse(_training_view(store.render(run)))

    async def cancel_training(request: Request) -> Response:
        run = runs.find(request.path_params["id"], "training")
        app.engine.cancel(run)
        await run.signal.wait_for(lambda: run.done, timeout=5)
        return JSONResponse(_training_view(store.render(run)))

    return [
        Route("/v1/predictions", create_prediction, methods=["POST"]),
        Route("/v1/predictions", list_predictions, methods=["GET"]),
        Route("/v1/predictions/{id}", get_prediction, methods=["GET"]),
        Route("/v1/predictions/{id}/cancel", cancel_prediction, methods=["POST"]),
        Route("/v1/predictions/{id}/stream", stream, methods=["GET"]),
        Route("/v1/models/{owner}/{name}/predictions", create_model_prediction, methods=["POST"]),
        Route(
            "/v1/deployments/{owner}/{name}/predictions",
            create_deployment_prediction,
            methods=["POST"],
        ),
        Route(
            "/v1/models/{owner}/{name}/versions/{version}/trainings",
            create_training,
            methods=["POST"],
        ),
        Route("/v1/trainings", list_trainings, methods=["GET"]),
        Route("/v1/trainings/{id}", get_training, methods=["GET"]),
        Route("/v1/trainings/{id}/cancel", cancel_training, methods=["POST"]),
    ]


def _normal(timestamp: str) -> str:
    """A query timestamp in the stored format, so that strings compare in time order."""
    return format_timestamp(datetime.fromisoformat(timestamp))


def _training_view(data: JSON) -> JSON:
    """Trainings show no stream or web URL, and no deployment."""
    data["urls"].pop("stream", None)
    data["urls"].pop("web", None)
    return data


async def _train(inputs: JSON) -> None:
    """What a training does in the emulator: a short run with progress in its logs."""
    for step in range(1, 4):
        await asyncio.sleep(0.05)
        progress(step, 3)


TRAINER = EmulatedModel(
    "replicate",
    "trainer",
    _train,
    openapi_schema={"components": {"schemas": {"Input": {}, "Output": {}}}},
)


def _trainer(app: EmulatorApp, base: ModelEntry, target: ModelEntry) -> Any:
    """On success, a training adds a version to its destination and reports it as output."""

    def finish(run: Run) -> None:
        store = app.store
        version_id = store.ids.version()
        model = base.model if base.model is not None else target.model
        assert model is not None
        target.versions.append(Version(version_id, model, store.now()))
        if target.model is None:
            target.model = model
        weights = f"{store.delivery_base_url}/{run.id}/weights.tar"
        store.outputs[f"/{run.id}/weights.tar"] = (b"emulated weights", "application/x-tar")
        run.fields["output"] = {"version": f"{target.ref}:{version_id}", "weights": weights}

    return finish


def _has_more(run: Run, position: int) -> bool:
    return len(run.events) > position or run.done


async def _events(run: Run, last_id: str | None, cut_after: int | None) -> AsyncIterator[bytes]:
    """The run's SSE events from after ``last_id``, following until ``done``."""
    position = 0
    if last_id:
        ids = [event.id for event in run.events]
        position = ids.index(last_id) + 1 if last_id in ids else 0
    sent = 0
    while True:
        await run.signal.wait_for(partial(_has_more, run, position), None)
        events = run.events[position:]
        for event in events:
            if cut_after is not None and sent >= cut_after:
                raise ConnectionResetError("stream cut by a scripted fault")
            data = "\n".join(f"data: {line}" for line in event.data.split("\n"))
            yield f"id: {event.id}\nevent: {event.event}\n{data}\n\n".encode()
            sent += 1
            position += 1
            if event.event == "done":
                return
        if run.done and position >= len(run.events):
            return


def _without_none(hint: Any) -> Any:
    """``X`` for ``X | None`` (and ``Optional[X]``); any other hint as it is."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        members = [member for member in typing.get_args(hint) if member is not type(None)]
        if len(members) == 1:
            return members[0]
    return hint


__all__ = ["TERMINAL", "Runs", "parse_duration", "parse_prefer", "routes"]
