"""Executor choice: flags, YAML files, the environment; the local executor's contract."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ictal.errors import ConfigError
from ictal.executor import ExecutorConfig, TaskSpec, Throughput, load_executor_config
from ictal.executor.config import CONFIG_ENV, resolve_executor_config
from ictal.executor.local import LocalExecutor


def test_default_is_local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    assert resolve_executor_config(None, None, None) == ExecutorConfig()
    assert ExecutorConfig().is_local


def test_file_section_and_flags_over_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "cluster.yaml"
    cfg.write_text("variant: B\nexecutor:\n  kind: ray\n  address: ray://head:10001\n"
                   "  actors: 4\n  gpus_per_actor: 0.5\n")
    got = load_executor_config(cfg)
    assert (got.kind, got.address, got.actors, got.gpus_per_actor) == (
        "ray", "ray://head:10001", 4, 0.5)
    assert resolve_executor_config("local", None, cfg).kind == "local"
    assert resolve_executor_config(None, "auto", cfg).address == "auto"
    # the environment names the file when no option does
    monkeypatch.setenv(CONFIG_ENV, str(cfg))
    assert resolve_executor_config(None, None, None).address == "ray://head:10001"
    # a shorthand, and a whole file that is the section
    short = tmp_path / "short.yaml"
    short.write_text("executor: ray\n")
    assert load_executor_config(short).kind == "ray"
    whole = tmp_path / "whole.yaml"
    whole.write_text("kind: ray\naddress: auto\n")
    assert load_executor_config(whole).address == "auto"


@pytest.mark.parametrize(("text", "words"), [
    ("executor:\n  kind: spark\n", "unknown executor 'spark'"),
    ("executor:\n  nodes: 3\n", "unknown executor setting(s) nodes"),
    ("executor:\n  address: http://x\n", "is not auto"),
    ("executor:\n  actors: 0\n", "actors must be at least 1"),
    ("executor:\n  max_retries: -1\n", "max_retries must be >= 0"),
])
def test_bad_files_are_refused_naming_file_and_key(tmp_path: Path, text: str,
                                                   words: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_executor_config(path)
    assert words in str(err.value) and str(path) in str(err.value)


def test_ray_address_needs_the_ray_executor() -> None:
    assert ExecutorConfig().with_flags(None, "auto").kind == "ray"
    with pytest.raises(ConfigError, match="--executor local"):
        ExecutorConfig().with_flags("local", "auto")


def _double(x: int) -> int:
    if x == 3:
        raise ValueError("three is bad")
    if x == 4:
        raise RuntimeError("a bug")
    return 2 * x


def test_local_executor_runs_in_order_and_reports_failures() -> None:
    ex = LocalExecutor()
    outcomes = list(ex.run([TaskSpec(str(i), _double, (i,)) for i in range(4)],
                           catch=(ValueError,)))
    assert [(o.key, o.value, o.error) for o in outcomes] == [
        ("0", 0, None), ("1", 2, None), ("2", 4, None), ("3", None, "three is bad")]
    with pytest.raises(RuntimeError, match="a bug"):  # not a listed error: stops the run
        list(ex.run([TaskSpec("4", _double, (4,))], catch=(ValueError,)))


class _Counter:
    def __init__(self, start: int) -> None:
        self.n = start

    async def add(self, k: int) -> int:
        self.n += k
        return self.n


def test_local_actor_pool_keeps_one_instance() -> None:
    pool = LocalExecutor().actor_pool(_Counter, (10,))
    assert [pool.call("add", 1), pool.call("add", 2)] == [11, 13]


def test_local_actor_pool_inside_a_running_event_loop() -> None:
    pool = LocalExecutor().actor_pool(_Counter, (0,))

    async def caller() -> int:  # e.g. a server or a notebook calling the pool
        return pool.call("add", 5)

    # in a thread of its own: this test's thread may already run a loop (the browser fixture)
    with ThreadPoolExecutor(max_workers=1) as thread:
        assert thread.submit(asyncio.run, caller()).result() == 5


def test_throughput_lines() -> None:
    t = Throughput()
    t.add("decode", 30, 2.0, "windows")
    t.add("decode", 10, 2.0, "windows")
    assert t.rate("decode") == 10.0
    lines = t.lines(wall_seconds=8.0)
    assert lines == ["decode: 40 windows in 4.0 worker-s (10.0 windows/s per worker)",
                     "wall clock: 8.0 s, 5.0 windows/s overall"]
