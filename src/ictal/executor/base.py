"""The executor contract: tasks in, outcomes out (in completion order), actor pools.

A *task* is a module-level function and its arguments, named by a key (a recording id, a
fold, a trial). It must be a pure function of its arguments or write its results atomically:
a Ray task whose worker dies is run again from the start. An *outcome* carries the task's
value, or the error that made its item fail; errors of the types the stage names (its usual
input errors) and a worker that died more than ``max_retries`` times become failed outcomes,
any other exception (a bug) stops the run as it would locally.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ictal.executor.config import ExecutorConfig


@dataclass(frozen=True)
class TaskSpec:
    """One unit of work: ``fn(*args, **kwargs)`` for the item ``key``."""

    key: str
    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What became of a task: its ``value``, or the ``error`` message of a failed item."""

    key: str
    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class ActorPool(ABC):
    """Long-lived workers holding state (a backbone's weights), called by method name.

    Picklable: a pool can be handed to tasks, which call it from their workers.
    """

    size: int

    @abstractmethod
    def call(self, method: str, *args: Any) -> Any:
        """Run ``method(*args)`` on one of the pool's actors and return its result."""

    def stats(self) -> list[dict[str, Any]]:
        """Per actor: what its ``stats`` method reports (empty when it has none)."""
        return []


class Executor(ABC):
    """Runs tasks and actor pools; use it as a context manager (closed at the end)."""

    kind: str
    config: ExecutorConfig

    @property
    @abstractmethod
    def workers(self) -> int:
        """Tasks that can run at the same time."""

    @property
    def gpus(self) -> float:
        """GPUs of the cluster (0 locally: the local executor runs where the command runs)."""
        return 0.0

    def actor_gpus(self) -> float:
        """GPUs each actor of :meth:`actor_pool` holds by default (``gpus_per_actor``, or 1
        on a cluster with GPUs, else 0)."""
        if self.config.gpus_per_actor is not None:
            return self.config.gpus_per_actor
        return 1.0 if self.gpus >= 1 else 0.0

    def describe(self) -> str:
        """One line: where the work runs."""
        return f"{self.kind} executor, {self.workers} worker(s)"

    @property
    def dashboard_url(self) -> str | None:
        """The Ray dashboard, when there is one."""
        return None

    def put(self, obj: Any) -> Any:
        """A handle to pass ``obj`` to many tasks (copied once into the object store)."""
        return obj

    @abstractmethod
    def run(self, tasks: Sequence[TaskSpec], *, catch: tuple[type[BaseException], ...],
            cpus: float | None = None) -> Iterator[Outcome]:
        """Run ``tasks``; yield each one's :class:`Outcome` as it finishes.

        Args:
            catch: exception types that make an item fail (reported) instead of stopping the
                run.
            cpus: CPUs each task reserves (default ``config.cpus_per_task``).
        """

    @abstractmethod
    def actor_pool(self, cls: type, args: tuple[Any, ...] = (), *, size: int | None = None,
                   gpus: float | None = None, cpus: float | None = None) -> ActorPool:
        """A pool of ``size`` instances of ``cls(*args)`` (defaults from the config: one per
        GPU on a GPU cluster, each holding ``gpus_per_actor`` GPUs)."""

    def close(self) -> None:  # noqa: B027 - nothing to release by default
        """Release what the executor started."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Throughput:
    """Per stage: items done and the seconds spent on them, summed over workers.

    ``rate`` is items per worker-second (one worker's speed); the run's overall rate is the
    items over the wall-clock time, printed by :meth:`lines`.
    """

    stages: dict[str, list[float]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    def add(self, stage: str, items: float, seconds: float, unit: str = "items") -> None:
        row = self.stages.setdefault(stage, [0.0, 0.0])
        row[0] += items
        row[1] += seconds
        self.units[stage] = unit

    def add_all(self, stats: dict[str, tuple[float, float, str]]) -> None:
        """Add a task's ``{stage: (items, seconds, unit)}``."""
        for stage, (items, seconds, unit) in stats.items():
            self.add(stage, items, seconds, unit)

    def rate(self, stage: str) -> float | None:
        items, seconds = self.stages.get(stage, (0.0, 0.0))
        return items / seconds if seconds > 0 else None

    def lines(self, wall_seconds: float | None = None) -> list[str]:
        """``stage: N unit in S worker-s (R unit/s per worker)`` per stage, and the whole
        run's wall-clock rate of the first stage's unit."""
        wall = wall_seconds if wall_seconds is not None else time.perf_counter() - self.started
        out = []
        for stage, (items, seconds) in self.stages.items():
            unit = self.units.get(stage, "items")
            rate = f"{items / seconds:.1f} {unit}/s per worker" if seconds > 0 else "-"
            out.append(f"{stage}: {items:g} {unit} in {seconds:.1f} worker-s ({rate})")
        if self.stages:
            first = next(iter(self.stages))
            items = self.stages[first][0]
            out.append(f"wall clock: {wall:.1f} s, {items / wall if wall > 0 else 0:.1f} "
                       f"{self.units.get(first, 'items')}/s overall")
        return out
