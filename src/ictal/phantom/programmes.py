"""Movement programmes: what the patient's body does, frame by frame, for each class and phase.

A recording is pre-ictal rest, one seizure ``[t0, t1)`` and a post-ictal period. The seizure
follows its class's programme (clinical facts of the seeds, with randomness):

* **TLE** (seed 000): automatisms of the hand(s), mouth and head at 0.4-1.8 Hz, moderate
  amplitude; seizures of about 30-120 s.
* **FLE** (seed 000, seed 004's hyperkinetic semiology): proximal / axial hyperkinetic movements
  -- pedalling of the legs, thrashing of the arms, rocking of the trunk -- faster and larger than
  TLE; seizures of about 10-60 s.
* **Generalisation** (seed 002): a focal to bilateral tonic-clonic seizure shows the focal
  semiology until ``tG``, then a tonic phase (sustained stiffening and extension of all limbs,
  with a fine tremor) and a clonic phase of rhythmic flexion jerks whose rate slows down.
* **Dystonia** (seed 004): a per-event flag; one arm holds a sustained abnormal posture
  (abducted shoulder, flexed elbow and wrist, rotated hand) for part of the focal phase.
* **Non-epileptic** periods: rest with breathing, small spontaneous movements, occasional
  repositioning (the post-ictal breathing is deeper and faster).

Each patient has a :class:`PatientStyle` -- a preferred rate sub-range, amplitude, dominant side
and repertoire weights within the class's ranges -- that persists over all the patient's events,
as real patients repeat their own semiology (so a split that leaks patients scores better). A
few "atypical" patients (seed 000, Table 4: FLE with automotor seizures, TLE with complex motor
ones) use the other lobe's repertoire at rates where the classes overlap.

The output is a :class:`Motion`: degrees of freedom of :mod:`ictal.phantom.body` as ``(T,)``
arrays, a per-frame phase code (:data:`PHASES`) and the MOI annotations generated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ictal.phantom.body import DOFS
from ictal.phantom.config import PhantomConfig, SeizureProgramme

#: Phase codes of the per-frame ground truth.
PHASES: tuple[str, ...] = ("pre-ictal", "ictal", "tonic", "clonic", "post-ictal")
PRE, ICTAL, TONIC, CLONIC, POST = range(5)
SIDES = {-1: "left", 1: "right"}

_TLE_REPERTOIRE = ("manual", "oral", "head")
_FLE_REPERTOIRE = ("pedal", "thrash", "rock")


@dataclass(frozen=True)
class PatientStyle:
    """A patient's own way of seizing, constant over that patient's events."""

    syndrome: str
    repertoire: str  # "FLE" or "TLE": the programme the seizures follow (atypical: the other)
    rate_hz: tuple[float, float]
    amplitude: float
    side: int  # +1 right, -1 left: the dominant side of automatisms / dystonia
    weights: dict[str, float]
    rest: dict[str, float]
    bimanual: bool


def sample_style(cfg: PhantomConfig, syndrome: str, rng: np.random.Generator) -> PatientStyle:
    """Draw a patient's style within the ranges of ``cfg``'s programme for ``syndrome``."""
    prog = cfg.programme(syndrome)
    atypical = bool(rng.random() < prog.p_atypical)
    programme = ("FLE" if syndrome == "TLE" else "TLE") if atypical else syndrome
    lo, hi = prog.atypical_rate_hz if atypical else prog.rate_hz
    width = (hi - lo) * prog.style_rate_width
    start = rng.uniform(lo, hi - width)
    # a TLE patient's complex motor seizures stay smaller than true FLE hyperkinetic ones
    amplitude = rng.uniform(*prog.amplitude) * (0.7 if atypical and programme == "FLE" else 1.0)
    repertoire = _TLE_REPERTOIRE if programme == "TLE" else _FLE_REPERTOIRE
    raw = rng.uniform(0.2, 1.0, size=len(repertoire))
    raw[rng.integers(len(repertoire))] = 1.0  # every patient has a leading component
    if programme == "TLE":  # hand automatisms are always part of it (with the mouth / head)
        raw[0] = max(raw[0], 0.6)
    rest = {"sh_abd_L": rng.uniform(0.0, 0.3), "sh_abd_R": rng.uniform(0.0, 0.3),
            "elbow_L": rng.uniform(0.0, 0.5), "elbow_R": rng.uniform(0.0, 0.5),
            "hip_abd_L": rng.uniform(0.0, 0.12), "hip_abd_R": rng.uniform(0.0, 0.12),
            "head_turn": rng.uniform(-0.35, 0.35), "head_nod": rng.uniform(0.0, 0.2)}
    if rng.random() < 0.3:
        k = "L" if rng.random() < 0.5 else "R"
        rest[f"hip_flex_{k}"] = rng.uniform(0.2, 0.45)
        rest[f"knee_{k}"] = 2.0 * rest[f"hip_flex_{k}"]
    return PatientStyle(syndrome=syndrome, repertoire=programme, rate_hz=(start, start + width),
                        amplitude=amplitude,
                        side=int(rng.choice([-1, 1])),
                        weights=dict(zip(repertoire, raw.tolist(), strict=True)), rest=rest,
                        bimanual=bool(rng.random() < 0.4))


@dataclass(frozen=True)
class Timeline:
    """Times (s, on frame boundaries) of one recording; ``tG`` / ``tonic_end`` when it
    generalises, ``dystonia`` = (start, end, side) when an arm is dystonic."""

    fps: float  # an int for the Kinect streams (30); 25 or 30000 / 1001 for clinic cameras
    n_frames: int
    t0: float
    t1: float
    tG: float | None  # noqa: N815 (seed 002's name)
    tonic_end: float | None
    dystonia: tuple[float, float, int] | None

    @property
    def duration(self) -> float:
        return self.n_frames / self.fps

    @property
    def focal_end(self) -> float:
        return self.tG if self.tG is not None else self.t1

    def times(self) -> np.ndarray:
        """Start time of every frame, ``(T,)`` float64 seconds."""
        return np.arange(self.n_frames) / self.fps

    def phases(self) -> np.ndarray:
        """Per-frame phase code ``(T,)`` uint8 (see :data:`PHASES`)."""
        t = self.times()
        phase = np.full(self.n_frames, PRE, np.uint8)
        phase[(t >= self.t0) & (t < self.t1)] = ICTAL
        if self.tG is not None and self.tonic_end is not None:
            phase[(t >= self.tG) & (t < self.tonic_end)] = TONIC
            phase[(t >= self.tonic_end) & (t < self.t1)] = CLONIC
        phase[t >= self.t1] = POST
        return phase


def sample_timeline(cfg: PhantomConfig, prog: SeizureProgramme, style: PatientStyle,
                    rng: np.random.Generator, *, fps: float | None = None) -> Timeline:
    """Durations of the periods and phases of one recording, quantised to frames of ``fps``
    (default ``cfg.fps``; the clinic camera's own rate, e.g. ``30000 / 1001``)."""
    fps = cfg.fps if fps is None else fps

    def q(seconds: float) -> int:
        return max(1, round(seconds * fps))

    pre = q(rng.uniform(*cfg.pre_s))
    dur = max(q(rng.uniform(*prog.duration_s) * cfg.duration_scale), 3)
    post = q(rng.uniform(*cfg.post_s))
    focal = None
    if rng.random() < prog.p_generalise:
        # the drawn duration is the focal part, r = (tG - t0) / (t1 - t0) (seed 002), so
        # generalising seizures last longer, as in seed 002 (TCS 93 s vs FOS 53 s median)
        focal = dur
        dur = max(round(focal / rng.uniform(*prog.generalise_ratio)), focal + 2)
    return _timeline(prog, style, rng, fps, pre, dur, post, focal)


def _timeline(prog: SeizureProgramme, style: PatientStyle, rng: np.random.Generator,
              fps: float, pre: int, dur: int, post: int, focal: int | None) -> Timeline:
    """The timeline of ``pre`` + ``dur`` + ``post`` frames whose seizure generalises
    ``focal`` frames after onset (``None``: it stays focal): the tonic / clonic split and
    the dystonia drawn from ``prog``."""
    tG = tonic_end = None
    if focal is not None:
        g = pre + focal
        c = g + min(max(round(rng.uniform(*prog.tonic_fraction) * (dur - focal)), 1),
                    dur - focal - 1)
        tG, tonic_end = g / fps, c / fps
    f0, f1 = pre, pre + dur
    dystonia = _draw_dystonia(prog, style, rng, fps, f0, f1, tG)
    return Timeline(fps=fps, n_frames=pre + dur + post, t0=f0 / fps, t1=f1 / fps, tG=tG,
                    tonic_end=tonic_end, dystonia=dystonia)


def _draw_dystonia(prog: SeizureProgramme, style: PatientStyle, rng: np.random.Generator,
                   fps: float, f0: int, f1: int, tG: float | None,
                   ) -> tuple[float, float, int] | None:
    """With probability ``p_dystonia``, an arm's dystonic window inside the focal part
    (frames ``f0`` to ``tG`` or ``f1``)."""
    if rng.random() >= prog.p_dystonia:
        return None
    focal = (round(tG * fps) if tG is not None else f1) - f0
    length = max(round(rng.uniform(*prog.dystonia_fraction) * focal), 1)
    start = f0 + int(rng.integers(0, max(focal - length, 0) + 1))
    return (start / fps, (start + length) / fps, style.side)


def _truncated(draw: Callable[[], float], low: float, high: float) -> float:
    """A draw within ``[low, high]``: ``draw()`` again until one falls inside (the last
    one clipped after 1000 tries)."""
    x = draw()
    for _ in range(1000):
        if low <= x <= high:
            return x
        x = draw()
    return min(max(x, low), high)


def sample_type_timeline(cfg: PhantomConfig, prog: SeizureProgramme, style: PatientStyle,
                         rng: np.random.Generator, *, fps: float | None = None) -> Timeline:
    """A recording of seed 002's seizure types (:class:`SeizureTypesConfig`): TCS with
    probability ``p_tcs``; the duration ``t1 - t0`` from the type's truncated log-normal times
    ``duration_scale``; a TCS generalises at ``r (t1 - t0)`` after onset, ``r`` from a
    truncated normal; tonic / clonic split and dystonia from the repertoire's ``prog``.
    Times are quantised to frames of ``fps`` (default ``cfg.fps``)."""
    fps = cfg.fps if fps is None else fps
    st = cfg.seizure_types

    def q(seconds: float) -> int:
        return max(1, round(seconds * fps))

    pre = q(rng.uniform(*cfg.pre_s))
    tcs = bool(rng.random() < st.p_tcs)
    spread = st.tcs_duration_s if tcs else st.fos_duration_s
    seconds = _truncated(lambda: float(rng.lognormal(np.log(spread.median), spread.sigma)),
                         spread.low, spread.high)
    dur = max(q(seconds * cfg.duration_scale), 4)
    post = q(rng.uniform(*cfg.post_s))
    focal = None
    if tcs:
        r = _truncated(lambda: float(rng.normal(st.ratio_mean, st.ratio_sd)), *st.ratio_range)
        focal = min(max(round(r * dur), 1), dur - 2)
    return _timeline(prog, style, rng, fps, pre, dur, post, focal)


@dataclass(frozen=True)
class Moi:
    """A movement of interest generated: body region, term, start / end (s)."""

    region: str
    term: str
    start: float
    end: float


@dataclass
class Motion:
    """Body movement of one recording: ``dof`` name -> ``(T,)`` float64, ``phase`` ``(T,)``
    uint8, the MOIs, and the clonic jerk times (s) when the seizure generalises."""

    dof: dict[str, np.ndarray]
    phase: np.ndarray
    mois: list[Moi] = field(default_factory=list)
    jerks: np.ndarray = field(default_factory=lambda: np.zeros(0))


# ---- signal helpers ------------------------------------------------------------------------
def smooth_noise(n: int, fps: float, corr_s: float, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance Gaussian noise ``(n,)`` smoothed over ``corr_s`` seconds."""
    x = gaussian_filter1d(rng.standard_normal(n + 64), sigma=max(corr_s * fps, 0.5),
                          mode="wrap")[32:32 + n]
    return x / max(float(x.std()), 1e-9)


def oscillation(t: np.ndarray, rate: float, rng: np.random.Generator, *, jitter: float = 0.06,
                fps: float = 30.0) -> np.ndarray:
    """``sin`` of a phase advancing at ``rate`` Hz with a slowly drifting rate (``jitter``)."""
    inst = rate * (1.0 + jitter * smooth_noise(len(t), fps, 1.5, rng))
    phase = 2 * np.pi * np.cumsum(inst) / fps + rng.uniform(0, 2 * np.pi)
    return np.sin(phase)


def window(t: np.ndarray, start: float, end: float, ramp: float) -> np.ndarray:
    """Smooth on/off envelope in [0, 1]: raised-cosine ramps of ``ramp`` s inside
    ``[start, end]``."""
    ramp = max(min(ramp, (end - start) / 2), 1e-3)
    up = np.clip((t - start) / ramp, 0, 1)
    down = np.clip((end - t) / ramp, 0, 1)
    return 0.5 - 0.5 * np.cos(np.pi * np.minimum(up, down))


def bump(t: np.ndarray, centre: float, width: float) -> np.ndarray:
    """Raised-cosine bump of total ``width`` s centred at ``centre``, peak 1."""
    x = np.clip((t - centre) / (width / 2), -1, 1)
    return 0.5 + 0.5 * np.cos(np.pi * x)


def _blend(dof: dict[str, np.ndarray], target: dict[str, np.ndarray | float],
           weight: np.ndarray) -> None:
    for k, v in target.items():
        dof[k] = (1 - weight) * dof[k] + weight * v


# ---- programmes ------------------------------------------------------------------------------
def rest_motion(cfg: PhantomConfig, style: PatientStyle, tl: Timeline,
                rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Rest posture, breathing and non-epileptic movements over the whole recording."""
    rp = cfg.rest
    t = tl.times()
    T = tl.n_frames
    dof = {k: np.full(T, style.rest.get(k, 0.0)) for k in DOFS}
    post = t >= tl.t1
    rate = rng.uniform(*rp.breath_hz) * np.where(post, 1.5, 1.0)
    depth = rng.uniform(*rp.breath_m) * np.where(post, 1.6, 1.0)
    phase = 2 * np.pi * np.cumsum(rate) / tl.fps
    dof["breath"] = depth * (0.5 + 0.5 * np.sin(phase))
    movable = ("head_turn", "head_nod", "sh_abd_L", "sh_abd_R", "elbow_L", "elbow_R",
               "wrist_L", "wrist_R", "hip_abd_L", "hip_abd_R", "ankle_L", "ankle_R")
    for a, b in ((0.0, tl.t0), (tl.t1, tl.duration)):
        span = b - a
        if span <= 0:
            continue
        for _ in range(rng.poisson(rp.moves_per_min * span / 60.0)):
            width = rng.uniform(*rp.move_s)
            centre = rng.uniform(a, b)
            dof[str(rng.choice(movable))] += (rng.choice([-1, 1]) * rng.uniform(*rp.move_amplitude)
                                              * bump(t, centre, width))
        if rng.random() < rp.p_reposition:
            width = min(rng.uniform(*rp.reposition_s), span)
            centre = rng.uniform(a + width / 2, b - width / 2) if span > width else (a + b) / 2
            w = bump(t, centre, width)
            dof["roll"] += rng.choice([-1, 1]) * rng.uniform(0.1, 0.25) * w
            dof["shift_y"] += rng.uniform(-0.05, 0.05) * w
            dof["hip_flex_L"] += rng.uniform(0.0, 0.2) * w
            dof["knee_L"] += rng.uniform(0.0, 0.3) * w
    return dof


def _tle_focal(dof: dict[str, np.ndarray], t: np.ndarray, tl: Timeline, style: PatientStyle,
               amp: float, rate: float, rng: np.random.Generator) -> list[Moi]:
    """TLE automatisms: hand fumbling, oral automatisms, head movements (seed 000)."""
    a, b = tl.t0, tl.focal_end
    dur = b - a
    w = style.weights
    mois = []
    lo, hi = 0.4, 1.8  # seed 000's TLE automatism rates
    sides = [style.side, -style.side] if style.bimanual else [style.side]
    for k, s in enumerate(sides):
        start = a + rng.uniform(0, 0.15) * dur
        env = window(t, start, b, min(0.8, dur / 4)) * w["manual"] * (1.0 if k == 0 else 0.7)
        side = "R" if s > 0 else "L"
        f = float(np.clip(rate * rng.uniform(0.95, 1.05), lo, hi))
        osc = oscillation(t, f, rng, fps=tl.fps)
        osc2 = oscillation(t, f, rng, fps=tl.fps)
        # fumbling in front of the chest: the hand travels about 10-15 cm per cycle
        dof[f"elbow_{side}"] += env * (1.0 + 0.45 * amp * osc)
        dof[f"sh_flex_{side}"] += env * (0.3 + 0.25 * amp * osc2)
        dof[f"sh_abd_{side}"] -= env * 0.1
        dof[f"wrist_{side}"] += env * 0.6 * amp * osc2
        dof[f"twist_{side}"] += env * 0.6 * amp * osc
        if w["manual"] > 0.3:
            mois.append(Moi(f"{SIDES[s]}-hand", "automatisms", start, b))
    f = float(np.clip(rate * rng.uniform(0.9, 1.2), lo, hi))
    start = a + rng.uniform(0, 0.2) * dur
    env = window(t, start, b, min(0.6, dur / 4)) * w["oral"]
    dof["jaw"] += env * amp * (0.5 + 0.5 * oscillation(t, f, rng, fps=tl.fps))
    dof["head_nod"] += env * 0.06 * amp * oscillation(t, f, rng, fps=tl.fps)
    if w["oral"] > 0.3:
        mois.append(Moi("mouth", "automatisms", start, b))
    f = float(np.clip(rate * rng.uniform(0.5, 0.9), lo, hi))
    start = a + rng.uniform(0, 0.3) * dur
    env = window(t, start, b, min(0.8, dur / 4)) * w["head"]
    # 0.2 rad: O'Dwyer 2007's TLE head movements, 15.5-17.3 deg/s on average (calibration)
    dof["head_turn"] += env * (0.2 * amp * oscillation(t, f, rng, fps=tl.fps)
                               + 0.2 * style.side)
    if w["head"] > 0.3:
        mois.append(Moi("head", "automatisms", start, b))
    return mois


def _fle_focal(dof: dict[str, np.ndarray], t: np.ndarray, tl: Timeline, style: PatientStyle,
               amp: float, rate: float, rng: np.random.Generator) -> list[Moi]:
    """FLE hyperkinetic movements: pedalling, thrashing, rocking (seeds 000, 004)."""
    a, b = tl.t0, tl.focal_end
    dur = b - a
    w = style.weights
    mois = []
    ramp = min(0.4, dur / 5)
    start = a + rng.uniform(0, 0.1) * dur
    env = window(t, start, b, ramp) * w["pedal"] * amp
    f = rate * rng.uniform(0.9, 1.1)
    phase = oscillation(t, f, rng, fps=tl.fps, jitter=0.1)
    quad = np.gradient(phase) / (2 * np.pi * f / tl.fps)  # cos of the same phase
    for side, sgn in (("L", 1.0), ("R", -1.0)):
        hip = env * (0.4 + 0.3 * sgn * phase)
        dof[f"hip_flex_{side}"] += hip
        dof[f"knee_{side}"] += 1.6 * hip + env * 0.3 * sgn * quad
        dof[f"hip_abd_{side}"] += env * 0.1 * sgn * quad
    if w["pedal"] > 0.3:
        mois.append(Moi("legs", "hyperkinetic", start, b))
    start = a + rng.uniform(0, 0.15) * dur
    env = window(t, start, b, ramp) * w["thrash"] * amp
    for side in ("L", "R"):
        f = rate * rng.uniform(0.85, 1.15)
        dof[f"sh_abd_{side}"] += env * (0.4 + 0.25 * oscillation(t, f, rng, fps=tl.fps))
        dof[f"sh_flex_{side}"] += env * (0.5 + 0.3 * oscillation(t, f, rng, fps=tl.fps))
        dof[f"elbow_{side}"] += env * (0.7 + 0.35 * oscillation(t, f, rng, fps=tl.fps))
    if w["thrash"] > 0.3:
        mois.append(Moi("arms", "hyperkinetic", start, b))
    start = a + rng.uniform(0, 0.15) * dur
    env = window(t, start, b, ramp) * w["rock"] * amp
    f = rate * rng.uniform(0.45, 0.6)
    rock = oscillation(t, f, rng, fps=tl.fps)
    dof["roll"] += env * 0.3 * rock
    dof["shift_y"] += env * 0.05 * oscillation(t, f, rng, fps=tl.fps)
    dof["trunk_flex"] += env * (0.1 + 0.08 * oscillation(t, rate, rng, fps=tl.fps))
    dof["head_turn"] += env * 0.3 * oscillation(t, rate * 0.8, rng, fps=tl.fps)
    dof["head_nod"] += env * 0.12 * oscillation(t, rate, rng, fps=tl.fps)
    if w["rock"] > 0.3:
        mois.append(Moi("trunk", "hyperkinetic", start, b))
    return mois


def _dystonia(dof: dict[str, np.ndarray], t: np.ndarray, tl: Timeline,
              rng: np.random.Generator) -> list[Moi]:
    """Sustained dystonic posture of one arm (seed 004)."""
    if tl.dystonia is None:
        return []
    start, end, s = tl.dystonia
    side = "R" if s > 0 else "L"
    wgt = window(t, start, end, min(0.8, (end - start) / 3))
    tremor = 0.03 * oscillation(t, 5.0, rng, fps=tl.fps)
    _blend(dof, {f"sh_abd_{side}": 0.7, f"sh_flex_{side}": 0.5, f"elbow_{side}": 1.7 + tremor,
                 f"wrist_{side}": 1.1 + tremor, f"twist_{side}": 0.9}, wgt)
    return [Moi(f"{SIDES[s]}-arm", "dystonic", start, end)]


def _tonic_clonic(dof: dict[str, np.ndarray], t: np.ndarray, tl: Timeline,
                  prog: SeizureProgramme, rng: np.random.Generator) -> tuple[list[Moi], np.ndarray]:
    """Tonic stiffening then clonic jerks slowing down, from ``tG`` (seed 002)."""
    if tl.tG is None or tl.tonic_end is None:
        return [], np.zeros(0)
    tG, tc, t1 = tl.tG, tl.tonic_end, tl.t1
    tremor = 0.04 * oscillation(t, 7.0, rng, fps=tl.fps, jitter=0.1)
    tonic = {"sh_flex_L": 0.7, "sh_flex_R": 0.7, "sh_abd_L": 0.35, "sh_abd_R": 0.35,
             "elbow_L": 0.1, "elbow_R": 0.1, "wrist_L": -0.4, "wrist_R": -0.4,
             "twist_L": 0.0, "twist_R": 0.0, "hip_flex_L": 0.05, "hip_flex_R": 0.05,
             "knee_L": 0.0, "knee_R": 0.0, "ankle_L": -0.5, "ankle_R": -0.5, "hip_abd_L": 0.05,
             "hip_abd_R": 0.05, "head_nod": -0.35, "head_turn": 0.0, "trunk_flex": -0.1,
             "roll": 0.0, "shift_y": 0.0, "jaw": 0.25}
    w_tonic = window(t, tG, tc, min(0.5, (tc - tG) / 3))
    _blend(dof, {k: v + (tremor if k.startswith(("sh_", "elbow", "hip_flex")) else 0.0)
                 for k, v in tonic.items()}, w_tonic)
    # clonic: jerk rate falls linearly from r0 to r1 over [tc, t1)
    r0, r1 = prog.clonic_rate_hz
    r0 *= rng.uniform(0.9, 1.1)
    inside = (t >= tc) & (t < t1)
    progress = np.clip((t - tc) / max(t1 - tc, 1e-6), 0, 1)
    count = np.cumsum(np.where(inside, r0 + (r1 - r0) * progress, 0.0)) / tl.fps
    crossing = np.flatnonzero(np.diff(np.floor(count)) > 0) + 1
    jerks = t[crossing]
    pulse = np.zeros_like(t)
    for tj in jerks:
        dt = t - tj
        pulse += np.where(dt >= 0, np.exp(-np.clip(dt, 0, None) / 0.08), 0.0)
    gain = 1.0 - 0.4 * progress
    clonic_base = {"sh_flex_L": 0.4, "sh_flex_R": 0.4, "sh_abd_L": 0.3, "sh_abd_R": 0.3,
                   "elbow_L": 0.6, "elbow_R": 0.6, "wrist_L": 0.2, "wrist_R": 0.2,
                   "hip_flex_L": 0.25, "hip_flex_R": 0.25, "knee_L": 0.4, "knee_R": 0.4,
                   "ankle_L": 0.0, "ankle_R": 0.0, "head_nod": 0.0, "trunk_flex": 0.0,
                   "jaw": 0.2, "roll": 0.0, "shift_y": 0.0, "head_turn": 0.0}
    jerk_gain = {"sh_flex": 0.35, "elbow": 0.7, "wrist": 0.4, "hip_flex": 0.3, "knee": 0.5,
                 "head_nod": 0.3, "trunk_flex": 0.08, "jaw": 0.5}
    target: dict[str, np.ndarray | float] = {}
    for k, v in clonic_base.items():
        g = next((jerk_gain[p] for p in jerk_gain if k.startswith(p)), 0.0)
        target[k] = v + g * gain * pulse
    w_clonic = window(t, tc, t1, min(0.3, (t1 - tc) / 4))
    _blend(dof, target, w_clonic)
    return ([Moi("whole-body", "tonic", tG, tc), Moi("whole-body", "clonic", tc, t1)], jerks)


def recording_motion(cfg: PhantomConfig, style: PatientStyle, tl: Timeline,
                     rng: np.random.Generator) -> Motion:
    """All movement of one recording: rest + the seizure's programme + generalisation."""
    prog = cfg.programme(style.syndrome)
    t = tl.times()
    dof = rest_motion(cfg, style, tl, rng)
    amp = float(style.amplitude * rng.uniform(0.9, 1.1))
    rate = float(rng.uniform(*style.rate_hz))
    if style.repertoire == "TLE":
        mois = _tle_focal(dof, t, tl, style, amp, rate, rng)
    else:
        mois = _fle_focal(dof, t, tl, style, amp, rate, rng)
    mois += _dystonia(dof, t, tl, rng)
    tc_mois, jerks = _tonic_clonic(dof, t, tl, prog, rng)
    mois += tc_mois
    return Motion(dof=dof, phase=tl.phases(), mois=mois, jerks=jerks)
