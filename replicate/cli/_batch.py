"""``replicate batch``: one model over every row of a file (or every file of a folder).

Rows come from ``--input`` (JSON Lines: one object a line; ``.csv``: a header row, then one
row a line; ``-``: JSON Lines on stdin) or ``--files DIR --as KEY`` (each file in DIR, sorted,
as the input ``KEY``). They are read as the batch goes, never loaded whole. ``key=value``
arguments are inputs every row gets (a row's own value wins). Values are typed as ``run``
types them: JSON values as they are, CSV cells by the model's schema (``7``, ``0.5``,
``true``, ``a,b``); ``@path`` names a file to upload. A row's key is its ``--key`` column (or,
with ``--files``, the file's path in DIR), else its line number (CSV: its row number).

The batch is the library's (``Client.run_batch``): creates paced at ``--per-minute`` (600 by
default) and slowed down on 429s, at most ``--concurrency`` rows in flight, results appended
to ``--output`` as they finish (with ``--output-dir``, output files saved there, their paths in
the results). ``--output`` is also the journal: run the same command again after a crash, a
``kill -9`` or Ctrl-C, and it picks up where it stopped, creating no prediction twice;
``--retry-failed`` runs the failed rows again. Ctrl-C cancels the running predictions (they
are run again next time), unless ``--detach``, which leaves them running for the next run to
wait for.

While it runs: a progress bar on a terminal (done, failed, running, rate, time left), else a
line every few seconds; at the end a summary on stderr: succeeded, failed by reason, total
``predict_time``. Exit code 0 when every row succeeded, 1 when some failed.

Example::

    $ replicate batch replicate/hello-world --input rows.jsonl --output results.jsonl
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from replicate.cli._errors import EXIT_MODEL_FAILED, EXIT_OK, UsageError, interrupted
from replicate.cli._inputs import InputField, InputSchema, build_input, coerce_cell
from replicate.cli._running import resolve_target

if TYPE_CHECKING:
    from replicate.batch import BatchStats, Row
    from replicate.cli._session import Session

__all__ = ["batch_command", "count_rows", "read_rows"]

JSON = dict[str, Any]

PLAIN_EVERY = 5.0
"""Seconds between two progress lines when stderr is not a terminal."""


def batch_command(session: Session) -> int:
    """``replicate batch``."""
    args = session.args
    if (args.input is None) == (args.files is None):
        raise UsageError("give the rows as --input FILE (JSON Lines or CSV) or --files DIR")
    if args.files is not None and not args.as_input:
        raise UsageError("--files needs --as KEY: the input each file goes to")
    if args.as_input and args.files is None:
        raise UsageError("--as goes with --files DIR")
    if args.files is not None and args.key:
        raise UsageError("--key goes with --input: with --files, a row's key is its file's path")
    if args.per_minute is not None and not args.per_minute > 0:
        raise UsageError(f"--per-minute must be more than 0, got {args.per_minute:g}")
    if args.concurrency is not None and args.concurrency < 1:
        raise UsageError(f"--concurrency must be 1 or more, got {args.concurrency}")
    output = Path(args.output).expanduser()
    if output.is_dir():
        raise UsageError(f"--output {args.output} is a folder: give a file, results.jsonl say")
    source = _source(args)
    client = session.client
    target = resolve_target(client, _reference(args.model, output))
    schema = InputSchema.of(target.openapi_schema)
    constants = build_input(args.inputs, _optional(schema), target.label)
    rows = read_rows(source, args, schema, constants)
    total = count_rows(source, args)
    reference = _resolved(target)
    options: dict[str, Any] = {}
    if args.per_minute is not None:
        options["per_minute"] = args.per_minute
    if args.concurrency is not None:
        options["concurrency"] = args.concurrency
    batch = client.run_batch(
        reference,
        rows,
        journal=output,
        output_dir=args.output_dir,
        retry_failed=args.retry_failed,
        detach=args.detach,
        **options,
    )
    view = _view(total)
    try:
        with view:
            for _ in batch:
                view.update(batch.stats)
            view.update(batch.stats)
    except KeyboardInterrupt as interrupt:
        _summary(batch.stats, output, total)
        running = batch.stats.running
        if args.detach:
            _say(
                f"interrupted: {running} predictions left running; run the same command to "
                "wait for them and go on"
            )
        else:
            _say("interrupted: running predictions canceled; run the same command to go on")
        return interrupted(interrupt)
    _summary(batch.stats, output, total)
    return EXIT_MODEL_FAILED if batch.stats.failed else EXIT_OK


# -- the rows ---------------------------------------------------------------------------------


def _source(args: Any) -> Path | None:
    """The input file or folder (None: stdin), checked to exist."""
    if args.files is not None:
        folder = Path(args.files).expanduser()
        if not folder.is_dir():
            raise UsageError(f"--files {args.files}: no such folder")
        return folder
    if args.input == "-":
        return None
    path = Path(args.input).expanduser()
    if not path.is_file():
        raise UsageError(f"--input {args.input}: no such file")
    return path


def _is_csv(path: Path | None) -> bool:
    return path is not None and path.suffix.lower() == ".csv"


def read_rows(
    source: Path | None, args: Any, schema: InputSchema | None, constants: JSON
) -> Iterator[Row]:
    """The batch's rows, read one at a time (see the module's rules).

    Example::

        rows = read_rows(Path("rows.jsonl"), args, schema, {"scale": 2})
        next(rows)  # Row(key=1, input={'text': 'Alice', 'scale': 2})
    """
    from replicate.batch import Row

    if args.files is not None:
        assert source is not None
        for path in _files(source):
            yield Row(path.relative_to(source).as_posix(), {**constants, args.as_input: path})
        return
    key_field: str | None = args.key
    cells = _is_csv(source)
    for number, record in _records(source):
        key: str | int
        if key_field is not None:
            if key_field not in record or record[key_field] in (None, ""):
                raise UsageError(f"row {number}: no {key_field!r} to use as its key")
            key = record[key_field]
            if isinstance(key, bool) or not isinstance(key, str | int):
                key = json.dumps(key)
            if schema is None or key_field not in schema.fields:
                record = {name: value for name, value in record.items() if name != key_field}
        else:
            key = number
        yield Row(key, {**constants, **_typed(record, schema, cells=cells)})


def _records(source: Path | None) -> Iterator[tuple[int, JSON]]:
    """``(line or row number, values)`` of each row; CSV values are text (empty: left out)."""
    stream: TextIO
    if source is None:
        stream = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="surrogateescape")
        yield from _json_lines(stream)
        return
    with source.open(encoding="utf-8", errors="surrogateescape", newline="") as stream:
        if _is_csv(source):
            reader = csv.DictReader(stream)
            for number, row in enumerate(reader, 1):
                if None in row:
                    raise UsageError(f"{source} row {number}: more cells than the header has")
                yield (
                    number,
                    {name: value for name, value in row.items() if value not in ("", None)},
                )
        else:
            yield from _json_lines(stream)


def _json_lines(stream: TextIO) -> Iterator[tuple[int, JSON]]:
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise UsageError(f"line {number} is not JSON: {line.strip()[:60]!r}") from None
        if not isinstance(record, dict):
            raise UsageError(f"line {number} is not a JSON object of inputs")
        yield number, record


def _typed(record: JSON, schema: InputSchema | None, *, cells: bool) -> JSON:
    """A row's values: CSV ``cells`` typed by the schema as ``run`` types ``key=value``; in
    JSON, ``"@path"`` strings as files. A value the schema rejects is sent as it is, for the
    API to refuse: that row fails, the batch goes on.
    """
    typed: JSON = {}
    for name, value in record.items():
        field: InputField | None = schema.fields.get(name) if schema is not None else None
        if isinstance(value, str) and (cells or value.startswith("@")):
            typed[name] = coerce_cell(name, value, field)
        else:
            typed[name] = value
    return typed


def _files(folder: Path) -> Iterator[Path]:
    """The files under ``folder``, sorted, hidden ones left out."""
    entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _files(Path(entry.path))
        elif entry.is_file():
            yield Path(entry.path)


def count_rows(source: Path | None, args: Any) -> int | None:
    """How many rows there are, read through once (None for stdin): for the progress bar."""
    if source is None:
        return None
    if args.files is not None:
        return sum(1 for _ in _files(source))
    with source.open(encoding="utf-8", errors="surrogateescape", newline="") as stream:
        if _is_csv(source):
            return max(0, sum(1 for _ in csv.reader(stream)) - 1)
        return sum(1 for line in stream if line.strip())


def _optional(schema: InputSchema | None) -> InputSchema | None:
    """The schema with every input optional: ``key=value`` gives only some, rows the rest."""
    if schema is None:
        return None
    return InputSchema([replace(field, required=False) for field in schema.fields.values()])


def _reference(model: str, output: Path) -> str:
    """The model to run: as given, or, resuming a batch of ``owner/name``, the version that
    batch ran (a version published since would not be the journal's)."""
    from replicate._journal import journal_model

    earlier = journal_model(output)
    if earlier is not None and ":" not in model and earlier.startswith(model + ":"):
        return earlier
    return model


def _resolved(target: Any) -> str:
    if target.route == "version" and target.owner and target.name and target.version_id:
        return f"{target.owner}/{target.name}:{target.version_id}"
    if target.route == "version" and target.version_id:
        return str(target.version_id)
    return f"{target.owner}/{target.name}"


# -- what the user sees -----------------------------------------------------------------------


class _PlainView:
    """A progress line every ``PLAIN_EVERY`` seconds, on stderr (not a terminal)."""

    def __init__(self, total: int | None) -> None:
        self._total = total
        self._started = self._last = time.monotonic()

    def __enter__(self) -> _PlainView:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, stats: BatchStats) -> None:
        now = time.monotonic()
        if now - self._last < PLAIN_EVERY:
            return
        self._last = now
        _say(_progress_line(stats, self._total, now - self._started))


class _LiveView(_PlainView):
    """A rich progress bar: done of total, failed, running, rate and time left."""

    def __init__(self, total: int | None) -> None:
        super().__init__(total)
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(
            BarColumn(),
            TextColumn(
                "{task.completed}/{task.total}" if total is not None else "{task.completed}"
            ),
            TextColumn(
                "[green]{task.fields[succeeded]} ok[/] [red]{task.fields[failed]} failed[/]"
            ),
            TextColumn("{task.fields[running]} running"),
            TextColumn("{task.fields[rate]}/min"),
            TimeRemainingColumn(),
            console=Console(file=sys.stderr),
            transient=True,
        )
        self._task = self._progress.add_task(
            "batch", total=total, succeeded=0, failed=0, running=0, rate="0"
        )

    def __enter__(self) -> _LiveView:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def update(self, stats: BatchStats) -> None:
        elapsed = max(time.monotonic() - self._started, 1e-6)
        self._progress.update(
            self._task,
            completed=stats.skipped + stats.done,
            succeeded=stats.succeeded,
            failed=stats.failed,
            running=stats.running,
            rate=f"{stats.done * 60 / elapsed:.0f}",
        )


def _view(total: int | None) -> _PlainView:
    try:
        from rich.console import Console
    except ImportError:
        return _PlainView(total)
    console = Console(file=sys.stderr)
    if console.is_terminal and not console.is_dumb_terminal:
        return _LiveView(total)
    return _PlainView(total)


def _progress_line(stats: BatchStats, total: int | None, elapsed: float) -> str:
    done = stats.skipped + stats.done
    of = f"/{total}" if total is not None else ""
    rate = stats.done * 60 / elapsed if elapsed > 0 else 0.0
    line = f"{done}{of} done ({stats.failed} failed), {stats.running} running, {rate:.0f}/min"
    if total is not None and stats.done and rate > 0:
        left = (total - done) / rate * 60
        line += f", about {_duration(left)} left"
    return line


def _summary(stats: BatchStats, output: Path, total: int | None) -> None:
    parts = [f"{stats.succeeded} succeeded", f"{stats.failed} failed"]
    if stats.skipped:
        parts.append(f"{stats.skipped} done before")
    if stats.resumed:
        parts.append(f"{stats.resumed} resumed")
    _say(", ".join(parts) + f"; results in {output}")
    for reason, count in sorted(stats.failures.items(), key=lambda item: -item[1]):
        _say(f"  {count} failed: {reason}")
    if stats.predict_time >= 0.1:  # below that, a line of noise
        _say(f"predict time: {_duration(stats.predict_time)} in all")
    if stats.throttled:
        _say(
            f"rate limited {stats.throttled} times: creates slowed to "
            f"{stats.per_minute:.0f} a minute"
        )


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
