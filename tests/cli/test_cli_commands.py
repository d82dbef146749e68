"""The resource commands: predictions, models, files, trainings, deployments, hardware, account,
and ``emulator``, against the emulator."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import replicate
from replicate.cli import main
from replicate.testing import HELLO_WORLD_VERSION, Emulator


@pytest.fixture(scope="module")
def client(emu: Emulator) -> replicate.Client:
    return replicate.Client(api_token=emu.api_token, base_url=emu.base_url)


def cli(emu: Emulator, capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> str:
    """Run the command against ``emu`` (global options after the command); its stdout."""
    assert main([*args, "--base-url", emu.base_url, "--token", emu.api_token]) == code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.out


def on(emu: Emulator) -> list[str]:
    """The global options that point a command at ``emu``."""
    return ["--base-url", emu.base_url, "--token", emu.api_token]


def rows(table: str) -> list[list[str]]:
    return [line.split() for line in table.splitlines()[1:]]


# -- predictions -------------------------------------------------------------------------------


def test_predictions_list_get_and_cancel(
    emu: Emulator, client: replicate.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    done = client.predictions.create(version=HELLO_WORLD_VERSION, input={"text": "a"}, wait=True)
    slow = client.models.predictions.create("replicate/slow", {"seconds": 10})

    table = cli(emu, capsys, "predictions", "list", "--limit", "2")
    assert table.splitlines()[0].split() == ["ID", "MODEL", "STATUS", "CREATED"]
    assert [row[:2] for row in rows(table)] == [
        [slow.id, "replicate/slow"],
        [done.id, "replicate/hello-world"],
    ]

    shown = cli(emu, capsys, "predictions", "get", done.id)
    assert f"id:        {done.id}" in shown.splitlines()
    assert "output:    hello a" in shown.splitlines()
    assert json.loads(cli(emu, capsys, "predictions", "get", done.id, "--json"))["output"] == (
        "hello a"
    )

    assert (
        cli(emu, capsys, "predictions", "cancel", slow.id) == f"prediction {slow.id} is canceled\n"
    )
    assert client.predictions.get(slow.id).status == "canceled"


def test_predictions_list_json(emu: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    listed = json.loads(cli(emu, capsys, "predictions", "list", "--json", "--limit", "1"))
    assert len(listed) == 1 and set(listed[0]) >= {"id", "status", "model", "urls"}


# -- models ------------------------------------------------------------------------------------


def test_models_get_shows_the_inputs(emu: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    shown = cli(emu, capsys, "models", "get", "replicate/image").splitlines()
    assert "model:          replicate/image" in shown
    assert shown[shown.index("inputs:") + 1].split() == ["prompt", "string", "required"]
    assert shown[shown.index("inputs:") + 2].split() == ["num_outputs", "integer", "default:", "1"]


def test_models_get_of_a_model_without_a_schema(
    emu: Emulator, client: replicate.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    client.models.create("emulator", "no-versions-yet", visibility="public", hardware="cpu")
    shown = cli(emu, capsys, "models", "get", "emulator/no-versions-yet")
    assert "inputs: not published" in shown


def test_models_list_search_and_versions(emu: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    listed = [row[0] for row in rows(cli(emu, capsys, "models", "list", "--limit", "0"))]
    assert {"replicate/hello-world", "replicate/image", "replicate/slow"} <= set(listed)

    found = [row[0] for row in rows(cli(emu, capsys, "models", "search", "hello"))]
    assert "replicate/hello-world" in found

    versions = rows(cli(emu, capsys, "models", "versions", "replicate/hello-world"))
    assert versions[0][0] == HELLO_WORLD_VERSION
    as_json = json.loads(cli(emu, capsys, "models", "versions", "replicate/hello-world", "--json"))
    assert as_json[0]["id"] == HELLO_WORLD_VERSION
    assert as_json[0]["openapi_schema"]["components"]["schemas"]["Input"]["required"] == ["text"]


# -- files -------------------------------------------------------------------------------------


def test_files_upload_list_get_download_and_delete(
    emu: Emulator,
    client: replicate.Client,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("remember the milk\n")
    uploaded = json.loads(
        cli(emu, capsys, "files", "upload", str(source), "--metadata", '{"k": 1}', "--json")
    )
    file_id = uploaded["id"]
    assert uploaded["name"] == "notes.txt"
    assert uploaded["content_type"] == "text/plain"
    assert uploaded["metadata"] == {"k": 1}

    listed = {row[0]: row[:3] for row in rows(cli(emu, capsys, "files", "list"))}
    assert listed[file_id] == [file_id, "notes.txt", "18"]
    shown = cli(emu, capsys, "files", "get", file_id).splitlines()
    assert "name:     notes.txt" in shown and "size:     18" in shown

    url = emu.app.files_download_url(file_id)
    target = tmp_path / "copy.txt"
    assert cli(emu, capsys, "files", "download", url, "-o", str(target)) == f"{target}\n"
    assert target.read_text() == "remember the milk\n"
    query = httpx.URL(url).params
    (tmp_path / "default").mkdir()
    monkeypatch.chdir(tmp_path / "default")  # the default name is the file's own name
    args = [
        "--owner",
        query["owner"],
        "--expiry",
        query["expiry"],
        "--signature",
        query["signature"],
    ]
    assert cli(emu, capsys, "files", "download", file_id, *args) == "notes.txt\n"
    assert (tmp_path / "default" / "notes.txt").read_text() == "remember the milk\n"

    assert cli(emu, capsys, "files", "delete", file_id) == f"deleted file {file_id}\n"
    assert file_id not in [file.id for file in client.files.list()]


def test_files_download_by_id_alone(
    emu: Emulator,
    client: replicate.Client,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    file = client.files.create(b"\x89PNG fake image", filename="cat.png")
    monkeypatch.chdir(tmp_path)
    assert cli(emu, capsys, "files", "download", file.id) == "cat.png\n"  # its own name
    assert (tmp_path / "cat.png").read_bytes() == b"\x89PNG fake image"

    target = tmp_path / "sub" / "copy.png"
    target.parent.mkdir()
    assert cli(emu, capsys, "files", "download", file.id, "-o", str(target)) == f"{target}\n"
    assert target.read_bytes() == b"\x89PNG fake image"


def test_files_download_to_stdout(
    emu: Emulator, client: replicate.Client, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    file = client.files.create(b"raw \x00\xff bytes", filename="blob.bin")
    args = ["files", "download", file.id, "-o", "-", "--base-url", emu.base_url]
    assert main([*args, "--token", emu.api_token]) == 0
    assert capfdbinary.readouterr().out == b"raw \x00\xff bytes"


def test_files_download_of_an_unknown_id_exits_3(
    emu: Emulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["files", "download", "nosuchfile", "-o", str(tmp_path / "x"), *on(emu)]) == 3
    err = capsys.readouterr().err
    assert err.startswith("error: Not found (HTTP 404)") and len(err.splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_files_download_by_id_where_the_api_wants_a_signed_link_says_so(
    emu: Emulator, client: replicate.Client, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # the emulator serves a file to its owner's token; an API that would not answers 422
    file = client.files.create(b"data", filename="data.bin")
    emu.faults.add("GET /v1/files/{file_id}/download", status=422, times=1)
    assert main(["files", "download", file.id, "-o", str(tmp_path / "data.bin"), *on(emu)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: ") and "(HTTP 422)" in line
    assert line.endswith(
        "download it by a signed download URL instead (a prediction that used "
        "the file shows one in its input)"
    )
    assert not (tmp_path / "data.bin").exists()


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("https://example.com/files/abc", "not a file download URL"),
        ("https://api.replicate.com/v1/files/abc/download", "has no signature"),
    ],
)
def test_files_download_of_a_url_that_is_no_signed_link_exits_2(
    emu: Emulator, capsys: pytest.CaptureFixture[str], argument: str, message: str
) -> None:
    assert main(["files", "download", argument, *on(emu)]) == 2
    assert message in capsys.readouterr().err


def test_files_download_with_part_of_a_signed_link_exits_2(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["files", "download", "abc", "--owner", "emulator", *on(emu)]) == 2
    assert "needs --expiry, --signature too" in capsys.readouterr().err
    assert main(["files", "upload", "no-such-file.png", "--base-url", emu.base_url]) == 2


# -- trainings ---------------------------------------------------------------------------------


def test_trainings_create_get_and_list(
    emu: Emulator, client: replicate.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    client.models.create("emulator", "hello-trained", visibility="private", hardware="cpu")
    args = ["replicate/hello-world", "steps:=3", "--destination", "emulator/hello-trained"]
    training_id = cli(emu, capsys, "trainings", "create", *args).strip()
    training = client.trainings.get(training_id)
    assert training.input == {"steps": 3}
    assert (training.model, training.version) == ("replicate/hello-world", HELLO_WORLD_VERSION)

    shown = cli(emu, capsys, "trainings", "get", training_id)
    assert f"id:          {training_id}" in shown.splitlines()
    assert training_id in [row[0] for row in rows(cli(emu, capsys, "trainings", "list"))]


def test_models_create_makes_a_destination_for_trainings(
    emu: Emulator, client: replicate.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["emulator/fox-detector", "--hardware", "cpu", "--description", "Finds foxes"]
    shown = cli(emu, capsys, "models", "create", *args).splitlines()
    assert "model:       emulator/fox-detector" in shown
    assert "visibility:  private" in shown  # the default
    model = client.models.get("emulator/fox-detector")
    assert (model.description, model.visibility) == ("Finds foxes", "private")

    training = ["replicate/hello-world", "--destination", "emulator/fox-detector"]
    training_id = cli(emu, capsys, "trainings", "create", *training).strip()
    client.trainings.get(training_id).wait()
    assert len(client.models.get("emulator/fox-detector").versions.list().results) == 1

    public = ["emulator/fox-public", "--hardware", "cpu", "--visibility", "public", "--json"]
    assert json.loads(cli(emu, capsys, "models", "create", *public))["visibility"] == "public"


def test_models_create_of_a_taken_name_exits_3(
    emu: Emulator, client: replicate.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    client.models.create("emulator", "taken", visibility="private", hardware="cpu")
    assert main(["models", "create", "emulator/taken", "--hardware", "cpu", *on(emu)]) == 3
    assert "(HTTP 409)" in capsys.readouterr().err


def test_models_create_needs_hardware(emu: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "create", "emulator/no-hardware", *on(emu)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the following arguments are required: --hardware")


def test_cancel_of_a_finished_training_exits_1_and_changes_nothing(
    emu: Emulator, client: replicate.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    client.models.create("emulator", "hello-done", visibility="private", hardware="cpu")
    training = client.trainings.create(
        f"replicate/hello-world:{HELLO_WORLD_VERSION}", input={}, destination="emulator/hello-done"
    )
    training.wait()
    assert main(["trainings", "cancel", training.id, *on(emu)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"error: training {training.id} had already succeeded: nothing to cancel\n"
    )
    assert client.trainings.get(training.id).status == "succeeded"


def test_cancel_of_a_finished_prediction_exits_1(
    emu: Emulator, client: replicate.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    done = client.predictions.create(version=HELLO_WORLD_VERSION, input={"text": "a"}, wait=True)
    assert main(["predictions", "cancel", done.id, "--json", *on(emu)]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["status"] == "succeeded"
    assert captured.err.strip().endswith("had already succeeded: nothing to cancel")


def test_predictions_and_trainings_get_show_logs(
    emu: Emulator, client: replicate.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    slow = client.models.predictions.create("replicate/slow", {"seconds": 0.1, "steps": 2})
    slow.wait()
    shown = cli(emu, capsys, "predictions", "get", slow.id, "--logs").splitlines()
    assert shown[shown.index("logs:") + 1 :] == ["   50%|#####     | 1/2", "  100%|##########| 2/2"]
    assert "logs:" not in cli(emu, capsys, "predictions", "get", slow.id)
    hello = client.predictions.create(version=HELLO_WORLD_VERSION, input={"text": "a"}, wait=True)
    assert cli(emu, capsys, "predictions", "get", hello.id, "--logs").endswith("\nlogs: (none)\n")

    client.models.create("emulator", "hello-logged", visibility="private", hardware="cpu")
    training = client.trainings.create(
        f"replicate/hello-world:{HELLO_WORLD_VERSION}",
        input={},
        destination="emulator/hello-logged",
    )
    training.wait()
    shown = cli(emu, capsys, "trainings", "get", training.id, "--logs").splitlines()
    assert shown[-1] == "  100%|##########| 3/3"


# -- deployments -------------------------------------------------------------------------------


def test_deployments_create_list_get_update_and_delete(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["hello-prod", "--model", "replicate/hello-world", "--hardware", "cpu"]
    created = cli(emu, capsys, "deployments", "create", *args).splitlines()
    assert "deployment:    emulator/hello-prod" in created
    assert f"version:       {HELLO_WORLD_VERSION}" in created
    assert "release:       1" in created

    assert ["emulator/hello-prod", "1"] in [
        row[:2] for row in rows(cli(emu, capsys, "deployments", "list"))
    ]
    assert "max instances: 1" in cli(emu, capsys, "deployments", "get", "emulator/hello-prod")

    updated = cli(
        emu, capsys, "deployments", "update", "emulator/hello-prod", "--max-instances", "3"
    )
    assert "release:       2" in updated.splitlines()
    assert "max instances: 3" in updated.splitlines()

    deleted = cli(emu, capsys, "deployments", "delete", "emulator/hello-prod")
    assert deleted == "deleted deployment emulator/hello-prod\n"
    assert cli(emu, capsys, "deployments", "list") == "(none)\n"


def test_deployments_update_needs_a_change(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(emu, capsys, "deployments", "update", "emulator/x", code=2)


# -- hardware, account, emulator ---------------------------------------------------------------


def test_hardware_and_account(emu: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert ["cpu", "CPU"] in rows(cli(emu, capsys, "hardware"))
    assert json.loads(cli(emu, capsys, "hardware", "--json"))[0] == {"sku": "cpu", "name": "CPU"}
    account = cli(emu, capsys, "account").splitlines()
    assert "username: emulator" in account and "type:     user" in account


def test_emulator_command_serves_until_ctrl_c(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "replicate", "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip().removeprefix("REPLICATE_BASE_URL=")
        token = process.stdout.readline().strip().removeprefix("REPLICATE_API_TOKEN=")
        client = replicate.Client(api_token=token, base_url=base_url)
        assert client.run("replicate/hello-world", input={"text": "there"}) == "hello there"
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0
