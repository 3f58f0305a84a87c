"""``motion``: a weight-free backbone summarising movement amplitude, speed and frequency.

The classical quantitative baseline of video-based seizure analysis: how much moves inside
the crop, how fast, in which direction and at which rhythm. It needs no checkpoint, runs fast
on a CPU and gives the same ``(timesteps, features)`` + mask layout as I3D, so every classifier
accepts it. A full 60-frame sample gives 8 timesteps of 7.5 frames (I3D gives 7).

Per frame pair, on the grey clip at its input resolution (112 x 112: a hand's automatism in a
crop of the whole bed spans a few pixels, and halving the resolution loses it):

* motion energy ``|I[t+1] - I[t]|`` (frame differencing), per visible pixel: pixels at ``-1``
  (zeroed by the depth crop, or square padding) do not count, so the figures do not depend on
  how much of the crop the bed fills;
* a cheap dense optical flow: one Lucas-Kanade least-squares solve per block of an 8 x 8 grid
  (structure tensor of the spatial gradients against the temporal difference, Tikhonov
  regularised), i.e. the block's mean displacement in input pixels per frame.

Per timestep they are summarised per cell of a 4 x 4 grid (energy, flow speed, mean flow vector)
and globally (direction and speed histograms, fraction of moving pixels, speed statistics,
acceleration, direction reversals). The rhythm of the whole sample -- the spectrum of the
motion-energy signal and of the cells' flow signals (FFT, Hann window) -- is appended to every
timestep: relative power in frequency bands, the dominant frequency and the peak's share of the
power.

Time follows the stream: :func:`motion_features` is told the clips' frame rate (30 fps, the
Kinect's, when it is not). Band edges are in Hz (TLE automatisms 0.4-1.8 Hz fall in the
0.25-2 Hz bands); the dominant frequency is given in Hz / 7.5 (0-2 up to 15 Hz, i.e. cycles
per frame x 4 at 30 fps) to keep every feature of order 1; a timestep is 0.25 s (7.5 frames
at 30 fps, 6.25 at 25); flow speeds, flow vectors and accelerations are per 1/30 s (input
pixels), so the speed bins mean the same movement at 25 fps. Frame-difference energies stay
per frame pair. At exactly 30 fps every figure is what revision 2 computed (the Kinect
demo's features are unchanged); revision 3 changed them at other rates.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, fields
from typing import Any

import torch
import torch.nn.functional as F

GRID = 4  # cells per side for the per-cell summaries
FLOW_GRID = 8  # Lucas-Kanade blocks per side
DIRECTION_BINS = 8
SPEED_EDGES = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2)  # input pixels / frame -> 8 bins
ENERGY_THRESHOLDS = (0.02, 0.05, 0.1, 0.2)  # |dI| in [-1, 1] units -> moving-pixel fractions
# Frequency band edges in Hz: rest, automatisms, clonic, tremor.
BAND_EDGES = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 9.0, 15.0)
FPS_SCALE = 30.0  # the frame rate assumed when none is given; speeds are per 1 / FPS_SCALE s
FULL_FRAMES = 60  # frames of a full 2 s sample at FPS_SCALE
FULL_TIMESTEPS = 8
LK_REGULARISATION = 1e-3
# pixels (frames x H x W) of the samples computed in one pass: the flow's temporaries are
# about ten float copies of them (a batch of 8 samples of 60 x 112 x 112 at once: 250 MB more
# peak memory, and no faster)
PASS_PIXELS = 1 << 20

PER_STEP_FEATURES = GRID * GRID * 4 + DIRECTION_BINS + len(SPEED_EDGES) + 1 + len(
    ENERGY_THRESHOLDS) + 12
SPECTRAL_FEATURES = 2 * (len(BAND_EDGES) - 1 + 2)
FEATURES = PER_STEP_FEATURES + SPECTRAL_FEATURES


def feature_names() -> list[str]:
    """Names of the :data:`FEATURES` columns, in order (for reports and tests)."""
    cells = [f"r{r}c{c}" for r in range(GRID) for c in range(GRID)]
    names = [f"energy_{c}" for c in cells] + [f"speed_{c}" for c in cells]
    names += [f"flow_x_{c}" for c in cells] + [f"flow_y_{c}" for c in cells]
    names += [f"direction_{i}" for i in range(DIRECTION_BINS)]
    names += [f"speed_hist_{i}" for i in range(len(SPEED_EDGES) + 1)]
    names += [f"moving_gt_{t}" for t in ENERGY_THRESHOLDS]
    names += ["energy_mean", "energy_sq", "energy_max", "energy_std", "speed_mean", "speed_max",
              "abs_flow_x", "abs_flow_y", "flow_x", "flow_y", "acceleration", "reversals"]
    for signal in ("energy", "flow"):
        names += [f"{signal}_band_{lo}_{hi}" for lo, hi in itertools.pairwise(BAND_EDGES)]
        names += [f"{signal}_dominant_freq", f"{signal}_peak_share"]
    return names


def full_frames(fps: float | None = None) -> int:
    """Frames of a full 2 s sample at ``fps`` (``None``: :data:`FPS_SCALE`): 60 at 30 fps,
    50 at 25, 60 at 29.97 (rounded)."""
    if fps is None or fps == FPS_SCALE:
        return FULL_FRAMES
    return max(2, round(FULL_FRAMES * fps / FPS_SCALE))


def motion_timesteps(frames: int, fps: float | None = None) -> int:
    """Real timesteps for a clip of ``frames`` frames at ``fps`` (30 fps: 60 -> 8; 10 -> 2);
    a step is 0.25 s (7.5 frames at 30 fps).

    Frame pair ``i`` (frames ``i``, ``i + 1``) belongs to step ``floor(i * 8 / full)`` with
    ``full`` = :func:`full_frames` (60 at 30 fps), at most step 7.
    """
    if frames < 2:
        return 0
    return min(FULL_TIMESTEPS, (frames - 2) * FULL_TIMESTEPS // full_frames(fps) + 1)


def _flow_lk(prev: torch.Tensor, nxt: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Block Lucas-Kanade flow between ``(P, h, w)`` frame stacks -> ``(P, B, B)`` vx and vy."""
    mid = 0.5 * (prev + nxt)
    ix = torch.zeros_like(mid)
    iy = torch.zeros_like(mid)
    ix[:, :, 1:-1] = 0.5 * (mid[:, :, 2:] - mid[:, :, :-2])
    iy[:, 1:-1, :] = 0.5 * (mid[:, 2:, :] - mid[:, :-2, :])
    it = nxt - prev
    # block means of the five products, one product at a time: stacking them first held five
    # (P, h, w) products at once (about 250 MB for 8 samples of 50 frames at 112 x 112)
    s = torch.stack([F.adaptive_avg_pool2d(product[:, None], FLOW_GRID)[:, 0] for product in (
        ix * ix, ix * iy, iy * iy, ix * it, iy * it)], 1)  # (P, 5, B, B)
    a, b, c = s[:, 0] + LK_REGULARISATION, s[:, 1], s[:, 2] + LK_REGULARISATION
    det = a * c - b * b
    vx = -(c * s[:, 3] - b * s[:, 4]) / det
    vy = -(a * s[:, 4] - b * s[:, 3]) / det
    return vx, vy


def _step_index(pairs: int, full: int = FULL_FRAMES) -> torch.Tensor:
    """``(pairs,)`` int64: the timestep of each frame pair (``full`` frames make 8 steps)."""
    return (torch.arange(pairs) * FULL_TIMESTEPS // full).clamp(max=FULL_TIMESTEPS - 1)


def _segment_mean(values: torch.Tensor, steps: torch.Tensor, n_steps: int) -> torch.Tensor:
    """Mean of ``values`` ``(N, P, ...)`` over the pairs of each step -> ``(N, n_steps, ...)``."""
    n, p = values.shape[:2]
    flat = values.reshape(n, p, -1)
    out = torch.zeros(n, n_steps, flat.shape[2], dtype=values.dtype)
    out.index_add_(1, steps, flat)
    counts = torch.bincount(steps, minlength=n_steps).clamp(min=1).to(values.dtype)
    out /= counts[None, :, None]
    return out.reshape(n, n_steps, *values.shape[2:])


def _spectrum_features(signal: torch.Tensor, fps: float = FPS_SCALE) -> torch.Tensor:
    """Relative band power, dominant frequency and peak share of ``(N, P, K)`` signals sampled
    at ``fps`` Hz.

    The spectrum (Hann window, zero-padded to 256 points, mean removed) is averaged over the K
    signals; returns ``(N, bands + 2)``, bands in Hz, the dominant frequency in Hz / 7.5.
    One sample at a time: the FFT of a batch may round in the last bit differently with the
    batch's size (seen on AVX-512), and a sample's features must not depend on its batch.
    """
    n, p, _ = signal.shape
    if n > 1:
        return torch.cat([_spectrum_features(signal[i:i + 1], fps) for i in range(n)])
    if p < 4:
        return torch.zeros(n, len(BAND_EDGES) - 1 + 2)
    x = signal - signal.mean(1, keepdim=True)
    x = x * torch.hann_window(p, periodic=False, dtype=x.dtype)[None, :, None]
    n_fft = max(256, 1 << (p - 1).bit_length())
    power = torch.fft.rfft(x, n=n_fft, dim=1).abs().square().mean(2)  # (N, n_fft // 2 + 1)
    freqs = torch.fft.rfftfreq(n_fft) * fps  # Hz
    power[:, 0] = 0.0
    total = power.sum(1, keepdim=True).clamp(min=1e-12)
    bands = []
    for lo, hi in itertools.pairwise(BAND_EDGES):
        sel = (freqs > lo) & (freqs <= hi)
        bands.append(power[:, sel].sum(1) / total[:, 0])
    peak = power.argmax(1)
    dominant = freqs[peak] / FPS_SCALE * 4.0  # ~[0, 2]: Hz / 7.5 (cycles / frame x 4 at 30)
    share = power.max(1).values / total[:, 0]
    has_motion = (total[:, 0] > 1e-10).to(power.dtype)
    return torch.cat([torch.stack(bands, 1), dominant[:, None], share[:, None]], 1) * (
        has_motion[:, None])


@dataclass
class PairTerms:
    """The per-frame-pair work of :func:`motion_features` -- everything that depends on two
    consecutive frames only, before the sample's visible share scales the energies:
    ``(N, P, ...)`` ``float32`` for ``P`` pairs of ``N`` samples.

    Attributes:
        cell_energy: ``(N, P, 16)`` mean ``|dI|`` per cell of the 4 x 4 grid.
        moving: ``(N, P, 4)`` share of pixels with ``|dI|`` above each energy threshold.
        energy, diff_max, diff_std: ``(N, P)`` mean, max and standard deviation of ``|dI|``.
        vx, vy: ``(N, P, 8, 8)`` block Lucas-Kanade flow, input pixels per frame.
    """

    cell_energy: torch.Tensor
    moving: torch.Tensor
    energy: torch.Tensor
    diff_max: torch.Tensor
    diff_std: torch.Tensor
    vx: torch.Tensor
    vy: torch.Tensor

    @staticmethod
    def cat(parts: list[PairTerms], dim: int = 1) -> PairTerms:
        """Pairs (``dim=1``) or samples (``dim=0``) of several ``PairTerms`` one after the
        other."""
        return PairTerms(*(torch.cat([getattr(p, f.name) for p in parts], dim)
                           for f in fields(PairTerms)))

    def pair(self, index: int) -> PairTerms:
        """Pair ``index`` of every sample (``P`` = 1; views, no copy)."""
        return PairTerms(*(getattr(self, f.name)[:, index:index + 1]
                           for f in fields(PairTerms)))


def pair_terms(grey: torch.Tensor) -> PairTerms:
    """The per-pair work of ``(N, T, H, W)`` grey clips in ``[-1, 1]`` (``T - 1`` pairs)."""
    n, t, hh, ww = grey.shape
    p = t - 1
    prev, nxt = grey[:, :-1], grey[:, 1:]
    diff = (nxt - prev).abs()  # (N, P, h, w)
    vx, vy = _flow_lk(prev.reshape(n * p, hh, ww), nxt.reshape(n * p, hh, ww))
    return PairTerms(
        cell_energy=F.adaptive_avg_pool2d(diff.reshape(n * p, 1, hh, ww), GRID).reshape(
            n, p, -1),
        moving=torch.stack([(diff > thr).float().mean((2, 3)) for thr in ENERGY_THRESHOLDS],
                           2),
        energy=diff.mean((2, 3)), diff_max=diff.amax((2, 3)), diff_std=diff.std((2, 3)),
        vx=vx.reshape(n, p, FLOW_GRID, FLOW_GRID), vy=vy.reshape(n, p, FLOW_GRID, FLOW_GRID))


def visible_pixels(grey: torch.Tensor) -> torch.Tensor:
    """``(N, T)`` ``float32``: pixels per frame of ``(N, T, H, W)`` grey clips that show the
    scene (not ``-1``: zeroed by the depth crop, or square padding); whole numbers."""
    return (grey > -0.99).float().sum((2, 3))


@torch.no_grad()
def motion_features(clip: torch.Tensor, fps: float | None = None) -> torch.Tensor:
    """Motion summary of a batch of clips.

    Args:
        clip: ``(N, C, T, H, W)`` ``float32`` in ``[-1, 1]``, ``T >= 2``, ``H, W >= 16``.
        fps: the clips' frame rate (``None``: :data:`FPS_SCALE`, 30).

    Returns:
        ``(N, motion_timesteps(T, fps), FEATURES)`` ``float32``: per timestep, in order, 4 x 4 cell
        energy (16), cell speed (16), cell mean flow x and y (32), direction histogram (8),
        speed histogram (8), moving-pixel fractions (4), 12 global statistics, then the
        sample's spectrum of motion energy (12) and of cell flow (12).
    """
    n, _, t = clip.shape[:3]
    per_pass = max(1, PASS_PIXELS // max(1, t * clip.shape[3] * clip.shape[4]))
    if n > per_pass:  # every figure is per sample: a few samples at a time, same values
        return torch.cat([motion_features(clip[i:i + per_pass], fps)
                          for i in range(0, n, per_pass)])
    grey = clip.float().mean(1)  # (N, T, H, W)
    return features_of_pairs(pair_terms(grey), visible_pixels(grey), grey.shape[-2:], fps)


def features_of_pairs(terms: PairTerms, visible: torch.Tensor, size: tuple[int, int] | Any,
                      fps: float | None = None) -> torch.Tensor:
    """:func:`motion_features` from the per-pair work of its clips (:func:`pair_terms`) and
    their visible pixels per frame (:func:`visible_pixels`); ``size`` is the frames' ``(H,
    W)``. Returns ``(N, timesteps, FEATURES)`` ``float32``."""
    n, p = terms.energy.shape
    t = p + 1
    hh, ww = size
    # share of the picture showing the scene (not zeroed by the depth crop, not padding):
    # energies are per visible pixel, so a bed seen small (a camera at its foot) and a bed
    # filling the crop give the same figures for the same movement
    share = (visible.sum(1) / (t * hh * ww)).clamp(min=0.02)  # (N,)
    per_visible = (1.0 / share)[:, None]  # (N, 1)
    vx, vy = terms.vx, terms.vy
    rate = FPS_SCALE if fps is None else float(fps)
    per_tick = rate / FPS_SCALE  # px / frame -> px per 1/30 s; untouched at 30 fps
    if per_tick != 1.0:
        vx, vy = vx * per_tick, vy * per_tick
    speed = torch.sqrt(vx * vx + vy * vy)

    cells = FLOW_GRID // GRID
    cell_energy = terms.cell_energy * per_visible[..., None]
    pool = torch.nn.AvgPool2d(cells)
    cell_speed = pool(speed.reshape(n * p, 1, FLOW_GRID, FLOW_GRID)).reshape(n, p, -1)
    cell_vx = pool(vx.reshape(n * p, 1, FLOW_GRID, FLOW_GRID)).reshape(n, p, -1)
    cell_vy = pool(vy.reshape(n * p, 1, FLOW_GRID, FLOW_GRID)).reshape(n, p, -1)

    angle = torch.atan2(vy, vx)  # (N, P, B, B)
    direction_bin = ((angle + math.pi) / (2 * math.pi) * DIRECTION_BINS).long().clamp(
        0, DIRECTION_BINS - 1)
    direction_hist = torch.zeros(n, p, DIRECTION_BINS)
    direction_hist.scatter_add_(2, direction_bin.reshape(n, p, -1), speed.reshape(n, p, -1))
    direction_hist /= speed.reshape(n, p, -1).sum(2, keepdim=True).clamp(min=1e-6)
    speed_bin = torch.bucketize(speed.reshape(n, p, -1), torch.tensor(SPEED_EDGES))
    speed_hist = torch.zeros(n, p, len(SPEED_EDGES) + 1)
    speed_hist.scatter_add_(2, speed_bin, torch.ones_like(speed.reshape(n, p, -1)))
    speed_hist /= FLOW_GRID * FLOW_GRID
    moving = terms.moving * per_visible[..., None]

    energy = terms.energy * per_visible  # (N, P)
    mean_speed = speed.mean((2, 3))
    accel = torch.zeros_like(mean_speed)
    accel[:, 1:] = torch.sqrt((vx[:, 1:] - vx[:, :-1]) ** 2 + (vy[:, 1:] - vy[:, :-1]) ** 2
                              ).mean((2, 3))
    if per_tick != 1.0:  # a change per frame -> per 1/30 s
        accel = accel * per_tick
    reversal = torch.zeros_like(mean_speed)
    reversal[:, 1:] = ((cell_vx[:, 1:] * cell_vx[:, :-1] + cell_vy[:, 1:] * cell_vy[:, :-1]) < 0
                       ).float().mean(2)
    global_stats = torch.stack([
        energy, energy.square(), terms.diff_max, terms.diff_std, mean_speed,
        speed.amax((2, 3)), vx.abs().mean((2, 3)), vy.abs().mean((2, 3)), vx.mean((2, 3)),
        vy.mean((2, 3)), accel, reversal,
    ], 2)

    per_pair = torch.cat([
        torch.log1p(50.0 * cell_energy), torch.log1p(5.0 * cell_speed), cell_vx, cell_vy,
        direction_hist, speed_hist, moving, global_stats,
    ], 2)
    n_steps = motion_timesteps(t, rate)
    steps = _step_index(p, full_frames(rate))
    per_step = _segment_mean(per_pair, steps, n_steps)
    spectral = torch.cat([
        _spectrum_features(energy[:, :, None], rate),
        _spectrum_features(torch.cat([cell_vx, cell_vy], 2), rate),
    ], 1)
    return torch.cat([per_step, spectral[:, None, :].expand(n, n_steps, -1)], 2).contiguous()


class MotionCache:
    """The per-pair work of one stream's clips kept from one clip to the next, so that
    overlapping clips (a bed's windows every second, 2 s long) compute the flow and the
    differences of each frame pair once.

    Content-addressed: a pair is reused when both its frames are, bit for bit, frames of the
    previous clip (looked up by a sparse sample of their pixels, then compared whole), so a
    clip that
    shares nothing -- another crop, a gap, other preprocessing -- is computed afresh, and the
    features are those of :func:`motion_features` bit for bit (tested). Only the last clip's
    frames and pairs are kept. Not thread-safe: one cache per stream.

    Attributes:
        pairs_computed, pairs_reused: counts since the cache was made.
    """

    def __init__(self) -> None:
        self._frames: dict[bytes, list[tuple[torch.Tensor, int]]] = {}
        self._pairs: dict[tuple[int, int], PairTerms] = {}
        self._next_id = 0
        self.pairs_computed = 0
        self.pairs_reused = 0

    def _frame_ids(self, grey: torch.Tensor) -> tuple[list[int], dict[bytes, list[tuple[
            torch.Tensor, int]]]]:
        """An id per frame of ``(T, H, W)`` ``grey``: a known frame's (same bytes), else a new
        one; and the lookup of these frames."""
        ids, kept = [], {}
        for frame in grey:
            key = frame[::7, ::7].numpy().tobytes()  # narrows the search; equality decides
            known = next((i for f, i in self._frames.get(key, []) if torch.equal(f, frame)),
                         None)
            if known is None:
                known, self._next_id = self._next_id, self._next_id + 1
            bucket = kept.setdefault(key, [])
            if all(i != known for _, i in bucket):
                bucket.append((frame, known))  # a view of this call's clip, kept until the next
            ids.append(known)
        return ids, kept

    @torch.no_grad()
    def __call__(self, clip: torch.Tensor, fps: float | None = None) -> torch.Tensor:
        """:func:`motion_features` of ``clip`` ``(N, C, T, H, W)``, reusing the pairs of the
        previous call's clips (samples in order: a batch of consecutive windows reuses within
        itself too)."""
        out = []
        for sample in clip.float():
            grey = sample.mean(0)  # (T, H, W)
            ids, kept = self._frame_ids(grey)
            pairs = list(itertools.pairwise(ids))
            todo = [i for i, key in enumerate(pairs) if key not in self._pairs]
            found: dict[tuple[int, int], PairTerms] = {}
            for first, last in _runs(todo):  # new pairs first..last: frames first..last + 1
                fresh = pair_terms(grey[None, first:last + 2])
                found |= {pairs[i]: fresh.pair(i - first) for i in range(first, last + 1)}
            terms = PairTerms.cat([found.get(key) or self._pairs[key] for key in pairs])
            self.pairs_computed += len(todo)
            self.pairs_reused += len(pairs) - len(todo)
            self._pairs = {key: found.get(key) or self._pairs[key] for key in pairs}
            self._frames = kept
            out.append(features_of_pairs(terms, visible_pixels(grey[None]), grey.shape[-2:],
                                         fps))
        return torch.cat(out)


def _runs(indices: list[int]) -> list[tuple[int, int]]:
    """Runs of consecutive numbers in increasing ``indices``: ``[(first, last), ...]``."""
    runs: list[tuple[int, int]] = []
    for i in indices:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


class MotionBackbone(torch.nn.Module):
    """``nn.Module`` face of :func:`motion_features` (no parameters); with a
    :class:`MotionCache`, the incremental form of one stream's overlapping clips."""

    features = FEATURES

    def __init__(self, cache: MotionCache | None = None) -> None:
        super().__init__()
        self.cache = cache

    def forward(self, clip: torch.Tensor, fps: float | None = None) -> torch.Tensor:
        if self.cache is not None:
            return self.cache(clip, fps)
        return motion_features(clip, fps)


def build_motion(num_classes: int = 0) -> MotionBackbone:
    """The motion backbone (``num_classes`` is ignored: there is no head)."""
    return MotionBackbone()
