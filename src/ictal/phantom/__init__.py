"""The EMU phantom: synthetic Kinect-v2-like recordings of patients seizing in bed.

Seizure videos are private, so ictal ships a generator of recordings that look to the pipeline
like the seeds' EMU data (seed 000: Kinect v2 infrared + depth at 512x424, 16 bit, 30 fps; a
patient in bed under a wall-mounted camera tilted about 45 degrees down; staff in front of the
bed) and whose classes differ only in how the patient moves (FLE, TLE, non-epileptic; tonic-clonic
generalisation after seed 002; dystonic postures after seed 004). Its ground truth -- skeleton,
phases, boxes, bed plane -- makes every later stage checkable.

Modules, in the order data flows through them:

* :mod:`~ictal.phantom.config` -- :class:`PhantomConfig`, the recipe (presets ``demo()``,
  ``tiny()``);
* :mod:`~ictal.phantom.scene` -- world frame, bed, room and the pinhole camera;
* :mod:`~ictal.phantom.body` -- the articulated body, Kinect v2 25-joint skeleton, solids;
* :mod:`~ictal.phantom.programmes` -- movement programmes per class and phase, patient styles;
* :mod:`~ictal.phantom.staff` -- staff visits between the camera and the bed;
* :mod:`~ictal.phantom.render` -- the vectorised ray-caster and the sensor models;
* :mod:`~ictal.phantom.generate` -- recording scripts, parallel / resumable rendering, the manifest;
* the ground-truth file it writes: :mod:`ictal.manifest.groundtruth` (format and reader, shared
  with preprocessing's QC).
"""

from ictal.manifest.groundtruth import GroundTruth, GroundTruthError, load_ground_truth
from ictal.phantom.config import LABELS, PhantomConfig, SeizureProgramme
from ictal.phantom.generate import GenerateResult, generate_dataset, script_dataset

__all__ = [
    "LABELS",
    "GenerateResult",
    "GroundTruth",
    "GroundTruthError",
    "PhantomConfig",
    "SeizureProgramme",
    "generate_dataset",
    "load_ground_truth",
    "script_dataset",
]
