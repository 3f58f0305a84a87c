"""Vectorised ray-casting rasteriser of the phantom: depth, infrared and RGB frames.

Every pixel has a ray ``d = ((u - cx) / fx, (v - cy) / fy, 1)`` from the camera centre (camera
coordinates, see :mod:`ictal.phantom.scene`); because ``d_z = 1`` the ray parameter of a hit is
the Kinect depth ``z`` itself. Static solids (planes, oriented boxes, the pillow) are cast once
per recording against all pixels; each frame then casts the moving solids (capsules and
ellipsoids of the patient, the blanket and the staff) only inside each solid's projected
bounding box and keeps the nearest hit (a z-buffer). The result of a frame is three buffers:
depth ``z`` (metres, ``inf`` = nothing), ``cos`` (cosine between the surface normal and the
ray) and the material id.

Sensor models (Kinect v2-like):

* depth ``(H, W) uint16`` millimetres: ``z`` plus Gaussian noise growing with ``z**2``; ``0`` for
  invalid pixels -- out of range (< 0.5 m or > 4.5 m), zero-valued pepper noise (a random
  ``pepper_fraction`` of pixels), flying pixels at depth discontinuities, and the dark corners
  and border columns of the Kinect's depth image.
* infrared ``(H, W) uint16``: active illumination ``gain * reflectance * cos / z**2`` (falls off
  with distance and angle) plus multiplicative noise, about 1,500-5,000 counts on the bed.
* RGB ``(H, W, 3) uint8``: material colour times ambient + Lambert shading, from its own camera
  of the same pose (e.g. 640x360).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ictal.phantom.body import Solids
from ictal.phantom.config import SensorConfig
from ictal.phantom.scene import BASE_COLOUR, MAT_BED, MAT_MATTRESS, MAT_PILLOW, Camera, Scene
from ictal.phantom.scene import Box as SceneBox

#: IR counts of a surface of reflectance 1 facing the camera at 1 m.
IR_SCALE = 4000.0 * 2.5**2 / 0.6

Box = tuple[int, int, int, int]


@dataclass
class Buffers:
    """Per-pixel results of ray casting: ``z`` (H, W) float32 metres (``inf`` = no hit),
    ``cos`` (H, W) float32 in [0, 1], ``mat`` (H, W) uint8 material ids."""

    z: np.ndarray
    cos: np.ndarray
    mat: np.ndarray

    def copy(self) -> Buffers:
        return Buffers(self.z.copy(), self.cos.copy(), self.mat.copy())


class Rasteriser:
    """Ray-caster for one camera. Build once per recording, then call :meth:`frame`."""

    def __init__(self, camera: Camera) -> None:
        self.camera = camera
        self.rays = camera.rays()  # (H, W, 3)
        # the rays are separable: x depends on the column only, y on the row only (z = 1)
        self.ray_x = np.ascontiguousarray(self.rays[0, :, 0])  # (W,)
        self.ray_y = np.ascontiguousarray(self.rays[:, 0, 1])  # (H,)
        self.rdrd = (self.rays**2).sum(-1)  # (H, W)
        self.inv_norm = 1.0 / np.sqrt(self.rdrd)

    # ---- static scene ------------------------------------------------------------------------
    def static(self, scene: Scene, *, windowed: bool = False) -> tuple[Buffers, Box | None]:
        """Cast the room, bed and furniture; returns the buffers and the bed's box.

        ``windowed``: cast each box only over the pixels of its projected corners' bounding
        rectangle (the same hits, much faster on large frames; the clinic camera uses it, the
        Kinect streams keep the whole-frame cast their recorded bits come from).
        """
        cam = self.camera
        H, W = cam.height, cam.width
        z = np.full((H, W), np.inf, np.float32)
        cos = np.zeros((H, W), np.float32)
        mat = np.zeros((H, W), np.uint8)
        rd = self.rays.reshape(-1, 3).astype(np.float64)
        zf, cf, mf = z.reshape(-1), cos.reshape(-1), mat.reshape(-1)
        norm = np.sqrt(self.rdrd.reshape(-1))
        for plane in scene.planes:
            n = cam.R @ plane.normal
            off = plane.offset + float(n @ cam.t)
            nd = rd @ n
            with np.errstate(divide="ignore", invalid="ignore"):
                t = off / nd
            hit = (nd < -1e-9) & (t > 0) & (t < zf)
            zf[hit], cf[hit], mf[hit] = t[hit], -nd[hit] / norm[hit], plane.material
        for box in scene.boxes:
            win = self._box_window(box) if windowed else None
            if win is None:
                hit, tmin, c = _box_hits(box, cam, rd, norm, zf)
                zf[hit], cf[hit], mf[hit] = tmin[hit], c[hit], box.material
                continue
            x0, y0, x1, y1 = win
            rdw = self.rays[y0:y1, x0:x1].reshape(-1, 3).astype(np.float64)
            zw, cw, mw = (a[y0:y1, x0:x1].reshape(-1) for a in (z, cos, mat))  # copies
            hit, tmin, c = _box_hits(box, cam, rdw, np.sqrt(self.rdrd[y0:y1, x0:x1]).reshape(-1),
                                     zw)
            zw[hit], cw[hit], mw[hit] = tmin[hit], c[hit], box.material
            shape = (y1 - y0, x1 - x0)
            z[y0:y1, x0:x1], cos[y0:y1, x0:x1] = zw.reshape(shape), cw.reshape(shape)
            mat[y0:y1, x0:x1] = mw.reshape(shape)
        centre, semi = scene.pillow
        pillow = Solids(np.zeros((0, 7)), np.zeros(0, np.uint8), centre[None],
                        (np.eye(3) * semi)[None], np.array([MAT_PILLOW], np.uint8))
        out = Buffers(z, cos, mat)
        self.frame(out, transform_solids(pillow, cam))
        bed = np.isin(mat, [MAT_BED, MAT_MATTRESS, MAT_PILLOW])
        return out, _mask_box(bed)

    def _box_window(self, box: SceneBox) -> tuple[int, int, int, int] | None:
        """Pixel rectangle ``(x0, y0, x1, y1)`` holding ``box``'s projection (its 8 corners,
        with a 2-pixel margin), ``None`` when a corner lies behind or near the camera."""
        cam = self.camera
        signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])
        corners = box.centre + (signs * box.half) @ box.axes
        Xc = cam.to_camera(corners)
        if Xc[:, 2].min() < 0.05:
            return None
        uv = cam.project_camera(Xc)
        x0 = max(int(np.floor(uv[:, 0].min())) - 2, 0)
        y0 = max(int(np.floor(uv[:, 1].min())) - 2, 0)
        x1 = min(int(np.ceil(uv[:, 0].max())) + 3, cam.width)
        y1 = min(int(np.ceil(uv[:, 1].max())) + 3, cam.height)
        if x1 <= x0 or y1 <= y0:
            return 0, 0, 0, 0
        return x0, y0, x1, y1

    # ---- moving solids -----------------------------------------------------------------------
    def frame(self, buf: Buffers, solids: Solids) -> Box | None:
        """Cast ``solids`` (camera coordinates) into ``buf`` in place.

        Returns the box ``(x0, y0, x1, y1)`` of the solids' own silhouette (ignoring occlusion by
        anything else), ``None`` when they are not in view.
        """
        box: list[int] | None = None
        for k in range(len(solids.capsules)):
            cap = solids.capsules[k]
            b = self._cast(buf, "capsule", cap[:3], cap[3:6], cap[6], int(solids.capsule_mat[k]))
            box = _union(box, b)
        for k in range(len(solids.centres)):
            b = self._cast(buf, "ellipsoid", solids.centres[k], solids.axes[k], 0.0,
                           int(solids.ellipsoid_mat[k]))
            box = _union(box, b)
        return None if box is None else (box[0], box[1], box[2], box[3])

    def _window(self, centres: np.ndarray, radius: float) -> tuple[int, int, int, int] | None:
        cam = self.camera
        z = centres[:, 2]
        if (z - radius).min() < 0.05:
            return 0, 0, cam.width, cam.height
        uv = cam.project_camera(centres)
        pad = cam.fx * radius / (z - radius).min() + 2
        x0 = max(int(np.floor(uv[:, 0].min() - pad)), 0)
        x1 = min(int(np.ceil(uv[:, 0].max() + pad)) + 1, cam.width)
        y0 = max(int(np.floor(uv[:, 1].min() - pad)), 0)
        y1 = min(int(np.ceil(uv[:, 1].max() + pad)) + 1, cam.height)
        if x1 <= x0 or y1 <= y0:
            return None
        return x0, y0, x1, y1

    def _cast(self, buf: Buffers, kind: str, p: np.ndarray, q: np.ndarray, r: float,
              material: int) -> list[int] | None:
        if kind == "capsule":
            win = self._window(np.stack([p, q]), r)
        else:
            win = self._window(p[None], float(np.sqrt((q**2).sum(1)).max()))
        if win is None:
            return None
        x0, y0, x1, y1 = win
        rx = self.ray_x[None, x0:x1]  # (1, w)
        ry = self.ray_y[y0:y1, None]  # (h, 1)
        rdrd = self.rdrd[y0:y1, x0:x1]
        if kind == "capsule":
            t, cosv = _capsule(rx, ry, rdrd, p, q, r)
        else:
            t, cosv = _ellipsoid(rx, ry, p, q)
        silhouette = np.isfinite(t)
        if not silhouette.any():
            return None
        zwin = buf.z[y0:y1, x0:x1]
        closer = t < zwin
        zwin[closer] = t[closer]
        buf.cos[y0:y1, x0:x1][closer] = cosv[closer] * self.inv_norm[y0:y1, x0:x1][closer]
        buf.mat[y0:y1, x0:x1][closer] = material
        rows = np.flatnonzero(silhouette.any(1))
        cols = np.flatnonzero(silhouette.any(0))
        return [x0 + int(cols[0]), y0 + int(rows[0]), x0 + int(cols[-1]) + 1,
                y0 + int(rows[-1]) + 1]


def _box_hits(box: SceneBox, cam: Camera, rd: np.ndarray, norm: np.ndarray, zf: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rays ``rd`` (N, 3) float64 (``z = 1``, norms ``norm``) against an oriented box (slab
    test): which hit it nearer than ``zf`` (N,), at which depth, and the cosine at the hit."""
    axes = box.axes @ cam.R.T  # rows: box axes in camera coordinates
    o = axes @ (-cam.to_camera(box.centre))
    d = rd @ axes.T
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (-box.half - o) / d
        t2 = (box.half - o) / d
    tnear = np.minimum(t1, t2)
    tmin = tnear.max(1)
    tmax = np.maximum(t1, t2).min(1)
    hit = (tmax >= tmin) & (tmin > 0) & (tmin < zf)
    face = tnear.argmax(1)
    c = np.abs(np.take_along_axis(d, face[:, None], 1)[:, 0]) / norm
    return hit, tmin, c


def _dot(rx: np.ndarray, ry: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``d . v`` of the rays ``d = (rx, ry, 1)`` ((1, w) and (h, 1) broadcast) -> (h, w)."""
    return (np.float32(v[0]) * rx + np.float32(v[1]) * ry) + np.float32(v[2])


def _capsule(rx: np.ndarray, ry: np.ndarray, rdrd: np.ndarray, pa: np.ndarray, pb: np.ndarray,
             r: float) -> tuple[np.ndarray, np.ndarray]:
    """Nearest hit ``t`` (inf = miss) and ``-n.d / |n|`` of the rays ``(rx, ry, 1)`` (``(1, w)``
    and ``(h, 1)`` components, ``rdrd`` their squared norms ``(h, w)``) from the origin with the
    capsule ``pa``-``pb`` of radius ``r`` (sphere-swept segment; cylinder + two caps)."""
    ba = pb - pa
    baba = float(ba @ ba)
    baoa = float(-ba @ pa)
    oaoa = float(pa @ pa)
    bard = _dot(rx, ry, ba)
    rdpa = _dot(rx, ry, pa)
    a = baba * rdrd - bard * bard
    b = -baba * rdpa - baoa * bard
    c = baba * oaoa - baoa * baoa - r * r * baba
    h = b * b - a * c
    with np.errstate(invalid="ignore", divide="ignore"):
        sq = np.sqrt(h)
        t = (-b - sq) / a
        y = baoa + t * bard
        body = (h >= 0) & (y > 0) & (y < baba) & (a > 1e-12)
        # caps: the sphere at the end the cylinder hit lies beyond
        far_end = y >= baba
        rdpc = np.where(far_end, _dot(rx, ry, pb), rdpa)
        pcpc = np.where(far_end, np.float32(pb @ pb), np.float32(oaoa))
        hh = rdpc * rdpc - rdrd * (pcpc - np.float32(r * r))
        tc = (rdpc - np.sqrt(hh)) / rdrd
        cap = ~body & (h >= 0) & (hh >= 0) & (tc > 0)
        t_out = np.where(body, t, np.where(cap, tc, np.inf)).astype(np.float32)
        # n . d where n = X - centre (|n| = r); centre on the axis (body) or the cap's sphere
        rd_centre = np.where(body, rdpa + (y / baba) * bard, rdpc)
        cosv = -(t_out * rdrd - rd_centre) / r
    t_out[~(t_out > 0)] = np.inf
    return t_out, np.clip(np.nan_to_num(cosv), 0.0, None).astype(np.float32)


def _ellipsoid(rx: np.ndarray, ry: np.ndarray, centre: np.ndarray, axes: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Nearest hit and ``-n.d / |n|`` of the rays ``(rx, ry, 1)`` (``(1, w)`` and ``(h, 1)``
    components) with the ellipsoid of ``centre`` (3,) whose rows of ``axes`` (3, 3) are its
    (orthogonal) semi-axis vectors. Works on the three component planes: no ``(h, w, 3)``
    temporaries."""
    A = axes / (axes**2).sum(1, keepdims=True)  # X -> local unit sphere
    k = A @ centre
    m = [_dot(rx, ry, A[i]) for i in range(3)]  # the rays in the sphere's frame
    a = m[0] * m[0] + m[1] * m[1] + m[2] * m[2]
    b = np.float32(k[0]) * m[0] + np.float32(k[1]) * m[1] + np.float32(k[2]) * m[2]
    disc = b * b - a * np.float32(k @ k - 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (b - np.sqrt(disc)) / a
    hit = (disc >= 0) & (t > 0)
    t = np.where(hit, t, np.inf).astype(np.float32)
    th = np.where(hit, t, np.float32(0.0))
    q = [th * m[i] - np.float32(k[i]) for i in range(3)]  # hit point in the sphere's frame
    n = [q[0] * np.float32(A[0, j]) + q[1] * np.float32(A[1, j]) + q[2] * np.float32(A[2, j])
         for j in range(3)]  # the normal in camera coordinates (unnormalised)
    nd = n[0] * rx + n[1] * ry + n[2]
    with np.errstate(invalid="ignore", divide="ignore"):
        cosv = -nd / np.sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2])
    return t, np.clip(np.nan_to_num(cosv), 0.0, None).astype(np.float32)


def transform_solids(solids: Solids, camera: Camera) -> Solids:
    """World -> camera coordinates."""
    caps = solids.capsules.copy()
    if len(caps):
        caps[:, :3] = camera.to_camera(caps[:, :3])
        caps[:, 3:6] = camera.to_camera(caps[:, 3:6])
    return Solids(caps, solids.capsule_mat, camera.to_camera(solids.centres),
                  solids.axes @ camera.R.T, solids.ellipsoid_mat)


def _union(box: list[int] | None, other: list[int] | None) -> list[int] | None:
    if other is None:
        return box
    if box is None:
        return list(other)
    return [min(box[0], other[0]), min(box[1], other[1]), max(box[2], other[2]),
            max(box[3], other[3])]


def _mask_box(mask: np.ndarray) -> Box | None:
    rows = np.flatnonzero(mask.any(1))
    cols = np.flatnonzero(mask.any(0))
    if not len(rows):
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


# ---- sensor models ---------------------------------------------------------------------------
def valid_area(width: int, height: int) -> np.ndarray:
    """``(H, W)`` bool: pixels the Kinect v2 depth sensor measures (no dark corners / border)."""
    u = (np.arange(width) - (width - 1) / 2) / (0.56 * width)
    v = (np.arange(height) - (height - 1) / 2) / (0.6 * height)
    area = (np.abs(u)[None, :] ** 4 + np.abs(v)[:, None] ** 4) <= 1.0
    border = max(1, width // 128)
    area[:, :border] = False
    area[:, -border:] = False
    return area


def depth_frame(buf: Buffers, sensor: SensorConfig, area: np.ndarray,
                rng: np.random.Generator, noise: np.ndarray | None = None) -> np.ndarray:
    """Kinect-like depth ``(H, W) uint16`` millimetres from the buffers (0 = invalid).

    ``noise``: optional ``(H, W)`` float32 standard-normal field to use (else drawn from
    ``rng``); pepper noise is always drawn from ``rng``.
    """
    z = np.minimum(buf.z, 20.0)
    if noise is None:
        noise = rng.standard_normal(z.shape, dtype=np.float32)
    mm = z * 1000.0 + noise * (sensor.depth_noise_mm * (0.5 + 0.15 * z * z))
    valid = (z >= sensor.min_range_m) & (z <= sensor.max_range_m) & area
    valid &= rng.random(z.shape, dtype=np.float32) >= sensor.pepper_fraction
    jump = sensor.edge_jump_m
    smooth_x = np.abs(np.diff(z, axis=1)) <= jump  # no flying pixels on either side of an edge
    smooth_y = np.abs(np.diff(z, axis=0)) <= jump
    valid[:, 1:] &= smooth_x
    valid[:, :-1] &= smooth_x
    valid[1:, :] &= smooth_y
    valid[:-1, :] &= smooth_y
    np.clip(mm, 1.0, 65535.0, out=mm)
    return np.where(valid, np.rint(mm), 0.0).astype(np.uint16)


def ir_frame(buf: Buffers, reflectance: np.ndarray, gain: float, sensor: SensorConfig,
             rng: np.random.Generator, noise: np.ndarray | None = None) -> np.ndarray:
    """Kinect-like infrared ``(H, W) uint16``: ``gain * reflectance * cos / z**2`` + noise.

    ``reflectance`` is indexed by material id; ``noise`` as in :func:`depth_frame`.
    """
    z = np.minimum(buf.z, 50.0)
    signal = (IR_SCALE * gain) * reflectance[buf.mat] * buf.cos / (z * z)
    if noise is None:
        noise = rng.standard_normal(z.shape, dtype=np.float32)
    signal *= 1.0 + sensor.ir_noise * noise
    signal += 6.0
    np.clip(signal, 0, 65535, out=signal)
    return signal.astype(np.uint16)


def rgb_frame(buf: Buffers, colours: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Visible-light frame ``(H, W, 3) uint8``: colour times (ambient + Lambert)."""
    shade = 0.35 + 0.65 * buf.cos
    img = colours[buf.mat] * shade[..., None] * 255.0
    img += rng.normal(0.0, 2.0, size=(1, 1, 3)).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def default_colours() -> np.ndarray:
    """Material colour table ``(N_MATERIALS, 3)`` float32 in [0, 1]."""
    return BASE_COLOUR.copy()
