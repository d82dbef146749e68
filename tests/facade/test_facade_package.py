"""The package surface: lazy import, exported names, module-level functions."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx
import pytest
from facade_tools import FakeAPI, fixture

import replicate


def _run(code: str) -> Any:
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output)


def test_import_replicate_is_lazy() -> None:
    loaded = _run("import json, sys, replicate; print(json.dumps(sorted(sys.modules)))")
    heavy = [
        name
        for name in loaded
        if name.split(".")[0] in {"replicate_api", "attr", "attrs", "dateutil", "httpx"}
    ]
    assert heavy == []
    assert [name for name in loaded if name.startswith("replicate.")] == []


def test_first_use_loads_what_it_needs() -> None:
    loaded = _run(
        "import json, sys, replicate; replicate.predictions; print(json.dumps(sorted(sys.modules)))"
    )
    assert "replicate.client" in loaded and "replicate.prediction" in loaded
    # the generated layer loads at the first request: only its errors module (the base of
    # this package's ReplicateError), which imports neither attrs nor the clients, before
    generated = [
        name for name in loaded if name.split(".")[0] in {"replicate_api", "attr", "attrs"}
    ]
    assert generated == ["replicate_api", "replicate_api.errors"]


def test_exported_names_are_the_intended_ones() -> None:
    assert sorted(replicate.__all__) == sorted(
        [
            "AsyncFunction",
            "Client",
            "FileLike",
            "Function",
            "OutputIterator",
            "URLPath",
            "__version__",
            "async_paginate",
            "async_run",
            "async_run_batch",
            "async_stream",
            "collections",
            "default_client",
            "deployments",
            "files",
            "get_path_url",
            "hardware",
            "models",
            "paginate",
            "predictions",
            "run",
            "run_batch",
            "stream",
            "trainings",
            "use",
            "webhooks",
        ]
    )
    for name in replicate.__all__:
        assert getattr(replicate, name) is not None
    with pytest.raises(AttributeError):
        replicate.no_such_name  # noqa: B018


def test_module_level_namespaces_use_the_default_client(
    api: FakeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    from replicate.client import Client

    client = Client(transport=httpx.MockTransport(api))
    monkeypatch.setattr(replicate, "default_client", client)
    for name in ("predictions", "hardware", "run"):
        monkeypatch.delitem(vars(replicate), name, raising=False)
    api.json(
        "GET", "/v1/predictions", {"next": None, "results": [fixture("prediction_source_cli")]}
    )
    api.json("GET", "/v1/hardware", [{"sku": "cpu", "name": "CPU"}])
    assert replicate.predictions.list()[0].status == "succeeded"
    assert replicate.hardware.list()[0].sku == "cpu"
    # the module replicate.hardware (1.x has one too) offers the same call
    import replicate.hardware as hardware_module

    assert hardware_module.list()[0].sku == "cpu"


def test_version_and_py_typed() -> None:
    from importlib.resources import files

    assert replicate.__version__ == "0.1.0"
    assert files("replicate").joinpath("py.typed").is_file()
