"""The local executor: every task in this process, one after the other (the default).

Exactly what the commands did before executors existed: same order, same process, same files.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ictal.executor.base import ActorPool, Executor, Outcome, TaskSpec
from ictal.executor.config import ExecutorConfig


def _wait(awaitable: Any) -> Any:
    """The result of ``awaitable``, run on a fresh event loop — in a helper thread when this
    thread already runs one (a caller inside async code, e.g. a notebook or a server)."""

    async def wait() -> Any:
        return await awaitable

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(wait())
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, wait()).result()


class LocalActorPool(ActorPool):
    """One instance of the actor class, made on first use, in this process."""

    def __init__(self, cls: type, args: tuple[Any, ...]) -> None:
        self.size = 1
        self._cls, self._args = cls, args
        self._instance: Any = None

    def call(self, method: str, *args: Any) -> Any:
        if self._instance is None:
            self._instance = self._cls(*self._args)
        result = getattr(self._instance, method)(*args)
        return _wait(result) if inspect.isawaitable(result) else result

    def stats(self) -> list[dict[str, Any]]:
        if self._instance is None or not hasattr(self._instance, "stats"):
            return []
        return [self.call("stats")]


class LocalExecutor(Executor):
    """Runs tasks in order in this process."""

    kind = "local"

    def __init__(self, config: ExecutorConfig | None = None) -> None:
        self.config = config or ExecutorConfig()

    @property
    def workers(self) -> int:
        return 1

    def run(self, tasks: Sequence[TaskSpec], *, catch: tuple[type[BaseException], ...],
            cpus: float | None = None) -> Iterator[Outcome]:
        for task in tasks:
            try:
                value = task.fn(*task.args, **task.kwargs)
            except catch as err:
                yield Outcome(task.key, error=str(err))
                continue
            yield Outcome(task.key, value)

    def actor_pool(self, cls: type, args: tuple[Any, ...] = (), *, size: int | None = None,
                   gpus: float | None = None, cpus: float | None = None) -> ActorPool:
        return LocalActorPool(cls, args)
