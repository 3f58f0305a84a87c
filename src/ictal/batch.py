"""Batch jobs: record each failed item, go on, end with a summary and a non-zero exit code."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class BatchReport:
    """Outcome of a batch job over named items (recordings, videos, manifest rows).

    Use :meth:`ok`, :meth:`skipped` and :meth:`failed` as the job goes; :attr:`exit_code` is 0
    only when nothing failed.
    """

    job: str
    succeeded: list[str] = field(default_factory=list)
    skipped_items: list[tuple[str, str]] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    #: lines printed under the counts (e.g. a cluster run's throughput per stage)
    notes: list[str] = field(default_factory=list)

    def ok(self, item: str) -> None:
        self.succeeded.append(item)

    def skipped(self, item: str, reason: str) -> None:
        self.skipped_items.append((item, reason))

    def failed(self, item: str, error: BaseException | str) -> None:
        message = str(error)
        self.failures.append((item, message))
        log.error("%s: %s failed: %s", self.job, item, message)

    @property
    def exit_code(self) -> int:
        return 1 if self.failures else 0

    def summary(self) -> str:
        """One paragraph naming every failed item and why."""
        head = (
            f"{self.job}: {len(self.succeeded)} done, {len(self.skipped_items)} skipped, "
            f"{len(self.failures)} failed"
        )
        lines = [head, *(f"  {note}" for note in self.notes)]
        lines += [f"  FAILED {item}: {msg}" for item, msg in self.failures]
        return "\n".join(lines)
