"""Live bedside monitoring (``ictal monitor``): beds followed in real time through a bundle.

Modules, in the order data flows through them:

* :mod:`~ictal.monitor.sources` -- frames from a replayed file, a recorder's segment folder,
  an RTSP / HTTP stream or a camera, numbered on the bed's timeline, gaps and losses noted;
* :mod:`~ictal.monitor.bed` -- windows of 2 s, the bundle's preprocessing (a calibration clip
  planned as ``ictal predict`` plans a recording), backbone and estimator, not-assessable
  windows with their reason, the crop refreshed when the scene changes;
* :mod:`~ictal.monitor.alarms` -- alarms raised and cleared (k of n windows, or evidence summed
  over time);
* :mod:`~ictal.monitor.journal` -- durable JSON lines per bed, resumed after a restart;
* :mod:`~ictal.monitor.service` -- N beds in one process, explicit back-pressure, metrics;
* :mod:`~ictal.monitor.http` -- ``/metrics`` (Prometheus), ``/beds``, ``/events`` (SSE);
* :mod:`~ictal.monitor.detection` -- detection on whole nights as the field reports it.
"""
