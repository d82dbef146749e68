"""The commands on resources: predictions, models, files, trainings, deployments, hardware,
account, and ``emulator``. ``run`` and ``stream`` live in ``_running``.

Each command takes the ``Session`` and returns the exit code; errors are raised and turned
into one line and an exit code by ``replicate.cli.main``. Lists print a table (``--json``: a
JSON array), single objects ``label: value`` lines (``--json``: the object).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qs, unquote, urlparse

from replicate.cli._errors import EXIT_OK, NothingToCancel, UsageError
from replicate.cli._format import print_fields, print_json, print_table, short_time, truncate
from replicate.cli._inputs import InputSchema, build_input, check_sendable, is_utf8

if TYPE_CHECKING:
    from replicate.account import Account
    from replicate.cli._session import Session
    from replicate.deployment import Deployment
    from replicate.file import File
    from replicate.model import Model
    from replicate.pagination import Cursor, Page
    from replicate.prediction import Prediction
    from replicate.training import Training

    Run = Prediction | Training

__all__ = [
    "account",
    "deployments_create",
    "deployments_delete",
    "deployments_get",
    "deployments_list",
    "deployments_update",
    "emulator",
    "files_delete",
    "files_download",
    "files_get",
    "files_list",
    "files_upload",
    "hardware",
    "models_create",
    "models_get",
    "models_list",
    "models_search",
    "models_versions",
    "predictions_cancel",
    "predictions_get",
    "predictions_list",
    "trainings_cancel",
    "trainings_create",
    "trainings_get",
    "trainings_list",
]

T = TypeVar("T")


def _items(list_method: Callable[[Cursor], Page[T]], limit: int) -> list[T]:
    """Up to ``limit`` items across pages (0: all), fetching no page more than needed."""
    from replicate.pagination import paginate_items

    items: Iterator[T] = paginate_items(list_method)
    return list(items if limit <= 0 else itertools.islice(items, limit))


def _owner_name(value: str, what: str) -> tuple[str, str]:
    owner, _, name = value.partition("/")
    if not owner or not name or "/" in name:
        raise UsageError(f"expected a {what} as owner/name, got {value!r}")
    return owner, name


# -- predictions -------------------------------------------------------------------------------


def predictions_list(session: Session) -> int:
    predictions = _items(session.client.predictions.list, session.args.limit)
    if session.args.json:
        print_json(predictions)
    else:
        print_table(
            ["ID", "MODEL", "STATUS", "CREATED"],
            [[p.id, p.model, p.status, short_time(p.created_at)] for p in predictions],
        )
    return EXIT_OK


def predictions_get(session: Session) -> int:
    prediction = session.client.predictions.get(session.args.id)
    if session.args.json:
        print_json(prediction)
    else:
        _print_prediction(prediction)
        _print_logs(session, prediction)
    return EXIT_OK


def predictions_cancel(session: Session) -> int:
    return _cancel(
        session, "prediction", session.client.predictions.get, session.client.predictions.cancel
    )


def _cancel(
    session: Session, kind: str, get: Callable[[str], Run], cancel: Callable[[str], Run]
) -> int:
    """Cancel a run; one that had already ended raises ``NothingToCancel`` (exit code 1).

    The API answers a cancel of an ended run with the run as it is, which would read as a
    success: the run is fetched first, and a cancel that finds it ended on its own meanwhile
    says so too.
    """
    from replicate.cli._display import FINISHED

    run = get(session.args.id)
    already_ended = run.status in FINISHED
    if not already_ended:
        run = cancel(run.id)
        already_ended = run.status in FINISHED and run.status != "canceled"
    if session.args.json:
        print_json(run)
    if already_ended:
        raise NothingToCancel(kind, run.id, run.status)
    if not session.args.json:
        print(f"{kind} {run.id} is {run.status}")
    return EXIT_OK


def _print_logs(session: Session, run: Run) -> None:
    """``get --logs``: the run's logs after its fields, as its last screen showed them."""
    from replicate.cli._display import log_lines

    if not session.args.logs:
        return
    lines = log_lines(run.logs)
    print("logs:" if lines else "logs: (none)")
    for line in lines:
        print(f"  {line}".rstrip())


def _print_prediction(prediction: Prediction) -> None:
    output = prediction.output
    print_fields(
        [
            ("id", prediction.id),
            ("model", prediction.model),
            ("version", prediction.version),
            ("status", prediction.status),
            ("created", short_time(prediction.created_at)),
            ("completed", short_time(prediction.completed_at)),
            ("input", prediction.input),
            ("output", output if isinstance(output, str) else _json_or_none(output)),
            ("error", prediction.error),
        ]
    )


def _json_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value, indent=2, ensure_ascii=False)


# -- models ------------------------------------------------------------------------------------


def models_get(session: Session) -> int:
    model = session.client.models.get(*_owner_name(session.args.model, "model"))
    if session.args.json:
        print_json(model)
        return EXIT_OK
    latest = model.latest_version
    print_fields(
        [
            ("model", model.id),
            ("description", model.description),
            ("url", model.url),
            ("visibility", model.visibility),
            ("official", model.is_official),
            ("runs", model.run_count),
            ("latest version", latest.id if latest else None),
        ]
    )
    schema = InputSchema.of(latest.openapi_schema if latest else None)
    if schema is not None:
        print("inputs:")
        print("\n".join(schema.listing(descriptions=True)))
    else:
        print("inputs: not published (key=value sends text; key:=JSON sends any JSON)")
    return EXIT_OK


def models_create(session: Session) -> int:
    """``models create OWNER/NAME --hardware SKU``: a new, empty model."""
    from replicate.model import CreateModelParams

    args = session.args
    owner, name = _owner_name(args.model, "model")
    params: CreateModelParams = {"hardware": args.hardware, "visibility": args.visibility}
    for option in ("description", "github_url", "paper_url", "license_url", "cover_image_url"):
        value = getattr(args, option)
        if value is not None:
            params[option] = value
    model = session.client.models.create(owner, name, **params)
    if args.json:
        print_json(model)
        return EXIT_OK
    print_fields(
        [
            ("model", model.id),
            ("description", model.description),
            ("url", model.url),
            ("visibility", model.visibility),
        ]
    )
    return EXIT_OK


def models_list(session: Session) -> int:
    models = _items(session.client.models.list, session.args.limit)
    _print_models(session, models)
    return EXIT_OK


def models_search(session: Session) -> int:
    page = session.client.models.search(session.args.query)
    limit = session.args.limit
    _print_models(session, page.results[:limit] if limit > 0 else page.results)
    return EXIT_OK


def _print_models(session: Session, models: list[Model]) -> None:
    if session.args.json:
        print_json(models)
        return
    print_table(
        ["MODEL", "RUNS", "DESCRIPTION"],
        [[model.id, model.run_count, truncate(model.description, 60)] for model in models],
    )


def models_versions(session: Session) -> int:
    model = session.client.models.get(*_owner_name(session.args.model, "model"))
    versions = _items(model.versions.list, session.args.limit)
    if session.args.json:
        print_json(versions)
    else:
        print_table(
            ["VERSION", "CREATED", "COG"],
            [[v.id, short_time(v.created_at), v.cog_version] for v in versions],
        )
    return EXIT_OK


# -- files -------------------------------------------------------------------------------------


def files_upload(session: Session) -> int:
    args = session.args
    path = Path(args.path).expanduser()
    if not path.is_file():
        raise UsageError(f"no such file: {args.path}")
    if args.filename is None and not is_utf8(path.name):
        raise UsageError(
            f"the file name {path.name!r} is not valid UTF-8, which the API needs of file "
            "names: pass --filename NAME"
        )
    metadata = _json_object(args.metadata, "--metadata") if args.metadata else None
    options: dict[str, Any] = {}
    if metadata is not None:
        options["metadata"] = metadata
    if args.content_type:
        options["content_type"] = args.content_type
    if args.filename:
        options["filename"] = args.filename
    file = session.client.files.create(path, **options)
    _print_file(session, file)
    return EXIT_OK


def files_list(session: Session) -> int:
    files = _items(session.client.files.list, session.args.limit)
    if session.args.json:
        print_json(files)
    else:
        print_table(
            ["ID", "NAME", "SIZE", "TYPE", "CREATED"],
            [[f.id, f.name, f.size, f.content_type, short_time(f.created_at)] for f in files],
        )
    return EXIT_OK


def files_get(session: Session) -> int:
    _print_file(session, session.client.files.get(session.args.id))
    return EXIT_OK


def files_delete(session: Session) -> int:
    session.client.files.delete(session.args.id)
    print(f"deleted file {session.args.id}")
    return EXIT_OK


def files_download(session: Session) -> int:
    """A file's content: one of the account's by its ID, or any by a signed download link.

    By ID, the file is fetched from ``GET /files/{id}/download`` with the API token, as its
    owner; a signed link (the URL, or the ID with ``--owner``, ``--expiry`` and
    ``--signature``) is the API's way to a file for anyone holding the link.
    """
    from replicate.exceptions import NotFoundError, ReplicateError

    args = session.args
    client = session.client
    link = _signed_link(args)
    if link is None:
        file_id = args.file
        record = client.files.get(file_id)  # a 404 here: no such file of this account
        try:
            response = client.api.send_request(_owner_download_request(file_id))
        except ReplicateError as error:
            if error.hint is None:
                error.hint = (
                    "the API would not serve the file to its owner's token: download it "
                    "by a signed download URL instead (a prediction that used the file "
                    "shows one in its input)"
                )
            raise
        content = response.content
        name = record.name
    else:
        file_id, owner, expiry, signature = link
        content = client.files.download(file_id, owner=owner, expiry=expiry, signature=signature)
        name = None
        if args.output is None:
            with contextlib.suppress(NotFoundError):  # another's file, shared by a signed link
                name = client.files.get(file_id).name
    if args.output == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
        return EXIT_OK
    target = args.output if args.output is not None else Path(name or file_id).name
    path = Path(target).expanduser()
    path.write_bytes(content)
    print(path)
    return EXIT_OK


def _owner_download_request(file_id: str) -> dict[str, Any]:
    from urllib.parse import quote

    return {
        "method": "get",
        "url": f"/files/{quote(file_id, safe='')}/download",
        "follow_redirects": True,
    }


def _signed_link(args: argparse.Namespace) -> tuple[str, str, int, str] | None:
    """The signed link's parts, from the URL or the options; None for a bare ID."""
    file_id, owner, expiry, signature = args.file, args.owner, args.expiry, args.signature
    if "://" in file_id:
        url = urlparse(file_id)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        parts = [unquote(part) for part in url.path.split("/") if part]
        if len(parts) < 2 or parts[-1] != "download":
            raise UsageError(
                f"not a file download URL: {file_id} (expected .../files/ID/download?...)"
            )
        file_id = parts[-2]
        owner = owner or query.get("owner")
        expiry = expiry if expiry is not None else query.get("expiry")
        signature = signature or query.get("signature")
    given = {"--owner": owner, "--expiry": expiry, "--signature": signature}
    if all(value is None for value in given.values()):
        if "://" in args.file:
            raise UsageError(f"not a signed download URL: {args.file} (it has no signature)")
        return None
    missing = [option for option, value in given.items() if value is None]
    if missing:
        raise UsageError(f"a signed download link needs {', '.join(missing)} too")
    try:
        expiry_seconds = int(str(expiry))
    except ValueError:
        raise UsageError(f"--expiry must be a Unix timestamp, got {expiry!r}") from None
    return file_id, str(owner), expiry_seconds, str(signature)


def _print_file(session: Session, file: File) -> None:
    if session.args.json:
        print_json(file)
        return
    print_fields(
        [
            ("id", file.id),
            ("name", file.name),
            ("size", file.size),
            ("type", file.content_type),
            ("sha256", file.checksums.get("sha256")),
            ("created", short_time(file.created_at)),
            ("expires", short_time(file.expires_at)),
            ("url", file.urls.get("get")),
            ("metadata", file.metadata or None),
        ]
    )


def _json_object(text: str, option: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except RecursionError:
        raise UsageError(f"{option}: the JSON is nested too deeply") from None
    except ValueError:
        raise UsageError(f"{option} must be a JSON object, got {text!r}") from None
    if not isinstance(value, dict):
        raise UsageError(f"{option} must be a JSON object, got {text!r}")
    check_sendable(value, option)
    return value


# -- trainings ---------------------------------------------------------------------------------


def trainings_create(session: Session) -> int:
    from replicate.cli._running import resolve_target

    args = session.args
    client = session.client
    target = resolve_target(client, args.model)
    if target.owner is None or target.name is None or target.version_id is None:
        raise UsageError(
            f"a training needs a model version: owner/name[:version], not {args.model}"
        )
    _owner_name(args.destination, "destination")
    schema = InputSchema.of(target.openapi_schema, "TrainingInput")
    inputs = build_input(args.inputs, schema, f"training of {target.label}")
    options: dict[str, Any] = {"destination": args.destination}
    if args.webhook:
        options["webhook"] = args.webhook
    training = client.trainings.create(
        model=(target.owner, target.name), version=target.version_id, input=inputs, **options
    )
    if args.json:
        print_json(training)
    else:
        print(training.id, flush=True)
        sys.stderr.write(
            f"training {training.id} is {training.status}; follow it with "
            f"`replicate trainings get {training.id}`\n"
        )
    return EXIT_OK


def trainings_get(session: Session) -> int:
    training = session.client.trainings.get(session.args.id)
    if session.args.json:
        print_json(training)
    else:
        _print_training(training)
        _print_logs(session, training)
    return EXIT_OK


def trainings_list(session: Session) -> int:
    trainings = _items(session.client.trainings.list, session.args.limit)
    if session.args.json:
        print_json(trainings)
    else:
        print_table(
            ["ID", "MODEL", "STATUS", "DESTINATION", "CREATED"],
            [[t.id, t.model, t.status, t.destination, short_time(t.created_at)] for t in trainings],
        )
    return EXIT_OK


def trainings_cancel(session: Session) -> int:
    trainings = session.client.trainings
    return _cancel(session, "training", trainings.get, trainings.cancel)


def _print_training(training: Training) -> None:
    print_fields(
        [
            ("id", training.id),
            ("model", training.model),
            ("version", training.version),
            ("destination", training.destination),
            ("status", training.status),
            ("created", short_time(training.created_at)),
            ("completed", short_time(training.completed_at)),
            ("input", training.input),
            ("output", _json_or_none(training.output)),
            ("error", training.error),
        ]
    )


# -- deployments -------------------------------------------------------------------------------


def deployments_list(session: Session) -> int:
    deployments = _items(session.client.deployments.list, session.args.limit)
    if session.args.json:
        print_json(deployments)
    else:
        print_table(
            ["DEPLOYMENT", "RELEASE", "MODEL", "HARDWARE", "INSTANCES"],
            [_deployment_row(deployment) for deployment in deployments],
        )
    return EXIT_OK


def deployments_get(session: Session) -> int:
    deployment = session.client.deployments.get(
        "/".join(_owner_name(session.args.deployment, "deployment"))
    )
    _print_deployment(session, deployment)
    return EXIT_OK


def deployments_create(session: Session) -> int:
    from replicate.cli._running import resolve_target

    args = session.args
    client = session.client
    version = args.version
    model = args.model
    if ":" in model:
        model, _, version_in_ref = model.partition(":")
        version = version or version_in_ref
    _owner_name(model, "model")
    if not version:
        version = resolve_target(client, model).version_id
        if version is None:
            raise UsageError(f"{model} has no versions to deploy; pass --version")
    if args.min_instances > args.max_instances:
        raise UsageError("--min-instances must not be more than --max-instances")
    deployment = client.deployments.create(
        name=args.name,
        model=model,
        version=version,
        hardware=args.hardware,
        min_instances=args.min_instances,
        max_instances=args.max_instances,
    )
    _print_deployment(session, deployment)
    return EXIT_OK


def deployments_update(session: Session) -> int:
    from replicate.deployment import UpdateDeploymentParams

    args = session.args
    owner, name = _owner_name(args.deployment, "deployment")
    changes: UpdateDeploymentParams = {}
    if args.version is not None:
        changes["version"] = args.version
    if args.hardware is not None:
        changes["hardware"] = args.hardware
    if args.min_instances is not None:
        changes["min_instances"] = args.min_instances
    if args.max_instances is not None:
        changes["max_instances"] = args.max_instances
    if not changes:
        raise UsageError(
            "nothing to update: pass --version, --hardware, --min-instances or --max-instances"
        )
    deployment = session.client.deployments.update(owner, name, **changes)
    _print_deployment(session, deployment)
    return EXIT_OK


def deployments_delete(session: Session) -> int:
    owner, name = _owner_name(session.args.deployment, "deployment")
    session.client.deployments.delete(owner, name)
    print(f"deleted deployment {owner}/{name}")
    return EXIT_OK


def _deployment_row(deployment: Deployment) -> list[Any]:
    release = deployment.current_release
    configuration = release.configuration if release else None
    instances = (
        f"{configuration.min_instances}-{configuration.max_instances}" if configuration else None
    )
    return [
        deployment.id,
        release.number if release else None,
        f"{release.model}:{(release.version or '')[:12]}" if release else None,
        configuration.hardware if configuration else None,
        instances,
    ]


def _print_deployment(session: Session, deployment: Deployment) -> None:
    if session.args.json:
        print_json(deployment)
        return
    release = deployment.current_release
    configuration = release.configuration if release else None
    print_fields(
        [
            ("deployment", deployment.id),
            ("release", release.number if release else None),
            ("model", release.model if release else None),
            ("version", release.version if release else None),
            ("hardware", configuration.hardware if configuration else None),
            ("min instances", configuration.min_instances if configuration else None),
            ("max instances", configuration.max_instances if configuration else None),
            ("released", short_time(release.created_at) if release else None),
        ]
    )


# -- hardware, account, emulator ---------------------------------------------------------------


def hardware(session: Session) -> int:
    items = session.client.hardware.list()
    if session.args.json:
        print_json(items)
    else:
        print_table(["SKU", "NAME"], [[item.sku, item.name] for item in items])
    return EXIT_OK


def account(session: Session) -> int:
    current: Account = session.client.accounts.current()
    if session.args.json:
        print_json(current)
    else:
        print_fields(
            [
                ("username", current.username),
                ("type", current.type),
                ("name", current.name),
                ("github", current.github_url),
            ]
        )
    return EXIT_OK


def emulator(session: Session) -> int:
    from replicate.cli._session import serve_emulator

    argv = ["--host", session.args.host, "--port", str(session.args.port)]
    if session.args.seed is not None:
        argv += ["--seed", str(session.args.seed)]
    return serve_emulator(argv)
