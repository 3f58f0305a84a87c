from __future__ import annotations

import numpy as np

from ictal.features.table import FeatureTable


def _table(event: list[str], recording: list[str]) -> FeatureTable:
    n = len(event)
    start = np.arange(n, dtype=np.int64) * 60
    return FeatureTable(
        features=np.zeros((n, 2, 3), np.float32), mask=np.ones((n, 2), bool),
        patient=np.asarray(["P1"] * n), recording=np.asarray(recording),
        event=np.asarray(event), label=np.asarray(["FLE"] * n), view=np.asarray([""] * n),
        start_frame=start, stop_frame=start + 60, fps=np.full(n, 30.0), t_start=start / 30.0,
        t_stop=(start + 60) / 30.0)


def test_seizure_key_is_the_event_or_the_recording_outside_events() -> None:
    table = _table(["E1", "", "E2", ""], ["R1", "R1", "R2", "R2"])
    key = table.seizure_key()
    assert key.tolist() == ["E1", "rec:R1", "E2", "rec:R2"]
    assert key.dtype.kind == "U"
    assert table.subset(np.array([3, 0])).seizure_key().tolist() == ["rec:R2", "E1"]
