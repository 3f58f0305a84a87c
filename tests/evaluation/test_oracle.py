"""The ground-truth oracle's table: the video table's rows with figures of the true joints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ictal.errors import IctalError
from ictal.evaluation.oracle import ORACLE_COLUMNS, oracle_table
from ictal.features.table import FeatureTable
from ictal.manifest import load_manifest
from ictal.manifest.groundtruth import load_ground_truth
from ictal.phantom.config import PhantomConfig
from ictal.phantom.generate import generate_dataset


def _windows(root: Path) -> FeatureTable:
    m = load_manifest(root / "manifest.yaml")
    rows = []
    for rec in m.recordings:
        gt = load_ground_truth(root / "groundtruth" / f"{rec.id}.npz")
        for a in range(0, gt.n_frames - 60, 60):
            rows.append((rec.id, rec.patient, a, a + 60, int(gt.phase[a + 30])))
    n = len(rows)
    col = [np.array([r[i] for r in rows]) for i in range(5)]
    return FeatureTable(
        features=np.zeros((n, 3, 4), np.float32), mask=np.ones((n, 3), bool),
        patient=col[1].astype(str), recording=col[0].astype(str), event=np.full(n, ""),
        label=np.where(col[4] == 1, "SZ", "NE"), view=np.full(n, ""),
        start_frame=col[2].astype(np.int64), stop_frame=col[3].astype(np.int64),
        fps=np.full(n, 30.0), t_start=col[2] / 30.0, t_stop=col[3] / 30.0,
        attrs={"backbone": "motion"})


@pytest.mark.slow
def test_oracle_rows_follow_the_table_and_see_the_seizure(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    generate_dataset(PhantomConfig.demo(n_patients=2, scale=0.0625, streams=("ir",), seed=7),
                     root, workers=1, progress=False)
    table = _windows(root)
    oracle = oracle_table(table, load_manifest(root / "manifest.yaml"))
    assert oracle.features.shape == (len(table), 1, len(ORACLE_COLUMNS))
    assert oracle.mask.all() and np.isfinite(oracle.features).all()
    for name in ("patient", "recording", "label", "start_frame", "stop_frame"):
        assert (getattr(oracle, name) == getattr(table, name)).all()
    assert oracle.attrs["backbone"] == "ground-truth-oracle"
    # the moving wrist is faster in seizure windows than at rest (log1p of m/s)
    col = ORACLE_COLUMNS.index("right_wrist.speed"), ORACLE_COLUMNS.index("left_wrist.speed")
    speed = oracle.features[:, 0, list(col)].max(1)
    seizure = table.label == "SZ"
    assert speed[seizure].mean() > 2 * speed[~seizure].mean()
    # a row of a recording the manifest lacks is refused, naming it
    table.recording[0] = "P999-S1"
    with pytest.raises(IctalError, match="P999-S1"):
        oracle_table(table, load_manifest(root / "manifest.yaml"))
