"""Report of the semiology runs laid out like seed 004's Table 1, the published numbers beside.

Seed 004, Table 1 (leave-one-subject-out, 38 HKN seizures of 19 patients): dystonia -
AGCN_p F1 0.78 / accuracy 0.76, TCN_p 0.76 / 0.73, AGCN_p + KD 0.83 / 0.81; emotion - AGCN_f
0.74 / 0.71, TCN_f 0.84 / 0.80, AGCN_f + KD 0.80 / 0.78. The seed does not say how F1 and
accuracy are aggregated; with one to six seizures per left-out subject, per-subject F1 is
mostly undefined, so ours are **pooled** over the left-out predictions of all folds (F1 of
the sign's class), with the mean accuracy over subjects beside. Rows beyond the seed: late
fusion of the AGCN and TCN streams (mean of probabilities), and lateralisation of dystonia
(left vs right), which the seed does not attempt.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Any

import numpy as np

from ictal.evaluation.cv import CVResult
from ictal.features.semiology import positive_label
from ictal.fsutil import atomic_path
from ictal.plotting import pyplot, save_png

log = logging.getLogger(__name__)

#: (task, model preset) of every run of the report, in Table 1's order.
RUNS: tuple[tuple[str, str], ...] = (
    ("dystonia", "agcn-body"), ("dystonia", "tcn-body"), ("dystonia", "agcn-body-kd"),
    ("emotion", "agcn-face"), ("emotion", "tcn-face"), ("emotion", "agcn-face-kd"),
    ("lateralisation", "agcn-body"), ("lateralisation", "agcn-body-kd"),
)
#: Seed 004's Table 1: (task, model) -> (F1, accuracy).
PUBLISHED: dict[tuple[str, str], tuple[float, float]] = {
    ("dystonia", "agcn-body"): (0.78, 0.76), ("dystonia", "tcn-body"): (0.76, 0.73),
    ("dystonia", "agcn-body-kd"): (0.83, 0.81), ("emotion", "agcn-face"): (0.74, 0.71),
    ("emotion", "tcn-face"): (0.84, 0.80), ("emotion", "agcn-face-kd"): (0.80, 0.78),
}
NAMES = {"agcn-body": "AGCN<sub>p</sub>", "tcn-body": "TCN<sub>p</sub>",
         "agcn-body-kd": "AGCN<sub>p</sub> + KD", "agcn-face": "AGCN<sub>f</sub>",
         "tcn-face": "TCN<sub>f</sub>", "agcn-face-kd": "AGCN<sub>f</sub> + KD"}
FUSIONS = {"dystonia": ("agcn-body", "tcn-body"), "emotion": ("agcn-face", "tcn-face")}


def binary_scores(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """F1 of class 1, accuracy, sensitivity, specificity of 0/1 arrays (NaN when undefined)."""
    tp = int(((pred == 1) & (y == 1)).sum())
    tn = int(((pred == 0) & (y == 0)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan")
    return {"f1": f1, "accuracy": (tp + tn) / max(len(y), 1),
            "sensitivity": tp / (tp + fn) if tp + fn else float("nan"),
            "specificity": tn / (tn + fp) if tn + fp else float("nan"),
            "tp": tp, "tn": tn, "fp": fp, "fn": fn, "n": len(y)}


def _pooled(result: CVResult, task: str) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                  np.ndarray]:
    """0/1 truth, probability of the positive class (:func:`positive_label`), table rows and
    patients (one per seizure, all folds of a leave-one-subject-out run)."""
    several = [f.fold for f in result.folds if len(f.test_patients) != 1]
    if several:
        raise ValueError(f"run {result.label}: folds {several} test more than one subject; "
                         "the seed 004 report reads leave-one-subject-out runs (--protocol "
                         "loso)")
    pos = result.classes.index(positive_label(task))
    y = np.concatenate([f.y for f in result.folds]) == pos
    p = np.concatenate([f.proba[:, pos] for f in result.folds])
    rows = np.concatenate([f.rows for f in result.folds])
    patient = np.concatenate([[f.test_patients[0]] * len(f.y) for f in result.folds])
    return y.astype(int), p, rows, patient


def run_scores(result: CVResult, task: str) -> dict[str, Any]:
    """Pooled scores plus the mean and std of the per-subject accuracy."""
    y, p, _, patient = _pooled(result, task)
    pred = (p >= 0.5).astype(int)
    out = binary_scores(y, pred)
    acc = [float((pred[patient == s] == y[patient == s]).mean()) for s in np.unique(patient)]
    out["subject_accuracy_mean"] = float(np.mean(acc))
    out["subject_accuracy_std"] = float(np.std(acc))
    out["subjects"] = len(acc)
    out["seconds_per_fold"] = float(np.mean([f.seconds for f in result.folds]))
    return out


def fused_scores(a: CVResult, b: CVResult, task: str) -> dict[str, Any]:
    """Late fusion of two runs on the same table: mean of their positive-class
    probabilities per seizure (matched by table row)."""
    ya, pa, ra, _ = _pooled(a, task)
    yb, pb, rb, _ = _pooled(b, task)
    order_b = {int(r): i for i, r in enumerate(rb.tolist())}
    idx = np.asarray([order_b[int(r)] for r in ra.tolist()])
    if not np.array_equal(ya, yb[idx]):
        raise ValueError("the two runs do not hold the same seizures")
    return binary_scores(ya, (((pa + pb[idx]) / 2) >= 0.5).astype(int))


def _fmt(x: float | None) -> str:
    return "-" if x is None or x != x else f"{x:.2f}"


def write_seed004_report(runs_dir: Path | str, out: Path | str) -> Path:
    """An HTML report of the run folders ``runs_dir/<task>-<model>`` (missing runs are listed
    as missing) with Table 1 laid out like the seed's and a bar figure beside it."""
    runs_dir, out = Path(runs_dir), Path(out)
    loaded: dict[tuple[str, str], CVResult] = {}
    for task, model in RUNS:
        folder = runs_dir / f"{task}-{model}"
        if (folder / "metrics.json").exists():
            loaded[(task, model)] = CVResult.load(folder)
    rows_html: list[str] = []
    bars: list[tuple[str, float, float | None]] = []
    for task in ("dystonia", "emotion", "lateralisation"):
        title = {"dystonia": "Dystonia recognition", "emotion": "Emotion recognition",
                 "lateralisation": "Dystonia lateralisation (left vs right; beyond the seed)"}
        rows_html.append(f"<tr><th colspan=8>{title[task]}</th></tr>")
        for t, model in RUNS:
            if t != task:
                continue
            pub = PUBLISHED.get((task, model))
            if (task, model) not in loaded:
                rows_html.append(f"<tr><td>{NAMES[model]}</td><td colspan=7>not run</td></tr>")
                continue
            s = run_scores(loaded[(task, model)], task)
            rows_html.append(
                f"<tr><td>{NAMES[model]}</td><td>{_fmt(s['f1'])}</td>"
                f"<td>{_fmt(pub[0]) if pub else '-'}</td><td>{_fmt(s['accuracy'])}</td>"
                f"<td>{_fmt(pub[1]) if pub else '-'}</td>"
                f"<td>{_fmt(s['sensitivity'])} / {_fmt(s['specificity'])}</td>"
                f"<td>{_fmt(s['subject_accuracy_mean'])} ± "
                f"{_fmt(s['subject_accuracy_std'])} ({s['subjects']})</td>"
                f"<td>{s['seconds_per_fold']:.1f}</td></tr>")
            bars.append((f"{task}\n{model}", s["f1"], pub[0] if pub else None))
        if task in FUSIONS and all((task, m) in loaded for m in FUSIONS[task]):
            a, b = (loaded[(task, m)] for m in FUSIONS[task])
            s = fused_scores(a, b, task)
            rows_html.append(
                f"<tr><td>AGCN + TCN, late fusion (mean probability)</td>"
                f"<td>{_fmt(s['f1'])}</td><td>-</td><td>{_fmt(s['accuracy'])}</td><td>-</td>"
                f"<td>{_fmt(s['sensitivity'])} / {_fmt(s['specificity'])}</td><td>-</td>"
                f"<td>-</td></tr>")
    figure = _bar_figure(bars, out.parent / "figures" / "seed004_table1.png")
    config = next(iter(loaded.values())).model_config if loaded else {}
    doc = f"""<!doctype html><meta charset=utf-8><title>seed 004 Table 1</title>
<style>body{{font-family:sans-serif;max-width:60em}}td,th{{padding:2px 8px;border-bottom:1px solid
#ddd}}th{{text-align:left}}</style>
<h1>Semiology recognition, leave-one-subject-out (seed 004, Table 1)</h1>
<p>F1 (of the sign's class) and accuracy pooled over every left-out seizure; sensitivity /
specificity pooled; accuracy per subject as mean ± std over the left-out subjects (their
number in brackets). Published: seed 004, Table 1 (38 HKN seizures, 19 patients).</p>
<table><tr><th>Model</th><th>F1</th><th>F1 published</th><th>Accuracy</th>
<th>Accuracy published</th><th>Sens. / spec.</th><th>Accuracy per subject</th>
<th>s / fold</th></tr>{''.join(rows_html)}</table>
<p><img src="{html.escape(str(figure.relative_to(out.parent)) if figure else '')}"
width=640></p>
<p>Model configuration of the first run: <code>{html.escape(str(config))}</code></p>
"""
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        tmp.write_text(doc, encoding="utf-8")
    return out


def _bar_figure(bars: list[tuple[str, float, float | None]], path: Path) -> Path | None:
    if not bars:
        return None
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 3.2))
    x = np.arange(len(bars))
    ax.bar(x - 0.2, [b[1] for b in bars], 0.4, label="ours (phantom)")
    ax.bar(x + 0.2, [b[2] if b[2] is not None else 0 for b in bars], 0.4,
           label="seed 004 (published)")
    ax.set_xticks(x, [b[0] for b in bars], fontsize=7)
    ax.set_ylabel("F1")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_png(fig, path, dpi=110, tight=False)
