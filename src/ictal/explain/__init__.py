"""Explanations clinicians can check: where and when in the video a decision comes from.

Seed 003 plans to show doctors "the significant contributing factors to the classifications";
seed 004 asks for explainable AI with a clinical link. This package attributes a bundle's
prediction over space and time and checks the attributions against what is known:

* :mod:`~ictal.explain.chain` - the bundle's backbone and classifier as one differentiable
  function ``clip (N, C, T, H, W) float32 -> class probabilities (N, K)``, and the
  classifier alone over features ``(N, T, F)``;
* :mod:`~ictal.explain.attribute` - saliency maps ``(T, H, W)`` ``float32`` over a window's
  frames with Captum: occlusion (any backbone, the only one for the weight-free ``motion``
  backbone), Grad-CAM on a layer and integrated gradients (networks with weights); the plain
  motion-energy map that every attribution is compared with;
* :mod:`~ictal.explain.windows` - which windows drove the recording's decision (leave one
  window out, any estimator) and which timesteps of a window drove its prediction
  (integrated gradients over the classifier's input features);
* :mod:`~ictal.explain.truth` - scores against the phantom's ground truth: the pointing game
  on the moving limb and the share of attribution mass on the patient, staff and background;
* :mod:`~ictal.explain.sanity` - the model-randomisation sanity check (Adebayo et al., 2018);
* :mod:`~ictal.explain.render` - heat-map overlays, PNG strips, the H.264 overlay video and
  the HTML page beside the probability timeline;
* :mod:`~ictal.explain.run` - ``ictal explain``: a recording (or a feature store) and a bundle
  to an explanation folder (``explanation.json``, format ``ictal-explanation/1``).

Maps live in the backbone's input pixels: a window's map is ``(T, size, size)`` over the
sample's frames (the crop made square, :func:`~ictal.preprocess.frames.square_frames`); the
sample's crop box and geometry map them back to source pixels (:func:`truth.source_to_sample`).
"""
