"""The Ray executor: tasks on a Ray cluster, actor pools of Ray actors.

* Tasks are Ray tasks with ``max_retries`` and ``retry_exceptions=False``: when the worker
  process running one dies (killed, out of memory, its node lost) Ray runs it again on another
  worker, up to ``max_retries`` times; when the task *raises*, it is not retried — its item is
  reported as failed, as the local executor reports it. Task functions write nothing but
  complete files (atomic renames), so a retried task neither loses nor duplicates anything.
* Actors are Ray actors restarted (``max_restarts``) with their calls retried
  (``max_task_retries``) when their process dies; they hold ``gpus_per_actor`` GPUs.
* At most ``max_in_flight`` tasks are submitted ahead of the finished ones.

Ray is imported only here, when a command asks for ``--executor ray`` (the ``ray`` extra).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ictal.errors import ConfigError
from ictal.executor.base import ActorPool, Executor, Outcome, TaskSpec
from ictal.executor.config import ExecutorConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Failed:
    """A task's listed error, sent back as text: many exception types do not survive pickling
    (keyword-only arguments), and a returned value is never retried."""

    message: str


def _call(catch: tuple[type[BaseException], ...], fn: Any, *args: Any, **kwargs: Any) -> Any:
    """What a Ray worker runs: the task's function on its arguments (object-store handles
    among them, from :meth:`RayExecutor.put`, arrive resolved)."""
    try:
        return fn(*args, **kwargs)
    except catch as err:
        return _Failed(str(err))


class RayActorPool(ActorPool):
    """Ray actors of one class; each call goes to one of them (chosen at random, so that the
    tasks of many recordings spread over the pool and an actor can batch their windows)."""

    def __init__(self, handles: list[Any]) -> None:
        self.handles = handles
        self.size = len(handles)

    def call(self, method: str, *args: Any) -> Any:
        import ray

        handle = random.choice(self.handles)
        return ray.get(getattr(handle, method).remote(*args))

    def stats(self) -> list[dict[str, Any]]:
        import ray

        return list(ray.get([h.stats.remote() for h in self.handles]))


class RayExecutor(Executor):
    """Runs tasks and actors on the Ray cluster of ``config.address`` (see
    :class:`~ictal.executor.config.ExecutorConfig`); joins one this process already has."""

    kind = "ray"

    def __init__(self, config: ExecutorConfig) -> None:
        try:
            import ray
        except ImportError as err:
            raise ConfigError("--executor ray needs Ray, which is not installed",
                              hint="pip install 'ictal[ray]' (or use --executor local)") from err
        self.config = config
        self._owned = False
        self._dashboard: str | None = None
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"logging_level": logging.WARNING,
                                      "configure_logging": True}
            if config.address is None:
                kwargs["num_cpus"] = config.num_cpus
            else:
                kwargs["address"] = config.address
            try:
                context = ray.init(**kwargs)
            except (ConnectionError, RuntimeError, ValueError) as err:
                raise ConfigError(
                    f"cannot reach the Ray cluster at {config.address or 'a new local one'}: "
                    f"{err}", hint="start it first (`ray start --head` on its head node; "
                    "docs/scaling.md), check --ray-address, or use --executor local") from err
            self._owned = True
            self._dashboard = getattr(context, "dashboard_url", None) or None
        resources = ray.cluster_resources()
        self._cpus = float(resources.get("CPU", 0.0))
        self._gpus = float(resources.get("GPU", 0.0))

    @property
    def workers(self) -> int:
        per_task = self.config.cpus_per_task or 1.0
        return max(1, int(self._cpus // per_task))

    @property
    def gpus(self) -> float:
        return self._gpus

    @property
    def dashboard_url(self) -> str | None:
        if self._dashboard and not self._dashboard.startswith("http"):
            return f"http://{self._dashboard}"
        return self._dashboard

    def describe(self) -> str:
        where = self.config.address or "a local Ray instance"
        text = (f"ray executor on {where}: {self._cpus:g} CPU(s), {self._gpus:g} GPU(s), "
                f"{self.workers} task slot(s)")
        return text + (f"; dashboard {self.dashboard_url}" if self.dashboard_url else "")

    def put(self, obj: Any) -> Any:
        import ray

        return ray.put(obj)

    def run(self, tasks: Sequence[TaskSpec], *, catch: tuple[type[BaseException], ...],
            cpus: float | None = None) -> Iterator[Outcome]:
        import ray
        from ray.exceptions import (
            NodeDiedError,
            OutOfMemoryError,
            RayError,
            RayTaskError,
            WorkerCrashedError,
        )

        remote = ray.remote(
            num_cpus=self.config.cpus_per_task if cpus is None else cpus,
            max_retries=self.config.max_retries, retry_exceptions=False)(_call)
        window = self.config.max_in_flight or max(2 * self.workers, 2)
        queue = list(tasks)
        queue.reverse()
        pending: dict[Any, str] = {}
        while queue or pending:
            while queue and len(pending) < window:
                task = queue.pop()
                named = remote.options(name=f"ictal:{task.fn.__name__}")
                ref = named.remote(catch, task.fn, *task.args, **task.kwargs)
                pending[ref] = task.key
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                key = pending.pop(ref)
                try:
                    value = ray.get(ref)
                except RayTaskError as err:
                    cause = err.cause if err.cause is not None else err
                    if isinstance(cause, catch):
                        yield Outcome(key, error=str(cause))
                    elif isinstance(cause, RayError):  # e.g. an actor it called was lost
                        yield Outcome(key, error=f"{type(cause).__name__}: {cause}")
                    else:
                        raise cause from err
                    continue
                except (WorkerCrashedError, OutOfMemoryError, NodeDiedError) as err:
                    # the worker died more than max_retries times
                    yield Outcome(key, error=(
                        f"its worker died {self.config.max_retries + 1} time(s) "
                        f"({type(err).__name__}); not retried further"))
                    continue
                except RayError as err:
                    first = (str(err).strip().splitlines() or [""])[0]
                    yield Outcome(key, error=f"{type(err).__name__}: {first}")
                    continue
                if isinstance(value, _Failed):
                    yield Outcome(key, error=value.message)
                else:
                    yield Outcome(key, value)

    def actor_pool(self, cls: type, args: tuple[Any, ...] = (), *, size: int | None = None,
                   gpus: float | None = None, cpus: float | None = None) -> ActorPool:
        import ray

        gpus = self.actor_gpus() if gpus is None else gpus
        if size is None:
            size = self.config.actors or (max(1, int(self._gpus // gpus)) if gpus else 1)
        if gpus and gpus * size > self._gpus:
            raise ConfigError(f"{size} actor(s) x {gpus:g} GPU(s) but the cluster has "
                              f"{self._gpus:g} GPU(s)", hint="lower actors or gpus_per_actor")
        remote = ray.remote(cls).options(
            num_cpus=self.config.cpus_per_actor if cpus is None else cpus, num_gpus=gpus,
            max_restarts=self.config.max_retries, max_task_retries=self.config.max_retries)
        handles = [remote.remote(*args) for _ in range(size)]
        log.info("%d %s actor(s), %g GPU(s) each", size, cls.__name__, gpus)
        return RayActorPool(handles)

    def close(self) -> None:
        if self._owned:
            import ray

            ray.shutdown()
            self._owned = False
