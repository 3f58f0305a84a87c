"""Several beds in one process: feeds read in threads, windows scored by a bounded pool.

Each bed has a reader thread (its :class:`~ictal.monitor.sources.Source` -> a
:class:`~ictal.monitor.bed.Windower`) that queues finished windows; ``workers`` compute threads
score them (:class:`~ictal.monitor.bed.Scorer`), one window of a bed at a time, beds served in
turn. **Back-pressure is explicit**: a bed holds at most ``max_pending`` windows waiting for
compute; when a new one would pass that, the oldest waiting window is dropped -- journaled with
the state ``dropped`` and the reason, counted in ``ictal_monitor_windows_dropped_total`` and
logged -- never a silent lag. A replay for evaluation (a file at ``speed=0``) waits for
compute instead, so that every window is scored. Results are journaled in window order
(:class:`~ictal.monitor.journal.BedJournal`), then go through the bed's alarm rule
(:class:`~ictal.monitor.alarms.AlarmState`) and out to listeners (the HTTP server's
server-sent events, :mod:`~ictal.monitor.http`).

Latency is measured per window from the arrival of its last frame to its probability
(``latency_s`` in the journal, ``ictal_monitor_latency_seconds`` in the metrics). Before any
feed is read, the backbone is run once on the beds' window shape (:meth:`Monitor.warm_up`),
so that what it builds on its first run (I3D fp32's ONNX Runtime session) does not hold up
the beds' first windows.

A restart resumes every bed after its journal's last window: the feed is asked for the frames
from that window's start on (a file or a segment folder skips to them; a stream continues its
timeline from the journal's origin, the frames missed while the monitor was down recorded as a
gap), the alarm state is rebuilt by replaying the journaled windows, and the plan is made again
from the bed's last calibration clip.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ictal.errors import ConfigError, IctalError
from ictal.monitor.adapt import AckFollower, AdaptConfig, BedAdapter, alarm_number
from ictal.monitor.alarms import AlarmConfig, AlarmState, alarm_record
from ictal.monitor.bed import CALIBRATION_BYTES, Scorer, Windower, WindowFrames, window_frames
from ictal.monitor.journal import BedJournal
from ictal.monitor.sources import Frame, Source, SourceNote, StreamSource

log = logging.getLogger(__name__)

Listener = Callable[[str, dict[str, Any]], None]


@dataclass
class BedMetrics:
    """Counters of one bed (exported as Prometheus metrics)."""

    frames_in: int = 0
    frames_missing: int = 0
    windows_scored: int = 0
    windows_not_assessable: int = 0
    windows_dropped: int = 0
    reconnects: int = 0
    alarms_raised: int = 0
    alarm_active: bool = False
    latency_last: float = 0.0
    latency_sum: float = 0.0
    latency_max: float = 0.0
    seconds_not_assessable: float = 0.0
    seconds_total: float = 0.0
    connected: bool = False
    bar: float = 0.0  # the alarm rule's score bar in force (moved by --adapt)

    @property
    def not_assessable_share(self) -> float | None:
        """Share of the timeline not assessed (``None`` before the first window)."""
        return self.seconds_not_assessable / self.seconds_total if self.seconds_total else None

    @property
    def latency_mean(self) -> float:
        """Mean latency of the scored windows (s; 0 before the first)."""
        return self.latency_sum / self.windows_scored if self.windows_scored else 0.0


@dataclass
class MonitorSettings:
    """What every bed of a monitor shares.

    Attributes:
        out: the output folder (one journal folder per bed).
        stride_s: seconds between window starts (``None``: the window's length, 2 s).
        alarm: the alarm rule.
        workers: compute threads.
        max_pending: windows a bed may hold waiting for compute before the oldest is dropped.
        torch_threads: intra-op threads of each compute thread.
        adapt: per-bed adaptation of the alarm bar from the answers in ``acks.jsonl``
            (:mod:`ictal.monitor.adapt`); ``None``: off (the default).
    """

    out: Path
    stride_s: float | None = None
    alarm: AlarmConfig = field(default_factory=AlarmConfig)
    workers: int = 1
    max_pending: int = 3
    torch_threads: int = 1
    adapt: AdaptConfig | None = None


class Bed:
    """One bed of a :class:`Monitor`."""

    def __init__(self, name: str, source: Source, monitor: Monitor) -> None:
        self.name, self.source, self.monitor = name, source, monitor
        self.metrics = BedMetrics()
        fps = source.fps
        self.fps = fps
        bundle = monitor.bundle
        self.window = window_frames(monitor.config, monitor.extractor.input_spec, fps)
        stride = self.window if monitor.settings.stride_s is None else max(
            1, round(monitor.settings.stride_s * fps))
        self.stride = stride
        meta = {"bed": name, "source": source.name, "fps": str(fps), "window": self.window,
                "stride": stride, "labels": bundle.labels,
                "model": {"name": bundle.name, "bundle_sha256": bundle.sha256},
                "precision": getattr(monitor.extractor, "precision", "fp32"),
                "alarm": monitor.settings.alarm.describe(),
                "background": list(monitor.settings.alarm.background),
                "adapt": None if monitor.settings.adapt is None
                else monitor.settings.adapt.describe(),
                "origin": getattr(source, "origin", None)}
        self.folder = monitor.settings.out / name
        self.journal = BedJournal.open(self.folder, meta,
                                       started=datetime.now(UTC).isoformat(timespec="seconds"))
        if isinstance(source, StreamSource) and source.origin is None:
            source.origin = self.journal.meta.get("origin")
        self.alarm = AlarmState(monitor.settings.alarm, bundle.labels)
        adapt = monitor.settings.adapt
        self.adapter = None if adapt is None else BedAdapter(adapt, self.alarm)
        self.acks = AckFollower(self.folder / "acks.jsonl")
        self.unmatched: list[tuple[str, str]] = []
        changes: dict[int, list[dict[str, Any]]] = {}
        for c in self.journal.past_adaptations():
            changes.setdefault(int(c["n"]), []).append(c)
        past = self.journal.past_windows()
        # the alarm state is a function of the windows and the journaled bar changes:
        # replayed, not written
        for w in past:
            for c in changes.get(int(w["n"]), []):
                self._readapt(c)
            change = self.alarm.update(w)
            if self.adapter is not None:
                self.adapter.observe(w, change)
            if change is not None and change["action"] == "raised":
                self.metrics.alarms_raised += 1
        self.metrics.alarm_active = self.alarm.active
        self.metrics.bar = self.alarm.current_bar
        self.recent: deque[dict[str, Any]] = deque(past[-300:], maxlen=300)
        self.windower = Windower(self.window, stride, first=past[-1]["n"] + 1 if past else 0,
                                 min_leftover=monitor.config.temporal.min_leftover)
        self.scorer = Scorer(bundle, monitor.extractor, monitor.config, fps, self.folder, name,
                             note=self._note)
        clips = sorted((self.folder / "calibration").glob("clip-*.mkv"))
        if clips:  # a restart plans from the clip the bed was calibrated on
            self._replan(clips[-1])
        self.pending: deque[WindowFrames] = deque()
        self.waiting: list[WindowFrames] = []  # windows held until the bed is calibrated
        self.results: dict[int, dict[str, Any]] = {}
        self.next_emit = self.windower.next
        self.busy = False
        self.done = False
        self.thread: threading.Thread | None = None

    def _readapt(self, change: dict[str, Any]) -> None:
        """Apply a journaled bar change again (a restart replaying its journal)."""
        number = alarm_number(change["alarm"])
        if self.adapter is not None and number is not None:
            self.adapter.reviewed.add(number)
            self.adapter.leads.pop(number, None)
        self.alarm.bar = float(change["bar_after"])

    def _adapt(self, n: int) -> None:
        """Apply the answers given to this bed's alarms since the last window (``--adapt``):
        each moves the bar from window ``n`` on and is journaled (``adapt.jsonl``)."""
        if self.adapter is None:
            return
        answers, self.unmatched = [*self.unmatched, *self.acks.new()], []
        for alarm_id, decision in answers:
            number = alarm_number(alarm_id)
            if number is None or not alarm_id.startswith(f"{self.name}-"):
                continue
            if number > self.alarm.count:  # an answer ahead of its alarm: kept until it is
                self.unmatched.append((alarm_id, decision))
                continue
            change = self.adapter.review(number, decision)
            if change is None:
                continue
            line = {"alarm": alarm_id, "decision": decision, "n": n, **change,
                    "wall": time.time()}
            self.journal.adapt.write(line)
            self.metrics.bar = self.alarm.current_bar
            log.info("bed %s: alarm %s %s: bar %.3f -> %.3f (%s)", self.name, alarm_id,
                     decision, change["bar_before"], change["bar_after"], change["reason"])
            self.monitor._publish("adapt", line)

    def _replan(self, clip: Path) -> None:
        from ictal.io import open_video

        with open_video(clip) as reader:
            frames = [f for _, f in reader.iter_frames(0, None)]
        self.scorer._calibrations = int(clip.stem.split("-")[-1]) - 1
        self.scorer._calib = frames
        self.scorer._calibrate()

    # ---- notes -----------------------------------------------------------------------------
    def _note(self, kind: str, message: str, frame: int | None = None, missing: int = 0) -> None:
        record = {"bed": self.name, "kind": kind, "message": message, "frame": frame,
                  "missing": missing, "wall": time.time()}
        self.journal.notes.write(record)
        level = logging.WARNING if kind in ("lost", "gap", "scene-changed", "dropped") else \
            logging.INFO
        log.log(level, "%s", message)
        self.monitor._publish("note", record)

    # ---- the reader thread -----------------------------------------------------------------
    def read(self) -> None:
        """Follow the feed until it ends or the monitor stops (the reader thread's body)."""
        final = False
        try:
            for item in self.source.items(self.windower.first_frame):
                if isinstance(item, SourceNote):
                    self._on_note(item)
                    final = item.kind == "ended" and item.final
                    continue
                self._on_frame(item)
            if final:  # the feed's last frames: a shorter window, as ictal predict scores
                for win in self.windower.finish():
                    self._queue(win)
        except IctalError as err:
            self._note("ended", f"bed {self.name}: feed failed ({err})")
        except Exception as err:  # a bug must not take the other beds down
            log.exception("bed %s: reader failed", self.name)
            self._note("ended", f"bed {self.name}: reader failed ({type(err).__name__}: {err})")
        finally:
            self._flush_waiting("the feed ended before the bed was calibrated")
            with self.monitor._cond:
                self.done = True
                self.monitor._cond.notify_all()

    def _on_note(self, note: SourceNote) -> None:
        m = self.metrics
        if note.kind == "connected":
            m.connected = True
            if isinstance(self.source, StreamSource) and self.source.origin is not None:
                self.journal.set_origin(self.source.origin)
        elif note.kind == "lost":
            m.connected = False
            m.reconnects += 1
        elif note.kind == "gap":
            m.frames_missing += note.missing
        elif note.kind == "ended":
            m.connected = False
        self._note(note.kind, note.message, note.frame, note.missing)

    def _on_frame(self, frame: Frame) -> None:
        self.metrics.frames_in += 1
        if isinstance(self.source, StreamSource) and self.journal.meta.get("origin") is None \
                and self.source.origin is not None:
            self.journal.set_origin(self.source.origin)
        for win in self.windower.push(frame):
            self._queue(win)

    def _queue(self, win: WindowFrames) -> None:
        scorer = self.scorer
        if not scorer.calibrated:
            scorer.offer(win.frames)
            if not scorer.calibrated:
                held = sum(w.nbytes() for w in self.waiting)
                if held + win.nbytes() <= CALIBRATION_BYTES:
                    self.waiting.append(win)
                else:
                    self._result(win, {"state": "not-assessable", "reason": "calibrating"})
                return
        for w in [*self.waiting, win]:
            self._enqueue(w)
        self.waiting = []

    def _flush_waiting(self, reason: str) -> None:
        for w in self.waiting:
            self._result(w, {"state": "not-assessable", "reason": reason})
        self.waiting = []

    def _enqueue(self, win: WindowFrames) -> None:
        with self.monitor._cond:
            while not self.source.live and len(self.pending) >= self.monitor.settings.max_pending:
                self.monitor._cond.wait(0.5)  # a replay for evaluation waits for compute
            self.pending.append(win)
            dropped = None
            if len(self.pending) > self.monitor.settings.max_pending:
                dropped = self.pending.popleft()
            self.monitor._cond.notify_all()
        if dropped is not None:
            self.metrics.windows_dropped += 1
            reason = (f"compute behind: more than {self.monitor.settings.max_pending} windows "
                      "waiting; the oldest dropped")
            self._note("dropped", f"bed {self.name}: window {dropped.n} dropped ({reason})",
                       dropped.start)
            self._result(dropped, {"state": "dropped", "reason": reason})

    # ---- results, in order -----------------------------------------------------------------
    def _result(self, win: WindowFrames, outcome: dict[str, Any]) -> None:
        arrival = win.last_arrival
        latency = None if arrival is None or outcome["state"] != "scored" else \
            time.monotonic() - arrival
        fps = self.fps
        probs = outcome.get("probs")
        record = {"bed": self.name, "n": win.n, "start_frame": win.start,
                  "stop_frame": win.stop, "t_start": float(win.start / fps),
                  "t_stop": float(win.stop / fps), "state": outcome["state"],
                  "probs": probs, "score": None if probs is None else self.alarm.score(probs),
                  "reason": outcome.get("reason"), "latency_s": latency, "wall": time.time()}
        with self.monitor._emit_lock:
            self.results[win.n] = record
            while self.next_emit in self.results:
                self._emit(self.results.pop(self.next_emit))
                self.next_emit += 1

    def _emit(self, record: dict[str, Any]) -> None:
        m = self.metrics
        seconds = record["t_stop"] - record["t_start"]
        m.seconds_total += seconds
        if record["state"] == "scored":
            m.windows_scored += 1
            lat = record["latency_s"] or 0.0
            m.latency_last, m.latency_sum = lat, m.latency_sum + lat
            m.latency_max = max(m.latency_max, lat)
        else:
            if record["state"] == "not-assessable":
                m.windows_not_assessable += 1
            m.seconds_not_assessable += seconds
        self.journal.windows.write(record)
        self.recent.append(record)
        self.monitor._publish("window", record)
        self._adapt(record["n"])
        change = self.alarm.update(record)
        if self.adapter is not None:
            self.adapter.observe(record, change)
        if change is not None:
            alarm = {**alarm_record(self.name, change, record), "wall": time.time()}
            self.journal.alarms.write(alarm)
            if change["action"] == "raised":
                m.alarms_raised += 1
                log.warning("ALARM %s: %s at %.1f s (%s)", alarm["id"], alarm["label"],
                            alarm["t"], alarm["reason"])
            else:
                log.info("alarm %s cleared at %.1f s (%s)", alarm["id"], alarm["t"],
                         alarm["reason"])
            m.alarm_active = self.alarm.active
            self.monitor._publish("alarm", alarm)

    def score_one(self, win: WindowFrames) -> None:
        """Score a window (a compute thread) and hand the result on."""
        try:
            scored = self.scorer.score(win)
            outcome = {"state": scored.state, "probs": scored.probs, "reason": scored.reason}
        except IctalError as err:
            outcome = {"state": "not-assessable", "reason": f"failed: {err}"}
            log.error("bed %s window %d: %s", self.name, win.n, err)
        self._result(win, outcome)


class Monitor:
    """Serves N beds with one model bundle (module docstring).

    Args:
        bundle: the loaded bundle.
        extractor: its backbone.
        config: the preprocessing config (the bundle's, or a validated override).
        settings: what the beds share.
    """

    def __init__(self, bundle: Any, extractor: Any, config: Any,
                 settings: MonitorSettings) -> None:
        self.bundle, self.extractor, self.config, self.settings = (
            bundle, extractor, config, settings)
        if settings.workers < 1 or settings.max_pending < 1:
            raise ConfigError("--workers and --max-pending must be >= 1")
        self.beds: dict[str, Bed] = {}
        self._cond = threading.Condition()
        self._emit_lock = threading.RLock()
        self._stop = threading.Event()
        self._listeners: list[Listener] = []
        self._threads: list[threading.Thread] = []
        self.started = time.monotonic()
        #: seconds :meth:`start` spent warming the backbone up
        self.warm_s = 0.0

    def add_bed(self, name: str, source: Source) -> Bed:
        """Add a bed reading ``source`` (its journal is opened or resumed)."""
        if name in self.beds:
            raise ConfigError(f"bed {name!r} is given twice", hint="name each bed once")
        if not name or not all(c.isalnum() or c in "-_." for c in name):
            raise ConfigError(f"bed name {name!r}: use letters, digits, '-', '_' or '.'")
        bed = Bed(name, source, self)
        self.beds[name] = bed
        return bed

    def listen(self, listener: Listener) -> None:
        """Call ``listener(kind, record)`` for every window, alarm and note (any thread)."""
        self._listeners.append(listener)

    def _publish(self, kind: str, record: dict[str, Any]) -> None:
        for listener in list(self._listeners):
            try:
                listener(kind, record)
            except Exception:  # a listener must not stop a bed
                log.exception("monitor listener failed")

    # ---- running ---------------------------------------------------------------------------
    def warm_up(self) -> float:
        """Run the backbone once on each window shape of the beds, as a compute thread runs it
        (its torch threads), before any feed is read; returns the seconds it took.

        What a backbone builds on its first run -- I3D fp32's ONNX Runtime session (an export
        of about 10 s on a 2-core CPU), oneDNN's bfloat16 kernels -- would otherwise fall on
        each bed's first window while the next ones queue up behind it: on every start and
        restart the beds' first windows were dropped (four of them, 8 s, with I3D fp32).
        The clip is zeros of the shape the beds' windows have: ``(1, C, T, S, S)`` ``float32``
        with ``C`` and ``S`` the backbone's input channels and size and ``T`` a window's
        frames at the bed's rate.
        """
        import torch

        spec = self.extractor.input_spec
        shapes = sorted({(bed.window, bed.fps) for bed in self.beds.values()})
        failure: list[BaseException] = []

        def run() -> None:
            torch.set_num_threads(self.settings.torch_threads)
            try:
                for frames, fps in shapes:
                    self.extractor(torch.zeros((1, spec.channels, frames, spec.size,
                                                spec.size)), fps=float(fps))
            except BaseException as err:  # re-raised in the caller's thread
                failure.append(err)

        t0 = time.monotonic()
        thread = threading.Thread(target=run, name="warm-up", daemon=True)
        thread.start()
        thread.join()
        if failure:
            raise failure[0]
        seconds = time.monotonic() - t0
        log.info("backbone %s warmed up on %d window shape(s) in %.1f s",
                 getattr(self.extractor, "name", "?"), len(shapes), seconds)
        return seconds

    def start(self) -> None:
        """Warm the backbone up (:meth:`warm_up`), then start the reader and compute
        threads."""
        self.warm_s = self.warm_up()
        for bed in self.beds.values():
            t = threading.Thread(target=bed.read, name=f"bed-{bed.name}", daemon=True)
            bed.thread = t
            self._threads.append(t)
        for i in range(self.settings.workers):
            self._threads.append(threading.Thread(target=self._work, name=f"compute-{i}",
                                                  daemon=True))
        for t in self._threads:
            t.start()

    def _next_job(self) -> tuple[Bed, WindowFrames] | None:
        """The oldest waiting window of the bed waiting longest (beds in turn); ``None``
        when every feed ended and nothing waits, or the monitor stops."""
        with self._cond:
            while True:
                ready = [b for b in self.beds.values() if b.pending and not b.busy]
                if ready:
                    bed = min(ready, key=lambda b: b.pending[0].last_arrival or 0.0)
                    bed.busy = True
                    return bed, bed.pending.popleft()
                if self._stop.is_set() or all(b.done and not b.pending
                                              for b in self.beds.values()):
                    return None
                self._cond.wait(0.5)

    def _work(self) -> None:
        import torch

        torch.set_num_threads(self.settings.torch_threads)
        while (job := self._next_job()) is not None:
            bed, win = job
            try:
                bed.score_one(win)
            finally:
                with self._cond:
                    bed.busy = False
                    self._cond.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every feed ended and every window is journaled (``True``), or the
        timeout passed (``False``)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for t in self._threads:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            t.join(left)
            if t.is_alive():
                return False
        return True

    def stop(self) -> None:
        """Stop the feeds; windows already waiting are still scored and journaled."""
        for bed in self.beds.values():
            bed.source.stop()
        self.wait(30)
        self._stop.set()
        with self._cond:
            self._cond.notify_all()

    def close(self) -> None:
        for bed in self.beds.values():
            bed.journal.close()

    # ---- reporting -------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Every bed's state: recent windows, alarm, metrics (the HTTP server's ``/beds``)."""
        beds = {}
        for name, bed in self.beds.items():
            m = bed.metrics
            beds[name] = {"labels": self.bundle.labels, "fps": str(bed.fps),
                          "window": bed.window, "stride": bed.stride,
                          "alarm_active": m.alarm_active, "connected": m.connected,
                          "recent": list(bed.recent)[-150:],
                          "not_assessable_share": m.not_assessable_share,
                          "metrics": vars(m).copy()}
        return {"model": {"name": self.bundle.name, "bundle_sha256": self.bundle.sha256},
                "alarm": self.settings.alarm.describe(), "beds": beds}

    def prometheus(self) -> str:
        """The metrics in Prometheus' text format, one series per bed."""
        lines = []

        def metric(name: str, kind: str, help_: str, value: Callable[[BedMetrics], float]
                   ) -> None:
            lines.append(f"# HELP {name} {help_}")
            lines.append(f"# TYPE {name} {kind}")
            for bed_name, bed in self.beds.items():
                lines.append(f'{name}{{bed="{bed_name}"}} {float(value(bed.metrics)):g}')

        metric("ictal_monitor_frames_total", "counter", "Frames received.",
               lambda m: m.frames_in)
        metric("ictal_monitor_frames_missing_total", "counter",
               "Frames the feed lost (gaps).", lambda m: m.frames_missing)
        metric("ictal_monitor_windows_scored_total", "counter", "Windows given probabilities.",
               lambda m: m.windows_scored)
        metric("ictal_monitor_windows_not_assessable_total", "counter",
               "Windows that could not be assessed.", lambda m: m.windows_not_assessable)
        metric("ictal_monitor_windows_dropped_total", "counter",
               "Windows dropped because compute was behind.", lambda m: m.windows_dropped)
        metric("ictal_monitor_reconnects_total", "counter", "Feed losses.",
               lambda m: m.reconnects)
        metric("ictal_monitor_alarms_total", "counter", "Alarms raised.",
               lambda m: m.alarms_raised)
        metric("ictal_monitor_alarm_active", "gauge", "1 while an alarm is raised.",
               lambda m: m.alarm_active)
        metric("ictal_monitor_latency_seconds", "gauge",
               "Last window's latency from its last frame to its probability.",
               lambda m: m.latency_last)
        metric("ictal_monitor_latency_seconds_max", "gauge", "Largest latency so far.",
               lambda m: m.latency_max)
        metric("ictal_monitor_latency_seconds_mean", "gauge", "Mean latency so far.",
               lambda m: m.latency_mean)
        metric("ictal_monitor_alarm_bar", "gauge",
               "The alarm rule's score bar in force (moved per bed by --adapt).",
               lambda m: m.bar)
        metric("ictal_monitor_not_assessable_share", "gauge",
               "Share of the timeline not assessed.",
               lambda m: m.not_assessable_share or 0.0)
        return "\n".join(lines) + "\n"
