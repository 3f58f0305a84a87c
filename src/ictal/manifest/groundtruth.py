"""Ground truth of a synthetic recording: one compressed ``.npz`` per recording.

The phantom (:mod:`ictal.phantom`) writes it; preprocessing QC scores crops against it. The
format lives here, below both, so that neither imports the other.

File: ``DIR/groundtruth/<recording id>.npz`` (``numpy.savez_compressed``), written after the
recording's videos, so its presence marks a complete recording. ``T`` = frames, ``S`` = staff
visits of the recording. Arrays (camera coordinates: metres, ``x`` right, ``y`` down, ``z``
forward, the phantom's ``ictal.phantom.scene``; pixels: ``(u, v)`` = column, row of the
recorded frames -- the 512x424 Kinect IR / depth, or the clinic camera's frame; boxes
``(x0, y0, x1, y1)`` with ``x1`` / ``y1`` exclusive, ``-1`` = not in view):

=================  ==================  ==========================================================
key                shape, dtype        meaning
=================  ==================  ==========================================================
``format``         () int              format version (1, or 2 for a montage: see below)
``recording``      () str              recording id of the manifest
``fps``            (2,) int64          frame rate as numerator, denominator
``size``           (2,) int64          frame width, height (pixels)
``joint_names``    (25,) str           Kinect v2 joint names, SDK order
``joints_3d``      (T, 25, 3) float32  joints in camera coordinates (m)
``joints_2d``      (T, 25, 2) float32  joints projected into the frame (pixels, may lie outside)
``labels``         (3,) str            class vocabulary (``FLE``, ``TLE``, ``NE``)
``label``          (T,) uint8          per-frame class index into ``labels``
``phase_names``    (5,) str            pre-ictal, ictal, tonic, clonic, post-ictal
``phase``          (T,) uint8          per-frame phase index into ``phase_names``
``patient_box``    (T, 4) int32        box of the patient's silhouette (body + blanket)
``bed_box``        (T, 4) int32        box of the visible bed (frame, mattress, pillow)
``staff_boxes``    (S, T, 4) int32     box of each staff member's silhouette
``staff_present``  (S, T) bool         the staff member is in the room (walking or standing)
``bed_plane``      (4,) float64        mattress top ``a x + b y + c z + d = 0``, unit normal up
``bed_corners``    (4, 3) float64      corners of the mattress top (camera coordinates)
``bed_axis``       () str              image axis of the bed's length: ``"x"`` or ``"y"``
``K``              (3, 3) float64      camera intrinsics
``R``, ``t``       (3, 3), (3,)        world -> camera: ``X_cam = R X_world + t``
``times``          (3,) float64        ``t0``, ``t1``, ``tG`` of the seizure (s; ``nan`` = none)
``jerks``          (J,) float64        clonic jerk times (s), empty without generalisation
``recipe``         () str              sha256 of the PhantomConfig JSON that made the file
=================  ==================  ==========================================================

**Montages** (format 2). A picture-in-picture recording (seed 002; the manifest's
``Montage``) shows several cameras in one frame. The arrays above describe the camera whose
picture fills the frame (its pixels are the frame's; the inset hides part of it: its boxes are
the camera's own, the inset ignored). Each further view ``<name>`` (``view_names`` ``(V,)`` str,
in the manifest's order) has the arrays ``view/<name>/<key>`` for ``key`` in ``box`` ((4,)
int64: where the view lies in the recorded frame), ``joints_3d``, ``joints_2d``,
``patient_box``, ``bed_box``, ``staff_boxes``, ``bed_plane``, ``bed_corners``, ``bed_axis``,
``K``, ``R``, ``t`` -- in that view's camera and its own pixels (``(0, 0)`` = the top-left pixel
of its box), i.e. in the frames that ``ictal.io.split_montage`` returns for it; ``view`` () str
names the view of the top-level arrays. :meth:`GroundTruth.for_view` gives any view as a
:class:`GroundTruth` of its own. A file without further views is written as format 1 (what
every Kinect recording has), and format 1 files read as before.

Read it with :func:`load_ground_truth`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import numpy as np

from ictal.errors import IctalError
from ictal.fsutil import atomic_path
from ictal.manifest.schema import Manifest, Recording

FORMAT = 2
#: Formats :func:`load_ground_truth` reads (1: one camera; 2: adds montage views).
READABLE_FORMATS = (1, 2)
_VIEW_KEYS = ("box", "joints_3d", "joints_2d", "patient_box", "bed_box", "staff_boxes",
              "bed_plane", "bed_corners", "bed_axis", "K", "R", "t")
_KEYS = ("format", "recording", "fps", "size", "joint_names", "joints_3d", "joints_2d", "labels",
         "label", "phase_names", "phase", "patient_box", "bed_box", "staff_boxes",
         "staff_present", "bed_plane", "bed_corners", "bed_axis", "K", "R", "t", "times", "jerks",
         "recipe")


class GroundTruthError(IctalError):
    """A phantom ground-truth file is missing, unreadable or has the wrong layout."""


@dataclass(frozen=True)
class ViewTruth:
    """One further camera view of a montage recording, in that view's camera and own pixels
    (see the module docstring); ``box`` is where the view lies in the recorded frame."""

    name: str
    box: tuple[int, int, int, int]
    joints_3d: np.ndarray
    joints_2d: np.ndarray
    patient_box: np.ndarray
    bed_box: np.ndarray
    staff_boxes: np.ndarray
    bed_plane: np.ndarray
    bed_corners: np.ndarray
    bed_axis: str
    K: np.ndarray
    R: np.ndarray
    t: np.ndarray

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]


@dataclass(frozen=True)
class GroundTruth:
    """Typed content of a ground-truth file (see the module docstring for every array)."""

    recording: str
    fps: Fraction
    width: int
    height: int
    joint_names: tuple[str, ...]
    joints_3d: np.ndarray
    joints_2d: np.ndarray
    labels: tuple[str, ...]
    label: np.ndarray
    phase_names: tuple[str, ...]
    phase: np.ndarray
    patient_box: np.ndarray
    bed_box: np.ndarray
    staff_boxes: np.ndarray
    staff_present: np.ndarray
    bed_plane: np.ndarray
    bed_corners: np.ndarray
    bed_axis: str
    K: np.ndarray
    R: np.ndarray
    t: np.ndarray
    t0: float
    t1: float
    tG: float | None  # noqa: N815 (seed 002's name)
    jerks: np.ndarray
    recipe: str = ""
    view: str = ""
    views: tuple[ViewTruth, ...] = ()

    @property
    def n_frames(self) -> int:
        return int(self.label.shape[0])

    @property
    def view_names(self) -> tuple[str, ...]:
        """Names of every view: the top-level one first (``""`` for a single camera)."""
        return (self.view, *(v.name for v in self.views))

    def for_view(self, name: str) -> GroundTruth:
        """The ground truth of view ``name`` as if it were a recording of its own: its camera,
        its pixels (its box's top-left pixel at ``(0, 0)``) and size, no further views."""
        if name == self.view:
            return replace(self, views=())
        for v in self.views:
            if v.name == name:
                return replace(
                    self, width=v.width, height=v.height, joints_3d=v.joints_3d,
                    joints_2d=v.joints_2d, patient_box=v.patient_box, bed_box=v.bed_box,
                    staff_boxes=v.staff_boxes, bed_plane=v.bed_plane, bed_corners=v.bed_corners,
                    bed_axis=v.bed_axis, K=v.K, R=v.R, t=v.t, view=v.name, views=())
        raise GroundTruthError(f"recording {self.recording} has no view {name!r} "
                               f"(it has {', '.join(map(repr, self.view_names))})",
                               hint="use a view name of the recording's montage")

    def staff_occlusion(self) -> np.ndarray:
        """``(T,)`` the largest share of the patient's box that one staff box covers, per
        frame (0 where nobody stands in front; a staff box with ``x0 < 0`` is absent)."""
        pb = self.patient_box
        area = np.maximum((pb[:, 2] - pb[:, 0]) * (pb[:, 3] - pb[:, 1]), 1)
        occ = np.zeros(len(pb))
        for sb in self.staff_boxes:
            ix = np.clip(np.minimum(sb[:, 2], pb[:, 2]) - np.maximum(sb[:, 0], pb[:, 0]), 0, None)
            iy = np.clip(np.minimum(sb[:, 3], pb[:, 3]) - np.maximum(sb[:, 1], pb[:, 1]), 0, None)
            occ = np.maximum(occ, np.where(sb[:, 0] >= 0, ix * iy / area, 0.0))
        return occ

    def frame_labels(self) -> list[str]:
        """Class name of every frame."""
        return [self.labels[i] for i in self.label]

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The ``.npz`` content (inverse of :func:`load_ground_truth`): format 1 for one
        camera, format 2 when the recording has further views."""
        arrays = {
            "format": np.array(1), "recording": np.array(self.recording),
            "fps": np.array([self.fps.numerator, self.fps.denominator], np.int64),
            "size": np.array([self.width, self.height], np.int64),
            "joint_names": np.array(self.joint_names), "joints_3d": self.joints_3d,
            "joints_2d": self.joints_2d, "labels": np.array(self.labels), "label": self.label,
            "phase_names": np.array(self.phase_names), "phase": self.phase,
            "patient_box": self.patient_box, "bed_box": self.bed_box,
            "staff_boxes": self.staff_boxes, "staff_present": self.staff_present,
            "bed_plane": self.bed_plane, "bed_corners": self.bed_corners,
            "bed_axis": np.array(self.bed_axis), "K": self.K, "R": self.R, "t": self.t,
            "times": np.array([self.t0, self.t1, math.nan if self.tG is None else self.tG]),
            "jerks": self.jerks, "recipe": np.array(self.recipe),
        }
        if not self.views and not self.view:
            return arrays  # format 1: one camera
        arrays["format"] = np.array(FORMAT)
        arrays["view"] = np.array(self.view)
        arrays["view_names"] = np.array([v.name for v in self.views], dtype=str)
        for v in self.views:
            for key in _VIEW_KEYS:
                value = getattr(v, key)
                arrays[f"view/{v.name}/{key}"] = (
                    np.array(value, np.int64) if key == "box" else np.asarray(value))
        return arrays


def find_ground_truth(manifest: Manifest, rec: Recording, out: Path | None = None,
                      ground_truth: Path | None = None) -> Path | None:
    """The phantom ground-truth file of ``rec``: in ``ground_truth`` (a folder) when given,
    else the path in the recording's ``meta["groundtruth"]``, else ``groundtruth/<id>.npz``
    beside the manifest or (with ``out``) beside ``out``; ``None`` when there is none."""
    name = f"{rec.id}.npz"
    candidates: list[Path] = []
    if ground_truth is not None:
        candidates.append(Path(ground_truth) / name)
    else:
        root = Path(manifest.root) if manifest.root is not None else None
        meta = rec.meta.get("groundtruth")
        if isinstance(meta, str) and root is not None:
            candidates.append(root / meta)
        if root is not None:
            candidates.append(root / "groundtruth" / name)
        if out is not None:
            candidates.append(Path(out).parent / "groundtruth" / name)
    return next((p for p in candidates if p.is_file()), None)


def save_ground_truth(gt: GroundTruth, path: Path | str) -> None:
    """Write ``gt`` to ``path`` (``.npz``) atomically."""
    with atomic_path(path) as tmp, tmp.open("wb") as fh:
        np.savez_compressed(fh, **gt.to_arrays())


def load_ground_truth(path: Path | str) -> GroundTruth:
    """Read a ground-truth ``.npz`` written by the phantom; :class:`GroundTruthError` names the
    file and the problem."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as err:
        raise GroundTruthError(f"{path}: cannot read the ground truth: {err}",
                               hint="regenerate it with `ictal phantom`") from err
    missing = [k for k in _KEYS if k not in arrays]
    if missing:
        raise GroundTruthError(f"{path}: missing arrays {', '.join(missing)}",
                               hint="the file is not a phantom ground truth, or of an old format")
    version = int(arrays["format"])
    if version not in READABLE_FORMATS:
        raise GroundTruthError(
            f"{path}: format {version}, expected one of "
            f"{', '.join(map(str, READABLE_FORMATS))}",
            hint="regenerate it with this version of `ictal phantom`")
    T = arrays["label"].shape[0]
    _check_shapes(path, arrays, "", T)
    views: list[ViewTruth] = []
    if version >= 2:
        for name in (str(x) for x in arrays.get("view_names", np.zeros(0, str))):
            prefix = f"view/{name}/"
            missing = [prefix + k for k in _VIEW_KEYS if prefix + k not in arrays]
            if missing:
                raise GroundTruthError(f"{path}: missing arrays {', '.join(missing)}",
                                       hint="the file is damaged; regenerate it")
            _check_shapes(path, arrays, prefix, T)
            v = {k: arrays[prefix + k] for k in _VIEW_KEYS}
            views.append(ViewTruth(
                name=name, box=tuple(int(x) for x in v["box"]),  # type: ignore[arg-type]
                joints_3d=v["joints_3d"], joints_2d=v["joints_2d"],
                patient_box=v["patient_box"], bed_box=v["bed_box"],
                staff_boxes=v["staff_boxes"], bed_plane=v["bed_plane"],
                bed_corners=v["bed_corners"], bed_axis=str(v["bed_axis"]), K=v["K"], R=v["R"],
                t=v["t"]))
    t0, t1, tG = (float(x) for x in arrays["times"])
    num, den = (int(x) for x in arrays["fps"])
    return GroundTruth(
        recording=str(arrays["recording"]), fps=Fraction(num, den),
        width=int(arrays["size"][0]), height=int(arrays["size"][1]),
        joint_names=tuple(str(x) for x in arrays["joint_names"]),
        joints_3d=arrays["joints_3d"], joints_2d=arrays["joints_2d"],
        labels=tuple(str(x) for x in arrays["labels"]), label=arrays["label"],
        phase_names=tuple(str(x) for x in arrays["phase_names"]), phase=arrays["phase"],
        patient_box=arrays["patient_box"], bed_box=arrays["bed_box"],
        staff_boxes=arrays["staff_boxes"], staff_present=arrays["staff_present"],
        bed_plane=arrays["bed_plane"], bed_corners=arrays["bed_corners"],
        bed_axis=str(arrays["bed_axis"]), K=arrays["K"], R=arrays["R"], t=arrays["t"],
        t0=t0, t1=t1, tG=None if math.isnan(tG) else tG, jerks=arrays["jerks"],
        recipe=str(arrays["recipe"]),
        view=str(arrays["view"]) if "view" in arrays else "", views=tuple(views),
    )


def _check_shapes(path: Path, arrays: dict[str, np.ndarray], prefix: str, T: int) -> None:
    for key, shape in (("joints_3d", (T, 25, 3)), ("joints_2d", (T, 25, 2)), ("phase", (T,)),
                       ("patient_box", (T, 4)), ("bed_box", (T, 4))):
        if key == "phase" and prefix:
            continue
        if arrays[prefix + key].shape != shape:
            raise GroundTruthError(f"{path}: '{prefix + key}' has shape "
                                   f"{arrays[prefix + key].shape}, expected {shape}",
                                   hint="the file is damaged; regenerate it")


def recipe_of(path: Path | str) -> str | None:
    """The recipe hash stored in a ground-truth file, ``None`` when unreadable."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return str(data["recipe"])
    except (OSError, ValueError, KeyError):
        return None
