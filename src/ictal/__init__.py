"""ictal: reproducible evidence about seizures from epilepsy-monitoring-unit video.

Conventions used everywhere in the package (written down once, here):

* **Frames** are NumPy arrays. A single-channel frame (Kinect infrared, depth) is ``(H, W)``
  ``uint16`` (depth in millimetres, ``0`` = invalid); an RGB frame is ``(H, W, 3)`` ``uint8``.
* **Clips** stack frames on a leading time axis: ``(T, H, W)`` or ``(T, H, W, 3)``.
* **Backbone input** is a PyTorch tensor ``(N, C, T, H, W)`` ``float32`` (channels first, as
  PyTorch's 3D convolutions expect); a single sample is ``(C, T, H, W)``.
* **Features** are ``(timesteps, features)`` ``float32`` with a boolean ``mask`` of length
  ``timesteps`` (``True`` = real timestep); padded timesteps hold ``-1`` (seeds 000/001).
* **Time** is exact: a frame range is integer frame indices ``[start, stop)`` plus the stream's
  ``fps`` as a :class:`fractions.Fraction`; seconds derived from it are ``Fraction`` too and are
  only turned into ``float`` at the edges (CSV / JSON / plots). See :mod:`ictal.timebase`.
* **Boxes** are ``(x0, y0, x1, y1)`` pixel coordinates, ``x1`` / ``y1`` exclusive.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ictal")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
