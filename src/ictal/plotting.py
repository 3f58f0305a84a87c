"""Matplotlib for every figure ictal draws: the Agg backend, PNG files written atomically, and
figures as base64 PNG for the self-contained HTML reports.

One place for the prediction timeline (:mod:`ictal.models.predict`), the semiology plots
(:mod:`ictal.keypoints.semiology`), the monitoring nights (:mod:`ictal.monitor.detection`) and
the evaluation reports (:mod:`ictal.evaluation.report` and the seeds' layouts). Matplotlib is
imported on first use, never at import time.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from ictal.fsutil import atomic_path


def pyplot() -> Any:
    """``matplotlib.pyplot`` with the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_png(fig: Any, path: Path | str, *, dpi: int = 90, tight: bool = True) -> Path:
    """Write ``fig`` to ``path`` as PNG atomically (temporary file, then rename), then close
    it; ``tight``: crop to the drawn content."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    pyplot().close(fig)
    return Path(path)


def png_base64(fig: Any) -> str:
    """``fig`` as a base64 PNG (90 dpi, tight box), then closed."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    pyplot().close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")
