"""Visual quality control of the crops (seed 000, Fig. 2 and "Pre-processing" results).

For each recording: a contact sheet of 5 frames spread evenly over the video (first and last
included) showing the detection box dotted and the crop box solid, and -- on the phantom,
whose ground truth is known (:mod:`ictal.manifest.groundtruth`) -- a score of each crop:

* the **detection crop contains** the patient on a frame when the crop box contains the whole
  ground-truth patient box (body and blanket);
* the **detection crop is tight** on a frame when it lies inside the ground-truth bed + patient
  box grown by the configured margin plus ``tight_slack`` (10 %) of its width (height) on each
  side (:func:`~ictal.preprocess.boxes.expand_box`, clipped to the frame): no side reaches
  more than 10 % of the box's size further into the floor and walls than the seeds' rule
  (bed + person box, +``margin`` per side) would crop from perfect detections. Keeping the
  whole frame is not tight on any of the 24 scenes of ``ictal phantom --preset demo``: there
  it reaches 0.44-1.29 times the box's size beyond it, where the default margin 0.3 allows
  0.4 (the detected crops that pass reach at most 0.3); nor is a box that takes in the
  headboard or a wall;
* the **detection crop** succeeds when it both contains the patient and is tight; a montage
  (seed 002's picture-in-picture) succeeds when the crop of each of its views does, against
  that view's ground truth;
* **depth crop** succeeds on a frame when it keeps the patient (at least ``keep_joints`` of the
  patient's visible joints lie on kept depth pixels) and removes staff standing in front of the
  bed (at most ``staff_left`` of the pixels of such a staff member that stand more than
  ``staff_height_m`` above the mattress remain).

A recording's crop succeeds when it succeeds on every QC frame; the dataset's success rate is
the share of recordings that succeed, as seed 000 reports it (95.65 % depth, 96.52 % Mask R-CNN).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from ictal.errors import ConfigError
from ictal.fsutil import atomic_path
from ictal.manifest.groundtruth import GroundTruth
from ictal.manifest.schema import PICTURE_KINDS, Manifest
from ictal.preprocess.boxes import Box, clip_box, contains, expand_box, merge_boxes
from ictal.preprocess.config import PreprocessConfig
from ictal.preprocess.frame_prep import FramePrep
from ictal.preprocess.plan import GIVEN_CROP, KeyframeCrop, RecordingPlan

log = logging.getLogger(__name__)

RED = (230, 40, 40)
YELLOW = (250, 210, 40)


@dataclass(frozen=True)
class QcFrame:
    """One QC frame: ``ir`` ``(H, W)`` ``uint8`` after depth cropping (what detection saw;
    ``(H, W, 3)`` for an RGB source, after the low-light map when there is one), ``raw`` the
    same before depth cropping, ``depth`` ``(H, W)`` ``uint16`` raw and ``kept``
    ``(H, W)`` bool depth-crop mask (``None`` without depth planes)."""

    index: int
    ir: np.ndarray
    raw: np.ndarray
    depth: np.ndarray | None
    kept: np.ndarray | None


def qc_indices(n_frames: int, count: int = 5) -> tuple[int, ...]:
    """``count`` frames spread evenly over ``n_frames``, first and last included (seed 000)."""
    if n_frames <= 0:
        return ()
    return tuple(sorted({round(float(x)) for x in np.linspace(0, n_frames - 1, count)}))


def read_qc_frames(plan: RecordingPlan, config: PreprocessConfig) -> list[QcFrame]:
    """Read and depth-crop the plan's QC frames (one seek per frame)."""
    from ictal.io import open_video

    bounds = plan.crop_bounds()
    prep = FramePrep(config, bounds, plan.ir_window, plan.light_window)
    out = []
    with open_video(plan.streams[plan.source], threads=config.decode_threads) as src:
        dep_reader = (open_video(plan.streams["depth"], threads=config.decode_threads)
                      if "depth" in plan.streams else None)
        try:
            for k in plan.qc_frames:
                frame = src.read(k, k + 1)
                depth = None if dep_reader is None else dep_reader.read(k, k + 1)
                raw8, _ = prep.source(frame, None, crop_depth=False)
                ir8, dep = prep.source(frame, depth, crop_depth=bounds is not None)
                kept = None if dep is None or bounds is None else dep[0] > 0
                out.append(QcFrame(k, ir8[0], raw8[0], None if depth is None else depth[0],
                                   kept))
        finally:
            if dep_reader is not None:
                dep_reader.close()
    return out


def _dotted_rectangle(draw: ImageDraw.ImageDraw, box: tuple[float, ...], colour: tuple[int, ...],
                      dash: int = 4, width: int = 1) -> None:
    x0, y0, x1, y1 = box
    for a, b in (((x0, y0), (x1, y0)), ((x1, y0), (x1, y1)), ((x1, y1), (x0, y1)),
                 ((x0, y1), (x0, y0))):
        length = max(abs(b[0] - a[0]), abs(b[1] - a[1]))
        steps = max(1, int(length // dash))
        for i in range(0, steps, 2):
            t0, t1 = i / steps, min(1.0, (i + 1) / steps)
            draw.line([(a[0] + (b[0] - a[0]) * t0, a[1] + (b[1] - a[1]) * t0),
                       (a[0] + (b[0] - a[0]) * t1, a[1] + (b[1] - a[1]) * t1)],
                      fill=colour, width=width)


def contact_sheet(frames: list[QcFrame], plan: RecordingPlan, *, tile_width: int = 256,
                  results: list[dict[str, Any]] | None = None) -> Image.Image:
    """A row of QC frames with the detection box dotted and the crop box solid (seed 000,
    Fig. 2); above each tile its frame index and time, and the QC verdicts when ``results``
    (from :func:`score_recording`) are given. Returns an RGB image."""
    scale = tile_width / plan.width
    tile_h = round(plan.height * scale)
    header = 16
    sheet = Image.new("RGB", (tile_width * len(frames), tile_h + header), (20, 20, 20))
    draw = ImageDraw.Draw(sheet)
    width = max(1, round(scale))
    for i, qc in enumerate(frames):
        tile = Image.fromarray(qc.ir).convert("RGB").resize((tile_width, tile_h), Image.BILINEAR)
        sheet.paste(tile, (i * tile_width, header))
        key = max((k for k in plan.keyframes if k.frame <= qc.index), key=lambda k: k.frame,
                  default=plan.keyframes[0])

        def place(box: Box, offset: int = i * tile_width) -> tuple[float, ...]:
            x0, y0, x1, y1 = box
            return (offset + x0 * scale, header + y0 * scale,
                    offset + x1 * scale - 1, header + y1 * scale - 1)

        crops = _crops_to_draw(key, plan)
        for crop, (dx, dy) in crops:
            def shifted(box: Box, dx: int = dx, dy: int = dy) -> tuple[float, ...]:
                return place((box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy))

            if crop.detection_box is not None:
                _dotted_rectangle(draw, shifted(crop.detection_box), RED, width=width)
            draw.rectangle(shifted(crop.crop_box), outline=RED, width=width)
        label = f"#{qc.index} {float(qc.index / plan.fps):.1f}s"
        if any(crop.detector == GIVEN_CROP for crop, _ in crops):
            label += " by hand"
        if results is not None and i < len(results):
            r = results[i]
            label += "".join(f" {name}:{'ok' if r[name] else 'FAIL'}"
                             for name in ("contains", "tight", "depth")
                             if r.get(name) is not None)
        draw.text((i * tile_width + 3, 2), label, fill=YELLOW)
    return sheet


def _crops_to_draw(key: KeyframeCrop, plan: RecordingPlan
                   ) -> list[tuple[KeyframeCrop, tuple[int, int]]]:
    """The crops of a key frame to draw and where their pixels start in the frame: the key
    frame's own, or each view's of a montage (the small view's offset by its corner)."""
    if not key.views or plan.montage is None:
        return [(key, (0, 0))]
    corner = plan.montage.small_box[:2]
    return [(v, corner if v.view == plan.montage.small_view else (0, 0)) for v in key.views]


def ruled_picture(image: np.ndarray, crop: Box | None = None) -> Image.Image:
    """A frame at full resolution with a pixel ruler, to read a crop off by eye
    (``ictal manifest crop --picture``): grid lines every 50 px (100 px on pictures wider than
    800 px) labelled with their x / y, and ``crop`` -- ``(x0, y0, x1, y1)`` px -- solid red.

    Args:
        image: ``(H, W)`` or ``(H, W, 3)`` ``uint8``.
    """
    picture = Image.fromarray(image).convert("RGB")
    draw = ImageDraw.Draw(picture)
    w, h = picture.size
    step = 100 if w > 800 else 50
    for x in range(step, w, step):
        draw.line([(x, 0), (x, h - 1)], fill=YELLOW if x % (2 * step) == 0 else (120, 120, 40))
        draw.text((x + 2, 2), str(x), fill=YELLOW)
    for y in range(step, h, step):
        draw.line([(0, y), (w - 1, y)], fill=YELLOW if y % (2 * step) == 0 else (120, 120, 40))
        draw.text((2, y + 2), str(y), fill=YELLOW)
    if crop is not None:
        draw.rectangle((crop[0], crop[1], crop[2] - 1, crop[3] - 1), outline=RED,
                       width=max(1, w // 400))
    return picture


def first_frame_with_ruler(manifest: Manifest, recording: str, out: Path | str, *,
                           view: str | None = None) -> Path:
    """Write the first frame of ``recording`` (its rgb stream, else its ir stream; of a
    montage, the view ``view``) at full resolution with a pixel ruler and the crop its manifest
    row gives now (:func:`ruled_picture`), as PNG at ``out`` (atomically): the picture to read
    a crop's pixels off (``ictal manifest crop --picture``).

    The frame is stretched between its 1st and 99th percentiles (for the eye only: a night
    frame shows; preprocessing maps frames its own way).

    Raises:
        ConfigError: no such recording or view, or no rgb / ir stream.
    """
    from ictal.io import open_video
    from ictal.io.montage import split_montage

    try:
        rec = manifest.recording(recording)
    except KeyError as err:
        raise ConfigError(f"no recording {recording!r} in the manifest") from err
    kinds = [k for k in PICTURE_KINDS if rec.has_stream(k)]
    if not kinds:
        raise ConfigError(f"recording {recording} has no rgb or ir stream to show")
    if rec.montage is not None and view not in rec.montage.views:
        raise ConfigError(f"recording {recording} is a montage: say which view to show",
                          hint=f"add --view {' or --view '.join(rec.montage.views)}")
    with open_video(manifest.resolve(rec.stream(kinds[0]))) as video:
        frame = video.read(0, 1)[0]
    lo, hi = np.percentile(frame, [1, 99])
    frame = (np.clip((frame - lo) / max(float(hi - lo), 1.0), 0, 1) * 255).astype(np.uint8)
    if rec.montage is not None:
        frame = split_montage(frame, rec.montage)[view or ""]
    return save_contact_sheet(ruled_picture(frame, rec.given_crops.get(view)), out)


def save_contact_sheet(image: Image.Image, path: Path | str) -> Path:
    """Write ``image`` as PNG atomically."""
    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG")
    return Path(path)


def _valid(box: np.ndarray) -> bool:
    return bool(box[0] >= 0 and box[2] > box[0] and box[3] > box[1])


def _as_box(values: np.ndarray) -> Box:
    x0, y0, x1, y1 = (int(v) for v in values)
    return (x0, y0, x1, y1)


def _reach(crop: Box, truth: Box) -> float:
    """How far ``crop`` reaches beyond ``truth``: the largest side's overshoot as a share of
    the truth's width (left, right) or height (top, bottom); 0 when it stays inside."""
    w, h = truth[2] - truth[0], truth[3] - truth[1]
    return max(0.0, (truth[0] - crop[0]) / w, (crop[2] - truth[2]) / w,
               (truth[1] - crop[1]) / h, (crop[3] - truth[3]) / h)


def _overlap(a: np.ndarray | Box, b: np.ndarray | Box) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def height_above_mattress(depth: np.ndarray, K: np.ndarray, plane: np.ndarray,
                          scale_xy: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
    """Signed height (m) of every depth pixel above the mattress plane ``a x + b y + c z + d``
    (camera coordinates, unit normal up); ``nan`` where depth is 0.

    Args:
        depth: ``(H, W)`` ``uint16`` depth in mm (Kinect ``z``).
        K: ``(3, 3)`` intrinsics of the frame.
    """
    h, w = depth.shape
    z = depth.astype(np.float64) / 1000.0
    v, u = np.mgrid[0:h, 0:w].astype(np.float64)
    x = (u - K[0, 2]) / K[0, 0] * z
    y = (v - K[1, 2]) / K[1, 1] * z
    out = plane[0] * x + plane[1] * y + plane[2] * z + plane[3]
    out[depth == 0] = np.nan
    return out


def score_frame(
    qc: QcFrame, plan: RecordingPlan, gt: GroundTruth, *, keep_joints: float = 0.8,
    staff_left: float = 0.2, staff_height_m: float = 0.6, tight_slack: float = 0.1,
) -> dict[str, Any]:
    """Score one QC frame against the ground truth ``gt`` (see the module docstring).

    Returns ``{"frame", "contains", "tight", "detection", "reach", "depth", "joints_kept",
    "staff_left"}``: verdicts are ``None`` when they cannot be judged (patient out of view, no
    depth crop); ``reach`` is how far the crop box reaches beyond the true bed + patient box,
    the largest over the four sides as a share of the box's width (height), 0 when it stays
    inside (``tight`` allows ``margin + tight_slack``). A montage whose ground truth has every
    view is scored on each view's crop (a verdict holds when it holds on every view; ``views``
    gives each view's own).
    """
    k = qc.index
    patient = gt.patient_box[k]
    margin = float(plan.config.get("detection", {}).get("margin", 0.0))
    views = [_crop_verdicts(crop, truth.patient_box[k], truth.bed_box[k], size,
                            margin + tight_slack) for crop, truth, size in _views(plan, gt, k)]
    verdicts: dict[str, Any] = {}
    for name in ("contains", "tight", "detection"):
        judged = [v[name] for v in views if v[name] is not None]
        verdicts[name] = all(judged) if judged else None
    reaches = [v["reach"] for v in views if v["reach"] is not None]
    verdicts["reach"] = max(reaches) if reaches else None
    out: dict[str, Any] = {"frame": k, **verdicts, "depth": None, "joints_kept": None,
                           "staff_left": None}
    if len(views) > 1:
        out["views"] = {name: v for name, v in zip(gt.view_names, views, strict=True)}
    if qc.kept is None or qc.depth is None:
        return out
    h, w = qc.kept.shape
    staff = [gt.staff_boxes[s, k] for s in range(gt.staff_boxes.shape[0])
             if gt.staff_present[s, k] and _valid(gt.staff_boxes[s, k])]
    uv = np.rint(gt.joints_2d[k]).astype(int)
    inside = (uv[:, 0] >= 0) & (uv[:, 0] < w) & (uv[:, 1] >= 0) & (uv[:, 1] < h)
    for box in staff:  # joints hidden behind staff cannot be kept by any crop
        inside &= ~((uv[:, 0] >= box[0]) & (uv[:, 0] < box[2]) & (uv[:, 1] >= box[1])
                    & (uv[:, 1] < box[3]))
    if inside.any():
        kept = qc.kept[uv[inside, 1], uv[inside, 0]]
        out["joints_kept"] = float(kept.mean())
    front = [b for b in staff if _valid(gt.bed_box[k]) and _overlap(b, gt.bed_box[k])]
    left = []
    if front:
        height = height_above_mattress(qc.depth, gt.K, gt.bed_plane)
        for box in front:
            region = np.zeros((h, w), bool)
            region[box[1]:box[3], box[0]:box[2]] = True
            if _valid(patient):
                region[patient[1]:patient[3], patient[0]:patient[2]] = False
            tall = region & (height > staff_height_m)
            if tall.sum() >= 4:
                left.append(float(qc.kept[tall].mean()))
    out["staff_left"] = max(left) if left else None
    ok_patient = out["joints_kept"] is None or out["joints_kept"] >= keep_joints
    ok_staff = out["staff_left"] is None or out["staff_left"] <= staff_left
    out["depth"] = bool(ok_patient and ok_staff)
    return out


def _views(plan: RecordingPlan, gt: GroundTruth, k: int
           ) -> list[tuple[Box, GroundTruth, tuple[int, int]]]:
    """What is scored on frame ``k``: the crop box, the ground truth it is scored against and
    the picture's size, in the picture's pixels -- the frame's; for a montage whose ground truth
    has every view (format 2), each view's (its crop, or the whole view when it has none);
    for a montage whose ground truth has one camera, its large view (the frame's pixels)."""
    if plan.montage is None:
        return [(plan.crop_box_at(k), gt, (plan.width, plan.height))]
    if not getattr(gt, "views", ()):
        return [(plan.crop_box_at(k, plan.montage.large_view), gt, (plan.width, plan.height))]
    key = plan.keyframe_at(k)
    out = []
    for name in gt.view_names:
        truth = gt.for_view(name)
        crop = key.view_crop(name)
        box = crop.crop_box if crop is not key else (0, 0, truth.width, truth.height)
        out.append((box, truth, (truth.width, truth.height)))
    return out


def _crop_verdicts(crop: Box, patient: np.ndarray, bed: np.ndarray, size: tuple[int, int],
                   allowance: float) -> dict[str, Any]:
    """``contains``, ``tight``, ``detection`` and ``reach`` of one crop against the true
    patient and bed boxes (``None`` each when the patient is out of view); ``allowance`` is
    the margin plus the slack (see :func:`score_frame`)."""
    if not _valid(patient):
        return {"contains": None, "tight": None, "detection": None, "reach": None}
    person = _as_box(patient)
    truth = merge_boxes(person, _as_box(bed)) if _valid(bed) else person
    allowed = clip_box(expand_box(truth, allowance), *size)
    holds, tight = contains(crop, person), contains(allowed, crop)
    return {"contains": holds, "tight": tight, "detection": holds and tight,
            "reach": round(_reach(crop, truth), 3)}


#: The recording verdicts of :func:`score_recording`, as reports name them.
VERDICTS = {"contains": "detection crop contains the patient",
            "tight": "detection crop is tight",
            "detection": "detection crop (contains and tight)",
            "depth": "depth crop"}


def score_recording(frames: list[QcFrame], plan: RecordingPlan,
                    gt: GroundTruth) -> dict[str, Any]:
    """Per-frame scores and the recording's verdicts (:data:`VERDICTS`: success on every
    judged QC frame, ``None`` when no frame could be judged)."""
    per_frame = [score_frame(qc, plan, gt) for qc in frames]

    def verdict(name: str) -> bool | None:
        judged = [r[name] for r in per_frame if r[name] is not None]
        return all(judged) if judged else None

    return {"frames": per_frame, **{name: verdict(name) for name in VERDICTS}}


def success_rate(verdicts: list[bool | None]) -> tuple[int, int, float | None]:
    """``(successes, judged, percentage)`` over the recordings that could be judged."""
    judged = [v for v in verdicts if v is not None]
    if not judged:
        return 0, 0, None
    ok = sum(judged)
    return ok, len(judged), 100.0 * ok / len(judged)
