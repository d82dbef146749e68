"""A batch's journal: its results file, and a sidecar for the rows still in flight.

Two files, both JSON Lines, both append-only while a batch runs:

- the results file (``results.jsonl``): one row per finished input row, as
  ``BatchResult.to_json()`` writes it. It is the record of what is done: a row in it is never
  run again (unless it failed and ``retry_failed`` asks for it).
- the sidecar (``results.jsonl.journal``): a header naming the model, then what happened to
  each row in flight: ``{"sent": key, "at": unix time, "input": digest}`` before its create
  is sent, ``{"created": key, "id": id, "at": created_at}`` as soon as the create returns, and
  ``{"canceled": key, "id": id}`` when the batch itself canceled it (Ctrl-C: the row is run
  again next time). It is deleted when a batch ends with nothing in flight.

Durability: every record is written to the operating system at once (a ``kill -9`` loses
nothing written); ``fsync`` runs in batches on a worker thread, and a create is sent only once
its ``sent`` record is on disk (``durable``), so that after a power loss too, a create that may
have reached the server is known to the next run.

Reopening (a rerun of the same command): a results file whose last line was cut by a crash
loses that line; rows in the results file are finished; in the sidecar, a row ``created`` and
not finished is waited for, a row ``sent`` but never ``created`` is the one window left (the
create's answer never arrived: its prediction is looked for by input, see
``replicate._created``), and a row ``canceled`` is run again. The sidecar is rewritten with
the open rows only, and ``retry_failed`` takes the failed rows out of the results file (the
sidecar first, so that a crash in between loses nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

__all__ = [
    "FSYNC_INTERVAL",
    "Journal",
    "JournalMismatch",
    "Key",
    "Pending",
    "input_digest",
    "journal_model",
]

Key = str | int
"""A row's key: its own (a key column, a file name) or its line number."""

FSYNC_INTERVAL = 0.5
"""Seconds between two fsyncs of records nobody waits for (results, created ids)."""

SIDECAR_SUFFIX = ".journal"
FORMAT = 1


class JournalMismatch(ValueError):
    """The results file belongs to a batch of another model."""


def input_digest(value: Any) -> str:
    """A digest of a create's input as sent (files already encoded), to find it again.

    Example::

        input_digest({"text": "Alice"}) == input_digest({"text": "Alice"})  # True
    """
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def journal_model(path: Path) -> str | None:
    """The model an unfinished batch with results file ``path`` ran, or None (no sidecar).

    Example::

        journal_model(Path("results.jsonl"))  # 'replicate/hello-world:5c7d...'
    """
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    try:
        with sidecar.open("rb") as file:
            header = json.loads(file.readline() or b"{}")
    except (OSError, ValueError):
        return None
    model = header.get("model") if isinstance(header, dict) else None
    return model if isinstance(model, str) else None


@dataclass
class Pending:
    """A row in flight when the journal was last written."""

    sent_at: float | None = None
    """When its create was (last) sent, Unix time; None once created."""
    digest: str | None = None
    """``input_digest`` of the input it was sent with."""
    id: str | None = None
    """The prediction its create made, once known."""
    created_at: str | None = None
    """The prediction's ``created_at``, as the API wrote it."""


class Journal:
    """The results file and its sidecar (see the module's rules); ``Journal(None, ...)`` keeps
    nothing on disk.

    Example::

        journal = Journal.open(Path("results.jsonl"), "replicate/hello-world:5c7d...")
        for key, pending in journal.open_rows.items(): ...
        journal.sent(7, input_digest(encoded))
        await journal.durable()
        journal.created(7, prediction.id, prediction.created_at)
        journal.result({"key": 7, "id": prediction.id, "status": "succeeded", ...})
        journal.close()
    """

    def __init__(self, path: Path | None, model: str) -> None:
        self.path = path
        self.model = model
        self.finished: set[Key] = set()
        """Keys with a row in the results file."""
        self.failed: set[Key] = set()
        """Those of them that did not succeed."""
        self.open_rows: dict[Key, Pending] = {}
        """Rows in flight when the last run stopped, by key."""
        self._results: IO[bytes] | None = None
        self._sidecar: IO[bytes] | None = None
        self._written = 0  # records written so far
        self._synced = 0  # of which on disk
        self._wake: asyncio.Event | None = None
        self._synced_event: asyncio.Event | None = None
        self._closed = False

    @property
    def sidecar_path(self) -> Path | None:
        return None if self.path is None else self.path.with_name(self.path.name + SIDECAR_SUFFIX)

    # -- opening ----------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | None, model: str, *, retry_failed: bool = False) -> Journal:
        """Read what an earlier run left (if anything) and open both files for appending.

        Raises ``JournalMismatch`` when the sidecar names another model.
        """
        journal = cls(path, model)
        if path is None:
            return journal
        sidecar = journal.sidecar_path
        assert sidecar is not None
        _cut_torn_line(path)
        journal._read_results(path)
        if sidecar.exists():
            _cut_torn_line(sidecar)
            journal._read_sidecar(sidecar)
        for key in journal.finished:
            journal.open_rows.pop(key, None)
        if retry_failed and journal.failed:
            for key in journal.failed:
                journal.open_rows.pop(key, None)  # a failed row is run again from scratch
        _rewrite(sidecar, journal._sidecar_lines())
        if retry_failed and journal.failed:
            _rewrite(path, _without(path, journal.failed))
            journal.finished -= journal.failed
            journal.failed = set()
        journal._results = path.open("ab", buffering=0)
        journal._sidecar = sidecar.open("ab", buffering=0)
        return journal

    def _read_results(self, path: Path) -> None:
        if not path.exists():
            return
        for row in _records(path):
            key = row.get("key")
            if isinstance(key, str | int) and not isinstance(key, bool):
                self.finished.add(key)
                if row.get("status") == "succeeded":
                    self.failed.discard(key)
                else:
                    self.failed.add(key)

    def _read_sidecar(self, path: Path) -> None:
        for index, record in enumerate(_records(path)):
            if index == 0 and "batch" in record:
                if record.get("model") != self.model:
                    raise JournalMismatch(
                        f"{self.path} belongs to a batch of {record.get('model')}, not of "
                        f"{self.model}: give another results file, or the same model"
                    )
                continue
            if "sent" in record:
                self.open_rows[record["sent"]] = Pending(
                    sent_at=float(record.get("at") or 0.0), digest=record.get("input")
                )
            elif "created" in record:
                self.open_rows[record["created"]] = Pending(
                    id=record.get("id"), created_at=record.get("at")
                )
            elif "canceled" in record:
                self.open_rows.pop(record["canceled"], None)

    def _sidecar_lines(self) -> Iterator[bytes]:
        yield _line({"batch": FORMAT, "model": self.model})
        for key, pending in self.open_rows.items():
            if pending.id is not None:
                yield _line({"created": key, "id": pending.id, "at": pending.created_at})
            elif pending.sent_at is not None:
                yield _line({"sent": key, "at": pending.sent_at, "input": pending.digest})

    # -- writing ----------------------------------------------------------------------------

    def sent(self, key: Key, digest: str) -> None:
        """The create of ``key`` is about to be sent (await ``durable()`` before sending)."""
        self._sidecar_write({"sent": key, "at": round(time.time(), 3), "input": digest})

    def created(self, key: Key, id: str, created_at: str | None) -> None:
        """The create of ``key`` returned prediction ``id``."""
        self._sidecar_write({"created": key, "id": id, "at": created_at})

    def canceled(self, key: Key, id: str) -> None:
        """The batch canceled ``key``'s prediction before it ended: run the row again later."""
        self._sidecar_write({"canceled": key, "id": id})

    def result(self, row: dict[str, Any]) -> None:
        """``row`` (with its ``key``) is finished."""
        if self._results is not None:
            self._results.write(_line(row))
            self._written += 1
            self._poke()

    def _sidecar_write(self, record: dict[str, Any]) -> None:
        if self._sidecar is not None:
            self._sidecar.write(_line(record))
            self._written += 1
            self._poke()

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    # -- durability -------------------------------------------------------------------------

    async def durable(self) -> None:
        """Return once every record written so far is on disk (one fsync serves many)."""
        if self._results is None or self._closed:
            return
        target = self._written
        while self._synced < target and not self._closed:
            if self._synced_event is None or self._wake is None:
                await asyncio.to_thread(self._fsync)  # no flusher running: sync here
                continue
            self._wake.set()
            self._synced_event.clear()
            await self._synced_event.wait()

    async def flush_forever(self) -> None:
        """fsync what was written, at once when someone waits, else every ``FSYNC_INTERVAL``;
        run it as a task for the batch's life (cancel it at the end)."""
        if self._results is None:
            return
        self._wake = asyncio.Event()
        self._synced_event = asyncio.Event()
        try:
            while True:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
                # that comes with its timeout, and the flusher would never end
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(FSYNC_INTERVAL):
                        await self._wake.wait()
                self._wake.clear()
                if self._synced < self._written:
                    await asyncio.to_thread(self._fsync)
                self._synced_event.set()
        finally:
            self._wake = None
            if self._synced_event is not None:
                self._synced_event.set()  # nobody waits for a flusher that is gone
            self._synced_event = None

    def _fsync(self) -> None:
        target = self._written
        for file in (self._sidecar, self._results):
            if file is None:
                continue
            # on a worker thread: the file may be closed under it at the batch's end
            with contextlib.suppress(OSError, ValueError):
                os.fsync(file.fileno())
        self._synced = max(self._synced, target)

    def close(self, *, complete: bool) -> None:
        """fsync and close both files; ``complete`` (nothing in flight): delete the sidecar."""
        if self._closed:
            return
        self._closed = True
        for file in (self._sidecar, self._results):
            if file is not None:
                with contextlib.suppress(OSError):
                    os.fsync(file.fileno())
                file.close()
        sidecar = self.sidecar_path
        if complete and sidecar is not None:
            sidecar.unlink(missing_ok=True)


# -- file helpers ---------------------------------------------------------------------------


def _line(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8", "surrogatepass")


def _records(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON objects of a JSON Lines file, read a line at a time (a bad line is skipped)."""
    with path.open("rb") as file:
        for line in file:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record


def _cut_torn_line(path: Path) -> None:
    """Cut a last line left without its line break (a crash in the middle of writing it)."""
    if not path.exists():
        return
    with path.open("rb+") as file:
        size = file.seek(0, os.SEEK_END)
        if size == 0:
            return
        file.seek(size - 1)
        if file.read(1) == b"\n":
            return
        # step back block by block to the last line break
        position = size
        while position > 0:
            start = max(0, position - 65536)
            file.seek(start)
            block = file.read(position - start)
            found = block.rfind(b"\n")
            if found >= 0:
                file.truncate(start + found + 1)
                return
            position = start
        file.truncate(0)


def _without(path: Path, keys: set[Key]) -> Iterator[bytes]:
    for row in _records(path):
        if row.get("key") not in keys:
            yield _line(row)


def _rewrite(path: Path, lines: Iterator[bytes]) -> None:
    """Replace ``path`` with ``lines``, atomically (a temporary file, fsynced, renamed)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as file:
        for line in lines:
            file.write(line)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
