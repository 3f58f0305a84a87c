"""Matplotlib for the evaluation reports: the Agg backend and figures as base64 PNG.

One place for :mod:`ictal.evaluation.report` and the seeds' layouts
(:mod:`ictal.evaluation.seed002`, :mod:`ictal.evaluation.seed004`), which ``report`` imports:
they share these helpers here instead of importing ``report`` back.
"""

from __future__ import annotations

import base64
import io
from typing import Any


def pyplot() -> Any:
    """``matplotlib.pyplot`` with the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def png_base64(fig: Any) -> str:
    """``fig`` as a base64 PNG (90 dpi, tight box), then closed."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")
