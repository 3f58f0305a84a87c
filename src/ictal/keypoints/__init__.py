"""Body and face keypoints: seed 004's 11 upper-body joints and 23 facial landmarks per frame.

Four sources, one store format (:mod:`~ictal.keypoints.store`: HDF5, one atomic shard per
recording, exact frame indices and fps, provenance):

* :mod:`~ictal.keypoints.model` -- the packaged pose and face models (``ictal.landmarks``),
  following the patient in bed (:mod:`~ictal.keypoints.tracking`);
* :mod:`~ictal.keypoints.kinect` -- Kinect v2 joints files (``kind: joints`` streams);
* :mod:`~ictal.keypoints.files` -- other tools' files (MoveNet, MediaPipe, OpenPose, MMPose),
  through the mappings of :mod:`~ictal.keypoints.mapping`;
* :mod:`~ictal.keypoints.phantom` -- the phantom's ground truth.

:mod:`~ictal.keypoints.layout` names the keypoints and the array layout every source returns;
:mod:`~ictal.keypoints.depth` lifts them to 3D through a registered depth stream;
:mod:`~ictal.keypoints.extract` runs a source over a manifest (``ictal keypoints``);
:mod:`~ictal.keypoints.semiology` measures movement per limb (``ictal semiology``) and
:mod:`~ictal.keypoints.accuracy` scores keypoints against ground truth.
"""

from ictal.keypoints.layout import BODY_BONES, BODY_JOINTS, FACE_LANDMARKS, LIMBS
from ictal.keypoints.store import KeypointTrack, read_store, read_track, write_track

__all__ = [
    "BODY_BONES",
    "BODY_JOINTS",
    "FACE_LANDMARKS",
    "LIMBS",
    "KeypointTrack",
    "read_store",
    "read_track",
    "write_track",
]
