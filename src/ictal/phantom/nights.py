"""Phantom nights: hours of ordinary bed life with sparse seizures, for live detection.

A night is one patient in one bed, written as a recorder writes it: consecutive segments
``<night>/ir/seg-NNNNN.mkv`` (FFV1 16-bit infrared, one after another on one timeline) with the
phantom's ground truth per segment (``<night>/groundtruth/``) and ``<night>/night.json``::

    {"format": "ictal-phantom-night/1", "night", "patient", "syndrome", "fps" (str),
     "n_frames", "seconds", "segments": [{"file", "start_frame", "n_frames", "activity"}],
     "seizures": [{"id", "type" ("FLE" | "TLE" | "FLE+TCS" | "TLE+TCS"), "onset_s",
                   "offset_s", "generalised_s" | null}],
     "activities": [{"kind", "start_s", "end_s"}], "recipe" {...}}

Segments last ``segment_s`` (60 s) of bed life each: sleep (breathing, small moves), and the
confounders published detectors alarm on -- turning over, sitting up, scratching (a rhythmic
arm movement at 3-5 Hz), eating (arm to mouth, chewing, sitting), a visitor standing by the
bed, staff care (a carer at the bed while the patient is rolled and repositioned) -- drawn with
the weights of :data:`ACTIVITY_WEIGHTS`. ``seizures`` segments, placed at random among them,
hold one seizure each (rest, seizure, rest: the phantom's recording programme), of the
patient's syndrome, focal or focal to bilateral tonic-clonic in turn so that every phantom
type occurs. The body stays where it lies across segments (one placement per night); every
movement starts and ends at the rest posture, so segments join without a jump.

Reduced cost (the renderer's time grows with the pixels): the Kinect picture at ``scale``
0.25 (128 x 106) and ``fps`` 15; a 60 s segment renders in a few seconds on this machine.
Everything is seeded by ``(seed, night, segment)``; a night whose ``night.json`` exists is
complete and skipped when rendering is resumed (segments are written atomically).

Nights are also **training data**: :func:`nights_manifest` describes a nights folder as an
ictal manifest (``<out>/manifest.yaml``, written by :func:`render_nights`) -- every segment a
recording ``<night>-seg-NNNNN`` of the night's patient, a bed-life segment one ``NE`` event
over its whole length (its activity as the semiology), a seizure segment the phantom's pre-ictal
``NE``, seizure (the patient's syndrome) and post-ictal ``NE`` events -- so that ``ictal
extract`` turns the bed life of *other* patients (nights of another seed than the nights a
model is evaluated on) into non-seizure training windows.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ictal.fsutil import write_json_atomic
from ictal.manifest import Event, Manifest, Patient, Recording, Stream, save_manifest
from ictal.phantom.body import rest_placement
from ictal.phantom.config import PhantomConfig
from ictal.phantom.generate import (
    PatientPlan,
    RecordingScript,
    is_complete,
    plan_patient,
    render_recording,
    seizure_label,
)
from ictal.phantom.programmes import (
    Motion,
    Timeline,
    bump,
    oscillation,
    recording_motion,
    rest_motion,
    sample_timeline,
    window,
)
from ictal.phantom.staff import Visit

log = logging.getLogger(__name__)

NIGHT_FORMAT = "ictal-phantom-night/1"
#: Bed-life activities of a segment and their weights.
ACTIVITY_WEIGHTS: dict[str, float] = {
    "sleep": 0.40, "turning": 0.12, "sitting-up": 0.12, "scratching": 0.10, "eating": 0.06,
    "visitor": 0.08, "care": 0.12,
}


@dataclass(frozen=True)
class NightsConfig:
    """The recipe of a set of phantom nights (module docstring).

    Attributes:
        n_nights: nights, night ``k`` the patient ``k`` of the base recipe.
        hours: length of each night.
        seizures: seizure segments per night.
        segment_s: length of a bed-life segment.
        seed: seed.
        scale, fps: the reduced-cost picture.
        duration_scale: seizure durations (as :class:`PhantomConfig`'s; 0.5: FLE 15-22 s,
            TLE 20-30 s focal parts).
    """

    n_nights: int = 3
    hours: float = 0.75
    seizures: int = 2
    segment_s: float = 60.0
    seed: int = 0
    scale: float = 0.25
    fps: int = 15
    duration_scale: float = 0.5

    def phantom(self) -> PhantomConfig:
        """The phantom recipe the nights are rendered with (and a bundle for them trained
        on): the demo's patients, infrared only, at the reduced cost."""
        return PhantomConfig.demo(streams=("ir",), scale=self.scale, fps=self.fps,
                                  duration_scale=self.duration_scale, seed=self.seed,
                                  pre_s=(4.0, 8.0), post_s=(4.0, 8.0),
                                  name="phantom-nights")


def seizure_type(k: int, j: int, syndrome: str) -> tuple[str, bool]:
    """The type of night ``k``'s ``j``-th seizure: focal, then generalised, in turn."""
    generalised = (j + k) % 2 == 1
    return (f"{syndrome}+TCS" if generalised else syndrome), generalised


def _visit(scene: Any, start: float, end: float, rng: np.random.Generator,
           stand_x: float | None = None) -> Visit:
    hl, hw = scene.bed.length / 2, scene.bed.width / 2
    ends = rng.choice([-1.0, 1.0], size=2) * (hl + 1.5)
    return Visit(start=start, end=end, entry_x=float(ends[0]),
                 stand_x=float(rng.uniform(-0.5, 0.5) if stand_x is None else stand_x),
                 exit_x=float(ends[1]), lane_y=scene.staff_side * (hw + rng.uniform(0.3, 0.5)),
                 height=float(rng.uniform(1.55, 1.95)), speed=float(rng.uniform(0.8, 1.3)))


def life_script(cfg: PhantomConfig, patient: PatientPlan, placement: Any, j: int, seconds: float,
                activity: str, rng: np.random.Generator
                ) -> tuple[RecordingScript, list[dict[str, Any]]]:
    """A bed-life segment without a seizure: ``activity`` on top of rest and breathing.

    Returns:
        The script and the activity's spans (s from the segment's start).
    """
    fps = cfg.fps
    n = round(seconds * fps)
    tl = Timeline(fps=fps, n_frames=n, t0=n / fps, t1=n / fps, tG=None, tonic_end=None,
                  dystonia=None)
    quiet = cfg.model_copy(update={"rest": cfg.rest.model_copy(update={
        "moves_per_min": 1.0, "p_reposition": 0.0})})
    dof = rest_motion(quiet, patient.style, tl, rng)
    t = tl.times()
    visits: list[Visit] = []
    spans: list[dict[str, Any]] = []
    a = float(rng.uniform(5, max(6.0, seconds - 35)))
    side = str(rng.choice(["L", "R"]))
    if activity == "turning":
        b = a + float(rng.uniform(3, 6))
        w = window(t, a, b + 15, 2.5)
        dof["roll"] += float(rng.choice([-1, 1]) * rng.uniform(0.5, 0.9)) * w
        dof["hip_flex_L"] += 0.4 * w
        dof["knee_L"] += 0.6 * w
        spans.append({"kind": "turning", "start_s": a, "end_s": b + 17.5})
    elif activity == "sitting-up":
        hold = float(rng.uniform(8, 20))
        w = window(t, a, a + 4 + hold, 2.0)
        dof["trunk_flex"] += float(rng.uniform(0.9, 1.3)) * w
        dof["hip_flex_L"] += 0.3 * w
        dof["hip_flex_R"] += 0.3 * w
        dof["head_nod"] += 0.2 * w
        spans.append({"kind": "sitting-up", "start_s": a, "end_s": a + 4 + hold})
    elif activity == "scratching":
        for _ in range(int(rng.integers(1, 4))):
            dur = float(rng.uniform(2, 6))
            w = window(t, a, a + dur, 0.3)
            osc = oscillation(t, float(rng.uniform(3, 5)), rng, fps=fps)
            dof[f"sh_flex_{side}"] += 0.6 * window(t, a - 1, a + dur + 1, 0.8)
            dof[f"elbow_{side}"] += (1.2 * window(t, a - 1, a + dur + 1, 0.8)
                                     + float(rng.uniform(0.15, 0.3)) * osc * w)
            dof[f"wrist_{side}"] += 0.3 * osc * w
            spans.append({"kind": "scratching", "start_s": a - 1, "end_s": a + dur + 1})
            a += dur + float(rng.uniform(4, 10))
    elif activity == "eating":
        dur = float(rng.uniform(20, 35))
        w = window(t, a, a + dur, 2.0)
        dof["trunk_flex"] += 0.7 * w
        bites = 0.5 - 0.5 * np.cos(2 * np.pi * 0.25 * (t - a))
        dof[f"elbow_{side}"] += (0.6 + 1.0 * bites) * w
        dof[f"sh_flex_{side}"] += (0.4 + 0.5 * bites) * w
        dof["jaw"] += 0.4 * (0.5 + 0.5 * np.sin(2 * np.pi * 1.4 * t)) * w
        spans.append({"kind": "eating", "start_s": a, "end_s": a + dur})
    elif activity == "visitor":
        end = min(seconds - 1, a + float(rng.uniform(20, 35)))
        visits.append(_visit(patient.scene, a, end, rng))
        dof["head_turn"] += 0.3 * window(t, a + 3, end - 3, 1.5)
        spans.append({"kind": "visitor", "start_s": a, "end_s": end})
    elif activity == "care":
        end = min(seconds - 1, a + float(rng.uniform(25, 40)))
        visits.append(_visit(patient.scene, a, end, rng, stand_x=0.0))
        mid = (a + end) / 2
        w = bump(t, mid, 8.0)
        dof["roll"] += float(rng.choice([-1, 1])) * 0.5 * w
        dof["shift_y"] += float(rng.uniform(-0.05, 0.05)) * w
        dof["sh_abd_L"] += 0.3 * w
        dof["knee_R"] += 0.4 * w
        spans.append({"kind": "care", "start_s": a, "end_s": end})
    elif activity != "sleep":
        raise ValueError(f"unknown activity {activity!r}")
    motion = Motion(dof=dof, phase=tl.phases())
    return RecordingScript(patient=patient, event_index=j, id=f"seg-{j:05d}",
                           placement=placement, timeline=tl, motion=motion,
                           visits=visits), spans


def seizure_script(cfg: PhantomConfig, patient: PatientPlan, placement: Any, j: int,
                   generalised: bool, rng: np.random.Generator) -> RecordingScript:
    """A segment holding one seizure of the patient's syndrome (rest, seizure, rest)."""
    prog = cfg.programme(patient.syndrome).model_copy(
        update={"p_generalise": 1.0 if generalised else 0.0})
    key = "fle" if patient.syndrome == "FLE" else "tle"
    forced = cfg.model_copy(update={key: prog})
    tl = sample_timeline(forced, prog, patient.style, rng)
    motion = recording_motion(forced, patient.style, tl, rng)
    return RecordingScript(patient=patient, event_index=j, id=f"seg-{j:05d}",
                           placement=placement, timeline=tl, motion=motion, visits=[])


def night_plan(nc: NightsConfig, k: int) -> tuple[PatientPlan, list[tuple[str, bool]]]:
    """Night ``k``'s patient and its segments: ``(activity, generalised)`` in order, a
    seizure segment's activity being ``"seizure"``."""
    cfg = nc.phantom()
    patient = plan_patient(cfg, k)
    rng = np.random.default_rng([nc.seed, k, 7])
    n_life = max(1, round(nc.hours * 3600 / nc.segment_s) - nc.seizures)
    kinds = list(ACTIVITY_WEIGHTS)
    weights = np.array([ACTIVITY_WEIGHTS[a] for a in kinds])
    life = [(str(a), False) for a in rng.choice(kinds, size=n_life, p=weights / weights.sum())]
    slots = sorted(rng.choice(np.arange(1, n_life + 1), size=nc.seizures, replace=False))
    plan = list(life)
    for j, slot in enumerate(reversed(slots)):
        plan.insert(int(slot), ("seizure", seizure_type(k, nc.seizures - 1 - j,
                                                          patient.syndrome)[1]))
    return patient, plan


def _render_segment(nc_json: str, k: int, j: int, out: str) -> dict[str, Any]:
    """Render segment ``j`` of night ``k`` (a worker process); its description."""
    nc = NightsConfig(**json.loads(nc_json))
    cfg = nc.phantom()
    patient, plan = night_plan(nc, k)
    bed = patient.scene.bed
    placement = rest_placement(patient.shape, bed.length, bed.top, bed.head_sign,
                               np.random.default_rng([nc.seed, k, 8]))
    activity, generalised = plan[j]
    rng = np.random.default_rng([nc.seed, k, 9, j])
    spans: list[dict[str, Any]] = []
    if activity == "seizure":
        script = seizure_script(cfg, patient, placement, j, generalised, rng)
    else:
        script, spans = life_script(cfg, patient, placement, j, nc.segment_s, activity, rng)
    night = Path(out)
    if not is_complete(cfg, night, script.id):
        render_recording(cfg, script, night)
    tl = script.timeline
    seizure = None
    if activity == "seizure":
        seizure = {"onset_s": tl.t0, "offset_s": tl.t1, "generalised_s": tl.tG}
    return {"file": f"ir/{script.id}.mkv", "n_frames": tl.n_frames, "activity": activity,
            "spans": spans, "seizure": seizure}


def render_nights(nc: NightsConfig, out: Path | str, *, workers: int = 2) -> list[Path]:
    """Render every night into ``out/N01``, ``out/N02``, ... (resumable); returns their
    folders. Segments are rendered in parallel; ``night.json`` is written last."""
    from ictal.errors import ConfigError
    from ictal.progress import track

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    nc_json = json.dumps(nc.__dict__)
    recipe = out / "nights-recipe.json"
    if recipe.exists() and json.loads(recipe.read_text()) != nc.__dict__:
        # segments are skipped by name when resuming: another recipe's would be kept
        raise ConfigError(f"{out} holds nights of another recipe ({recipe.read_text().strip()})",
                          hint="render into another folder, or delete this one")
    write_json_atomic(recipe, nc.__dict__)
    folders = []
    jobs = []
    for k in range(nc.n_nights):
        folder = out / f"N{k + 1:02d}"
        folders.append(folder)
        if (folder / "night.json").exists():
            continue
        _, plan = night_plan(nc, k)
        jobs += [(k, j, folder) for j in range(len(plan))]
    results: dict[tuple[int, int], dict[str, Any]] = {}
    if jobs:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(_render_segment, nc_json, k, j, str(folder)): (k, j)
                       for k, j, folder in jobs}
            for fut in track(as_completed(futures), "phantom nights", total=len(futures)):
                results[futures[fut]] = fut.result()
    cfg = nc.phantom()
    for k, folder in enumerate(folders):
        if (folder / "night.json").exists():
            continue
        patient, plan = night_plan(nc, k)
        segments, seizures, activities = [], [], []
        start = 0
        for j in range(len(plan)):
            seg = results[(k, j)]
            t0 = start / cfg.fps
            segments.append({"file": seg["file"], "start_frame": start,
                             "n_frames": seg["n_frames"], "activity": seg["activity"]})
            for span in seg["spans"]:
                activities.append({"kind": span["kind"], "start_s": t0 + span["start_s"],
                                   "end_s": t0 + span["end_s"]})
            if seg["seizure"] is not None:
                sz = seg["seizure"]
                kind, _ = seizure_type(k, len(seizures), patient.syndrome)
                seizures.append({"id": f"{folder.name}-sz{len(seizures) + 1}", "type": kind,
                                 "onset_s": t0 + sz["onset_s"], "offset_s": t0 + sz["offset_s"],
                                 "generalised_s": None if sz["generalised_s"] is None
                                 else t0 + sz["generalised_s"]})
            start += seg["n_frames"]
        write_json_atomic(folder / "night.json", {
            "format": NIGHT_FORMAT, "night": folder.name, "patient": patient.id,
            "syndrome": patient.syndrome, "fps": str(cfg.fps), "n_frames": start,
            "seconds": start / cfg.fps, "segments": segments, "seizures": seizures,
            "activities": activities, "recipe": {**nc.__dict__}})
    save_manifest(nights_manifest(out), out / "manifest.yaml")
    return folders


def nights_manifest(folder: Path | str) -> Manifest:
    """The nights of ``folder`` (``*/night.json``, one recipe) as a training manifest.

    Recordings ``<night>-seg-NNNNN`` (stream ``ir``, paths relative to ``folder``) of the
    night's patient (the phantom's id, e.g. ``P001``: night ``k`` of seed ``s`` is patient
    ``k`` of the phantom of seed ``s``, the same person in both); events: a bed-life segment
    is one ``NE`` event over the whole segment, its activity as the semiology (``"bed life:
    scratching"``); a seizure segment the phantom's three (pre-ictal ``NE``, the seizure
    labelled with the syndrome as :func:`ictal.phantom.generate.build_manifest` labels it,
    post-ictal ``NE``). ``meta.nights``: the recipe, so that a user can check which seed's
    patients a model saw.

    Raises:
        ConfigError: no rendered night in ``folder``, or nights of several recipes.
    """
    from ictal.errors import ConfigError

    folder = Path(folder)
    nights = [load_night(p.parent) for p in sorted(folder.glob("*/night.json"))]
    if not nights:
        raise ConfigError(f"{folder}: no rendered night (no */night.json)",
                          hint="render nights with `ictal monitor nights DIR`")
    recipes = {json.dumps(n["recipe"], sort_keys=True) for n in nights}
    if len(recipes) > 1:
        raise ConfigError(f"{folder}: nights of {len(recipes)} recipes")
    nc = NightsConfig(**nights[0]["recipe"])
    cfg = nc.phantom()
    patients: dict[str, Patient] = {}
    recordings: list[Recording] = []
    events: list[Event] = []
    for night in nights:
        k = int(night["night"][1:]) - 1
        plan = plan_patient(cfg, k)
        patients.setdefault(plan.id, Patient(id=plan.id, sex=plan.sex, age=plan.age,
                                             syndrome=plan.syndrome))
        fps = Fraction(night["fps"])
        seizures = iter(night["seizures"])
        for seg in night["segments"]:
            stem = Path(seg["file"]).stem
            rid = f"{night['night']}-{stem}"
            t0 = seg["start_frame"] / fps
            duration = seg["n_frames"] / fps
            recordings.append(Recording(
                id=rid, patient=plan.id, camera="kinect-v2", bed=f"bed-{plan.id}",
                streams=[Stream(kind="ir", path=f"{night['night']}/{seg['file']}", fps=fps,
                                width=cfg.width, height=cfg.height, n_frames=seg["n_frames"])],
                meta={"groundtruth": f"{night['night']}/groundtruth/{stem}.npz",
                      "generator": "ictal.phantom.nights", "seed": nc.seed,
                      "night": night["night"], "night_t0": float(t0),
                      "activity": seg["activity"]}))
            if seg["activity"] != "seizure":
                events.append(Event(id=f"{rid}-life", recording=rid, t0=0.0,
                                    t1=float(duration), label="NE",
                                    semiology=f"bed life: {seg['activity']}"))
                continue
            sz = next(seizures)
            # on the segment's timeline, rounded as the phantom's MOIs are (no float residue)
            on, off = (round(sz[k] - float(t0), 6) for k in ("onset_s", "offset_s"))
            t_g = (None if sz["generalised_s"] is None
                   else round(sz["generalised_s"] - float(t0), 6))
            events += [
                Event(id=f"{rid}-pre", recording=rid, t0=0.0, t1=on, label="NE",
                      semiology="pre-ictal"),
                Event(id=f"{rid}-sz", recording=rid, t0=on, t1=off, tG=t_g,
                      label=seizure_label(cfg, plan.syndrome, t_g),
                      seizure_types="focal to bilateral tonic-clonic" if t_g is not None
                      else "focal", meta={"night_id": sz["id"], "type": sz["type"]}),
                Event(id=f"{rid}-post", recording=rid, t0=off, t1=float(duration),
                      label="NE", semiology="post-ictal")]
    return Manifest(name=f"phantom-nights-seed{nc.seed}", labels=list(cfg.labels),
                    patients=list(patients.values()), recordings=recordings, events=events,
                    meta={"generator": "ictal.phantom.nights", "nights": nc.__dict__})


def load_night(folder: Path | str) -> dict[str, Any]:
    """A night's ``night.json``."""
    from ictal.errors import ConfigError

    path = Path(folder) / "night.json"
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ConfigError(f"{path}: not a readable night description ({err})",
                          hint="render nights with `ictal monitor nights`") from err
    if doc.get("format") != NIGHT_FORMAT:
        raise ConfigError(f"{path}: unknown format {doc.get('format')!r}")
    return doc


__all__ = ["ACTIVITY_WEIGHTS", "NightsConfig", "load_night", "night_plan", "nights_manifest",
           "render_nights"]
