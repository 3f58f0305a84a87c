"""One bed: frames -> 2 s windows -> the bundle's preprocessing and backbone -> probabilities.

* :class:`Windower` cuts the timeline into windows ``n`` of ``window`` frames every
  ``stride`` frames (``[n * stride, n * stride + window)``; the stride defaults to the window:
  a probability every 2 s) as frames arrive, holding only the frames of windows in progress.
  A window some of whose frames never came is handed over with them missing.
* :class:`Scorer` applies a bundle exactly as ``ictal predict`` does: its preprocessing
  config (:func:`~ictal.models.compat.prediction_config`), a plan made by
  :func:`~ictal.preprocess.planner.plan_recording` on a **calibration clip** -- the bed's
  first frames (as many as the plan reads: the IR window's, the low-light map's and the
  detector's search seconds, at least one window), written losslessly (FFV1) to the bed's
  folder -- then the pipeline's own crop / 8-bit / square steps, the backbone and the
  estimator on each window. Replaying a file gives the probabilities ``ictal predict`` gives
  for the same windows (tested). With the ``motion`` backbone, features are computed
  **incrementally**: the flow and the frame differences of each frame pair are kept from one
  window to the next (:class:`~ictal.backbones.motion.MotionCache`), so with a stride below
  the window's 2 s the overlapping frames are not computed again; the features are those of
  a window computed whole, bit for bit (tested). Other backbones (I3D's convolutions see the
  whole clip) compute each window whole.
* The crop is refreshed when the **scene changes** (the bed moved, the camera bumped): the
  picture outside the crop (the whole picture when the crop is the whole frame), reduced to a
  32 x 32 grey thumbnail, is compared with the calibration's; when more than ``0.3`` of its
  cells differ by more than 25 grey levels for 3 windows in a row, a new calibration clip is
  taken and planned (the old plan serves meanwhile), and both are noted.
* A window that cannot be assessed gets the state ``not-assessable`` and its reason instead
  of a probability: frames missing (a gap in the feed), no contrast in the crop (camera
  covered, lights off: the crop's grey levels spread by less than 3 %), the lighting switched
  during the window (the crop's mean grey jumps by more than 12 % of the range between two
  frames), the **patient hidden** by someone in front of the camera (:func:`hidden_share`,
  16-bit active infrared only), or the bed still calibrating.
* **Patient hidden** (active infrared: a Kinect-like camera lighting the scene itself, whose
  picture is ``reflectance x cos / distance**2``; :class:`HiddenTest`): a reference picture of
  the crop -- the calibration's median picture, then that of the last window assessed -- and
  its bright part (pixels at least half its 99th percentile: the bed and the patient, the
  nearest large surfaces) is the scene to watch. A pixel of that part is *covered by something
  nearer* when it is at least twice as bright as in the reference and brighter by 10 % of the
  reference's 99th percentile (above the noise); when, in the window's median frame, at least
  2 % of the part is covered, staff or a visitor stand between the camera and the patient and
  the window is not assessed (its picture does not become the reference). After 60 s hidden in
  a row the reference is taken again from the current window (noted): a reference gone stale
  -- the patient lying otherwise after turning over, a skin or a sheet now facing the camera
  -- cannot keep a bed unassessed for longer. A patient moving in bed stays at the bed's
  distance and rarely brightens twice against the last window. Grey 8-bit and colour cameras
  get no such test (their brightness says nothing of distance), nor does a blanket or a
  patient out of bed. Measured on the phantom (``tests/monitor/test_hidden.py``, README).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ictal.errors import ConfigError
from ictal.monitor.sources import Frame
from ictal.timebase import FrameSpan, as_fps

log = logging.getLogger(__name__)

#: Scene-change test: thumbnail side, grey-level difference of a cell, share of cells, windows.
THUMB = 32
SCENE_LEVELS = 25.0
SCENE_SHARE = 0.3
SCENE_WINDOWS = 3
#: Assessability thresholds on the crop's normalised frames ([-1, 1] for 255 grey levels).
MIN_CONTRAST = 0.03 * 2
MAX_LIGHT_STEP = 0.12 * 2
#: Decoded frames a bed may hold while it calibrates (beyond: windows marked "calibrating").
CALIBRATION_BYTES = 256 << 20
#: Patient-hidden test (active infrared, module docstring): the scene is the reference's
#: pixels at >= SCENE_BRIGHT of its 99th percentile; a pixel is covered by something nearer at
#: >= NEAR_FACTOR x its reference and NEAR_FLOOR x the 99th percentile above it; a window is
#: hidden when its median frame has >= HIDDEN_SHARE of the scene covered; after HIDDEN_RENEW_S
#: hidden in a row the reference is taken again.
SCENE_BRIGHT = 0.5
NEAR_FACTOR = 2.0
NEAR_FLOOR = 0.1
HIDDEN_SHARE = 0.02
HIDDEN_RENEW_S = 60.0


@dataclass
class WindowFrames:
    """The frames of window ``n`` (timeline ``[start, stop)``), ``None`` where one is missing."""

    n: int
    start: int
    stop: int
    frames: list[Frame | None]

    @property
    def missing(self) -> int:
        return sum(f is None for f in self.frames)

    @property
    def last_arrival(self) -> float | None:
        times = [f.arrived for f in self.frames if f is not None]
        return max(times) if times else None

    def nbytes(self) -> int:
        return sum(f.pixels.nbytes for f in self.frames if f is not None)


class Windower:
    """Cuts a bed's frames into windows (module docstring).

    Args:
        window: frames per window.
        stride: frames between window starts.
        first: number of the first window to make (a resumed bed: the one after the journal's
            last).
        min_leftover: frames a last, shorter window needs when the feed ends (``ictal
            predict`` scores such a tail too).
    """

    def __init__(self, window: int, stride: int, *, first: int = 0,
                 min_leftover: int = 10) -> None:
        if window < 1 or stride < 1:
            raise ConfigError(f"window {window} / stride {stride} frames must be >= 1")
        self.window, self.stride, self.next, self.min_leftover = window, stride, first, min_leftover
        self._frames: dict[int, Frame] = {}
        self.last_index: int | None = None

    @property
    def first_frame(self) -> int:
        """The timeline frame the feed must start at for the next window."""
        return self.next * self.stride

    def _bounds(self, n: int) -> tuple[int, int]:
        return n * self.stride, n * self.stride + self.window

    def push(self, frame: Frame) -> list[WindowFrames]:
        """Take a frame (indices increase); the windows it completes, in order."""
        start, _ = self._bounds(self.next)
        if frame.index >= start:
            self._frames[frame.index] = frame
        self.last_index = frame.index
        out = []
        while True:
            start, stop = self._bounds(self.next)
            if frame.index < stop - 1:
                break
            out.append(WindowFrames(self.next, start, stop,
                                    [self._frames.get(i) for i in range(start, stop)]))
            self.next += 1
        low = self._bounds(self.next)[0]
        for k in [k for k in self._frames if k < low]:
            del self._frames[k]
        return out

    def finish(self) -> list[WindowFrames]:
        """At the end of the feed: the last, shorter window that ``ictal predict`` scores
        (:func:`~ictal.preprocess.temporal.sliding_windows`: at least ``min_leftover``
        frames after the last full window), from the next window's start to the feed's last
        frame."""
        from ictal.preprocess.temporal import sliding_windows

        if self.last_index is None:
            return []
        start, _ = self._bounds(self.next)
        stop = self.last_index + 1
        wins = sliding_windows(stop, self.window, self.stride, keep_partial=True,
                               min_leftover=self.min_leftover)
        if not wins or wins[-1] != (start, stop):
            return []
        win = WindowFrames(self.next, start, stop,
                           [self._frames.get(i) for i in range(start, stop)])
        self.next += 1
        self._frames.clear()
        return [win]


def thumbnail(pixels: np.ndarray, top: float | None = None) -> np.ndarray:
    """A ``(32, 32)`` ``float32`` grey picture of a frame in 8-bit grey levels; 16-bit frames
    are scaled so that ``top`` is 255 (default: their own 99th percentile; a bed passes its
    calibration's, so that someone bright entering the picture does not rescale it all)."""
    grey = pixels.mean(axis=2) if pixels.ndim == 3 else pixels.astype(np.float32)
    if pixels.dtype == np.uint16:
        top = top or float(np.percentile(grey[::4, ::4], 99)) or 1.0
        grey = np.clip(grey * (255.0 / top), 0, 255)
    h, w = grey.shape
    ys = (np.arange(THUMB + 1) * h) // THUMB
    xs = (np.arange(THUMB + 1) * w) // THUMB
    out = np.empty((THUMB, THUMB), np.float32)
    for i in range(THUMB):
        band = grey[ys[i]:max(ys[i + 1], ys[i] + 1)]
        sums = np.add.reduceat(band.sum(axis=0), np.minimum(xs[:-1], w - 1))
        widths = np.maximum(np.diff(xs), 1)
        out[i] = sums / (widths * band.shape[0])
    return out


@dataclass
class Scored:
    """What scoring a window gave: ``scored`` with probabilities, or ``not-assessable`` with
    the reason."""

    state: str
    probs: list[float] | None = None
    reason: str | None = None


class Scorer:
    """Applies a bundle to a bed's windows (module docstring).

    Args:
        bundle: the loaded :class:`~ictal.models.bundle.Bundle` (a sample-level model).
        extractor: its backbone (:func:`~ictal.models.predict.load_bundle_backbone`).
        config: the preprocessing config to use (the bundle's, or a validated override).
        fps: the bed's frame rate.
        folder: the bed's folder (calibration clips are written under ``calibration/``).
        bed: the bed's name (the recording id of its samples).
        note: called with ``(kind, message, frame)`` for calibrations and scene changes.
        incremental: keep per-frame-pair work across overlapping windows where the backbone
            allows (:func:`incremental_extractor`; ``motion``); ``False``: every window whole.
    """

    def __init__(self, bundle: Any, extractor: Any, config: Any, fps: Fraction, folder: Path,
                 bed: str, note: Callable[..., None] = lambda kind, msg, frame=None: None,
                 *, incremental: bool = True) -> None:
        if bundle.estimator.unit != "sample":
            raise ConfigError(f"{bundle.path}: a seizure-level model decides once per seizure; "
                              "a bed needs a probability per window",
                              hint="monitor with a sample-level bundle (e.g. model preset fast)")
        self.bundle, self.extractor, self.config = bundle, extractor, config
        #: what computes the features: this bed's incremental copy of the backbone, or it
        self.features_extractor = incremental_extractor(extractor) if incremental else extractor
        self.spec = extractor.input_spec
        if self.spec.timeline_fps(fps) != fps:
            raise ConfigError(
                f"bed {bed}: {fps} fps, but the backbone reads {self.spec.timeline_fps(fps)} "
                "fps samples", hint="monitor beds at 30 fps or less (the backbone's rate)")
        if config.temporal.fps is not None and as_fps(config.temporal.fps) != fps:
            raise ConfigError(
                f"bed {bed}: {fps} fps, but the bundle's preprocessing resamples recordings to "
                f"{config.temporal.fps} fps (temporal.fps); a bed's windows are cut at its own "
                "rate", hint=f"monitor beds recorded at {config.temporal.fps} fps, or train the "
                             "bundle without temporal.fps")
        self.fps, self.folder, self.bed, self.note = fps, folder, bed, note
        self.window = window_frames(config, self.spec, fps)
        seconds = max(config.intensity.seconds, config.lowlight.seconds,
                      config.detection.search_seconds if config.detection.enabled else 0.0)
        self.calibration_frames = max(self.window, math.ceil(seconds * fps) + 1)
        self._plan: Any = None
        self._shaper: Any = None
        self._maker: Any = None
        self._calib: list[np.ndarray] = []
        self._calibrations = 0
        self._reference: np.ndarray | None = None
        #: the patient-hidden test (16-bit infrared only)
        self._hidden: HiddenTest | None = None
        self._top: float | None = None
        self._outside: np.ndarray | None = None
        self._changed = 0
        self._changed_from = 0
        self.recalibrating = False

    @property
    def calibrated(self) -> bool:
        return self._plan is not None

    # ---- calibration ---------------------------------------------------------------------
    def offer(self, frames: list[Frame | None]) -> None:
        """Frames seen while (re)calibrating, in order; plans once enough have come."""
        if self.calibrated and not self.recalibrating:
            return
        for f in frames:
            if f is not None and len(self._calib) < self.calibration_frames:
                self._calib.append(f.pixels)
        if len(self._calib) >= self.calibration_frames:
            self._calibrate()

    def _calibrate(self) -> None:
        from ictal.io import write_video
        from ictal.models.compat import check_recording
        from ictal.models.predict import manifest_for_video
        from ictal.preprocess.assembler import SampleMaker
        from ictal.preprocess.frame_prep import FramePrep
        from ictal.preprocess.pipeline import _ChunkShaper
        from ictal.preprocess.planner import plan_recording

        self._calibrations += 1
        clip = self.folder / "calibration" / f"clip-{self._calibrations:03d}.mkv"
        clip.parent.mkdir(parents=True, exist_ok=True)
        write_video(clip, self._calib, self.fps)
        kind = "ir" if self._calib[0].ndim == 2 else "rgb"
        manifest = manifest_for_video(clip, kind=kind, patient=self.bed)
        rec = manifest.recordings[0]
        check_recording(self.bundle.meta, self.config, rec, name=f"the bundle {self.bundle.path}")
        plan = plan_recording(manifest, rec.id, self.config)
        plan = dataclasses.replace(plan, recording=self.bed, patient=self.bed)
        prep = FramePrep(self.config, plan.crop_bounds(), plan.ir_window, plan.light_window)
        index_map = np.zeros(self.window, np.int64)  # every frame under the first key frame
        self._shaper = _ChunkShaper(plan, prep, self.config, self.spec, index_map, False, None)
        provenance = {"variant": plan.variant, "source": plan.source,
                      "source_fps": str(self.fps), "timeline_fps": str(self.fps),
                      "input_spec": self.spec.to_dict(), "depth_cropped": False,
                      "windows": "live", "calibration": str(clip)}
        self._maker = SampleMaker(plan, self.spec, self.fps, np.arange(self.window, dtype=np.int64),
                                  provenance, self.window)
        self._plan = plan
        median = np.median(np.stack(self._calib[:: max(1, len(self._calib) // 9)]), axis=0)
        self._top = (float(np.percentile(median[::4, ::4], 99)) or 1.0
                     if self._calib[0].dtype == np.uint16 else None)
        self._reference = thumbnail(median.astype(self._calib[0].dtype), self._top)
        x0, y0, x1, y1 = plan.keyframes[0].crop_box
        self._hidden = (HiddenTest(median[y0:y1, x0:x1], max(1, round(
            HIDDEN_RENEW_S * self.fps / self.window))) if self._calib[0].dtype == np.uint16
            else None)
        self._outside = self._outside_cells(plan)
        box = plan.keyframes[0].crop_box
        self.note("calibrated", f"bed {self.bed}: plan {self._calibrations} from {clip.name} "
                                f"({len(self._calib)} frames): crop {list(box)}, "
                                f"{'; '.join(plan.notes) or 'no notes'}")
        self._calib = []
        self.recalibrating = False
        self._changed = 0

    def _outside_cells(self, plan: Any) -> np.ndarray:
        """``(32, 32)`` bool: thumbnail cells outside the crop (all of them when the crop
        leaves less than a tenth of the picture outside)."""
        x0, y0, x1, y1 = plan.keyframes[0].crop_box
        cy = (np.arange(THUMB) + 0.5) * plan.height / THUMB
        cx = (np.arange(THUMB) + 0.5) * plan.width / THUMB
        inside = ((cy[:, None] >= y0) & (cy[:, None] < y1) & (cx[None] >= x0) & (cx[None] < x1))
        outside = ~inside
        return outside if outside.mean() >= 0.1 else np.ones_like(outside)

    def _scene_check(self, win: WindowFrames) -> None:
        """Count windows whose picture outside the crop differs from the calibration's;
        start a new calibration after :data:`SCENE_WINDOWS` in a row."""
        if self._reference is None or self._outside is None or self.recalibrating:
            return
        last = next((f for f in reversed(win.frames) if f is not None), None)
        if last is None:
            return
        diff = np.abs(thumbnail(last.pixels, self._top) - self._reference) > SCENE_LEVELS
        share = float(diff[self._outside].mean())
        if share > SCENE_SHARE and self._changed == 0:
            self._changed_from = win.start
        self._changed = self._changed + 1 if share > SCENE_SHARE else 0
        if self._changed >= SCENE_WINDOWS:
            self.recalibrating = True
            self._calib = []
            self.note("scene-changed", f"bed {self.bed}: {share:.0%} of the picture outside "
                                       f"the crop changed for {self._changed} windows (bed "
                                       f"moved or camera bumped) from frame "
                                       f"{self._changed_from}: "
                                       "recalibrating", self._changed_from)

    # ---- scoring -------------------------------------------------------------------------
    def score(self, win: WindowFrames) -> Scored:
        """The window's probabilities, or why it cannot be assessed."""
        if win.missing:
            return Scored("not-assessable", reason=f"frame gap: {win.missing} of "
                                                   f"{len(win.frames)} frames missing")
        if not self.calibrated:
            return Scored("not-assessable", reason="calibrating")
        self._scene_check(win)
        if self.recalibrating:
            self.offer(win.frames)
        sample = self._sample(win)
        reason = assessability(sample.frames)
        if reason is None and self._hidden is not None:
            x0, y0, x1, y1 = self._plan.keyframes[0].crop_box
            reason = self._hidden.check(
                np.stack([f.pixels[y0:y1, x0:x1] for f in win.frames if f is not None]))
            if self._hidden.renewed:
                self.note("hidden-renewed", f"bed {self.bed}: patient hidden for "
                                            f"{HIDDEN_RENEW_S:g} s: the reference picture is "
                                            "taken again", win.start)
        if reason is not None:
            return Scored("not-assessable", reason=reason)
        return Scored("scored", probs=self._probs(sample))

    def _sample(self, win: WindowFrames) -> Any:
        from ictal.preprocess.windows import SampleWindow

        frames = [f.pixels for f in win.frames if f is not None]
        n = len(frames)
        processed = self._shaper.shape((list(range(n)), frames, []))
        sample = self._maker.make(SampleWindow(0, n, None, None),
                                  [processed[i] for i in range(n)])[0]
        return dataclasses.replace(sample, span=FrameSpan(win.start, win.stop, self.fps),
                                   crop_box=self._plan.keyframes[0].crop_box)

    def _probs(self, sample: Any) -> list[float]:
        from ictal.features.extract import features_of_samples
        from ictal.models.predict import predict_recording

        table = features_of_samples([sample], self.features_extractor, batch_size=1,
                                    attrs=self.extractor.provenance())
        doc = predict_recording(self.bundle, table, self.bed)
        return [float(p) for p in doc["windows"][0]["probs"]]


def assessability(frames: np.ndarray) -> str | None:
    """Why a sample's frames cannot be assessed, or ``None``.

    Args:
        frames: ``(C, T, H, W)`` ``float32`` normalised to ``[-1, 1]`` (square padding and
            depth-cropped pixels at ``-1``).
    """
    grey = frames.mean(axis=0)  # (T, H, W)
    valid = grey > -0.999
    if valid.mean() < 0.01:
        return "nothing visible in the crop (camera covered or lights off)"
    values = grey[valid]
    if float(values.std()) < MIN_CONTRAST:
        return (f"no contrast in the crop (grey levels spread {float(values.std()) / 2:.1%}; "
                "camera covered or lights off)")
    means = np.array([float(g[v].mean()) if v.any() else -1.0 for g, v in zip(grey, valid,
                                                                              strict=True)])
    if len(means) > 1:
        step = float(np.abs(np.diff(means)).max())
        if step > MAX_LIGHT_STEP:
            return f"lighting switched (mean grey jumped {step / 2:.0%} between two frames)"
    return None


class HiddenTest:
    """The patient-hidden test of one bed (module docstring), window after window.

    Args:
        reference: ``(H, W)`` the calibration's median picture of the crop (active infrared).
        renew: hidden windows in a row after which the reference is taken again.

    Attributes:
        renewed: whether the last :meth:`check` took the reference again.
    """

    def __init__(self, reference: np.ndarray, renew: int) -> None:
        self.reference = reference[::2, ::2].astype(np.float32)
        self.renew, self.streak, self.renewed = renew, 0, False

    def check(self, frames: np.ndarray) -> str | None:
        """``(T, H, W)`` frames of the crop -> why the window is not assessable (the patient
        hidden), or ``None`` (then its median picture is the new reference)."""
        half = frames[:, ::2, ::2]
        share = hidden_share(half, self.reference, subsample=1)
        median = np.median(half[:: max(1, len(half) // 9)], axis=0).astype(np.float32)
        self.renewed = False
        if share < HIDDEN_SHARE:
            self.reference, self.streak = median, 0
            return None
        self.streak += 1
        if self.streak >= self.renew:
            self.reference, self.streak, self.renewed = median, 0, True
        return (f"patient hidden: {share:.0%} of the bed and patient covered by something "
                "nearer the camera (staff or a visitor in front)")


def hidden_share(frames: np.ndarray, reference: np.ndarray, *, subsample: int = 2) -> float:
    """How much of the scene something nearer the camera covers (module docstring).

    Args:
        frames: ``(T, H, W)`` active-infrared frames of the crop (any numeric dtype).
        reference: ``(H, W)`` a reference picture of the same crop (the calibration's median).
        subsample: every ``subsample``-th row and column is looked at.

    Returns:
        In the median frame, the share of the reference's bright part (pixels at least
        :data:`SCENE_BRIGHT` of its 99th percentile) at least :data:`NEAR_FACTOR` times as
        bright as the reference and :data:`NEAR_FLOOR` of the percentile above it; ``0``
        when the reference is black.
    """
    k = subsample
    ref = reference[::k, ::k].astype(np.float32)
    top = float(np.percentile(ref, 99))
    scene = ref >= SCENE_BRIGHT * top
    if top <= 0 or not scene.any():
        return 0.0
    f = frames[:, ::k, ::k].astype(np.float32)
    near = (f >= NEAR_FACTOR * ref) & (f - ref >= NEAR_FLOOR * top)
    return float(np.median((near & scene).sum((1, 2)) / scene.sum()))


def incremental_extractor(extractor: Any) -> Any:
    """A copy of ``extractor`` (a :class:`~ictal.backbones.extractor.FeatureExtractor`) for
    one bed whose ``motion`` backbone keeps the per-frame-pair work of overlapping windows
    (:class:`~ictal.backbones.motion.MotionCache`; same features bit for bit); ``extractor``
    itself for the other backbones."""
    from ictal.backbones.extractor import FeatureNet
    from ictal.backbones.motion import MotionBackbone, MotionCache

    if getattr(getattr(extractor, "spec", None), "family", None) != "motion":
        return extractor
    return dataclasses.replace(extractor, engine="torch", _runner=None,
                               network=FeatureNet("motion", MotionBackbone(MotionCache())))


def motion_cache(extractor: Any) -> Any:
    """The :class:`~ictal.backbones.motion.MotionCache` of an :func:`incremental_extractor`
    (its ``pairs_computed`` / ``pairs_reused``), or ``None``."""
    network = getattr(getattr(extractor, "network", None), "network", None)
    return getattr(network, "cache", None)


def window_frames(config: Any, spec: Any, fps: Fraction) -> int:
    """Frames of a window on a bed at ``fps``: the config's ``temporal.length``, or the
    backbone's 2 s."""
    return int(config.temporal.length or spec.frames_at(fps))


__all__ = ["HiddenTest", "Scored", "Scorer", "WindowFrames", "Windower", "assessability",
           "hidden_share", "incremental_extractor", "motion_cache", "thumbnail",
           "window_frames"]
