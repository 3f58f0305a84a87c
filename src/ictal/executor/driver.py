"""The driver's side of a batch stage: run its tasks, write each result here as it arrives,
report every item in the tasks' order.

Shared by ``ictal preprocess``, ``ictal keypoints`` and ``ictal extract``: their tasks compute
and write nothing, this process alone writes (atomically), so the files are the same whichever
executor ran the work and a killed run resumes from what was written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ictal.batch import BatchReport
from ictal.executor.base import Executor, TaskSpec
from ictal.progress import make_progress


def run_and_write(executor: Executor, tasks: Sequence[TaskSpec],
                  write: Callable[[str, Any], None], *, catch: tuple[type[BaseException], ...],
                  report: BatchReport, label: str = "", show_progress: bool = False,
                  on_item: Callable[[str], None] | None = None) -> None:
    """Run ``tasks`` on ``executor`` and call ``write(key, value)`` here on each task's value
    as it arrives.

    Each item goes into ``report`` in the tasks' order, whatever order they finish in: done
    once written; failed when its task or its ``write`` raised one of ``catch`` (or its worker
    died too often; logged as it arrives). Any other exception stops the run.

    Args:
        label: the progress bar's text (shown when ``show_progress``).
        on_item: called with each item's key once it is done or failed.
    """
    arrived = BatchReport(report.job)
    with make_progress(disable=not show_progress) as bar:
        bar_task = bar.add_task(label, total=len(tasks))
        for outcome in executor.run(tasks, catch=catch):
            error = outcome.error
            if error is None:
                try:
                    write(outcome.key, outcome.value)
                except catch as err:
                    error = str(err)
            if error is None:
                arrived.ok(outcome.key)
            else:
                arrived.failed(outcome.key, error)
            bar.advance(bar_task)
            if on_item is not None:
                on_item(outcome.key)
    order = {task.key: i for i, task in enumerate(tasks)}
    report.succeeded.extend(sorted(arrived.succeeded, key=order.__getitem__))
    report.failures.extend(sorted(arrived.failures, key=lambda f: order[f[0]]))
