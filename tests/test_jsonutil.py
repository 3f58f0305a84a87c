from __future__ import annotations

import json
import math

from ictal.jsonutil import json_safe


def test_non_finite_floats_become_null_at_any_depth() -> None:
    data = {"a": math.nan, "b": [1.0, math.inf, (-math.inf, 2)], "c": {"d": 0.5, "e": "x"}}
    safe = json_safe(data)
    assert safe == {"a": None, "b": [1.0, None, [None, 2]], "c": {"d": 0.5, "e": "x"}}
    json.dumps(safe, allow_nan=False)  # strict JSON
    assert data["a"] != data["a"]  # the input is left as it was
