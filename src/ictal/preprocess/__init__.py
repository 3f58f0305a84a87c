"""Preprocessing: spatial cropping, frames for backbones, temporal sampling, visual QC.

Pure functions on arrays (layouts in their docstrings), in the order data flows:

* :mod:`~ictal.preprocess.denoise` -- depth denoising (grey dilation, seed 000);
* :mod:`~ictal.preprocess.depth_crop` -- Algorithm 1 of seed 000 (crop planes +/- 2 sigma);
* :mod:`~ictal.preprocess.boxes`, :mod:`~ictal.preprocess.detection` -- the detector interface,
  the bed + person crop rule (seeds 000/001), the consensus of several frames and the
  weight-free depth-mask detector; :mod:`~ictal.preprocess.onnx_detector` (user-supplied COCO
  detectors) and :mod:`~ictal.preprocess.pose_detector` (the packaged pose model, a bed derived
  from the body axis: 2D video without depth);
* :mod:`~ictal.preprocess.intensity` -- 16-bit IR -> 8 bit, one window per recording;
  :mod:`~ictal.preprocess.lowlight` -- the low-light tone map of 8-bit video, one per recording;
* :mod:`~ictal.preprocess.frames` -- resize / pad / normalise from the backbone's InputSpec;
* :mod:`~ictal.preprocess.temporal` -- 60-frame slices, overlap, sliding windows, TSN, Eq. 1.

Then the thin layer that uses them:

* :mod:`~ictal.preprocess.config` -- :class:`PreprocessConfig` (YAML), variants A / B / B0.5
  / B+top / 2d, and :func:`resolve_config`, the one rule from user input to a config;
* :mod:`~ictal.preprocess.plan` -- :class:`RecordingPlan`, a recording's crop geometry, and its
  JSON file; :mod:`~ictal.preprocess.planner` -- :func:`plan_recording` computes it, with
  the detector :mod:`~ictal.preprocess.detector_factory` makes;
* :mod:`~ictal.preprocess.frame_prep` -- :class:`FramePrep`, the per-frame spatial steps
  (denoise, depth crop, 8 bit or low light) shared by the planner, QC and the pipeline;
* :mod:`~ictal.preprocess.windows` -- the sample timeline (which frames make which sample);
* :mod:`~ictal.preprocess.pipeline` -- :func:`iter_samples`, the streaming pipeline, and
  :mod:`~ictal.preprocess.assembler`, which turns its processed frames into samples;
* :mod:`~ictal.preprocess.qc` -- contact sheets and scores against phantom ground truth;
* :mod:`~ictal.preprocess.dataset` -- the batch behind ``ictal preprocess``.
"""

from ictal.preprocess.config import (
    PreprocessConfig,
    load_config,
    resolve_config,
    variant_config,
)
from ictal.preprocess.pipeline import iter_samples
from ictal.preprocess.plan import RecordingPlan
from ictal.preprocess.planner import plan_recording
from ictal.preprocess.sample import Sample

__all__ = [
    "PreprocessConfig",
    "RecordingPlan",
    "Sample",
    "iter_samples",
    "load_config",
    "plan_recording",
    "resolve_config",
    "variant_config",
]
