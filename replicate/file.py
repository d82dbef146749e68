"""Files uploaded to Replicate, to be used as model inputs."""

from __future__ import annotations

import io
import os
import pathlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, NotRequired, TypedDict, Unpack

import httpx

from replicate._files import FileInput, MultipartUpload, file_input, measure
from replicate.helpers import FileEncodingStrategy
from replicate.pagination import Cursor, Page, cursor_request, page_from_json
from replicate.resource import Namespace, Resource

if TYPE_CHECKING:
    from replicate.client import Client

__all__ = ["File", "FileEncodingStrategy", "Files", "async_upload", "upload"]


@dataclass(kw_only=True)
class File(Resource):
    """A file uploaded to Replicate, usable as an input to a model.

    Example::

        file = replicate.files.create("mask.png")
        print(file.id, file.urls["get"])
    """

    id: str
    """The ID of the file."""

    name: str | None = None
    """The name of the file."""

    content_type: str | None = None
    """The MIME type of the file."""

    size: int | None = None
    """The size of the file in bytes."""

    etag: str | None = None
    """The ETag of the file."""

    checksums: dict[str, str] = field(default_factory=dict)
    """Checksums of the file's content (``sha256``, ...)."""

    metadata: dict[str, Any] = field(default_factory=dict)
    """The metadata given when the file was uploaded."""

    created_at: str | None = None
    """When the file was uploaded."""

    expires_at: str | None = None
    """When the file will be deleted."""

    urls: dict[str, str] = field(default_factory=dict)
    """URLs of the file: ``get``."""


def file_from_json(data: dict[str, Any]) -> File:
    """A File from the API's JSON (kept in step with the generated model by a test)."""
    get = data.get
    return File(
        id=data["id"],
        name=get("name"),
        content_type=get("content_type"),
        size=get("size"),
        etag=get("etag"),
        checksums=get("checksums") or {},
        metadata=get("metadata") or {},
        created_at=get("created_at"),
        expires_at=get("expires_at"),
        urls=get("urls") or {},
    )


class CreateFileParams(TypedDict):
    """Options of ``files.create``."""

    filename: NotRequired[str]
    """The file's name (by default the name of the path or file object)."""

    content_type: NotRequired[str]
    """The file's MIME type (by default guessed from the name)."""

    metadata: NotRequired[dict[str, Any]]
    """A JSON object stored with the file."""


class Files(Namespace):
    """Operations on files: ``create``, ``get``, ``list``, ``delete``, ``download``, and
    ``async_*``.

    Example::

        file = replicate.files.create("photo.jpg", metadata={"customer": 42})
        output = replicate.run("acme/upscaler", input={"image": file.urls["get"]})
    """

    def create(
        self,
        file: str | pathlib.Path | BinaryIO | io.IOBase | bytes | bytearray | memoryview,
        **params: Unpack[CreateFileParams],
    ) -> File:
        """Upload a file (a path, an open file, or bytes), keeping its name and type.

        The file is streamed from disk, not read whole; one over 100 MiB raises
        ``FileTooLargeError`` before anything is sent.

        Example::

            with open("mask.png", "rb") as image:
                file = replicate.files.create(image, metadata={"customer_reference_id": 123})
        """
        found = _file_input(file, params)
        measure(found)
        return upload(self._client, found, params.get("metadata"))

    async def async_create(
        self,
        file: str | pathlib.Path | BinaryIO | io.IOBase | bytes | bytearray | memoryview,
        **params: Unpack[CreateFileParams],
    ) -> File:
        """Upload a file, asynchronously (the file is read in a worker thread).

        Example::

            file = await replicate.files.async_create("mask.png")
        """
        found = _file_input(file, params)
        await async_measure(found)
        return await async_upload(self._client, found, params.get("metadata"))

    def get(self, file_id: str) -> File:
        """A file, by ID.

        Example::

            file = replicate.files.get("MTQzODcyMDUtNGMwYi00ZWJiLWE1ODUtZDA1ZjY1NjcwOWQ3")
        """
        from replicate_api.api.files import get

        return file_from_json(self._client._request(get._get_kwargs(file_id)).json())

    async def async_get(self, file_id: str) -> File:
        """A file, by ID, asynchronously.

        Example::

            file = await replicate.files.async_get(file_id)
        """
        from replicate_api.api.files import get

        return file_from_json((await self._client._async_request(get._get_kwargs(file_id))).json())

    def list(self, cursor: Cursor = ...) -> Page[File]:
        """One page of your files (a Page iterates, indexes and has a length, like a list).

        Example::

            for file in replicate.pagination.paginate_items(replicate.files.list):
                print(file.name)
        """
        from replicate_api.api.files import list_

        response = self._client._request(cursor_request(cursor, list_._get_kwargs))
        return page_from_json(response.json(), file_from_json)

    async def async_list(self, cursor: Cursor = ...) -> Page[File]:
        """One page of your files, asynchronously.

        Example::

            page = await replicate.files.async_list()
        """
        from replicate_api.api.files import list_

        response = await self._client._async_request(cursor_request(cursor, list_._get_kwargs))
        return page_from_json(response.json(), file_from_json)

    def delete(self, file_id: str) -> bool:
        """Delete a file; True when it was deleted.

        Example::

            replicate.files.delete(file.id)
        """
        from replicate_api.api.files import delete

        return self._client._request(delete._get_kwargs(file_id)).status_code == 204

    async def async_delete(self, file_id: str) -> bool:
        """Delete a file, asynchronously.

        Example::

            await replicate.files.async_delete(file.id)
        """
        from replicate_api.api.files import delete

        return (await self._client._async_request(delete._get_kwargs(file_id))).status_code == 204

    def download(self, file_id: str, *, owner: str, expiry: int, signature: str) -> bytes:
        """A file's content, through a signed download link (owner, expiry, signature).

        Example::

            data = replicate.files.download(
                "cneqzikepnug6xezperrr4z55o", owner="acme", expiry=1708515345,
                signature="zuoghqlrcnw8YHywkpaXQlHsVhWen/DZ4aal76dLiOo=",
            )
        """
        from replicate_api.api.files import download

        request = download._get_kwargs(file_id, owner=owner, expiry=expiry, signature=signature)
        return self._client._request(request, follow_redirects=True).content

    async def async_download(
        self, file_id: str, *, owner: str, expiry: int, signature: str
    ) -> bytes:
        """A file's content through a signed download link, asynchronously.

        Example::

            data = await replicate.files.async_download(
                file_id, owner=owner, expiry=expiry, signature=signature
            )
        """
        from replicate_api.api.files import download

        request = download._get_kwargs(file_id, owner=owner, expiry=expiry, signature=signature)
        return (await self._client._async_request(request, follow_redirects=True)).content


def upload(client: Client, file: FileInput, metadata: dict[str, Any] | None = None) -> File:
    """Upload a measured file with ``POST /files`` (used by ``files.create`` and file inputs).

    Example::

        found = file_input(Path("photo.jpg"), "photo")
        measure(found)
        print(upload(client, found).urls["get"])
    """
    request, multipart = _create_request(file, metadata)
    request["content"] = multipart.sync_body()
    response = client._request(request, timeout=_upload_timeout(client))
    return file_from_json(response.json())


async def async_upload(
    client: Client, file: FileInput, metadata: dict[str, Any] | None = None
) -> File:
    """Upload a measured file, asynchronously; the file is read in a worker thread.

    Example::

        print((await async_upload(client, found)).urls["get"])
    """
    request, multipart = _create_request(file, metadata)
    request["content"] = multipart.async_body()
    response = await client._async_request(request, timeout=_upload_timeout(client))
    return file_from_json(response.json())


async def async_measure(file: FileInput) -> None:
    """``measure``, in a worker thread unless the file is already in memory.

    Example::

        await async_measure(found)
    """
    if file.in_memory:
        measure(file)
        return
    from anyio import to_thread

    await to_thread.run_sync(measure, file)


def _file_input(file: Any, params: CreateFileParams) -> FileInput:
    source = pathlib.Path(file) if isinstance(file, str | os.PathLike) else file
    found = file_input(
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


def _upload_timeout(client: Client) -> httpx.Timeout:
    # Sending the body takes as long as the link needs, and the answer comes only once the
    # whole file is in: no read or write limit, as in replicate 1.x; connecting still has one.
    base = client.timeout
    return httpx.Timeout(connect=base.connect, read=None, write=None, pool=base.pool)


def _create_request(
    file: FileInput, metadata: dict[str, Any] | None
) -> tuple[dict[str, Any], MultipartUpload]:
    """The generated layer's request (its URL and form fields), with a streamed body."""
    from replicate_api.api.files import create
    from replicate_api.models import FileCreateRequest, FileCreateRequestMetadata
    from replicate_api.types import UNSET
    from replicate_api.types import File as Upload

    body = FileCreateRequest(
        content=Upload(
            payload=file.source,  # type: ignore[arg-type]  # only its identity is used
            file_name=file.filename,
            mime_type=file.content_type,
        ),
        filename=file.filename,
        type_=file.content_type,
        metadata=UNSET if metadata is None else FileCreateRequestMetadata.from_dict(metadata),
    )
    request = create._get_kwargs(body=body)
    multipart = MultipartUpload(request.pop("files"), file)
    request["headers"] = {**request.get("headers", {}), **multipart.headers}
    return request, multipart
