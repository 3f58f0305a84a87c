"""run_and_write: results written here as they arrive, every item reported once."""

from __future__ import annotations

from typing import Any

import pytest

from ictal.batch import BatchReport
from ictal.executor import TaskSpec, run_and_write
from ictal.executor.local import LocalExecutor


def _square(x: int) -> int:
    if x == 2:
        raise ValueError("two is bad")
    return x * x


def test_writes_values_and_reports_task_and_write_failures() -> None:
    written: dict[str, Any] = {}
    seen: list[str] = []

    def write(key: str, value: int) -> None:
        if value == 9:
            raise OSError("disk full")
        written[key] = value

    report = BatchReport("job")
    report.skipped("s", "done before")
    tasks = [TaskSpec(str(i), _square, (i,)) for i in range(5)]
    run_and_write(LocalExecutor(), tasks, write, catch=(ValueError, OSError), report=report,
                  on_item=seen.append)
    assert written == {"0": 0, "1": 1, "4": 16}
    assert report.succeeded == ["0", "1", "4"]
    assert report.failures == [("2", "two is bad"), ("3", "disk full")]
    assert report.skipped_items == [("s", "done before")] and report.exit_code == 1
    assert seen == ["0", "1", "2", "3", "4"]


def test_an_unlisted_error_in_write_stops_the_run() -> None:
    def write(key: str, value: int) -> None:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError, match="a bug"):
        run_and_write(LocalExecutor(), [TaskSpec("1", _square, (1,))], write,
                      catch=(ValueError,), report=BatchReport("job"))
