"""Feature extraction on an executor's cluster (``ictal extract --executor ray``).

What runs where:

* **decode + crop** — one CPU task per recording (:func:`recording_features`): plans it (or
  reads its ``ictal preprocess`` plan), streams its samples batch by batch exactly as the local
  run does (:func:`~ictal.features.compute.recording_table`), and sends each batch to
* **inference** — a pool of :class:`BackboneWorker` actors, each loading the backbone once (on a
  GPU when it holds one) and merging the batches that reach it from several recordings into
  one forward pass of at most ``batch_size`` windows;
* **writing** — the task returns the recording's small feature table; the driver alone writes
  its shard (atomic rename) with the run's one provenance, so each shard has one writer.

Windows are batched across recordings: the backbones are batch-invariant on CPU (a window's
features do not depend on what it shares a batch with; checked for ``motion`` and ``r3d_18``
and tested for the store), so the store is bit-identical to the local executor's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ictal.executor import ActorPool
from ictal.features.compute import ExtractOptions, Extractor, batch_features, recording_table
from ictal.features.table import FeatureTable
from ictal.inputspec import InputSpec
from ictal.manifest import Manifest

if TYPE_CHECKING:
    from ictal.preprocess.config import PreprocessConfig


@dataclass(frozen=True)
class BackboneShape:
    """What a decode task needs of the backbone, without its weights: the input contract
    and the feature shape."""

    name: str
    input_spec: InputSpec
    timesteps: int
    features: int

    @classmethod
    def of(cls, extractor: Extractor) -> BackboneShape:
        return cls(extractor.name, extractor.input_spec, extractor.timesteps,
                   extractor.features)


class BackboneWorker:
    """An inference actor: the backbone ``loader()`` returns, loaded once, fed batches.

    Calls that arrive while it computes are merged (same clip shape, frame rate and top view)
    into forward passes of at most ``batch_size`` windows; a lone call waits ``max_wait_s``
    for company.
    """

    def __init__(self, loader: Callable[[], Extractor], batch_size: int,
                 max_wait_s: float = 0.005) -> None:
        start = time.perf_counter()
        self.extractor = loader()
        self.batch_size = batch_size
        self.max_wait_s = max_wait_s
        self.load_seconds = time.perf_counter() - start
        self._pending: dict[tuple[Any, ...], list[tuple[np.ndarray, np.ndarray | None,
                                                        asyncio.Future[Any]]]] = {}
        self._timers: dict[tuple[Any, ...], asyncio.TimerHandle] = {}
        self.windows = 0
        self.batches = 0
        self.seconds = 0.0

    async def features(self, clips: np.ndarray, tops: np.ndarray | None,
                       rate: float) -> tuple[np.ndarray, np.ndarray]:
        """:func:`~ictal.features.compute.batch_features` of ``clips`` ``(N, C, T, H, W)``
        float32 (and ``tops``) at ``rate`` frames/s, computed with other calls' windows."""
        loop = asyncio.get_running_loop()
        key = (clips.shape[1:], rate, None if tops is None else tops.shape[1:])
        queue = self._pending.setdefault(key, [])
        if queue and sum(len(c) for c, _, _ in queue) + len(clips) > self.batch_size:
            self._flush(key)
            queue = self._pending.setdefault(key, [])
        future: asyncio.Future[Any] = loop.create_future()
        queue.append((clips, tops, future))
        if sum(len(c) for c, _, _ in queue) >= self.batch_size:
            self._flush(key)
        elif key not in self._timers:
            self._timers[key] = loop.call_later(self.max_wait_s, self._flush, key)
        return await future  # type: ignore[no-any-return]

    def _flush(self, key: tuple[Any, ...]) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        queue = self._pending.pop(key, [])
        if not queue:
            return
        clips = np.concatenate([c for c, _, _ in queue])
        tops = None if queue[0][1] is None else np.concatenate([t for _, t, _ in queue])
        start = time.perf_counter()
        try:
            feats, mask = batch_features(self.extractor, clips, tops, float(key[1]))
        except Exception as err:  # handed to every caller of the batch, which reports it
            for _, _, future in queue:
                future.set_exception(err)
            return
        self.seconds += time.perf_counter() - start
        self.windows += len(clips)
        self.batches += 1
        at = 0
        for c, _, future in queue:
            future.set_result((feats[at:at + len(c)], mask[at:at + len(c)]))
            at += len(c)

    def stats(self) -> dict[str, Any]:
        """Windows and forward passes computed, compute seconds, weight-loading seconds."""
        return {"windows": self.windows, "batches": self.batches, "seconds": self.seconds,
                "load_seconds": self.load_seconds, "device": str(getattr(
                    self.extractor, "device", "cpu"))}


def recording_features(manifest: Manifest, rid: str, config: PreprocessConfig,
                       extractor: BackboneShape, options: ExtractOptions, attrs: dict[str, Any],
                       plans_dir: Path | None, pool: ActorPool,
                       ) -> tuple[FeatureTable, dict[str, tuple[float, float, str]]]:
    """The decode + crop task of one recording: its feature table (inference by ``pool``) and
    its stage times ``{stage: (windows, seconds, "windows")}``; writes nothing.

    ``extractor`` describes the backbone (input spec, feature shape); the weights live in the
    actors.
    """
    start = time.perf_counter()
    waited = 0.0

    def infer(clips: np.ndarray, tops: np.ndarray | None,
              rate: float) -> tuple[np.ndarray, np.ndarray]:
        nonlocal waited
        t = time.perf_counter()
        out = pool.call("features", clips, tops, rate)
        waited += time.perf_counter() - t
        return out  # type: ignore[no-any-return]

    table = recording_table(manifest, rid, config, extractor,  # type: ignore[arg-type]
                            options, attrs, plans_dir, infer=infer)
    decode = time.perf_counter() - start - waited
    return table, {"decode + crop (CPU tasks)": (float(len(table)), decode, "windows")}
