"""Files: multipart upload, list, get, delete and the signed download.

The upload is parsed here rather than by ``request.form()``, which needs python-multipart
(not a dependency), and so that an oversized body is refused before it is all read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import timedelta
from email.message import Message
from email.utils import collapse_rfc2231_value
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ._app import ProblemError, not_found, public, unvalidated
from ._resources_common import invalid
from ._state import JSON, format_timestamp

if TYPE_CHECKING:
    from ._app import EmulatorApp

LIFETIME = timedelta(hours=24)  # files expire a day after their upload
MAX_FILENAME_BYTES = 255
# Room for the form around the file (boundaries, headers, filename, type and metadata):
# bodies larger than the maximum file size plus this are refused before they are all read.
FORM_OVERHEAD = 1024 * 1024
DEFAULT_TYPE = "application/octet-stream"


@dataclass
class Part:
    """One part of a multipart/form-data body."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def parse_multipart(body: bytes | bytearray, boundary: str) -> list[Part]:
    """The parts of a multipart/form-data body (RFC 7578); 400 if it is malformed."""
    view = memoryview(body)
    delimiter = b"--" + boundary.encode("latin-1")
    position = body.find(delimiter)
    if position < 0:
        raise ProblemError(400, "Invalid multipart body", "the body has no part boundary")
    parts: list[Part] = []
    position += len(delimiter)
    while not body.startswith(b"--", position):  # "--" after a delimiter ends the body
        if not body.startswith(b"\r\n", position):
            raise ProblemError(400, "Invalid multipart body", "a part boundary is malformed")
        position += 2
        if body.startswith(b"\r\n", position):  # a part without headers
            raw_headers, start = b"", position + 2
        else:
            end_of_headers = body.find(b"\r\n\r\n", position)
            if end_of_headers < 0:
                raise ProblemError(400, "Invalid multipart body", "a part's headers never end")
            raw_headers, start = bytes(view[position:end_of_headers]), end_of_headers + 4
        end = body.find(b"\r\n" + delimiter, start)
        if end < 0:
            raise ProblemError(400, "Invalid multipart body", "the closing boundary is missing")
        parts.append(_part(raw_headers, bytes(view[start:end])))
        position = end + 2 + len(delimiter)
    return parts


def _part(raw_headers: bytes, data: bytes) -> Part:
    headers = Message()
    for line in raw_headers.decode("utf-8", "replace").split("\r\n"):
        header, _, value = line.partition(":")
        if value:
            headers[header.strip()] = value.strip()
    # email.message reads quoted and RFC 2231 (filename*=utf-8''...) parameters.
    name = headers.get_param("name", header="content-disposition")
    filename = headers.get_filename()
    return Part(
        name=collapse_rfc2231_value(name) if name else "",
        filename=filename,
        content_type=headers.get("content-type"),
        data=data,
    )


class Files:
    """The account's uploaded files and the signing of their download URLs."""

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app
        self.store = app.store
        self.options = app.options
        self._secret = app.store.ids.token(32).encode()  # per emulator; seeded runs repeat it

    def signature(self, file_id: str, owner: str, expiry: int) -> str:
        """base64(HMAC-SHA256(secret, "{owner} {id} {expiry}")), as the spec describes."""
        message = f"{owner} {file_id} {expiry}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    def download_url(self, file_id: str, expires_in: float = 3600.0) -> str:
        """A signed ``GET /files/{id}/download`` URL, valid for ``expires_in`` seconds."""
        with self.store.lock:
            if file_id not in self.store.files:
                raise LookupError(f"no file {file_id}")
        owner = self.options.username
        expiry = int(self.options.clock().timestamp() + expires_in)
        query = urlencode(
            {"owner": owner, "expiry": expiry, "signature": self.signature(file_id, owner, expiry)}
        )
        return f"{self.store.api_base_url}/files/{quote(file_id, safe='')}/download?{query}"

    def render(self, record: JSON) -> JSON:
        """A stored file as the API shows it."""
        return {**record, "urls": {"get": f"{self.store.api_base_url}/files/{record['id']}"}}

    def purge_expired(self) -> None:
        """Files live for a day, by the emulator's clock."""
        now = format_timestamp(self.options.clock())
        with self.store.lock:
            for file_id, data in list(self.store.files.items()):
                if data["expires_at"] <= now:
                    del self.store.files[file_id]
                    self.store.file_contents.pop(file_id, None)

    def find(self, file_id: str) -> JSON:
        self.purge_expired()
        with self.store.lock:
            record = self.store.files.get(file_id)
        if record is None:
            raise not_found(f"File {file_id}")
        return record

    def too_large(self) -> ProblemError:
        limit = self.options.max_file_size
        return ProblemError(
            413, "Payload too large", f"content: files can be at most {limit} bytes"
        )

    async def read_body(self, request: Request) -> bytearray:
        """The request body, refused with 413 as soon as it outgrows the largest allowed."""
        limit = self.options.max_file_size + FORM_OVERHEAD
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise self.too_large()
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise self.too_large()
        return body

    async def create(self, request: Request) -> JSON:
        """Store the uploaded file; return it as the API shows it."""
        content_type = request.headers.get("content-type", "")
        headers = Message()
        headers["content-type"] = content_type
        boundary = headers.get_param("boundary")
        if headers.get_content_type() != "multipart/form-data" or not isinstance(boundary, str):
            detail = "send the file as multipart/form-data, in a part named content"
            raise ProblemError(415, "Unsupported media type", detail)
        parts: dict[str, Part] = {}
        for part in parse_multipart(await self.read_body(request), boundary):
            parts.setdefault(part.name, part)  # the first of repeated fields counts
        content = parts.get("content")
        if content is None:
            raise invalid("content", "field required (the file, as a multipart part)")
        if len(content.data) > self.options.max_file_size:
            raise self.too_large()
        filename = _text(parts, "filename") or content.filename or "file"
        if len(filename.encode()) > MAX_FILENAME_BYTES:
            raise invalid("filename", f"must be at most {MAX_FILENAME_BYTES} bytes")
        media_type = _text(parts, "type") or content.content_type or DEFAULT_TYPE
        metadata = _metadata(_text(parts, "metadata"))

        data = content.data
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        store = self.store
        created = self.options.clock()
        file_id = store.ids.file()
        # Real traffic has name, etag (the bare MD5) and checksums.md5, which the spec does
        # not list.
        record: JSON = {
            "id": file_id,
            "name": filename,
            "content_type": media_type,
            "size": len(data),
            "etag": md5,
            "checksums": {"sha256": hashlib.sha256(data).hexdigest(), "md5": md5},
            "metadata": metadata,
            "created_at": format_timestamp(created),
            "expires_at": format_timestamp(created + LIFETIME),
        }
        with store.lock:
            store.files[file_id] = record
            store.file_contents[file_id] = data
        return self.render(record)


def _text(parts: dict[str, Part], name: str) -> str | None:
    part = parts.get(name)
    if part is None:
        return None
    try:
        return part.data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise invalid(name, "must be UTF-8 text") from None


def _metadata(text: str | None) -> JSON:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise invalid("metadata", "must be a JSON object (it is not JSON)") from None
    if not isinstance(value, dict):
        raise invalid("metadata", "must be a JSON object")
    return value


def routes(app: EmulatorApp, files: Files) -> list[BaseRoute]:
    store = app.store

    @unvalidated  # the validator cannot read binary parts; the route checks the form
    async def create_file(request: Request) -> Response:
        return JSONResponse(await files.create(request), status_code=201)

    async def list_files(request: Request) -> Response:
        files.purge_expired()
        with store.lock:
            records = list(reversed(store.files.values()))
        return JSONResponse(app.page(request, [files.render(record) for record in records]))

    async def get_file(request: Request) -> Response:
        file_id = request.path_params["file_id"]
        return JSONResponse(files.render(files.find(file_id)))

    async def delete_file(request: Request) -> Response:
        file_id = request.path_params["file_id"]
        files.find(file_id)
        with store.lock:
            store.files.pop(file_id, None)
            store.file_contents.pop(file_id, None)
        return Response(status_code=204)

    @public  # the signature is the credential (or, without one, the owner's token)
    @unvalidated  # the spec asks for a token here, which a signed URL does without
    async def download_file(request: Request) -> Response:
        file_id = request.path_params["file_id"]
        query = request.query_params
        if not any(query.get(name) for name in ("owner", "expiry", "signature")):
            # Not in the spec: the owner fetches a file of theirs with the API token, as
            # `replicate files download ID` does. An unsigned request without it is a 401.
            app._authenticate(request)
            return _content(files.find(file_id))
        for name in ("owner", "expiry", "signature"):
            if not query.get(name):
                raise invalid(name, "query parameter required")
        if not query["expiry"].isdigit():
            raise invalid("expiry", "must be a Unix timestamp (an integer)")
        expiry = int(query["expiry"])
        expected = files.signature(file_id, query["owner"], expiry)
        valid = hmac.compare_digest(expected.encode(), query["signature"].encode())
        # A forged or stale link looks like a missing file: it reveals nothing.
        if not valid or expiry < app.options.clock().timestamp():
            raise not_found(f"File {file_id}")
        return _content(files.find(file_id))

    def _content(record: JSON) -> Response:
        file_id = record["id"]
        with store.lock:
            data = store.file_contents.get(file_id)
        if data is None:  # deleted meanwhile
            raise not_found(f"File {file_id}")
        disposition = f"attachment; filename*=UTF-8''{quote(record['name'], safe='')}"
        headers = {"content-type": record["content_type"], "content-disposition": disposition}
        return Response(data, headers=headers)

    return [
        Route("/v1/files", create_file, methods=["POST"]),
        Route("/v1/files", list_files, methods=["GET"]),
        Route("/v1/files/{file_id}", get_file, methods=["GET"]),
        Route("/v1/files/{file_id}", delete_file, methods=["DELETE"]),
        Route("/v1/files/{file_id}/download", download_file, methods=["GET"]),
    ]
