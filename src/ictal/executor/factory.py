"""Open the executor a config asks for."""

from __future__ import annotations

from ictal.executor.base import Executor
from ictal.executor.config import ExecutorConfig
from ictal.executor.local import LocalExecutor


def open_executor(config: ExecutorConfig | None = None) -> Executor:
    """A :class:`~ictal.executor.local.LocalExecutor` or a
    :class:`~ictal.executor.ray_backend.RayExecutor` (Ray imported only then)."""
    config = config or ExecutorConfig()
    if config.is_local:
        return LocalExecutor(config)
    from ictal.executor.ray_backend import RayExecutor

    return RayExecutor(config)
