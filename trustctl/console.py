"""Progress on stderr: a rich progress bar on a terminal, plain lines otherwise (CI logs)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn


class StderrProgress:
    """Implements collectors.base.Progress; use as a context manager around a collection."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._lock = threading.Lock()
        self._done = 0
        self._total = 0
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> StderrProgress:
        if self._tty:
            self._bar = Progress(
                TextColumn("collecting"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(file=self._stream),
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("", total=0)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(exc_type, exc, tb)

    def add(self, total: int) -> None:
        with self._lock:
            self._total += total
            if self._bar is not None and self._task is not None:
                self._bar.update(self._task, total=self._total)

    def advance(self, label: str) -> None:
        with self._lock:
            self._done += 1
            if self._bar is not None and self._task is not None:
                self._bar.update(self._task, advance=1, description=label)
            else:
                print(f"[{self._done}/{self._total}] collected {label}", file=self._stream, flush=True)


def stage_printer(command: str = "packet", stream: TextIO | None = None) -> Callable[[str], None]:
    """A callback that prints each stage of a long command on stderr, with the seconds since the first:
    `packet [  3.1 s] typesetting packet.html and packet.pdf`."""
    out = stream or sys.stderr
    started = time.monotonic()

    def stage(text: str) -> None:
        print(f"{command} [{time.monotonic() - started:5.1f} s] {text}", file=out, flush=True)

    return stage
