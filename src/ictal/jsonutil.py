"""Strict JSON for run folders, bundles and metrics: no NaN or infinity."""

from __future__ import annotations

import math
from typing import Any


def json_safe(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by ``None`` (strict JSON has no NaN).

    Dicts, lists and tuples are walked recursively (tuples become lists); other values are
    returned as they are.
    """
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
