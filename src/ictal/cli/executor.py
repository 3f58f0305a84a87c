"""``--executor``, ``--ray-address`` and ``--executor-config``: the options of every batch
command that can run on a cluster, and opening the executor they choose."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console

EXECUTOR_HELP = ("Where the work runs: local (this process, the default) or ray (a Ray "
                 "cluster; README, 'Scaling out').")
ADDRESS_HELP = ("Ray cluster: auto (the one `ray start --head` began on this machine), "
                "ray://HOST:PORT or HOST:PORT; default a new Ray instance on this machine. "
                "Implies --executor ray.")
CONFIG_HELP = ("YAML file whose executor: section sets kind, address, actors, gpus_per_actor, "
               "cpus_per_task, max_retries, ... (default $ICTAL_EXECUTOR_CONFIG); the flags "
               "win over it.")


def check_executor(value: str | None) -> str | None:
    if value is not None and value not in ("local", "ray"):
        raise typer.BadParameter(f"{value!r}: use local or ray")
    return value


def executor_option() -> Any:
    return typer.Option(None, "--executor", help=EXECUTOR_HELP, callback=check_executor)


def ray_address_option() -> Any:
    return typer.Option(None, "--ray-address", help=ADDRESS_HELP)


def executor_config_option() -> Any:
    return typer.Option(None, "--executor-config", help=CONFIG_HELP, exists=True,
                        dir_okay=False)


def open_cli_executor(executor: str | None, ray_address: str | None,
                      config_path: Path | None, console: Console | None = None) -> Any:
    """The executor the options choose, opened; on a cluster its description (and the Ray
    dashboard's address, when there is one) is printed."""
    from ictal.executor import open_executor
    from ictal.executor.config import resolve_executor_config

    ex = open_executor(resolve_executor_config(executor, ray_address, config_path))
    if not ex.config.is_local:
        (console or Console(stderr=True)).print(ex.describe(), markup=False, highlight=False,
                                                soft_wrap=True)
    return ex
