"""Progress told in lines, for a log: where stderr is not a terminal, Rich's bars draw nothing, and a
long step (a world loading, an import, a resolution run) would leave the log silent for minutes.

`ProgressLines` takes the calls a Rich `Progress` takes from the commands (`add_task`, `update`,
`advance`, used as a context manager). Once the work has gone on for `quiet` seconds (a quick command
stays one line of result), it writes one line when the work passes each tenth of its total, when its
step changes, or every `seconds` otherwise, and a last line when it ends.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO, Any

from rich.progress import TaskID


@dataclass
class _Task:
    description: str
    total: float | None
    completed: float = 0.0
    told_tenth: int = 0
    told: bool = False
    told_at: float = field(default=0.0)
    started: float = field(default=0.0)


class ProgressLines:
    """Progress of one command as lines on `stream` (stderr by default)."""

    def __init__(self, label: str, *, quiet: float = 10.0, seconds: float = 5.0, stream: IO[str] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.label = label
        self.quiet = quiet
        self.seconds = seconds
        self.stream = stream
        self.clock = clock
        self.tasks: dict[TaskID, _Task] = {}

    def __enter__(self) -> ProgressLines:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is not None:
            return
        for task in self.tasks.values():
            if task.told and (task.total is None or task.completed < task.total or task.told_tenth < 10):
                self._tell(task, done=True)

    def add_task(self, description: str, total: float | None = None, **_fields: Any) -> TaskID:
        """Start following a piece of work of `total` units (unknown: None); its id."""
        now = self.clock()
        task_id = TaskID(len(self.tasks))
        self.tasks[task_id] = _Task(description, total, told_at=now, started=now)
        return task_id

    def update(self, task_id: TaskID, *, total: float | None = None, completed: float | None = None,
               advance: float | None = None, description: str | None = None, **_fields: Any) -> None:
        """Move a task on, as Rich's `Progress.update`; tell it when a line is due."""
        task = self.tasks[task_id]
        step_changed = description is not None and description != task.description
        if description is not None:
            task.description = description
        if total is not None:
            task.total = total
        if completed is not None:
            task.completed = completed
        if advance is not None:
            task.completed += advance
        now = self.clock()
        if now - task.started < self.quiet:
            return
        tenth = self._tenth(task)
        if not task.told or step_changed or (tenth is not None and tenth > task.told_tenth) \
                or now - task.told_at >= self.seconds:
            self._tell(task)

    def advance(self, task_id: TaskID, advance: float = 1) -> None:
        """Add `advance` units done to a task."""
        self.update(task_id, advance=advance)

    @staticmethod
    def _tenth(task: _Task) -> int | None:
        if not task.total:
            return None
        return min(10, int(10 * task.completed / task.total))

    def _tell(self, task: _Task, done: bool = False) -> None:
        now = self.clock()
        tenth = self._tenth(task)
        if tenth is not None:
            task.told_tenth = tenth
        task.told_at = now
        task.told = True
        step = f" {task.description}" if task.description else ""
        if task.total:
            percent = int(100 * task.completed / task.total)  # rounded down: 100% only when done
            amount = f"{percent}% ({task.completed:,.0f} of {task.total:,.0f})"
        else:
            amount = f"{task.completed:,.0f}"
        ending = "done, " if done else ""
        stream = self.stream or sys.stderr
        print(f"{self.label}{step}: {amount}, {ending}{now - task.started:.0f} s", file=stream, flush=True)
