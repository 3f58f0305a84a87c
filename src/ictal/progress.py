"""Progress bars for long work (rich), quiet when output is not a terminal unless forced."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

T = TypeVar("T")


def make_progress(*, transient: bool = False, disable: bool = False) -> Progress:
    """A rich ``Progress`` with count, elapsed time and ETA columns."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        transient=transient,
        disable=disable,
    )


def track(items: Iterable[T], description: str, total: int | None = None,
          *, disable: bool = False) -> Iterator[T]:
    """Iterate ``items`` showing a progress bar with an ETA."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with make_progress(disable=disable) as progress:
        task = progress.add_task(description, total=total)
        for item in items:
            yield item
            progress.advance(task)
