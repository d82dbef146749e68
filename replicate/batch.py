"""Batch runs: one model over many inputs, paced, resumable, results as they finish.

``client.run_batch(ref, rows, journal="results.jsonl")`` (``replicate.run_batch`` on the
default client) creates a prediction per row at the account's rate limit, waits for them
through the predictions list, and yields a ``BatchResult`` for each row as it finishes;
``async_run_batch`` is its asyncio twin. With a journal, a rerun of the same call after a
crash, ``kill -9`` or Ctrl-C creates no prediction twice: see ``replicate._batch`` for every
rule.

Example::

    import replicate
    from replicate.batch import Row

    rows = ({"text": name} for name in ("Alice", "Bob", "Carol"))
    for result in replicate.run_batch("replicate/hello-world", rows, journal="results.jsonl"):
        print(result.key, result.status, result.output)  # 1 succeeded hello Alice ...
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DEFAULT_CONCURRENCY", "BatchResult", "BatchStats", "Row"]

DEFAULT_CONCURRENCY = 200
"""Rows in flight at most (being created, running, or having their files saved), by default."""


@dataclass(frozen=True)
class Row:
    """One input row with a key of its own (a file name, an id column); plain mappings get
    their 1-based position as their key.

    Example::

        Row("cat.png", {"image": Path("photos/cat.png")})
    """

    key: str | int
    """What the row's result carries to tell it apart; unique in the batch."""

    input: Mapping[str, Any]
    """The model's input, as ``run`` takes it (``Path``s and open files are file inputs)."""


@dataclass
class BatchResult:
    """What became of one row: written to the journal as ``to_json()`` gives it.

    Example::

        for result in replicate.run_batch("replicate/hello-world", rows):
            if result.status != "succeeded":
                print(result.key, result.error)
    """

    key: str | int
    """The row's key (or its line number)."""

    id: str | None
    """The prediction's ID (None when the create was rejected: bad input)."""

    status: str
    """``succeeded``, ``failed``, ``canceled`` or ``aborted`` (``failed`` for a rejected
    create too)."""

    output: Any = None
    """The output (with ``output_dir``: the saved files' paths in place of their URLs)."""

    error: str | None = None
    """The prediction's error, or why its create was rejected."""

    metrics: dict[str, Any] | None = None
    """The prediction's metrics (``predict_time``, ...)."""

    def to_json(self) -> dict[str, Any]:
        """The row of the results file.

        Example::

            json.dumps(result.to_json())
        """
        return {
            "key": self.key,
            "id": self.id,
            "status": self.status,
            "output": self.output,
            "error": self.error,
            "metrics": self.metrics,
        }


@dataclass
class BatchStats:
    """A batch's counts as it runs (read them between results: the progress of a batch).

    Example::

        batch = client.run_batch("replicate/hello-world", rows)
        for result in batch:
            print(batch.stats.succeeded, batch.stats.running, batch.stats.per_minute)
    """

    per_minute: float
    """The pace of creates now (lower than asked after 429s, until it recovers)."""

    skipped: int = 0
    """Rows finished by an earlier run of the same journal, not run again."""

    resumed: int = 0
    """Predictions created by an earlier run and waited for by this one."""

    created: int = 0
    """Predictions created by this run."""

    running: int = 0
    """Rows in flight: being created, running, or having their files saved."""

    succeeded: int = 0
    failed: int = 0
    """Rows that ended otherwise (failed, canceled, aborted, or rejected)."""

    throttled: int = 0
    """429s answered to creates (each waited out, its row sent again)."""

    predict_time: float = 0.0
    """Seconds of ``metrics.predict_time``, added up over the rows finished by this run."""

    wait_requests: int = 0
    """Requests spent waiting for predictions (list pages and single fetches)."""

    failures: dict[str, int] = field(default_factory=dict)
    """Rows that did not succeed, by error (first line)."""

    @property
    def done(self) -> int:
        """Rows finished by this run."""
        return self.succeeded + self.failed
