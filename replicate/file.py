"""Files uploaded to Replicate, to be used as model inputs."""

from __future__ import annotations

import io
import os
import pathlib
from typing import TYPE_CHECKING, Any, BinaryIO, NotRequired, TypedDict, Unpack

from replicate import _files
from replicate._files import FileEncodingStrategy
from replicate._generated import files_delete, files_download, files_get, files_list
from replicate.pagination import Page as Page  # replicate 1.x code imports it from here
from replicate.resource import Listing, Resource, defaults

if TYPE_CHECKING:
    from replicate.client import Client

__all__ = ["File", "FileEncodingStrategy", "Files", "async_upload", "upload"]

FileSource = str | os.PathLike[str] | BinaryIO | io.IOBase | bytes | bytearray | memoryview
"""What can be uploaded: a path, an open file (binary, or text sent as UTF-8), or bytes."""


class File(Resource):
    """A file uploaded to Replicate, usable as an input to a model.

    Its fields are those of the API's file (``replicate_api.models.FileResource``), and
    ``name`` and ``etag``, which the API sends beyond its description.

    Example::

        file = replicate.files.create("mask.png")
        print(file.id, file.urls["get"])
    """

    _generated = ("FileResource",)
    _defaults = defaults(checksums=dict, metadata=dict, urls=dict)

    id: str
    """The ID of the file."""

    name: str | None
    """The name of the file."""

    content_type: str | None
    """The MIME type of the file."""

    size: int | None
    """The size of the file in bytes."""

    etag: str | None
    """The ETag of the file."""

    checksums: dict[str, str]
    """Checksums of the file's content (``sha256``, ...)."""

    metadata: dict[str, Any]
    """The metadata given when the file was uploaded."""

    created_at: str | None
    """When the file was uploaded."""

    expires_at: str | None
    """When the file will be deleted."""

    urls: dict[str, str]
    """URLs of the file: ``get``."""


class CreateFileParams(TypedDict):
    """Options of ``files.create``."""

    filename: NotRequired[str]
    """The file's name (by default the name of the path or file object)."""

    content_type: NotRequired[str]
    """The file's MIME type (by default guessed from the name)."""

    metadata: NotRequired[dict[str, Any]]
    """A JSON object stored with the file."""


class Files(Listing[File]):
    """Operations on files: ``create``, ``get``, ``list``, ``delete``, ``download``, and
    ``async_*``.

    Example::

        file = replicate.files.create("photo.jpg", metadata={"customer": 42})
        output = replicate.run("acme/upscaler", input={"image": file.urls["get"]})
    """

    _resource = File
    _list = files_list

    def create(self, file: FileSource, **params: Unpack[CreateFileParams]) -> File:
        """Upload a file (a path, an open file, or bytes), keeping its name and type.

        The file is streamed from disk, not read whole; one over 100 MiB raises
        ``FileTooLargeError`` before anything is sent.

        Example::

            with open("mask.png", "rb") as image:
                file = replicate.files.create(image, metadata={"customer_reference_id": 123})
        """
        return upload(self._client, file, **params)

    async def async_create(self, file: FileSource, **params: Unpack[CreateFileParams]) -> File:
        """Upload a file, asynchronously (the file is read in a worker thread).

        Example::

            file = await replicate.files.async_create("mask.png")
        """
        return await async_upload(self._client, file, **params)

    def get(self, file_id: str) -> File:
        """A file, by ID.

        Example::

            file = replicate.files.get("MTQzODcyMDUtNGMwYi00ZWJiLWE1ODUtZDA1ZjY1NjcwOWQ3")
        """
        return self._one(File, files_get, file_id)

    async def async_get(self, file_id: str) -> File:
        """A file, by ID, asynchronously.

        Example::

            file = await replicate.files.async_get(file_id)
        """
        return await self._async_one(File, files_get, file_id)

    def delete(self, file_id: str) -> bool:
        """Delete a file; True when it was deleted.

        Example::

            replicate.files.delete(file.id)
        """
        return self._done(files_delete, file_id)

    async def async_delete(self, file_id: str) -> bool:
        """Delete a file, asynchronously.

        Example::

            await replicate.files.async_delete(file.id)
        """
        return await self._async_done(files_delete, file_id)

    def download(self, file_id: str, *, owner: str, expiry: int, signature: str) -> bytes:
        """A file's content, through a signed download link (owner, expiry, signature).

        Example::

            data = replicate.files.download(
                "cneqzikepnug6xezperrr4z55o", owner="acme", expiry=1708515345,
                signature="zuoghqlrcnw8YHywkpaXQlHsVhWen/DZ4aal76dLiOo=",
            )
        """
        request = _download_request(file_id, owner, expiry, signature)
        return self._client._send(request).content

    async def async_download(
        self, file_id: str, *, owner: str, expiry: int, signature: str
    ) -> bytes:
        """A file's content through a signed download link, asynchronously.

        Example::

            data = await replicate.files.async_download(
                file_id, owner=owner, expiry=expiry, signature=signature
            )
        """
        request = _download_request(file_id, owner, expiry, signature)
        return (await self._client._async_send(request)).content


def upload(client: Client, file: FileSource, **params: Unpack[CreateFileParams]) -> File:
    """Upload a file with a client (what ``client.files.create`` does).

    Example::

        file = upload(client, Path("photo.jpg"), metadata={"customer": 42})
        print(file.urls["get"])
    """
    found = _file_input(file, params)
    _files.measure(found)
    return File._wrap(_files.upload(client, found, params.get("metadata")), client)


async def async_upload(
    client: Client, file: FileSource, **params: Unpack[CreateFileParams]
) -> File:
    """Upload a file with a client, asynchronously (the file is read in a worker thread).

    Example::

        file = await async_upload(client, Path("photo.jpg"))
    """
    found = _file_input(file, params)
    await _files.async_measure(found)
    return File._wrap(await _files.async_upload(client, found, params.get("metadata")), client)


def _file_input(file: Any, params: CreateFileParams) -> _files.FileInput:
    source = pathlib.Path(file) if isinstance(file, str | os.PathLike) else file
    found = _files.file_input(
        source,
        "file",
        filename=params.get("filename"),
        content_type=params.get("content_type"),
    )
    if found is None:
        raise ValueError(
            "Unsupported file type. Must be a file path, a file-like object or bytes, "
            f"not {type(file).__name__}."
        )
    found.where = found.filename
    return found


def _download_request(file_id: str, owner: str, expiry: int, signature: str) -> dict[str, Any]:
    request: dict[str, Any] = files_download.build_request(
        file_id, owner=owner, expiry=expiry, signature=signature
    )
    request["follow_redirects"] = True
    return request
