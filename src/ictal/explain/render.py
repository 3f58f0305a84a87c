"""What a clinician looks at: heat maps on the cropped frames, strips, video and a page.

* :func:`display_frames` - a sample's backbone input back to 8-bit RGB ``(T, H, W, 3)``;
* :func:`overlay` - a map ``(T, H, W)`` blended on those frames as a heat map (``inferno``;
  each window scaled to its own 99.5th percentile, recorded as ``scale`` in the JSON), the
  frames enlarged to at least :data:`MIN_SIDE` pixels and captioned with the recording, the
  source frame number, the time and the target's probability;
* :func:`strip_png` - one PNG per window: :data:`STRIP_FRAMES` frames evenly spread over it,
  the frames above, their overlays below;
* :func:`explanation_html` - the page: the overlay video, the probability lane, the lane of
  per-window attribution (which windows drove the decision), the strips and the tables.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ictal.fsutil import atomic_path
from ictal.inputspec import InputSpec
from ictal.models.predict import timeline_points

MIN_SIDE = 320  # overlay frames are enlarged (an integer factor) to at least this side
CAPTION = 16  # caption bar height (pixels)
ALPHA = 0.65  # opacity of the heat map where the map is at its maximum
STRIP_FRAMES = 8
PERCENTILE = 99.5


def _lut() -> np.ndarray:
    import matplotlib

    cmap = matplotlib.colormaps["inferno"]
    return (np.asarray(cmap(np.linspace(0, 1, 256)))[:, :3] * 255).astype(np.uint8)


def display_frames(frames: np.ndarray, spec: InputSpec) -> np.ndarray:
    """A sample's ``(C, T, H, W)`` ``float32`` frames (normalised as ``spec`` says) ->
    ``(T, H, W, 3)`` ``uint8`` RGB (grey repeated)."""
    x = np.asarray(frames, np.float32)
    if spec.value_range is not None:
        lo, hi = spec.value_range
        x = (x - lo) / (hi - lo) * 255.0
    else:
        mean = np.asarray(spec.mean, np.float32).reshape(-1, 1, 1, 1)[: x.shape[0]]
        std = np.asarray(spec.std, np.float32).reshape(-1, 1, 1, 1)[: x.shape[0]]
        x = (x * std + mean) * 255.0
    x = np.clip(np.rint(x), 0, 255).astype(np.uint8)
    if x.shape[0] == 1:
        x = np.repeat(x, 3, axis=0)
    return np.ascontiguousarray(np.moveaxis(x[:3], 0, -1))


def map_scale(values: np.ndarray) -> float:
    """The value shown at full colour: the map's :data:`PERCENTILE` th percentile of its
    non-zero values (its maximum when few are non-zero; 1 for an empty map)."""
    nz = values[values > 0]
    if nz.size == 0:
        return 1.0
    return float(max(np.percentile(nz, PERCENTILE), 1e-12))


def _enlarge(images: np.ndarray, factor: int) -> np.ndarray:
    """``(T, H, W, 3)`` uint8 or ``(T, H, W)`` float enlarged ``factor`` times (bilinear)."""
    if factor == 1:
        return images
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    x = x.permute(0, 3, 1, 2) if images.ndim == 4 else x[:, None]
    y = F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)
    y = y.permute(0, 2, 3, 1) if images.ndim == 4 else y[:, 0]
    out = y.numpy()
    return np.clip(np.rint(out), 0, 255).astype(np.uint8) if images.dtype == np.uint8 else out


def enlargement(size: int) -> int:
    """The integer factor bringing a side of ``size`` to at least :data:`MIN_SIDE`."""
    return max(1, math.ceil(MIN_SIDE / max(1, size)))


def overlay(frames: np.ndarray, values: np.ndarray, *, scale: float | None = None,
            captions: Sequence[str] | None = None) -> np.ndarray:
    """Blend a map on frames.

    Args:
        frames: ``(T, H, W, 3)`` ``uint8`` (:func:`display_frames`).
        values: ``(T, H, W)`` >= 0.
        scale: the value at full colour (default :func:`map_scale` of ``values``).
        captions: one line per frame, drawn on a bar above it.

    Returns:
        ``(T, CAPTION + k H, k W, 3)`` ``uint8``, ``k`` = :func:`enlargement` of the side
        (no bar without captions).
    """
    from PIL import Image, ImageDraw

    if frames.shape[:3] != values.shape:
        raise ValueError(f"frames {frames.shape} and map {values.shape} differ")
    k = enlargement(max(frames.shape[1:3]))
    big = _enlarge(frames, k).astype(np.float32)
    m = np.clip(_enlarge(values.astype(np.float32), k) / (scale or map_scale(values)), 0, 1)
    colour = _lut()[np.rint(m * 255).astype(np.uint8)].astype(np.float32)
    a = (ALPHA * m)[..., None]
    out = np.rint(big * (1 - a) + colour * a).astype(np.uint8)
    if captions is None:
        return out
    t, h, w, _ = out.shape
    canvas = np.zeros((t, CAPTION + h, w, 3), np.uint8)
    canvas[:, CAPTION:] = out
    for i, text in enumerate(captions):
        bar = Image.new("RGB", (w, CAPTION), (20, 20, 20))
        ImageDraw.Draw(bar).text((3, 2), text, fill=(235, 235, 235))
        canvas[i, :CAPTION] = np.asarray(bar)
    return canvas


def frame_captions(recording: str, frames: Sequence[int], fps: Fraction, label: str,
                   prob: float, window: int) -> list[str]:
    """Per frame: recording, window, source frame, exact time (ms) and P(target)."""
    return [f"{recording} w{window} f{f} {float(Fraction(f) / fps):.3f}s P({label})={prob:.2f}"
            for f in frames]


def _png_bytes(image: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def strip_png(path: Path, frames: np.ndarray, values: np.ndarray, *, title: str,
              source_frames: Sequence[int], scale: float | None = None) -> Path:
    """A window's strip: :data:`STRIP_FRAMES` frames evenly spread (first and last
    included), frames on the top row, overlays below, each labelled with its source frame."""
    from PIL import Image, ImageDraw

    t = frames.shape[0]
    picks = np.unique(np.rint(np.linspace(0, t - 1, min(STRIP_FRAMES, t))).astype(int))
    tops = _enlarge(frames[picks], enlargement(max(frames.shape[1:3])))
    bottoms = overlay(frames[picks], values[picks], scale=scale or map_scale(values))
    h, w = tops.shape[1:3]
    gap = 4
    width = len(picks) * (w + gap) - gap
    canvas = Image.new("RGB", (width, 2 * h + 2 * CAPTION + gap), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    draw.text((2, 2), title, fill=(0, 0, 0))
    for j, p in enumerate(picks):
        x = j * (w + gap)
        draw.text((x + 2, CAPTION + h + 2), f"frame {source_frames[p]}", fill=(0, 0, 0))
        canvas.paste(Image.fromarray(tops[j]), (x, CAPTION))
        canvas.paste(Image.fromarray(bottoms[j]), (x, 2 * CAPTION + h + gap))
    with atomic_path(path) as tmp:
        tmp.write_bytes(_png_bytes(np.asarray(canvas)))
    return path


def _svg_lanes(doc: dict[str, Any], width: int = 900) -> str:
    """The probability lane (one line per class) and the per-window attribution lane."""
    windows = doc["windows"]
    if not windows:
        return "<p>No windows: this model decides on the whole recording.</p>"
    t_end = max(w["t_stop"] for w in windows) or 1.0
    labels = doc["labels"]
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
    lane, gap, left = 90, 24, 60
    inner = width - left - 10

    def x(t: float) -> float:
        return left + inner * t / t_end

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{2 * lane + 2 * gap + 20}" class="lanes">',
             '<text x="2" y="14" font-size="11">probability</text>',
             f'<text x="2" y="{lane + gap + 14}" font-size="11">drove the</text>',
             f'<text x="2" y="{lane + gap + 27}" font-size="11">decision</text>']
    per_window = windows[0].get("probs") is not None  # not for a seizure-level model
    if not per_window:
        parts.append(f'<text x="{left + 4}" y="{lane / 2}" font-size="11">no per-window '
                     "probabilities: this model decides on the whole seizure</text>")
    for j, label in enumerate(labels if per_window else []):
        # the same line as ictal predict's timeline (steps, or centres when windows overlap)
        pts = " ".join(f"{x(t):.1f},{lane - lane * p:.1f}"
                       for t, p in zip(*timeline_points(windows, j), strict=True))
        parts.append(f'<polyline fill="none" stroke="{colours[j % len(colours)]}" '
                     f'stroke-width="1.5" points="{pts}"><title>{html.escape(label)}</title>'
                     "</polyline>")
        parts.append(f'<text x="{left + 4 + 60 * j}" y="{lane + 12}" font-size="11" '
                     f'fill="{colours[j % len(colours)]}">{html.escape(label)}</text>')
    top = lane + gap
    mid = top + lane / 2
    peak = max((abs(w["contribution"]) for w in windows), default=0.0) or 1.0
    parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{mid}" y2="{mid}" stroke="#999"/>')
    for w in windows:
        c = w["contribution"]
        hgt = (lane / 2 - 2) * abs(c) / peak
        y0 = mid - hgt if c > 0 else mid
        fill = "#e6550d" if c > 0 else "#9ecae1"
        stroke = ' stroke="#000" stroke-width="1.5"' if w.get("explained") else ""
        parts.append(
            f'<rect class="window-bar" data-window="{w["index"]}" x="{x(w["t_start"]):.1f}" '
            f'y="{y0:.1f}" width="{max(1.0, x(w["t_stop"]) - x(w["t_start"]) - 1):.1f}" '
            f'height="{max(hgt, 0.5):.1f}" fill="{fill}"{stroke}><title>window {w["index"]} '
            f'{w["t_start"]:.2f}-{w["t_stop"]:.2f} s: {c:+.4f}</title></rect>')
    axis = top + lane + 14
    for s in np.linspace(0, t_end, 6):
        parts.append(f'<text x="{x(float(s)) - 8:.1f}" y="{axis}" font-size="10">'
                     f"{s:.1f}s</text>")
    parts.append("</svg>")
    return "".join(parts)


def explanation_html(doc: dict[str, Any], *, video: str | None, strips: dict[int, str]
                     ) -> str:
    """The explanation page (self-contained but for the video and strips, linked relative to
    the page): decision, overlay video, lanes, per-window tables and strips; the JSON
    document embedded for tools."""
    rec = html.escape(doc["recording"])
    dec = doc["decision"]
    rows = []
    for w in doc["windows"]:
        if not w.get("explained"):
            continue
        i = w["index"]
        truth = w.get("truth") or {}
        truth_cells = (f"moving limb {html.escape(str(truth.get('limb')))}: "
                       f"{'hit' if truth.get('hit') else 'miss'}; mass on patient "
                       f"{truth.get('patient', float('nan')):.0%}, staff "
                       f"{truth.get('staff', float('nan')):.0%}" if truth else "")
        steps = "".join(f"<td>{v:+.3f}</td>" for v in w.get("timesteps", {}).get("values", []))
        seconds = f" in {w['seconds']:.1f} s" if w.get("seconds") is not None else ""
        strip = (f'<img src="{html.escape(strips[i])}" alt="window {i}" class="strip">'
                 if i in strips else "")
        prob = (f"P({html.escape(doc['labels'][doc['target']])}) = "
                f"{w['probs'][doc['target']]:.3f}; " if w.get("probs") else "")
        rows.append(
            f'<section id="window-{i}"><h3>Window {i}: frames {w["start_frame"]}-'
            f'{w["stop_frame"] - 1}, {w["t_start"]:.2f}-{w["t_stop"]:.2f} s</h3>'
            f"<p>{prob}raised the decision by "
            f"{w['contribution']:+.4f}; map: {html.escape(str(w.get('method')))}"
            f"{seconds}. "
            f"{truth_cells}</p>{strip}"
            + ("<table><tr><th>feature timestep</th>"
               + "".join(f"<th>{k}</th>" for k in range(len(w['timesteps']['values'])))
               + f"</tr><tr><td>attribution</td>{steps}</tr></table>" if steps else "")
            + "</section>")
    video_tag = (f'<video id="overlay" controls muted src="{html.escape(video)}" '
                 'style="max-width:100%"></video>' if video else
                 f"<p>{html.escape(doc.get('pixels_note') or 'No overlay video.')}</p>")
    data = base64.b64encode(json.dumps(doc).encode()).decode()
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Explanation of {rec}</title>
<style>body{{font-family:sans-serif;margin:1.5em;max-width:1000px}}
img.strip{{max-width:100%;border:1px solid #ccc}} table{{border-collapse:collapse;font-size:12px}}
td,th{{border:1px solid #ccc;padding:2px 5px}}</style></head><body>
<h1>Explanation of {rec}</h1>
<p>Model <code>{html.escape(str(doc['model'].get('name')))}</code>, backbone
<code>{html.escape(str(doc['model'].get('backbone')))}</code>. Decision:
<b>{html.escape(dec['label'])}</b> ({max(dec['probs']):.2f}). Maps explain class
<b>{html.escape(doc['labels'][doc['target']])}</b> with {html.escape(str(doc.get('method')))};
bright = evidence for it.</p>
{video_tag}
<h2>Timeline</h2>
<p>Top: each class's probability per window. Bottom: how much each window raised (orange) or
lowered (blue) the decision's probability (leave one window out); outlined windows are
explained below.</p>
{_svg_lanes(doc)}
<h2>Explained windows</h2>
{''.join(rows) or '<p>No window explained.</p>'}
<script type="application/json" id="explanation-data">{data}</script>
</body></html>
"""
