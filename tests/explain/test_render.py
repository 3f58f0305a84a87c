"""The explanation page: its probability lane is ictal predict's timeline line; a
seizure-level model's page (no per-window probabilities) is drawn too."""

from __future__ import annotations

import re
from typing import Any

from ictal.explain.render import explanation_html


def _doc(probs: list[list[float]] | None, stride: float) -> dict[str, Any]:
    """A two-class explanation of three 2 s windows ``stride`` s apart, all explained."""
    windows = [{"index": i, "start_frame": round(30 * stride * i),
                "stop_frame": round(30 * stride * i) + 60, "t_start": stride * i,
                "t_stop": stride * i + 2.0, "probs": None if probs is None else probs[i],
                "contribution": (-0.1, 0.2, 0.05)[i], "explained": True} for i in range(3)]
    return {"format": "ictal-explanation/1", "recording": "R1",
            "model": {"name": "m", "backbone": "motion"}, "labels": ["FLE", "NE"],
            "decision": {"label": "FLE", "probs": [0.6, 0.4]}, "target": 0,
            "method": "occlusion", "windows": windows, "pixels_note": None}


def _lines(page: str) -> list[list[tuple[float, float]]]:
    out = []
    for pts in re.findall(r'<polyline [^>]*points="([^"]*)"', page):
        out.append([(float(a), float(b)) for a, b in
                    (p.split(",") for p in pts.split())])
    return out


def test_overlapping_windows_draw_a_line_forward_in_time() -> None:
    """``--stride`` below the window length: a line through the windows' centres (as
    :func:`~ictal.models.predict.timeline_points`), never going back in time."""
    probs = [[0.2, 0.8], [0.9, 0.1], [0.5, 0.5]]
    lines = _lines(explanation_html(_doc(probs, stride=1.0), video=None, strips={}))
    assert len(lines) == 2
    for line in lines:
        xs = [x for x, _ in line]
        assert len(line) == 3 and xs == sorted(xs), line
    # touching windows keep their steps: two points per window
    lines = _lines(explanation_html(_doc(probs, stride=2.0), video=None, strips={}))
    assert [len(line) for line in lines] == [6, 6]


def test_a_seizure_level_page_has_bars_but_no_probability_lines() -> None:
    """A GESTURES bundle's windows carry no probabilities: the page shows the attribution
    lane and the windows' contributions, and no per-window probability."""
    page = explanation_html(_doc(None, stride=2.0), video=None, strips={})
    assert page.count('class="window-bar"') == 3 and not _lines(page)
    assert "no per-window probabilities" in page
    assert 'id="window-2"' in page and "raised the decision by +0.0500" in page
    assert "P(FLE)" not in page
