"""Where batch work runs: in this process (``local``, the default) or on a Ray cluster (``ray``).

The stages (preprocess, features, keypoints, evaluation) describe their work as independent
*tasks* keyed by a name (a recording, a fold, a trial) and, for backbone inference, an *actor
pool* of long-lived workers that load the weights once. An :class:`Executor` runs them and
hands back each task's :class:`Outcome` as it finishes; the stage writes the results, so the
files are the same whichever executor ran the work.

* :mod:`ictal.executor.config` — :class:`ExecutorConfig`: ``--executor``, ``--ray-address``
  and the ``executor:`` section of a config file.
* :mod:`ictal.executor.base` — the executor contract, outcomes, per-stage throughput.
* :mod:`ictal.executor.local` — sequential, in this process.
* :mod:`ictal.executor.driver` — :func:`run_and_write`: a stage's tasks run, their results
  written by this process as they arrive, every item reported.
* :mod:`ictal.executor.ray_backend` — Ray tasks (retried when their worker dies, never when
  they raise) and Ray actors (restarted when they die).

Core layer: imports nothing of ictal above the core modules, so every stage may use it.
"""

from ictal.executor.base import ActorPool, Executor, Outcome, TaskSpec, Throughput
from ictal.executor.config import EXECUTORS, ExecutorConfig, load_executor_config
from ictal.executor.driver import run_and_write
from ictal.executor.factory import open_executor

__all__ = ["EXECUTORS", "ActorPool", "Executor", "ExecutorConfig", "Outcome", "TaskSpec",
           "Throughput", "load_executor_config", "open_executor", "run_and_write"]
