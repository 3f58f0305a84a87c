from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import detrend

from ictal.phantom import PhantomConfig, script_dataset
from ictal.phantom.body import J, forward_kinematics
from ictal.phantom.generate import RecordingScript
from ictal.phantom.programmes import CLONIC, ICTAL, POST, PRE, TONIC


def _cfg(scale: float = 0.25, **programme: object) -> PhantomConfig:
    base = PhantomConfig.tiny()
    return PhantomConfig.tiny(
        n_patients=16, duration_scale=scale, pre_s=(4.0, 6.0), post_s=(4.0, 6.0),
        tle=base.tle.model_copy(update=programme), fle=base.fle.model_copy(update=programme))


@pytest.fixture(scope="module")
def focal_plans() -> list[RecordingScript]:
    return script_dataset(_cfg(p_dystonia=0.0, p_generalise=0.0, p_atypical=0.0))


def _joints(plan: RecordingScript) -> np.ndarray:
    return forward_kinematics(plan.patient.shape, plan.placement, plan.motion.dof)[0]


def _speed(plan: RecordingScript) -> np.ndarray:
    """Mean joint speed (m/s) between consecutive frames, (T - 1,)."""
    return np.linalg.norm(np.diff(_joints(plan), axis=0), axis=-1).mean(1) * plan.timeline.fps


def _dominant_hz(plan: RecordingScript) -> float:
    """Dominant frequency of all joint coordinates over the settled part of the focal phase."""
    tl = plan.timeline
    t = tl.times()
    dur = tl.focal_end - tl.t0
    sel = (t >= tl.t0 + 0.3 * dur) & (t < tl.focal_end - 0.1 * dur)
    seg = detrend(_joints(plan)[sel].reshape(sel.sum(), -1), axis=0)
    spec = (np.abs(np.fft.rfft(seg * np.hanning(len(seg))[:, None], axis=0, n=4096))**2).sum(1)
    return float(np.fft.rfftfreq(4096, 1 / tl.fps)[spec.argmax()])


def test_tle_automatisms_at_seed_000_rates(focal_plans: list[RecordingScript]) -> None:
    tle = [p for p in focal_plans if p.patient.syndrome == "TLE"]
    fle = [p for p in focal_plans if p.patient.syndrome == "FLE"]
    assert len(tle) >= 6
    tle_hz = [_dominant_hz(p) for p in tle]
    assert all(0.4 <= f <= 1.8 for f in tle_hz), tle_hz
    assert np.median([_dominant_hz(p) for p in fle]) > np.median(tle_hz)  # FLE faster


def test_motion_energy_fle_above_tle_above_ne(focal_plans: list[RecordingScript]) -> None:
    energy: dict[str, list[float]] = {"FLE": [], "TLE": [], "NE": []}
    for plan in focal_plans:
        speed, phase = _speed(plan), plan.motion.phase[1:]
        energy[plan.patient.syndrome].append(float(speed[phase == ICTAL].mean()))
        energy["NE"].append(float(speed[(phase == PRE) | (phase == POST)].mean()))
    assert min(energy["FLE"]) > max(energy["TLE"])
    assert np.median(energy["TLE"]) > 2 * np.median(energy["NE"])
    # FLE seizures are shorter than TLE seizures
    dur = {s: np.mean([p.timeline.t1 - p.timeline.t0 for p in focal_plans
                       if p.patient.syndrome == s]) for s in ("FLE", "TLE")}
    assert dur["FLE"] < dur["TLE"]


def test_tonic_then_clonic_with_slowing_jerks() -> None:
    plans = script_dataset(_cfg(1.0, p_generalise=1.0, p_dystonia=0.0))
    for plan in plans:
        tl, motion = plan.timeline, plan.motion
        assert tl.tG is not None and tl.t0 < tl.tG < tl.tonic_end < tl.t1
        phases = motion.phase
        assert (phases == TONIC).any() and (phases == CLONIC).any()
        assert {m.term for m in motion.mois} >= {"tonic", "clonic"}
        gaps = np.diff(motion.jerks)
        assert len(gaps) >= 4
        half = len(gaps) // 2
        assert gaps[half:].mean() > gaps[:half].mean()  # the clonic rate slows down
        # the elbows jerk: wrist speed right after each jerk exceeds the clonic median
        joints = _joints(plan)
        wrist = np.linalg.norm(np.diff(joints[:, J["WristLeft"]], axis=0), axis=-1)
        frames = np.rint(motion.jerks * tl.fps).astype(int)
        after = np.array([wrist[f:f + 2].max() for f in frames if f + 2 < len(wrist)])
        clonic = wrist[phases[1:] == CLONIC]
        assert np.median(after) > 1.5 * np.median(clonic)
        # tonic: arms extended (elbow angle near straight) in the middle of the tonic phase
        mid = int(np.flatnonzero(phases == TONIC).mean())
        a = joints[mid, J["ShoulderLeft"]] - joints[mid, J["ElbowLeft"]]
        b = joints[mid, J["WristLeft"]] - joints[mid, J["ElbowLeft"]]
        angle = np.degrees(np.arccos(a @ b / np.linalg.norm(a) / np.linalg.norm(b)))
        assert angle > 140


def test_dystonic_arm_holds_a_posture() -> None:
    plans = script_dataset(_cfg(p_dystonia=1.0, p_generalise=0.0))
    for plan in plans:
        d = plan.timeline.dystonia
        assert d is not None
        start, end, side = d
        moi = [m for m in plan.motion.mois if m.term == "dystonic"]
        assert len(moi) == 1 and moi[0].region == ("right-arm" if side > 0 else "left-arm")
        k = "R" if side > 0 else "L"
        t = plan.timeline.times()
        core = (t > start + 0.3 * (end - start)) & (t < end - 0.3 * (end - start))
        elbow = plan.motion.dof[f"elbow_{k}"][core]
        assert elbow.min() > 1.2  # flexed elbow, held
        assert elbow.std() < 0.15


def test_patient_style_persists_over_events() -> None:
    cfg = _cfg(p_dystonia=0.0, p_generalise=0.0, p_atypical=0.0).model_copy(
        update={"events_per_patient": (2, 2), "n_patients": 8})
    plans = script_dataset(cfg)
    hz = {}
    for plan in plans:
        if plan.patient.syndrome == "TLE":
            hz.setdefault(plan.patient.id, []).append(_dominant_hz(plan))
    within = np.mean([abs(a - b) for a, b in hz.values()])
    means = [np.mean(v) for v in hz.values()]
    between = np.mean([abs(a - b) for i, a in enumerate(means) for b in means[i + 1:]])
    assert within < between


@pytest.mark.slow
def test_patient_leak_scores_better_than_grouped_split() -> None:
    """Patient styles and atypical patients make the data patient-specific, as real data is."""
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    # the default recipe: 25 % atypical patients (seed 000, Table 4)
    cfg = PhantomConfig(n_patients=30, events_per_patient=(3, 3), duration_scale=0.25,
                        pre_s=(1.0, 1.5), post_s=(1.0, 1.5))
    X, y, groups = [], [], []
    for plan in script_dataset(cfg):
        speed = np.linalg.norm(np.diff(_joints(plan), axis=0), axis=-1) * cfg.fps  # (T-1, 25)
        ictal = plan.motion.phase[1:] == ICTAL
        for s in range(0, len(speed) - 60, 60):
            if ictal[s:s + 60].all():
                w = speed[s:s + 60]
                spec = np.abs(np.fft.rfft(w - w.mean(0), axis=0)).sum(1)
                X.append(np.r_[np.log(w.mean(0) + 1e-4), spec[1:].argmax()])
                y.append(plan.patient.syndrome)
                groups.append(plan.patient.id)
    clf = make_pipeline(StandardScaler(), KNeighborsClassifier(1))
    leaky = cross_val_score(clf, np.array(X), y, scoring="f1_macro",
                            cv=StratifiedKFold(5, shuffle=True, random_state=0)).mean()
    grouped = cross_val_score(clf, np.array(X), y, groups=groups, scoring="f1_macro",
                              cv=StratifiedGroupKFold(5, shuffle=True, random_state=0)).mean()
    assert leaky > grouped + 0.05
    # better than chance (0.5); since the recalibration to seed 000's frequency ranges (TLE
    # 0.4-1.8 Hz, FLE slightly faster, see ictal.phantom.calibration) the classes overlap more
    # and these two crude features score ~0.55 grouped
    assert grouped > 0.5
