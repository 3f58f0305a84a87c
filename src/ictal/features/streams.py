"""The stream layout of a multi-stream feature table (seed 004: keypoints and appearance).

A seizure-level semiology table (:mod:`ictal.features.semiology`) holds several streams side
by side in the feature columns of one :class:`~ictal.features.table.FeatureTable`: the body
keypoints, the face keypoints, and per-frame appearance features of the body crop and of the
face crop. ``table.attrs["streams"]`` says which columns are which, so each classifier takes
its own stream and a distilled model its teacher's: ``{name: {"kind", "start", "stop",
"nodes", "channels"}}``.

* ``kind = "keypoints"``: columns ``[start, stop)`` are ``nodes x channels`` values per
  timestep, node-major (node ``v``'s channel ``c`` at ``start + v * channels + c``); channels
  are ``(x, y, confidence)`` in 2D or ``(x, y, z)`` in 3D, normalised per clip;
* ``kind = "appearance"``: columns ``[start, stop)`` are a per-frame feature vector
  (``nodes = 0``, ``channels`` = its length).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from ictal.errors import ConfigError

LAYOUT_KEY = "streams"
#: The streams of seed 004, by name: body / face keypoints, body / face appearance.
STREAM_NAMES = ("body", "face", "body_app", "face_app")


@dataclass(frozen=True)
class StreamSpec:
    """Where one stream lies in the feature columns (see the module docstring)."""

    name: str
    kind: Literal["keypoints", "appearance"]
    start: int
    stop: int
    nodes: int = 0
    channels: int = 0

    def __post_init__(self) -> None:
        width = self.stop - self.start
        expected = self.nodes * self.channels if self.kind == "keypoints" else self.channels
        if self.start < 0 or width <= 0 or width != expected:
            raise ConfigError(f"stream {self.name!r}: columns [{self.start}, {self.stop}) do "
                              f"not hold {self.nodes} nodes x {self.channels} channels")

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        del out["name"]
        return out


def stream_layout(attrs: dict[str, Any]) -> dict[str, StreamSpec]:
    """The streams a table's ``attrs`` declare (empty when it declares none)."""
    raw = attrs.get(LAYOUT_KEY) or {}
    return {str(name): StreamSpec(name=str(name), **spec) for name, spec in raw.items()}


def require_stream(layout: dict[str, StreamSpec], name: str, kind: str) -> StreamSpec:
    """The stream ``name`` of ``kind``, or a :class:`ConfigError` naming what the table has."""
    spec = layout.get(name)
    if spec is None or spec.kind != kind:
        have = ", ".join(f"{s.name} ({s.kind})" for s in layout.values()) or "none"
        raise ConfigError(f"the feature table has no {kind} stream {name!r} (it has: {have})",
                          hint="build the table with ictal.features.semiology (ictal evaluate "
                               "--task on a keypoint store)")
    return spec


def coords_of_parts(coords: str) -> dict[str, str]:
    """``"2d"`` or ``"3d"`` for the ``body`` and the ``face`` keypoint stream of a semiology
    table made with ``coords`` (``2d``, ``3d``, or ``body-3d``: the body lifted alone, as seed
    004 does; :func:`ictal.features.semiology.semiology_table`)."""
    return {"body": "2d" if coords == "2d" else "3d", "face": "3d" if coords == "3d" else "2d"}
