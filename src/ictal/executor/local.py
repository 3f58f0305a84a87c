"""The local executor: every task in this process, one after the other (the default).

Exactly what the commands did before executors existed: same order, same process, same files.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import weakref
from collections.abc import Iterator, Sequence
from typing import Any

from ictal.executor.base import ActorPool, Executor, Outcome, TaskSpec
from ictal.executor.config import ExecutorConfig


def _serve(loop: asyncio.AbstractEventLoop) -> None:
    """Run ``loop`` until it is stopped, then close it."""
    try:
        loop.run_forever()
    finally:
        loop.close()


class LocalActorPool(ActorPool):
    """One instance of the actor class, made on first use, in this process.

    Its ``async`` methods run on the pool's own event loop, in a thread of its own, as a Ray
    async actor's run on the actor's loop: one loop for all calls (the actor's timers and
    futures live on it), and the caller's thread may itself run a loop (a notebook, a server).
    """

    def __init__(self, cls: type, args: tuple[Any, ...]) -> None:
        self.size = 1
        self._cls, self._args = cls, args
        self._instance: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def call(self, method: str, *args: Any) -> Any:
        if self._instance is None:
            self._instance = self._cls(*self._args)
        result = getattr(self._instance, method)(*args)
        return self._await(result) if inspect.isawaitable(result) else result

    def _await(self, awaitable: Any) -> Any:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            threading.Thread(target=_serve, args=(self._loop,), name="ictal-local-actor",
                             daemon=True).start()
            # the loop (and its thread) ends with the pool
            weakref.finalize(self, self._loop.call_soon_threadsafe, self._loop.stop)

        async def wait() -> Any:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wait(), self._loop).result()

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
