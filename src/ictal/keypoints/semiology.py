"""Quantitative semiology per limb: how much, how fast and at what rhythm each limb moves.

The figures epileptologists read in the quantitative-semiology literature (seeds 000 / 003:
speed, path length, amplitude, dominant movement frequency; seed 000 grounds its 2 s windows
in movement frequencies -- TLE automatisms 0.4-1.8 Hz, FLE faster -- and clonic jerks are
rhythmic), per limb of :data:`ictal.keypoints.layout.LIMBS` and per window of ``window_s``
seconds (window ``k`` = frames ``[floor(k w fps), floor((k + 1) w fps))``, exact).

Signals: a limb's distal keypoint relative to its reference joint (the wrist from the shoulder
for the arm, the head from the neck...; the trunk is the neck itself), in metres when the
store has 3D, else in pixels divided by the recording's median torso length (neck to spine
base; unit ``torso``), so patients near and far from the camera compare. Per window (only
frames where the limb is seen; a window needs ``min_valid`` of its frames):

==================  ==========================================================================
column              meaning
==================  ==========================================================================
``speed``           mean speed over consecutive seen frames (unit/s)
``acceleration``    mean magnitude of the second difference (unit/s^2)
``path``            path length (unit)
``amplitude``       range (5th-95th percentile) along the movement's principal axis (unit)
``frequency``       dominant frequency (Hz) of that axis' position, 0.2 Hz to Nyquist, gaps
                    linearly bridged for the spectrum only, mean removed, Hann window
``band_power``      share of the power (0.2 Hz up) inside 0.4-1.8 Hz
``periodicity``     highest autocorrelation at lags of 1/8 s to half the window (clonic rhythm:
                    near 1 for regular jerks, near 0 for irregular movement)
==================  ==========================================================================

Per window and recording also: the lateralisation index of each left / right pair,
``(L - R) / (L + R)`` of their paths (+1: only the left moves), and the head version angle
(degrees between the neck-to-head vector and the spine, positive towards the patient's left).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ictal.fsutil import atomic_path
from ictal.keypoints.layout import LIMB_PAIRS, LIMBS, B
from ictal.keypoints.store import KeypointTrack
from ictal.manifest import Manifest
from ictal.plotting import pyplot, save_png

BAND = (0.4, 1.8)
MIN_FREQUENCY = 0.2
FEATURES = ("speed", "acceleration", "path", "amplitude", "frequency", "band_power",
            "periodicity")


@dataclass(frozen=True)
class Signals:
    """Per-limb positions ``(T, D)`` (NaN = not seen), their unit and frame rate."""

    limbs: dict[str, np.ndarray]
    unit: str
    fps: Fraction


def limb_signals(track: KeypointTrack, *, use_3d: bool | None = None) -> Signals:
    """The limbs' positions (see the module docstring); 3D when the store has it (default)."""
    three = track.has_3d if use_3d is None else use_3d
    if three and track.body_3d is not None:
        pts, unit = track.body_3d.astype(np.float64), "m"
    else:
        pts = track.body[..., :2].astype(np.float64).copy()
        pts[track.body[..., 2] <= 0] = np.nan
        torso = np.linalg.norm(pts[:, B["neck"]] - pts[:, B["spine_base"]], axis=-1)
        scale = np.nanmedian(torso) if np.isfinite(torso).any() else np.nan
        pts = pts / scale if scale and np.isfinite(scale) else pts * np.nan
        unit = "torso"
    limbs = {}
    for name, (distal, ref) in LIMBS.items():
        p = pts[:, B[distal]]
        limbs[name] = p - pts[:, B[ref]] if ref is not None else p
    return Signals(limbs, unit, track.fps)


def window_bounds(n_frames: int, fps: Fraction, window_s: float) -> list[tuple[int, int]]:
    """Frame spans ``[start, stop)`` of consecutive windows of ``window_s`` s (the last, shorter
    one dropped)."""
    w = Fraction(window_s).limit_denominator(1000)
    out = []
    k = 0
    while True:
        start, stop = math.floor(k * w * fps), math.floor((k + 1) * w * fps)
        if stop > n_frames:
            return out
        out.append((start, stop))
        k += 1


def _bridge(x: np.ndarray) -> np.ndarray:
    """Linear interpolation across NaN rows of ``(n, D)`` (ends held)."""
    out = x.copy()
    idx = np.arange(len(x))
    for d in range(x.shape[1]):
        ok = np.isfinite(x[:, d])
        out[:, d] = np.interp(idx, idx[ok], x[ok, d])
    return out


def movement_features(x: np.ndarray, fps: float, *, min_valid: float = 0.8) -> dict[str, float]:
    """The figures of one limb over one window: ``x`` ``(n, D)`` positions (NaN = not seen)."""
    nan = {k: math.nan for k in FEATURES}
    ok = np.isfinite(x).all(1)
    n = len(x)
    if n < 4 or ok.mean() < min_valid:
        return nan
    steps = np.linalg.norm(np.diff(x, axis=0), axis=1)  # NaN where either frame unseen
    both = np.isfinite(steps)
    speed = float(np.mean(steps[both]) * fps) if both.any() else math.nan
    acc2 = np.linalg.norm(np.diff(x, 2, axis=0), axis=1)
    acc = float(np.nanmean(acc2) * fps * fps) if np.isfinite(acc2).any() else math.nan
    path = float(np.sum(steps[both]))
    y = _bridge(x)
    y = y - y.mean(0)
    # principal axis of the movement
    _, _, vt = np.linalg.svd(y, full_matrices=False)
    s = y @ vt[0]
    lo, hi = np.percentile(s[ok], [5, 95])
    spec = np.abs(np.fft.rfft(s * np.hanning(n))) ** 2
    freqs = np.fft.rfftfreq(n, 1.0 / fps)
    use = freqs >= MIN_FREQUENCY
    if not use.any() or spec[use].sum() <= 0:
        freq, band = math.nan, math.nan
    else:
        freq = float(freqs[use][np.argmax(spec[use])])
        in_band = use & (freqs >= BAND[0]) & (freqs <= BAND[1])
        band = float(spec[in_band].sum() / spec[use].sum())
    lo_lag, hi_lag = max(1, round(fps / 8)), n // 2
    period = math.nan
    if hi_lag > lo_lag and s.std() > 0:
        z = (s - s.mean()) / s.std()
        ac = [float(np.mean(z[:-k] * z[k:])) for k in range(lo_lag, hi_lag + 1)]
        period = max(ac)
    return {"speed": speed, "acceleration": acc, "path": path, "amplitude": float(hi - lo),
            "frequency": freq, "band_power": band, "periodicity": period}


def head_version(track: KeypointTrack, *, use_3d: bool | None = None) -> np.ndarray:
    """``(T,)`` degrees between the neck-to-head vector and the spine (spine base to neck),
    positive when the head turns towards the patient's left shoulder; NaN where unseen."""
    three = track.has_3d if use_3d is None else use_3d
    if three and track.body_3d is not None:
        p = track.body_3d.astype(np.float64)
    else:
        p = track.body[..., :2].astype(np.float64).copy()
        p[track.body[..., 2] <= 0] = np.nan
    head = p[:, B["head"]] - p[:, B["neck"]]
    spine = p[:, B["neck"]] - p[:, B["spine_base"]]
    left = p[:, B["left_shoulder"]] - p[:, B["right_shoulder"]]
    cos = np.einsum("td,td->t", head, spine) / (
        np.linalg.norm(head, axis=1) * np.linalg.norm(spine, axis=1))
    angle = np.degrees(np.arccos(np.clip(cos, -1, 1)))
    side = np.sign(np.einsum("td,td->t", head, left))
    return angle * np.where(side == 0, 1, side)


def windows_table(track: KeypointTrack, *, window_s: float = 2.0,
                  use_3d: bool | None = None) -> list[dict[str, Any]]:
    """One row per window and limb (columns: recording, window, start_frame, stop_frame,
    t_start, t_stop, limb, unit, the :data:`FEATURES`, lateralisation of its pair, head
    version mean / max |.|)."""
    sig = limb_signals(track, use_3d=use_3d)
    version = head_version(track, use_3d=use_3d)
    fps = float(track.fps)
    rows: list[dict[str, Any]] = []
    for w, (a, b) in enumerate(window_bounds(len(track), track.fps, window_s)):
        feats = {name: movement_features(x[a:b], fps) for name, x in sig.limbs.items()}
        lat: dict[str, float] = {}
        for left, right in LIMB_PAIRS:
            pl, pr = feats[left]["path"], feats[right]["path"]
            li = (pl - pr) / (pl + pr) if (pl + pr) > 0 else math.nan
            lat[left] = lat[right] = li
        hv = version[a:b]
        seen = np.isfinite(hv)
        for name, f in feats.items():
            rows.append({
                "recording": track.recording, "window": w, "start_frame": int(track.frames[a]),
                "stop_frame": int(track.frames[b - 1]) + 1,
                "t_start": float(Fraction(int(track.frames[a])) / track.fps),
                "t_stop": float(Fraction(int(track.frames[b - 1]) + 1) / track.fps),
                "limb": name, "unit": sig.unit, **f,
                "lateralisation": lat.get(name, math.nan),
                "head_version_mean": float(np.mean(hv[seen])) if seen.any() else math.nan,
                "head_version_max": float(np.max(np.abs(hv[seen]))) if seen.any() else math.nan,
            })
    return rows


def seizure_table(track: KeypointTrack, manifest: Manifest, *, use_3d: bool | None = None
                  ) -> list[dict[str, Any]]:
    """One row per event of the recording and limb: the figures over the whole event."""
    sig = limb_signals(track, use_3d=use_3d)
    rows: list[dict[str, Any]] = []
    frame_of = {int(f): i for i, f in enumerate(track.frames)}
    for ev in manifest.events_of(track.recording):
        a = frame_of.get(math.floor(Fraction(ev.t0) * track.fps))
        b = frame_of.get(min(int(track.frames[-1]), math.ceil(Fraction(ev.t1) * track.fps) - 1))
        if a is None or b is None or b <= a:
            continue
        feats = {name: movement_features(x[a:b + 1], float(track.fps), min_valid=0.5)
                 for name, x in sig.limbs.items()}
        for name, f in feats.items():
            pair = next((p for p in LIMB_PAIRS if name in p), None)
            li = math.nan
            if pair is not None:
                pl, pr = feats[pair[0]]["path"], feats[pair[1]]["path"]
                li = (pl - pr) / (pl + pr) if (pl + pr) > 0 else math.nan
            rows.append({"recording": track.recording, "event": ev.id, "label": ev.label,
                         "t0": ev.t0, "t1": ev.t1, "limb": name, "unit": sig.unit, **f,
                         "lateralisation": li})
    return rows


def _write_csv(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    import csv

    with atomic_path(path) as tmp, tmp.open("w", newline="") as fh:
        if rows:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            for r in rows:
                w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v)
                            for k, v in r.items()})
    return path


def plot_recording(rows: Sequence[dict[str, Any]], path: Path, *, title: str,
                   events: Sequence[tuple[float, float, str]] = ()) -> Path:
    """Per-limb lanes of speed and dominant frequency over the windows of one recording."""
    limbs = list(dict.fromkeys(r["limb"] for r in rows))
    fig, axes = pyplot().subplots(len(limbs), 2, figsize=(11, 1.3 * len(limbs) + 1), sharex=True,
                             squeeze=False)
    for i, limb in enumerate(limbs):
        rs = [r for r in rows if r["limb"] == limb]
        t = [(r["t_start"] + r["t_stop"]) / 2 for r in rs]
        for j, (key, colour) in enumerate((("speed", "tab:blue"), ("frequency", "tab:red"))):
            ax = axes[i, j]
            ax.plot(t, [r[key] for r in rs], marker=".", color=colour)
            for t0, t1, label in events:
                if label != "NE":
                    ax.axvspan(t0, t1, color="orange", alpha=0.15)
            if j == 1:
                ax.axhspan(*BAND, color="grey", alpha=0.12)
            ax.set_ylabel(f"{limb}\n{key} ({rs[0]['unit'] + '/s' if key == 'speed' else 'Hz'})",
                          fontsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return save_png(fig, path, tight=False)


def write_semiology(tracks: dict[str, KeypointTrack], out: Path | str, *,
                    manifest: Manifest | None = None, window_s: float = 2.0,
                    plots: bool = True) -> list[Path]:
    """``windows.csv`` (and ``seizures.csv`` with a manifest) and a PNG per recording."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    all_rows: list[dict[str, Any]] = []
    seizures: list[dict[str, Any]] = []
    written = []
    for rid, track in sorted(tracks.items()):
        rows = windows_table(track, window_s=window_s)
        all_rows += rows
        events: list[tuple[float, float, str]] = []
        if manifest is not None:
            seizures += seizure_table(track, manifest)
            events = [(e.t0, e.t1, e.label) for e in manifest.events_of(rid)]
        if plots and rows:
            written.append(plot_recording(rows, out / f"{rid}.png", events=events,
                                          title=f"{rid}: per-limb speed and dominant frequency "
                                                f"({window_s:g} s windows)"))
    written.insert(0, _write_csv(out / "windows.csv", all_rows))
    if manifest is not None:
        written.insert(1, _write_csv(out / "seizures.csv", seizures))
    return written
