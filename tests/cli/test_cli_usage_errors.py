"""Whatever a user types: exit code 2 and one line naming the problem for a mistake on the
command line, 3 only when the API answers with an error, and never a traceback.

The cases of the issue come first, then two property tests that drive the parser with random
command lines against the emulator.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import replicate
from replicate.cli import main
from replicate.pagination import paginate_items
from replicate.testing import Emulator


def echo(text: str, count: int = 1, ratio: float = 0.5, tags: list[str] | None = None) -> str:
    """Answers with its input, as JSON."""
    return json.dumps({"text": text, "count": count, "ratio": ratio, "tags": tags})


def size(image: Path) -> int:
    """The size of a file input."""
    return image.stat().st_size


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        emulator.register("acme/echo", echo)
        emulator.register("acme/size", size)
        yield emulator


def on(emu: Emulator) -> list[str]:
    return ["--base-url", emu.base_url, "--token", emu.api_token]


def prediction_count(emu: Emulator) -> int:
    client = replicate.Client(api_token=emu.api_token, base_url=emu.base_url)
    return sum(1 for _ in paginate_items(client.predictions.list))


def error_line(err: str, *, debug: bool = False) -> str:
    """The one ``error:`` line of stderr (the model's input listing may follow it)."""
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, err
    assert "unexpected error" not in err, err
    assert debug or "Traceback" not in err, err  # --debug shows the traceback too
    return lines[0]


def undecodable(text: bytes) -> str:
    """An argument as Python receives undecodable bytes in ``sys.argv``."""
    return os.fsdecode(text)


# -- the cases ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["run", "acme/echo", "text=x", "--max-retries", "-3"],
            "error: argument --max-retries: must be 0 or more, got -3",
        ),
        (
            ["run", "acme/echo", "text=" + undecodable(b"\xff\xfe")],
            "error: input 'text' holds text that is not valid UTF-8: '\\udcff\\udcfe'",
        ),
        (
            ["run", "acme/echo", 'text:="\\ud800"'],
            "error: input 'text' holds text that is not valid UTF-8: '\\ud800'",
        ),
        (
            ["run", "acme/echo", "text:=" + "[" * 20_000 + "]" * 20_000],
            "error: input 'text': the JSON is nested more than 200 levels deep",
        ),
        (
            ["run", "acme/echo", "text=x", "tags:=" + "[" * 300 + "]" * 300],
            "error: input 'tags' is nested more than 200 levels deep",
        ),
        (
            ["run", "acme/echo", "text=x", "ratio:=NaN"],
            "error: input 'ratio' holds a number JSON cannot carry (nan)",
        ),
        (
            ["run", "acme/echo", "text=x", undecodable(b"\xff") + "=1"],
            "error: input key '\\udcff' is not valid UTF-8 text",
        ),
        (
            ["predictions", "list", "--limit", "-1"],
            "error: argument --limit: must be 0 or more, got -1",
        ),
        (["predictions", "get", ""], "error: argument ID: must not be empty"),
        (
            ["files", "get", undecodable(b"\xff")],
            "error: argument ID: not valid UTF-8 text: '\\udcff'",
        ),
        (
            ["files", "upload", "README.md", "--metadata", '{"a": "\\udc00"}'],
            "error: --metadata holds text that is not valid UTF-8: '\\udc00'",
        ),
        (
            [
                *["deployments", "create", "d", "--model", "acme/echo"],
                *["--hardware", "cpu", "--min-instances", "-1"],
            ],
            "error: argument --min-instances: must be 0 or more, got -1",
        ),
        (
            ["run", "acme/echo", "text=x", "--webhook", undecodable(b"https://\xff")],
            "error: argument --webhook: not valid UTF-8 text",
        ),
    ],
)
def test_bad_arguments_exit_2_with_one_line_before_any_request(
    emu: Emulator, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    before = prediction_count(emu)
    assert main([*argv, *on(emu)]) == 2
    captured = capsys.readouterr()
    assert error_line(captured.err).startswith(message)
    assert captured.out == ""
    assert prediction_count(emu) == before


def test_undecodable_bytes_through_the_real_entry_point(emu: Emulator, tmp_path: Path) -> None:
    # the bytes reach the process as a shell passes them, not as a str made in this test
    env = {key: value for key, value in os.environ.items() if not key.startswith("REPLICATE_")}
    argv: list[str | bytes] = [sys.executable, "-m", "replicate", "run", "acme/echo"]
    result = subprocess.run(
        [*argv, b"text=\xff\xfe", *on(emu)],
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == b""
    assert result.stderr == b"error: input 'text' holds text that is not valid UTF-8: " + (
        b"'\\udcff\\udcfe'\n"
    )


def test_a_file_over_100_mib_exits_2_before_any_upload(
    emu: Emulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    big = tmp_path / "big.bin"
    with big.open("wb") as file:  # sparse: no 100 MiB written to the disk
        file.truncate(100 * 1024 * 1024 + 1)
    client = replicate.Client(api_token=emu.api_token, base_url=emu.base_url)
    files_before = len(client.files.list().results)

    assert main(["run", "acme/size", f"image=@{big}", *on(emu)]) == 2
    line = error_line(capsys.readouterr().err)
    assert line.startswith("error: input['image']: the file is too large to send to Replicate")
    assert main(["files", "upload", str(big), *on(emu)]) == 2
    assert "the file is too large" in error_line(capsys.readouterr().err)
    assert len(client.files.list().results) == files_before


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "REPLICATE_BASE_URL",
            "notaurl",
            "error: REPLICATE_BASE_URL must be an http:// or https:// URL such as "
            "https://api.replicate.com/v1, got 'notaurl'",
        ),
        ("REPLICATE_BASE_URL", "http://127.0.0.1:99999", "the port 99999 is not 1 to 65535"),
        (
            "REPLICATE_API_TOKEN",
            "r8_token\n",
            "error: the API token from REPLICATE_API_TOKEN has a space or a line break in it",
        ),
        ("REPLICATE_API_TOKEN", "r8_tökén", "has a character other than ASCII letters"),
    ],
)
def test_bad_environment_variables_exit_2_naming_them(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    message: str,
) -> None:
    monkeypatch.setenv(variable, value)
    assert main(["hardware"]) == 2
    line = error_line(capsys.readouterr().err)
    assert message in line
    if variable == "REPLICATE_API_TOKEN":
        assert value.strip() not in line  # the token is never shown


def test_a_bad_base_url_option_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hardware", "--base-url", "ftp://example.com"]) == 2
    assert error_line(capsys.readouterr().err).startswith("error: --base-url must be an http://")


# -- property tests ------------------------------------------------------------------------

# Text a user could type (no NUL: no argv can hold one), lone surrogates included: Python
# turns undecodable bytes in sys.argv into them.
typed_text = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF),
    ),
    max_size=12,
)
numbers = st.integers(min_value=-5, max_value=30).map(str)
deep_json = st.integers(min_value=150, max_value=3000).map(lambda n: "[" * n + "]" * n)
values = st.one_of(
    typed_text,
    numbers,
    deep_json,
    st.sampled_from(["", "-", "@", "@@x", "@missing.png", "NaN", "1e999", '"\\ud800"', "{}"]),
    st.sampled_from(["[1,2", '{"a": 1}', "true", "a,b,c", "null", "-1", "0.5", "[[[]]]"]),
)
models = st.one_of(
    st.sampled_from(["acme/echo", "replicate/hello-world", "replicate/fails", "acme/missing"]),
    st.sampled_from(["emulator/new-model", "acme/echo:latest", "replicate/hello-world:0"]),
    typed_text,
)
keys = st.one_of(st.sampled_from(["text", "count", "ratio", "tags", "x", ""]), typed_text)
inputs = st.one_of(
    st.sampled_from(["text=hi", "count=2", "tags=a,b", "ratio:=0.25"]),
    st.builds(
        lambda key, separator, value: f"{key}{separator}{value}",
        keys,
        st.sampled_from(["=", ":="]),
        values,
    ),
)
RUN = ["--no-wait", "--json", "--logs", "--deployment", "--webhook", "--webhook-events", "-o"]
LIST = ["--limit", "--json"]
COMMANDS: list[tuple[list[str], list[str]]] = [
    # (the command, M: a model, V: any value; the options it takes)
    (["run", "M", "I"], RUN),
    (["stream", "M", "I"], RUN),
    (["predictions", "list"], LIST),
    (["predictions", "get", "V"], ["--json", "--logs"]),
    (["predictions", "cancel", "V"], ["--json"]),
    (["models", "get", "M"], ["--json"]),
    (["models", "list"], LIST),
    (["models", "search", "V"], LIST),
    (["models", "versions", "M"], LIST),
    (
        ["models", "create", "M"],
        ["--hardware", "--visibility", "--description", "--github-url", "--json"],
    ),
    (["files", "list"], LIST),
    (["files", "get", "V"], ["--json"]),
    (["files", "delete", "V"], []),
    (["files", "download", "V"], ["-o", "--owner", "--expiry", "--signature"]),
    (["files", "upload", "V"], ["--metadata", "--content-type", "--filename", "--json"]),
    (["trainings", "list"], LIST),
    (["trainings", "get", "V"], ["--json", "--logs"]),
    (["trainings", "cancel", "V"], ["--json"]),
    (["trainings", "create", "M", "I"], ["--destination", "--webhook", "--json"]),
    (["deployments", "list"], LIST),
    (["deployments", "get", "M"], ["--json"]),
    (
        ["deployments", "create", "V"],
        ["--model", "--version", "--hardware", "--min-instances", "--max-instances"],
    ),
    (
        ["deployments", "update", "M"],
        ["--version", "--hardware", "--min-instances", "--max-instances"],
    ),
    (["deployments", "delete", "M"], []),
    (["hardware"], ["--json"]),
    (["account"], ["--json"]),
    (["codegen", "M"], ["-o", "--on-new-version"]),
    (["V"], []),  # junk for a command
    ([], []),
]
GLOBAL = ["--max-retries", "--debug", "--emulator", "--token", "--base-url", "--bogus", "--help"]
FLAGS = {"--json", "--logs", "--no-wait", "--deployment", "--debug", "--emulator", "--bogus"}
FLAGS |= {"--help"}
LIKELY = {
    # values that get a command past its parser, to the API and back
    "--hardware": ["cpu", "gpu-t4"],
    "--model": ["acme/echo", "replicate/hello-world:latest"],
    "--destination": ["emulator/trained", "acme/echo"],
    "--visibility": ["public", "private"],
    "--on-new-version": ["warn", "error"],
    "--webhook-events": ["completed", "start,logs"],
    "--webhook": ["https://example.com/hook"],
    # -o names where files go: kept inside the working directory
    "-o": ["-", "out", "out/x.bin", ""],
}


def option(name: str) -> st.SearchStrategy[list[str]]:
    if name in FLAGS:
        return st.just([name])
    likely = st.sampled_from(LIKELY.get(name, ["1"]))
    chosen = likely if name == "-o" else st.one_of(likely, values)
    return chosen.map(lambda value: [name, value])


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    """A command of the CLI (or none, or junk) with random arguments, options and inputs."""
    parts, options = draw(st.sampled_from(COMMANDS))
    argv: list[str] = []
    for part in parts:
        if part == "M":
            argv.append(draw(models))
        elif part == "V":
            argv.append(draw(values))
        elif part == "I":
            argv += draw(st.lists(inputs, max_size=4))
        else:
            argv.append(part)
    names = st.sampled_from(options + GLOBAL) if options else st.sampled_from(GLOBAL)
    for name in draw(st.lists(names, max_size=3)):
        argv += draw(option(name))
    return argv


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where random commands may write files (``-o``, downloads)."""
    return tmp_path_factory.mktemp("random-commands")


def run_in(workdir: Path, argv: list[str]) -> int:
    here = os.getcwd()
    os.chdir(workdir)
    try:
        return main(argv)
    finally:
        os.chdir(here)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(argv=command_lines())
def test_any_command_line_exits_0_to_3_with_one_error_line_and_no_traceback(
    emu: Emulator, workdir: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    # the emulator's address and token come last, so that they win over random ones; no
    # retries, so that a 5xx answer is one line at once
    code = run_in(workdir, [*argv, *on(emu), "--max-retries", "0"])
    captured = capsys.readouterr()
    assert code in (0, 1, 2, 3), (argv, code, captured.err)
    assert emu.api_token not in captured.out + captured.err
    debug = "--debug" in argv
    assert debug or "Traceback" not in captured.err
    if code in (2, 3):
        line = error_line(captured.err, debug=debug)
        if code == 3:  # the emulator is always reachable: exit 3 means the API said no
            assert "(HTTP " in line, (argv, line)


poisons = st.one_of(
    st.integers(max_value=-1).map(
        lambda count: (["--max-retries", str(count)], "argument --max-retries: must be 0 or more")
    ),
    st.tuples(
        st.sampled_from(["text", "tags", "count"]),
        typed_text.filter(lambda text: any("\udc80" <= char <= "\udcff" for char in text)),
    ).map(lambda pair: ([f"{pair[0]}:={json.dumps(pair[1])}"], f"input {pair[0]!r} holds text")),
    st.tuples(st.sampled_from(["text", "tags", "count"]), deep_json).map(
        lambda pair: ([f"{pair[0]}:={pair[1]}"], f"input {pair[0]!r}")
    ),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400"]).map(
        lambda number: ([f"ratio:={number}"], "input 'ratio' holds a number JSON cannot carry")
    ),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(poison=poisons, position=st.integers(min_value=0, max_value=3))
def test_a_bad_argument_anywhere_exits_2_naming_it_before_any_prediction(
    emu: Emulator,
    capsys: pytest.CaptureFixture[str],
    poison: tuple[list[str], str],
    position: int,
) -> None:
    arguments, message = poison
    argv = ["text=hello", "count=2", "tags=a,b"]
    argv[position:position] = arguments
    before = prediction_count(emu)
    assert main(["run", "acme/echo", *argv, *on(emu)]) == 2
    assert message in error_line(capsys.readouterr().err)
    assert prediction_count(emu) == before
