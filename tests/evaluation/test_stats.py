from __future__ import annotations

import pytest

from ictal.evaluation.stats import bonferroni_alpha, compare_configurations


def test_bonferroni_threshold_of_seed002() -> None:
    assert bonferroni_alpha(0.05, 3) == pytest.approx(0.05 / 6)
    assert bonferroni_alpha(0.05, 2) == pytest.approx(0.025)


def test_one_tailed_mann_whitney_is_directional() -> None:
    good = [0.90, 0.92, 0.95, 0.91, 0.93, 0.94, 0.96, 0.97, 0.92, 0.95]
    bad = [0.60, 0.62, 0.65, 0.61, 0.63, 0.64, 0.66, 0.67, 0.62, 0.65]
    comps = {(c.a, c.b): c for c in compare_configurations({"good": good, "bad": bad})}
    assert comps[("good", "bad")].significant and comps[("good", "bad")].p < 0.001
    assert not comps[("bad", "good")].significant
    assert comps[("good", "bad")].alpha_bonferroni == pytest.approx(0.025)
    same = compare_configurations({"a": good, "b": good, "c": good})
    assert len(same) == 6 and not any(c.significant for c in same)
