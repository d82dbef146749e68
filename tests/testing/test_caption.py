"""``replicate/caption``, the built-in model with a file input: it reads the file it is given
(an upload, a ``data:`` URI, or another model's output on the delivery host) and describes it.

Run over a served emulator with this package's client, as a user runs it offline.
"""

from __future__ import annotations

import base64
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from replicate.client import Client
from replicate.exceptions import UnprocessableEntityError
from replicate.testing import Emulator, png
from replicate.testing._models import describe

CAPTION = "replicate/caption"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def client(emu: Emulator) -> Iterator[Client]:
    with Client(emu.api_token, base_url=emu.base_url) as client:
        yield client


def encode_png(
    width: int, height: int, colour: int, depth: int, pixels: bytes, palette: bytes = b""
) -> bytes:
    """A PNG whose rows are all ``pixels`` (one row's bytes, filter type 1: Sub)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    rows = (b"\x01" + pixels) * height
    extra = chunk(b"PLTE", palette) if palette else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + extra
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# --- the model over the emulator ---------------------------------------------------------------


def test_an_uploaded_png_is_described_by_its_size(
    client: Client, emu: Emulator, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(png(40, 30, seed=200))

    prediction = client.predictions.create(
        model=CAPTION, input={"image": photo, "detail": "long"}, wait=True
    )

    assert prediction.input["image"].startswith(f"{emu.base_url}/files/")  # uploaded
    assert prediction.status == "succeeded", prediction.error
    size = photo.stat().st_size
    assert prediction.output == (
        f"a 40x30 PNG image of {size:,} bytes (8-bit RGB), its top-left pixel #0000c8"
    )
    assert client.run(CAPTION, input={"image": photo}) == "a 40x30 PNG image"


def test_a_data_uri_is_read_too(client: Client) -> None:
    data_uri = "data:image/png;base64," + base64.b64encode(png(7, 5)).decode()
    assert client.run(CAPTION, input={"image": data_uri}) == "a 7x5 PNG image"
    text = "data:text/plain;base64," + base64.b64encode(b"a fox in the snow\n").decode()
    assert client.run(CAPTION, input={"image": text, "detail": "long"}) == (
        'a file of 18 bytes (text), beginning "a fox in the snow\\n"'
    )


def test_an_image_models_output_feeds_it_by_its_url(client: Client, emu: Emulator) -> None:
    [picture] = client.run("replicate/image", input={"prompt": "a fox", "width": 48, "height": 32})
    assert picture.url.startswith(emu.delivery_url)

    prediction = client.predictions.create(model=CAPTION, input={"image": picture}, wait=True)

    assert prediction.input["image"] == picture.url  # passed on by its URL, not uploaded again
    assert prediction.output == "a 48x32 PNG image"
    assert not [file for file in client.files.list() if file.name == "out-0.png"]


def test_use_chains_two_built_in_models_offline(client: Client, emu: Emulator) -> None:
    image, caption = client.use("replicate/image"), client.use(CAPTION)

    [picture] = image(prompt="a fox", width=80, height=60)
    said = caption(image=picture)

    assert isinstance(picture, os.PathLike) and picture.url.startswith(emu.delivery_url)
    assert said == "an 80x60 PNG image"
    [latest, *_] = client.predictions.list().results
    assert latest.input == {"image": picture.url}  # by its URL: no download, no upload
    with open(picture, "rb") as file:  # what the model read is what the user gets
        assert caption(image=picture, detail="long").startswith(
            f"an 80x60 PNG image of {len(file.read()):,} bytes"
        )


def test_a_detail_outside_its_choices_is_refused(client: Client) -> None:
    with pytest.raises(UnprocessableEntityError) as refused:
        client.run(CAPTION, input={"image": png(2, 2), "detail": "medium"})
    assert refused.value.detail == (
        '- input.detail: detail must be one of the following: "short", "long"\n'
    )


def test_a_missing_file_is_refused_naming_the_input(client: Client, emu: Emulator) -> None:
    for gone in (f"{emu.base_url}/files/no-such-file", f"{emu.delivery_url}/no-such/out-0.png"):
        with pytest.raises(UnprocessableEntityError) as refused:
            client.run(CAPTION, input={"image": gone})
        assert refused.value.title == "Input validation failed"
        assert refused.value.detail == f"- input.image: the emulator cannot fetch {gone}\n"
    with pytest.raises(UnprocessableEntityError) as refused:
        client.run(CAPTION, input={"detail": "long"})
    assert refused.value.detail == "- input: image is required\n"


def test_it_is_listed_as_real_models_are(client: Client, emu: Emulator) -> None:
    model = client.models.get(CAPTION)
    assert model.description and "PNG" in model.description
    assert model.github_url == "https://github.com/replicate/cog-examples"
    assert model.paper_url and model.license_url and model.cover_image_url
    assert model.latest_version is not None
    schemas = model.latest_version.openapi_schema["components"]["schemas"]
    # as cog writes it: a Literal is an enum schema of its own, which the input refers to
    assert schemas["Input"] == {
        "type": "object",
        "title": "Input",
        "properties": {
            "image": {"type": "string", "format": "uri", "title": "Image", "x-order": 0},
            "detail": {
                "allOf": [{"$ref": "#/components/schemas/detail"}],
                "x-order": 1,
                "default": "short",
            },
        },
        "required": ["image"],
    }
    assert schemas["detail"]["enum"] == ["short", "long"]
    assert schemas["Output"] == {"type": "string", "title": "Output"}

    # its example captions a file on the delivery host, which is there to fetch
    example = model.default_example
    assert example is not None and example.status == "succeeded"
    assert example.input["image"].startswith(emu.delivery_url)
    assert client.run(CAPTION, input=example.input) == example.output
    assert example.output.startswith("a 64x64 PNG image of ")


# --- what it says of a file ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "long"),
    [
        (
            png(64, 64),
            "a 64x64 PNG image of {size:,} bytes (8-bit RGB), its top-left pixel #000000",
        ),
        (
            encode_png(3, 2, 6, 8, bytes([10, 20, 30, 40]) * 3),
            "a 3x2 PNG image of {size} bytes (8-bit RGBA), its top-left pixel #0a141e28",
        ),
        (
            encode_png(2, 2, 0, 16, bytes([0xAB, 0xCD]) * 2),
            "a 2x2 PNG image of {size} bytes (16-bit greyscale), its top-left pixel #ababab",
        ),
        (
            encode_png(8, 1, 0, 1, bytes([0b10000000])),
            "an 8x1 PNG image of {size} bytes (1-bit greyscale), its top-left pixel #ffffff",
        ),
        (
            encode_png(4, 4, 3, 2, bytes([0b01000000]), palette=bytes([0, 0, 0, 255, 128, 0])),
            "a 4x4 PNG image of {size} bytes (2-bit palette), its top-left pixel #ff8000",
        ),
        (
            encode_png(1, 1, 4, 8, bytes([9, 255])),
            "a 1x1 PNG image of {size} bytes (8-bit greyscale and alpha), "
            "its top-left pixel #090909ff",
        ),
        # its header read, its pixels cut off: no pixel to tell
        (png(16, 16)[:40], "a 16x16 PNG image of 40 bytes (8-bit RGB)"),
    ],
)
def test_a_png_is_described_by_its_header_and_first_pixel(data: bytes, long: str) -> None:
    short = long.partition(" of ")[0]  # "a 64x64 PNG image"
    assert describe(data) == short
    assert describe(data, "long") == long.format(size=len(data))


@pytest.mark.parametrize(
    ("width", "said"),
    [(64, "a 64x1"), (8, "an 8x1"), (80, "an 80x1"), (11, "an 11x1"), (110, "a 110x1")],
)
def test_the_article_fits_the_number(width: int, said: str) -> None:
    assert describe(png(width, 1)) == f"{said} PNG image"


@pytest.mark.parametrize(
    ("data", "short", "long"),
    [
        (
            b"\xff\xd8\xff\xe0" + bytes(96),
            "a file of 100 bytes (JPEG image)",
            "a file of 100 bytes (JPEG image), beginning ffd8ffe000000000",
        ),
        (b"GIF89a\x01\x00\x01\x00", "a file of 10 bytes (GIF image)", None),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "a file of 16 bytes (WebP image)", None),
        (b"%PDF-1.7\n", "a file of 9 bytes (PDF document)", None),
        (b"\x89PNG\r\n\x1a\n", "a file of 8 bytes (PNG image)", None),  # no header to read
        (bytes(range(200)), "a file of 200 bytes (unknown type)", None),
        (b"x", "a file of 1 byte (text)", 'a file of 1 byte (text), beginning "x"'),
        (b"", "a file of 0 bytes (empty)", "a file of 0 bytes (empty)"),
    ],
)
def test_other_files_are_described_by_length_and_kind(
    data: bytes, short: str, long: str | None
) -> None:
    assert describe(data) == short
    if long is not None:
        assert describe(data, "long") == long
