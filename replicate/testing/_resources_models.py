"""Models, versions, examples, READMEs, collections, and search (``QUERY /models``, ``/search``)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from ._app import MODELS_PAGE_SIZE, ProblemError, not_found, public, unvalidated
from ._engine import Run, token_metrics
from ._models import describe, image_model, language_tokens, progress_line
from ._resources_common import (
    NAME,
    NAME_RULE,
    SKUS,
    check_fields,
    check_owner,
    check_url,
    invalid,
)
from ._state import JSON, ModelEntry, format_timestamp

if TYPE_CHECKING:
    from ._app import EmulatorApp

URL_FIELDS = ("github_url", "paper_url", "license_url", "cover_image_url", "weights_url")
CREATE_FIELDS: dict[str, type] = {
    "owner": str,
    "name": str,
    "visibility": str,
    "hardware": str,
    "description": str,
    "github_url": str,
    "paper_url": str,
    "license_url": str,
    "cover_image_url": str,
}
UPDATE_FIELDS: dict[str, type] = {
    "description": str,
    "readme": str,
    "github_url": str,
    "paper_url": str,
    "license_url": str,
    "weights_url": str,
}
SORT_BY = ("latest_version_created_at", "model_created_at")
SEARCH_LIMIT = (1, 50)

# (slug, name, description, full description, model refs) seeded when the models exist.
COLLECTIONS: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    (
        "text-to-image",
        "Text to image",
        "Models that generate images from text prompts.",
        "## Overview\n\nThese models turn a text prompt into images.\n\n"
        "### Key features\n\n- PNG output files\n- A seed for reproducible images\n",
        ("replicate/image",),
    ),
    (
        "language-models",
        "Language models",
        "Models that understand and generate text, streamed token by token.",
        "## Overview\n\nLanguage models answer a prompt with text.\n\n"
        "### Key features\n\n- Streaming output (`urls.stream`)\n- A system prompt\n",
        ("replicate/language-model",),
    ),
)

# Documentation pages GET /search can find, as (name, href).
PAGES: tuple[tuple[str, str], ...] = (
    ("Run a model from Python", "https://replicate.com/docs/get-started/python"),
    ("Create a prediction", "https://replicate.com/docs/topics/predictions/create-a-prediction"),
    ("Stream model output", "https://replicate.com/docs/topics/predictions/streaming"),
    ("Receive webhooks", "https://replicate.com/docs/topics/webhooks"),
    ("Deploy a model", "https://replicate.com/docs/topics/deployments"),
    ("Upload files as model input", "https://replicate.com/docs/topics/predictions/input-files"),
    ("Fine-tune a model", "https://replicate.com/docs/topics/models/training"),
    ("Search for models", "https://replicate.com/docs/topics/models/search"),
)


class Catalog:
    """Models as the API shows them, their example predictions, and the collections."""

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app
        self.store = app.store
        # Examples are other accounts' predictions: kept apart from the account's own list.
        self.examples: dict[str, Run] = {}

    # --- lookups and views ---------------------------------------------------------------

    def entry(self, request: Request) -> ModelEntry:
        ref = f"{request.path_params['owner']}/{request.path_params['name']}"
        with self.store.lock:
            entry = self.store.models.get(ref)
        if entry is None:
            raise not_found(f"Model {ref}")
        return entry

    def model_json(self, entry: ModelEntry) -> JSON:
        store = self.store
        with store.lock:
            latest = entry.versions[-1].to_json() if entry.versions else None
            examples = [self.example_json(run_id) for run_id in entry.examples]
            cover = entry.cover_image_url
            if cover is None and entry.cover_image is not None:
                cover = store.delivery_base_url + entry.cover_image
            return {
                "url": f"https://replicate.com/{entry.ref}",
                "owner": entry.owner,
                "name": entry.name,
                "description": entry.description,
                "visibility": entry.visibility,
                "is_official": entry.is_official,
                "github_url": entry.github_url,
                "paper_url": entry.paper_url,
                "license_url": entry.license_url,
                "weights_url": entry.weights_url,  # not in the spec; real models have it
                "run_count": entry.run_count,
                "cover_image_url": cover,
                "created_at": entry.created_at,  # not in the spec; real models have it
                "default_example": next((item for item in examples if item), None),
                "latest_version": latest,
            }

    def example_json(self, run_id: str) -> JSON | None:
        store = self.store
        with store.lock:
            run = self.examples.get(run_id) or store.predictions.get(run_id)
        if run is None:
            return None
        shown = store.render(run)
        if run_id in self.examples:  # seeded before the delivery host's address was known
            for key in ("input", "output"):
                shown[key] = _rebased(shown.get(key), SEEDED_DELIVERY, store.delivery_base_url)
        return shown

    def public_models(self) -> list[ModelEntry]:
        with self.store.lock:
            return [entry for entry in self.store.models.values() if entry.visibility == "public"]

    def collections_of(self, ref: str) -> list[str]:
        with self.store.lock:
            items = self.store.collections.values()
            return [str(item["slug"]) for item in items if ref in item["models"]]

    # --- seeding -------------------------------------------------------------------------

    def seed(self) -> None:
        """The collections, and the built-in models' examples, as replicate.com has them."""
        store = self.store
        with store.lock:
            for slug, name, description, full, refs in COLLECTIONS:
                present = [ref for ref in refs if ref in store.models]
                if present and slug not in store.collections:
                    store.collections[slug] = {
                        "name": name,
                        "slug": slug,
                        "description": description,
                        "full_description": full,
                        "models": present,
                    }
            for ref, (given, ending) in _examples().items():
                entry = store.models.get(ref)
                if entry is not None and entry.versions and not entry.examples:
                    self.add_example(entry, given, **ending)

    def add_example(
        self,
        entry: ModelEntry,
        given: JSON,
        output: Any,
        *,
        status: str = "succeeded",
        logs: str = "",
        error: str | None = None,
        files: dict[str, tuple[bytes, str]] | None = None,
    ) -> Run:
        """A finished prediction of ``entry`` shown as one of its examples.

        ``files`` are files to serve, by name: ``output`` (and ``given``, for a file input)
        refers to each as ``{delivery}/NAME``, ``{delivery}`` being the delivery host.
        """
        store = self.store
        created = store.options.clock()
        started = created + timedelta(milliseconds=42)
        completed = started + timedelta(microseconds=2363)
        run_id = store.ids.resource()
        for name, content in (files or {}).items():
            store.outputs[f"/{run_id}/{name}"] = content
        model = entry.versions[-1].model
        fields: JSON = {
            "id": run_id,
            # an official model's example ran by name, as its users run it
            "model": (model.backing_model or entry.ref) if entry.is_official else entry.ref,
            "version": entry.deployed_version or entry.versions[-1].id,
            "input": _rebased(given, "{delivery}", f"{SEEDED_DELIVERY}/{run_id}"),
            "logs": logs,
            "output": _rebased(output, "{delivery}", f"{SEEDED_DELIVERY}/{run_id}"),
            "data_removed": False,
            "error": error,
            "status": status,
            "created_at": format_timestamp(created),
            "started_at": format_timestamp(started),
            "completed_at": format_timestamp(completed),
            "source": "web",
            "metrics": {
                "predict_time": (completed - started).total_seconds(),
                "total_time": (completed - created).total_seconds(),
            },
        }
        run = Run(run_id, "prediction", fields, model=model)
        run.streams = bool(model.streams)
        if model.makes_text and isinstance(output, list):
            run.first_output_at = format_timestamp(started + timedelta(microseconds=400))
            fields["metrics"].update(
                token_metrics(run, fields["started_at"], fields["completed_at"])
            )
        with store.lock:
            self.examples[run_id] = run
            entry.examples.append(run_id)
        return run

    # --- search --------------------------------------------------------------------------

    def score(self, entry: ModelEntry, terms: list[str]) -> float:
        """How well ``entry`` matches the search terms, from 0 (not at all) to 1."""
        if not terms:
            return 0.0
        weighted = (
            (entry.name.lower(), 3),
            ((entry.description or "").lower(), 2),
            (entry.owner.lower(), 1),
            (" ".join(self.collections_of(entry.ref)), 1),
        )
        best = sum(weight for _, weight in weighted) * len(terms)
        total = sum(weight for term in terms for text, weight in weighted if term in text)
        return round(total / best, 4)

    def ranked(self, text: str) -> list[tuple[ModelEntry, float]]:
        terms = text.lower().split()
        scored = [(entry, self.score(entry, terms)) for entry in self.public_models()]
        matches = [(entry, score) for entry, score in scored if score > 0]
        # Best match first; among equals, the most run.
        return sorted(matches, key=lambda item: (-item[1], -item[0].run_count))

    def search_metadata(self, entry: ModelEntry, score: float) -> JSON:
        inputs: list[str] = []
        if entry.versions:
            schema = entry.versions[-1].model.openapi_schema
            inputs = list(schema["components"]["schemas"]["Input"].get("properties", {}))
        described = entry.description or entry.name
        details = f" It takes {', '.join(inputs)} as input." if inputs else ""
        tags = self.collections_of(entry.ref) + (["official"] if entry.is_official else [])
        return {
            "generated_description": f"{described}.{details}",
            "score": score,
            "tags": tags,
        }


def routes(app: EmulatorApp, catalog: Catalog) -> list[BaseRoute]:
    store = app.store
    options = app.options

    async def list_models(request: Request) -> Response:
        sort_by = request.query_params.get("sort_by", "latest_version_created_at")
        direction = request.query_params.get("sort_direction", "desc")
        if sort_by not in SORT_BY:
            raise invalid("sort_by", f"must be one of {', '.join(SORT_BY)}")
        if direction not in ("asc", "desc"):
            raise invalid("sort_direction", "must be asc or desc")
        with store.lock:
            models = catalog.public_models()
            if sort_by == "model_created_at":
                ordered = sorted(models, key=lambda e: e.created_at, reverse=direction == "desc")
            else:
                # Models without versions have no date to sort by: they come last.
                versioned = [entry for entry in models if entry.versions]
                ordered = sorted(
                    versioned, key=lambda e: e.versions[-1].created_at, reverse=direction == "desc"
                ) + [entry for entry in models if not entry.versions]
            items = [catalog.model_json(entry) for entry in ordered]
        return JSONResponse(app.page(request, items, MODELS_PAGE_SIZE))

    async def create_model(request: Request) -> Response:
        body = await app.json_body(request)
        check_fields(body, CREATE_FIELDS, required=("owner", "name", "visibility", "hardware"))
        visibilities = {"public", "private"}
        if options.real_deviations:
            visibilities.add("unlisted")  # recorded traffic has it
        if body["visibility"] not in visibilities:
            raise invalid("visibility", f"must be one of {', '.join(sorted(visibilities))}")
        if body["hardware"] not in SKUS:
            raise invalid("hardware", f"unknown SKU {body['hardware']!r} (see GET /v1/hardware)")
        if not NAME.match(body["name"]):
            raise invalid("name", NAME_RULE)
        for field in URL_FIELDS:
            check_url(body, field)
        owner, name = body["owner"], body["name"]
        check_owner(app, owner, f"The owner {owner}")
        with store.lock:
            if f"{owner}/{name}" in store.models:
                detail = f"A model named {owner}/{name} already exists"
                raise ProblemError(409, "Conflict", detail)
            entry = ModelEntry(
                owner=owner,
                name=name,
                model=None,
                created_at=store.now(),
                visibility=body["visibility"],
                description=body.get("description"),
                hardware=body["hardware"],
                github_url=body.get("github_url"),
                paper_url=body.get("paper_url"),
                license_url=body.get("license_url"),
                cover_image_url=body.get("cover_image_url"),
            )
            store.models[entry.ref] = entry
        return JSONResponse(catalog.model_json(entry), status_code=201)

    @unvalidated  # the spec cannot describe QUERY; the route checks its text body
    async def search_models(request: Request) -> Response:
        try:
            text = (await request.body()).decode("utf-8").strip()
        except UnicodeDecodeError:
            raise invalid("body", "the search text must be UTF-8") from None
        if not text:
            raise invalid("body", "the search text is empty (send it as text/plain)")
        items = [catalog.model_json(entry) for entry, _ in catalog.ranked(text)]
        return JSONResponse(app.page(request, items, MODELS_PAGE_SIZE))

    async def get_model(request: Request) -> Response:
        return JSONResponse(catalog.model_json(catalog.entry(request)))

    async def update_model(request: Request) -> Response:
        entry = catalog.entry(request)
        body = await app.json_body(request)
        check_fields(body, UPDATE_FIELDS)
        for field in URL_FIELDS:
            check_url(body, field)
        check_owner(app, entry.owner, f"The model {entry.ref}")
        with store.lock:
            for field in UPDATE_FIELDS:
                if field in body:
                    setattr(entry, field, body[field])
        return JSONResponse(catalog.model_json(entry))

    async def delete_model(request: Request) -> Response:
        entry = catalog.entry(request)
        check_owner(app, entry.owner, f"The model {entry.ref}")
        with store.lock:
            if entry.versions:
                count = len(entry.versions)
                detail = (
                    f"The model {entry.ref} has {count} version{'s' if count > 1 else ''}: delete "
                    f"them first (DELETE /v1/models/{entry.ref}/versions/{{version_id}})"
                )
                raise ProblemError(409, "Conflict", detail)
            store.models.pop(entry.ref, None)
            for run_id in entry.examples:
                catalog.examples.pop(run_id, None)
        return Response(status_code=204)

    async def list_versions(request: Request) -> Response:
        entry = catalog.entry(request)
        if entry.is_official:
            # As the API answers for official models: their versions are not addressable,
            # whatever `latest_version` shows (clients run them by name).
            raise not_found(f"Versions of {entry.ref}")
        with store.lock:
            items = [version.to_json() for version in reversed(entry.versions)]
        return JSONResponse(app.page(request, items))

    def find_version(request: Request) -> tuple[ModelEntry, int]:
        entry = catalog.entry(request)
        version_id = request.path_params["version"]
        with store.lock:
            for index, version in enumerate(entry.versions):
                if version.id == version_id:
                    return entry, index
        raise not_found(f"Version {version_id} of {entry.ref}")

    async def get_version(request: Request) -> Response:
        entry, index = find_version(request)
        return JSONResponse(entry.versions[index].to_json())

    async def delete_version(request: Request) -> Response:
        entry, index = find_version(request)
        check_owner(app, entry.owner, f"The model {entry.ref}")
        with store.lock:
            version = entry.versions[index]
            for key, deployment in store.deployments.items():
                release = deployment["current_release"]
                if release["model"] == entry.ref and release["version"] == version.id:
                    detail = f"The version {version.id} is in use by the deployment {key}"
                    raise ProblemError(409, "Conflict", detail)
            entry.versions.remove(version)
        return Response(status_code=202)

    async def list_examples(request: Request) -> Response:
        entry = catalog.entry(request)
        with store.lock:
            shown = [catalog.example_json(run_id) for run_id in entry.examples]
        return JSONResponse(app.page(request, [item for item in shown if item]))

    async def get_readme(request: Request) -> Response:
        entry = catalog.entry(request)
        if not entry.readme:
            raise not_found(f"README of {entry.ref}")
        return PlainTextResponse(entry.readme)

    async def list_collections(request: Request) -> Response:
        with store.lock:
            items = [
                {key: item[key] for key in ("name", "slug", "description")}
                for item in store.collections.values()
            ]
        return JSONResponse(app.page(request, items))

    async def get_collection(request: Request) -> Response:
        slug = request.path_params["slug"]
        with store.lock:
            item = store.collections.get(slug)
            if item is None:
                raise not_found(f"Collection {slug}")
            entries = [store.models[ref] for ref in item["models"] if ref in store.models]
            models = [catalog.model_json(entry) for entry in entries]
        fields = ("name", "slug", "description", "full_description")
        return JSONResponse({**{key: item[key] for key in fields}, "models": models})

    @public
    async def search(request: Request) -> Response:
        query = request.query_params.get("query")
        if query is None:
            raise invalid("query", "query parameter required")
        low, high = SEARCH_LIMIT
        raw_limit = request.query_params.get("limit", "20")
        if not raw_limit.isdigit() or not low <= int(raw_limit) <= high:
            raise invalid("limit", f"must be an integer from {low} to {high}")
        ranked = catalog.ranked(query)[: int(raw_limit)]
        terms = query.lower().split()
        found = {entry.ref for entry, _ in ranked}
        with store.lock:
            collections = [
                {
                    "name": item["name"],
                    "slug": item["slug"],
                    "description": item["description"],
                    "models": list(item["models"]),
                }
                for item in store.collections.values()
                if found & set(item["models"])
                or any(term in f"{item['name']} {item['slug']}".lower() for term in terms)
            ]
            models = [
                {"model": catalog.model_json(entry), "metadata": catalog.search_metadata(entry, s)}
                for entry, s in ranked
            ]
        pages = [
            {"name": name, "href": href}
            for name, href in PAGES
            if any(term in name.lower() for term in terms)
        ]
        results = {"query": query, "models": models, "collections": collections, "pages": pages}
        return JSONResponse(results)

    model = "/v1/models/{owner}/{name}"
    return [
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/v1/models", create_model, methods=["POST"]),
        Route("/v1/models", search_models, methods=["QUERY"]),
        Route(model, get_model, methods=["GET"]),
        Route(model, update_model, methods=["PATCH"]),
        Route(model, delete_model, methods=["DELETE"]),
        Route(f"{model}/versions", list_versions, methods=["GET"]),
        Route(f"{model}/versions/{{version}}", get_version, methods=["GET"]),
        Route(f"{model}/versions/{{version}}", delete_version, methods=["DELETE"]),
        Route(f"{model}/examples", list_examples, methods=["GET"]),
        Route(f"{model}/readme", get_readme, methods=["GET"]),
        Route("/v1/collections", list_collections, methods=["GET"]),
        Route("/v1/collections/{slug}", get_collection, methods=["GET"]),
        Route("/v1/search", search, methods=["GET"]),
    ]


# Where example outputs point before the server knows its delivery host's address: replaced
# by the real one each time an example is shown.
SEEDED_DELIVERY = "http://delivery.emulator.test"


def _rebased(value: Any, old: str, new: str) -> Any:
    """``value`` with every string that starts with ``old`` starting with ``new`` instead."""
    if isinstance(value, str) and value.startswith(old):
        return new + value[len(old) :]
    if isinstance(value, list):
        return [_rebased(item, old, new) for item in value]
    if isinstance(value, dict):
        return {key: _rebased(item, old, new) for key, item in value.items()}
    return value


def _examples() -> dict[str, tuple[JSON, JSON]]:
    """Each built-in model's example: its input, and how it ended (``add_example``'s keywords)."""
    prompt = "Write a haiku about foxes"
    [image] = image_model("a fox in the snow")
    return {
        "replicate/hello-world": ({"text": "Alice"}, {"output": "hello Alice"}),
        "replicate/language-model": (
            {"prompt": prompt, "max_tokens": 12},
            {"output": language_tokens(prompt, 12), "logs": "generating 12 tokens\n"},
        ),
        "replicate/image": (
            {"prompt": "a fox in the snow", "num_outputs": 1},
            {
                "output": [f"{{delivery}}/{image.filename}"],
                "logs": progress_line(1, 1) + "\n",
                "files": {image.filename: (image.data, image.content_type)},
            },
        ),
        # its input, a file on the delivery host as real examples' are: the image's example
        "replicate/caption": (
            {"image": f"{{delivery}}/{image.filename}", "detail": "long"},
            {
                "output": describe(image.data, "long"),
                "files": {image.filename: (image.data, image.content_type)},
            },
        ),
        "replicate/fails": (
            {"text": "anything"},
            {
                "output": None,
                "status": "failed",
                "logs": "about to fail\n",
                "error": "this model fails on purpose",
            },
        ),
        "replicate/slow": (
            {"seconds": 2, "steps": 4},
            {
                "output": "finished after 2 seconds",
                "logs": "".join(progress_line(step, 4) + "\n" for step in range(1, 5)),
            },
        ),
    }
