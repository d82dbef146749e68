"""What the user sees on stderr while a prediction runs.

Three views, chosen by ``make_view``:

- ``LiveView`` (a terminal; needs rich, the ``cli`` extra): a spinner, the status and the
  elapsed time, redrawn in place, and a progress bar once the logs carry a tqdm-style line;
  it disappears when the prediction ends, leaving only the output.
- ``PlainView`` (stderr is a pipe or a file): one line per change of status.
- ``View`` (``--json``): nothing.

All three print the prediction's log lines as they arrive when asked to (``--logs``),
tqdm-style progress lines included (the live view draws its bar from them as well). The
model's output goes to stdout, never through a view.

Where stdout and stderr share a screen (a terminal, or ``2>&1``), streamed text may have left
the cursor mid-line when a log or status line comes: ``OutputLine`` knows, and the line is
put on a line of its own by a line break on stderr, so that stdout holds exactly the model's
text and no log line is cut into it.

Example::

    view = make_view(json_mode=False, show_logs=True)
    view.start("ufawqhfynnddngldkgtslldrkq", "replicate/hello-world")
    view.update("processing", "step 1\\n")
    view.stop("succeeded", "step 1\\nstep 2\\n")
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Any

from replicate.cli._errors import MissingExtra

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

__all__ = [
    "FINISHED",
    "LiveView",
    "OutputLine",
    "PlainView",
    "View",
    "log_lines",
    "make_view",
    "require_rich",
]

FINISHED = frozenset({"succeeded", "failed", "canceled", "aborted"})
"""Statuses a prediction does not leave; any other (a future one included) means "wait"."""


def require_rich(feature: str) -> None:
    """Raise ``MissingExtra`` (exit code 2) unless rich is installed."""
    try:
        import rich  # noqa: F401
    except ImportError:
        raise MissingExtra("cli", feature) from None


def make_view(*, json_mode: bool, show_logs: bool, line: OutputLine | None = None) -> View:
    """The view for this run: quiet for ``--json``, live on a terminal, plain otherwise."""
    line = line or OutputLine(shared=False)
    if json_mode:
        return View(show_logs=show_logs, line=line)
    from rich.console import Console

    console = Console(file=sys.stderr, highlight=False)
    if console.is_terminal and not console.is_dumb_terminal:
        return LiveView(console, show_logs=show_logs, line=line)
    return PlainView(show_logs=show_logs, line=line)


class OutputLine:
    """Whether streamed text left stdout mid-line on a screen that stderr shares.

    Example::

        line = OutputLine()
        line.wrote("Once upon a")  # to stdout
        sys.stderr.write(line.break_line() + "step 3\\n")  # on its own line
    """

    def __init__(self, *, shared: bool | None = None) -> None:
        self.shared = _stdout_shares_stderr() if shared is None else shared
        """stdout and stderr go to the same place (a terminal, a pipe, a file)."""
        self._mid_line = False

    def wrote(self, text: str) -> None:
        """``text`` was written to stdout."""
        if text:
            self._mid_line = not text.endswith("\n")

    def break_line(self) -> str:
        """What to write on stderr before a line of its own: a line break, or nothing."""
        if self.shared and self._mid_line:
            self._mid_line = False  # the cursor is at a line's start again
            return "\n"
        return ""


def _stdout_shares_stderr() -> bool:
    try:
        return os.path.samestat(os.fstat(sys.stdout.fileno()), os.fstat(sys.stderr.fileno()))
    except (OSError, ValueError, AttributeError):  # no file descriptor (captured, closed)
        return False


def log_lines(logs: str | None) -> list[str]:
    """The lines of ``logs`` as a terminal showed them (a tqdm bar's last redraw).

    >>> log_lines("loading\\n 50%|#####     | 1/2\\r100%|##########| 2/2\\n")
    ['loading', '100%|##########| 2/2']
    """
    if not logs:
        return []
    return [_last_drawn(line) for line in logs.removesuffix("\n").split("\n")]


def _last_drawn(line: str) -> str:
    # a tqdm bar redraws itself after carriage returns: keep what was drawn last
    drawn = [part for part in line.split("\r") if part]
    return drawn[-1] if drawn else ""


class _LogFollower:
    """The complete lines added to a prediction's logs since the last call."""

    def __init__(self) -> None:
        self._offset = 0

    def new_lines(self, logs: str | None, *, final: bool = False) -> list[str]:
        if not logs:
            return []
        if len(logs) < self._offset:  # the logs were replaced: start over
            self._offset = 0
        chunk = logs[self._offset :]
        if not final:
            end = chunk.rfind("\n")
            if end < 0:
                return []
            chunk = chunk[: end + 1]
        self._offset += len(chunk)
        return log_lines(chunk)


class View:
    """Shows nothing but the log lines, when ``show_logs`` (the view of ``--json``)."""

    def __init__(self, *, show_logs: bool, line: OutputLine | None = None) -> None:
        self.show_logs = show_logs
        self.line = line or OutputLine(shared=False)
        self._logs = _LogFollower()
        self._started = time.monotonic()
        self.id = ""
        self.label = ""
        self.status = ""

    def start(self, id: str, label: str) -> None:
        """The prediction is created: start showing it."""
        self.id, self.label = id, label
        self._started = time.monotonic()

    def update(self, status: str, logs: str | None) -> None:
        """The prediction as last fetched: its status and its logs so far."""
        self.status = status
        self._print_logs(self._logs.new_lines(logs))

    def pause(self) -> None:
        """Output is about to be written to stdout: clear anything drawn in place."""

    def stop(self, status: str, logs: str | None) -> None:
        """The prediction ended (or the wait was interrupted)."""
        self.status = status
        self._print_logs(self._logs.new_lines(logs, final=True))

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def _print_logs(self, lines: list[str]) -> None:
        if self.show_logs:
            for line in lines:
                self._log(line)

    def _log(self, line: str) -> None:
        sys.stderr.write(self.line.break_line() + line + "\n")
        sys.stderr.flush()


class PlainView(View):
    """One line on stderr per change of status, for logs and pipes."""

    def start(self, id: str, label: str) -> None:
        super().start(id, label)
        self._say(f"prediction {id} ({label}) created")

    def update(self, status: str, logs: str | None) -> None:
        if status != self.status and status not in FINISHED:  # stop() reports the end
            self._say(f"prediction {self.id}: {status}")
        super().update(status, logs)

    def stop(self, status: str, logs: str | None) -> None:
        super().stop(status, logs)
        self._say(f"prediction {self.id}: {status} after {self.elapsed:.1f}s")

    def _say(self, line: str) -> None:
        sys.stderr.write(self.line.break_line() + line + "\n")
        sys.stderr.flush()


_STATUS_STYLES = {
    "starting": "yellow",
    "processing": "cyan",
    "succeeded": "green",
    "failed": "red",
    "canceled": "red",
    "aborted": "red",
}


class LiveView(View):
    """A status line redrawn in place on a terminal: spinner, status, elapsed time, progress."""

    def __init__(
        self, console: Console, *, show_logs: bool, line: OutputLine | None = None
    ) -> None:
        super().__init__(show_logs=show_logs, line=line)
        from rich.live import Live
        from rich.spinner import Spinner

        self._console = console
        self._spinner = Spinner("dots", style="cyan")
        self._progress: Any = None  # a Prediction.Progress, once the logs show one
        self._live = Live(
            console=console,
            get_renderable=self._render,
            refresh_per_second=10,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._running = False

    def start(self, id: str, label: str) -> None:
        super().start(id, label)
        self.status = "starting"
        self._live.start()
        self._running = True

    def update(self, status: str, logs: str | None) -> None:
        from replicate.prediction import Prediction

        if logs:
            self._progress = Prediction.Progress.parse(logs) or self._progress
        super().update(status, logs)
        if self._running:
            self._live.refresh()

    def pause(self) -> None:
        if self._running:
            self._live.stop()
            self._running = False

    def stop(self, status: str, logs: str | None) -> None:
        self.pause()
        super().stop(status, logs)

    def _log(self, line: str) -> None:
        from rich.text import Text

        # progress lines too: the bar shows only the latest, the lines are the record
        if self.line.break_line():
            self._console.line()
        self._console.print(Text(line), soft_wrap=True)

    def _render(self) -> RenderableType:
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        grid = Table.grid(padding=(0, 1))
        cells: list[RenderableType] = [
            self._spinner,
            Text(self.label, style="bold"),
            Text(self.status, style=_STATUS_STYLES.get(self.status, "")),
            Text(f"{self.elapsed:.1f}s", style="dim"),
        ]
        progress = self._progress
        if progress is not None:
            cells.append(ProgressBar(total=progress.total, completed=progress.current, width=24))
            cells.append(Text(f"{progress.current}/{progress.total}", style="dim"))
        cells.append(Text(self.id, style="dim"))  # last: on a narrow terminal it is cut first
        grid.add_row(*cells)
        return grid
