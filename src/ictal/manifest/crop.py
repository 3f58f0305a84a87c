"""Set or clear the detection crop a manifest gives by hand (``Recording.crop``).

Seed 000 cropped by hand the few seizures its detector missed; ictal lets a user do the same
when a QC contact sheet shows a wrong crop, with one command (``ictal manifest crop``) instead
of editing YAML: :func:`set_crop` changes that one recording's row, checks the whole manifest
again (the box against the recording's frame size from its stream headers) and writes the file
atomically. ``ictal preprocess`` and ``ictal extract`` then redo that recording alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ictal.errors import ConfigError
from ictal.fsutil import write_text_atomic
from ictal.manifest.io import load_manifest, pydantic_problems
from ictal.manifest.schema import PICTURE_KINDS, PixelBox, Recording


def parse_box(text: str) -> PixelBox:
    """``"x0,y0,x1,y1"`` (commas or spaces) -> a box of four integers, pixels."""
    parts = text.replace(",", " ").split()
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4:
        raise ConfigError(f"--box {text!r}: not four whole numbers",
                          hint="give the crop as x0,y0,x1,y1 in pixels, e.g. --box 120,80,560,440")
    return (values[0], values[1], values[2], values[3])


def set_crop(path: Path | str, recording: str, box: PixelBox | None, *,
             view: str | None = None, allow_outside_root: bool = False) -> Recording:
    """Give ``recording`` of the manifest at ``path`` the crop ``box`` (of montage view
    ``view``), or clear it (``box=None``: that view's, or every view's without ``view``), and
    rewrite the manifest atomically (YAML comments are not kept).

    The box is ``(x0, y0, x1, y1)`` pixels of the frame (of a montage view: of that view),
    ``x1`` / ``y1`` exclusive; it must lie within the frame of one of the recording's picture
    streams (rgb / ir), as the stream headers give it.

    Returns:
        The recording as the rewritten manifest holds it.

    Raises:
        ManifestError: the manifest has problems (as :func:`load_manifest` reads it, stream
            headers included); nothing is written then.
        ConfigError: no such recording, a view that does not fit it, or a box that is not one
            or reaches beyond the frame; nothing is written then.
    """
    path = Path(path)
    current = load_manifest(path, allow_outside_root=allow_outside_root)
    try:
        rec = current.recording(recording)
    except KeyError as err:
        known = ", ".join(r.id for r in current.recordings[:8])
        raise ConfigError(f"{path}: no recording {recording!r}",
                          hint=f"give one of its recording ids ({known}"
                               f"{', ...' if len(current.recordings) > 8 else ''})") from err
    if view is not None and rec.montage is None:
        raise ConfigError(f"recording {recording} is not a montage: it has no view {view!r}",
                          hint="leave out --view")
    if view is not None and rec.montage is not None and view not in rec.montage.views:
        raise ConfigError(f"recording {recording} has no view {view!r}",
                          hint=f"use --view {' or --view '.join(rec.montage.views)}")
    if rec.montage is not None and view is None and box is not None:
        raise ConfigError(f"recording {recording} is a montage: its views are cropped one by one",
                          hint=f"add --view {' or --view '.join(rec.montage.views)}")
    if box is not None:
        _check_within(rec, box, view)

    crop = _new_crop(rec.crop, box, view)
    try:  # the row checked as the manifest holds it; the others were checked on loading
        changed = Recording.model_validate({**rec.model_dump(), "crop": crop})
    except ValidationError as err:
        raise ConfigError("; ".join(pydantic_problems(f"recording {recording}", err))) from err
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    row = next(r for r in data["recordings"] if isinstance(r, dict) and r.get("id") == recording)
    row.pop("crop", None)
    if crop is not None:
        row["crop"] = crop
    write_text_atomic(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True,
                                           width=100))
    return changed


def _new_crop(old: Any, box: PixelBox | None, view: str | None) -> Any:
    """The row's ``crop`` value after the change (``None``: no crop left), as YAML writes it."""
    if view is None:
        return None if box is None else list(box)
    views = {v: list(b) for v, b in old.items()} if isinstance(old, dict) else {}
    if box is None:
        views.pop(view, None)
    else:
        views[view] = list(box)
    return views or None


def _check_within(rec: Recording, box: PixelBox, view: str | None) -> None:
    """The box must lie in the picture it is given for: the montage view's, or one of the
    recording's rgb / ir frames (as their headers give the size)."""
    _, _, x1, y1 = box
    sizes = {(s.width, s.height) for s in rec.streams
             if s.kind in PICTURE_KINDS and s.width is not None and s.height is not None}
    if rec.montage is not None:
        sizes = {rec.montage.view_size(view, size) for size in sizes}
    if sizes and not any(x1 <= w and y1 <= h for w, h in sizes):
        shown = " or ".join(f"{w}x{h}" for w, h in sorted(sizes))
        where = f"view {view} of " if view is not None else ""
        raise ConfigError(f"--box {list(box)} reaches beyond the {shown} picture of "
                          f"{where}recording {rec.id}",
                          hint="give x1 <= the width and y1 <= the height, in pixels of the "
                               "frame (`--picture OUT.png` draws it with a pixel ruler)")

