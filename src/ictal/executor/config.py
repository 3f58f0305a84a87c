"""How a batch command runs its work: :class:`ExecutorConfig`.

Chosen by ``--executor local|ray`` and ``--ray-address``, or by a YAML file (``--executor-config
FILE``, or the file named by ``$ICTAL_EXECUTOR_CONFIG``) whose ``executor:`` section — or whole
content — sets the fields below, e.g. one file for a cluster that every command reads::

    executor:
      kind: ray
      address: ray://head.emu.local:10001   # or auto: the cluster `ray start` began here
      actors: 4                              # backbone inference actors
      gpus_per_actor: 1
      max_retries: 3

Flags given on the command line win over the file; without either, work runs locally.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from ictal.errors import ConfigError

#: The executors a command accepts (``--executor``).
EXECUTORS = ("local", "ray")
#: Environment variable naming a default executor config file.
CONFIG_ENV = "ICTAL_EXECUTOR_CONFIG"

_ADDRESS = re.compile(r"^(auto|ray://[^\s:/]+:\d+|[^\s:/]+:\d+)$")


@dataclass(frozen=True)
class ExecutorConfig:
    """Where and how batch work runs.

    Attributes:
        kind: ``local`` (this process, one item after the other: the default) or ``ray``.
        address: the Ray cluster: ``None`` starts a private one on this machine (its CPUs,
            ``num_cpus``), ``auto`` joins the cluster ``ray start --head`` began on this machine,
            ``ray://HOST:PORT`` connects through the Ray client, ``HOST:PORT`` to a head's GCS.
        num_cpus: CPUs of a private cluster (``address`` ``None``); default all of them.
        actors: backbone inference actors (each loads the weights once); default one per GPU
            of the cluster, or 1 on a cluster without GPUs.
        gpus_per_actor: GPUs each inference actor holds; default 1 when the cluster has GPUs,
            else 0 (the actors run on CPUs).
        cpus_per_task: CPUs reserved by each decode / crop / fold task.
        cpus_per_actor: CPUs reserved by each inference actor.
        max_retries: times a task whose worker process died (killed, out of memory, node lost)
            is run again, and an actor restarted; a task that *raises* is never retried: its
            item is reported as failed.
        max_in_flight: tasks submitted ahead of the finished ones (default: twice the
            cluster's task slots), which bounds the memory of queued results and the work a
            killed driver loses.
    """

    kind: Literal["local", "ray"] = "local"
    address: str | None = None
    num_cpus: int | None = None
    actors: int | None = None
    gpus_per_actor: float | None = None
    cpus_per_task: float = 1.0
    cpus_per_actor: float = 1.0
    max_retries: int = 3
    max_in_flight: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in EXECUTORS:
            raise ConfigError(f"unknown executor {self.kind!r}",
                              hint=f"use one of {', '.join(EXECUTORS)}")
        if self.address is not None and not _ADDRESS.match(self.address):
            raise ConfigError(f"Ray address {self.address!r} is not auto, ray://HOST:PORT or "
                              "HOST:PORT", hint="e.g. --ray-address auto, or "
                              "--ray-address ray://head:10001")
        for name in ("num_cpus", "actors", "max_in_flight"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ConfigError(f"executor {name} must be at least 1, not {value}")
        for name in ("gpus_per_actor", "cpus_per_task", "cpus_per_actor"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ConfigError(f"executor {name} must not be negative, not {value}")
        if self.max_retries < 0:
            raise ConfigError(f"executor max_retries must be >= 0, not {self.max_retries}")

    @property
    def is_local(self) -> bool:
        return self.kind == "local"

    def with_flags(self, executor: str | None = None,
                   ray_address: str | None = None) -> ExecutorConfig:
        """This config with the command line's ``--executor`` / ``--ray-address`` over it
        (``--ray-address`` alone implies ``--executor ray``)."""
        kind = executor or ("ray" if ray_address is not None else self.kind)
        if ray_address is not None and kind != "ray":
            raise ConfigError(f"--ray-address {ray_address} with --executor {kind}",
                              hint="drop --ray-address, or use --executor ray")
        return replace(self, kind=kind,  # type: ignore[arg-type]
                       address=ray_address if ray_address is not None else self.address)


def config_from_mapping(data: dict[str, Any], *, source: str) -> ExecutorConfig:
    """An :class:`ExecutorConfig` from a mapping (a YAML file's ``executor:`` section).

    Raises:
        ConfigError: unknown keys or bad values, naming ``source`` and the key.
    """
    known = {f.name for f in fields(ExecutorConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{source}: unknown executor setting(s) {', '.join(unknown)}",
                          hint=f"the executor section takes {', '.join(sorted(known))}")
    try:
        return ExecutorConfig(**data)
    except TypeError as err:
        raise ConfigError(f"{source}: bad executor settings ({err})") from err
    except ConfigError as err:
        raise ConfigError(f"{source}: {err}") from err


def load_executor_config(path: Path | str | None = None) -> ExecutorConfig:
    """The executor config of a YAML file: its ``executor:`` mapping, or the whole file when
    it has no such key; ``path`` ``None`` reads ``$ICTAL_EXECUTOR_CONFIG`` when set, else gives
    the default (local)."""
    if path is None:
        env = os.environ.get(CONFIG_ENV)
        if not env:
            return ExecutorConfig()
        path = env
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"{path}: cannot read the executor config ({err})",
                          hint="give a readable YAML file") from err
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the executor config is not a mapping")
    section = data.get("executor", data)
    if isinstance(section, str):  # `executor: ray` as a shorthand
        section = {"kind": section}
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: `executor:` must be a mapping or local / ray")
    return config_from_mapping(dict(section), source=str(path))


def resolve_executor_config(executor: str | None, ray_address: str | None,
                            config_path: Path | str | None) -> ExecutorConfig:
    """The command line's choice: the config file (or ``$ICTAL_EXECUTOR_CONFIG``), the flags
    over it."""
    return load_executor_config(config_path).with_flags(executor, ray_address)
