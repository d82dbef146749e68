"""Event streams decoded exactly as the event-stream rules say (HTML, "Server-sent events").

httpx-sse splits the lines (CR, LF and CRLF, also when a CRLF is split across chunks); its
field decoder is replaced here by one that follows the dispatch rules to the letter, the patch
one would send upstream:

- A block without a ``data`` field is not dispatched: a keep-alive comment followed by a blank
  line, or an extra blank line after an event, gives no event (httpx-sse 0.4 hands out an empty
  ``message`` event for it once any ``id`` was seen). An empty ``data:`` line is an event with
  empty data (an empty token).
- ``id`` and ``retry`` take effect even in a block that is not dispatched: the id becomes the
  stream's last event id when its block ends (what a resumed stream starts after), ``retry``
  at once. ``retry`` is honoured only when it is all ASCII digits; an ``id`` holding NUL is
  ignored.
- The bytes are decoded as UTF-8 whatever the ``Content-Type`` charset says (with U+FFFD for
  invalid bytes), incrementally, so a character split across chunks decodes whole; one leading
  byte-order mark is dropped.
- At the end of the stream a block not closed by a blank line is discarded.

Decoding a line costs one method call and no object; a dispatched event is a small tuple.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator

import httpx
from httpx_sse import SSEError
from httpx_sse._decoders import SSELineDecoder  # upstream's line splitting, reused as it is

__all__ = ["SSEDecoder", "aiter_sse", "check_content_type", "iter_sse"]

Dispatched = tuple[str, str, int | None]
"""One dispatched event: its type (``message`` when the block named none), its data, and the
``retry`` its block carried (None if none)."""


class SSEDecoder:
    """The field decoder: one line in, an event out when a block ends with data.

    ``last_id`` is the stream's last event id (seeded with the one a resumed stream starts
    after); ``retry`` is the last valid reconnection delay in milliseconds the server asked for.

    Example::

        decoder = SSEDecoder()
        events = [decoder.decode(line) for line in ["id: 7", "data: hi", "", ": ping", ""]]
        # [None, None, ('message', 'hi', None), None, None]; decoder.last_id == "7"
    """

    __slots__ = ("_block_retry", "_data", "_event", "_id", "last_id", "retry")

    def __init__(self, last_id: str = "") -> None:
        self._event = ""
        self._data: list[str] | None = None
        self._id = last_id
        self._block_retry: int | None = None
        self.last_id = last_id
        self.retry: int | None = None

    def decode(self, line: str) -> Dispatched | None:
        """Take one line (without its line break); the event its blank line dispatches."""
        if line:
            if line[0] == ":":
                return None  # a comment
            name, _, value = line.partition(":")
            if value[:1] == " ":
                value = value[1:]
            if name == "data":
                if self._data is None:
                    self._data = [value]
                else:
                    self._data.append(value)
            elif name == "event":
                self._event = value
            elif name == "id":
                if "\0" not in value:
                    self._id = value
            elif name == "retry" and value.isdigit() and value.isascii():
                self.retry = self._block_retry = int(value)
            return None
        # a blank line ends the block
        self.last_id = self._id
        data, event, retry = self._data, self._event, self._block_retry
        self._data = None
        self._event = ""
        self._block_retry = None
        if data is None:
            return None  # no data field: nothing to dispatch
        return (event or "message", "\n".join(data), retry)


def check_content_type(response: httpx.Response) -> None:
    """Raise ``httpx_sse.SSEError`` (an ``httpx.TransportError``) unless the response is an
    event stream."""
    content_type = response.headers.get("content-type", "").partition(";")[0]
    if "text/event-stream" not in content_type:
        raise SSEError(
            "Expected response header Content-Type to contain 'text/event-stream', "
            f"got {content_type!r}"
        )


def iter_sse(chunks: Iterable[bytes], decoder: SSEDecoder) -> Iterator[Dispatched]:
    """The events of a stream's body chunks (``response.iter_bytes()``).

    Example::

        list(iter_sse([b"data: a\\r\\nda", b"ta: b\\r\\n\\r\\n"], SSEDecoder()))
        # [('message', 'a\\nb', None)]
    """
    text = _Text()
    decode = decoder.decode
    for chunk in chunks:
        for line in text.lines(chunk):
            event = decode(line)
            if event is not None:
                yield event
    for line in text.end():
        event = decode(line)
        if event is not None:
            yield event


async def aiter_sse(
    chunks: AsyncIterator[bytes], decoder: SSEDecoder
) -> AsyncGenerator[Dispatched, None]:
    """The events of a stream's body chunks, asynchronously (``response.aiter_bytes()``)."""
    text = _Text()
    decode = decoder.decode
    async for chunk in chunks:
        for line in text.lines(chunk):
            event = decode(line)
            if event is not None:
                yield event
    for line in text.end():
        event = decode(line)
        if event is not None:
            yield event


class _Text:
    """Bytes to lines: UTF-8 decoded incrementally, split as the rules say, BOM dropped."""

    __slots__ = ("_decode", "_lines", "_started")

    def __init__(self) -> None:
        self._decode = codecs.getincrementaldecoder("utf-8")(errors="replace").decode
        self._lines = SSELineDecoder()
        self._started = False

    def lines(self, chunk: bytes) -> list[str]:
        text = self._decode(chunk)
        if not text:
            return []
        if not self._started:
            self._started = True
            if text[0] == "\ufeff":
                text = text[1:]
                if not text:
                    return []
        return self._lines.decode(text)

    def end(self) -> list[str]:
        """The lines left at the end: a held-back CR still ends its line."""
        rest = self._decode(b"", final=True)
        lines = self._lines.decode(rest) if rest else []
        return lines + self._lines.flush()
