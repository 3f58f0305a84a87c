"""One self-contained HTML report of cross-validation runs, figures embedded as PNG base64.

The report holds: a results table laid out like Table 2 of seed 000 (rows: dataset /
architecture / class; columns: macro F1, precision, recall, then per-class specificity and
sensitivity, as mean +/- std over folds), seizure-level results (pooled samples for
sample-level models, kept apart from seizure-level models), the published Table 2 of seed
000 beside runs of its kind, seed 002's Table 1, confusion counts and Fig. 2 beside FOS / TCS
runs (:mod:`ictal.evaluation.seed002`), the protocol and selection mode of every number, fold
sizes (patients and samples, or seizures, per class per fold), confusion matrices per fold and
pooled, ROC and PR curves, per-fold metric bars; and the same metrics as JSON (embedded, and
in ``<report>.json``).
"""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from ictal.evaluation.cv import CVResult
from ictal.evaluation.seed002 import is_seizure_type_run
from ictal.evaluation.seed002 import section_html as seed002_section
from ictal.fsutil import atomic_path, write_json_atomic, write_text_atomic
from ictal.plotting import png_base64, pyplot

#: Seed 000, Table 2: 5-fold CV results (mean +/- std), per dataset / classes / architecture.
#: ``(f1, {class: (specificity, sensitivity)})``; the published reference numbers.
PUBLISHED_TABLE2: list[dict[str, Any]] = [
    {"dataset": "A (2D crop)", "cls": 2, "arch": "I3D", "f1": "0.703 ± 0.053",
     "per_class": {"FLE": ("0.747 ± 0.154", "0.695 ± 0.164"),
                   "TLE": ("0.695 ± 0.164", "0.747 ± 0.154")}},
    {"dataset": "A (2D crop)", "cls": 2, "arch": "LSTM", "f1": "0.833 ± 0.061",
     "per_class": {"FLE": ("0.870 ± 0.041", "0.794 ± 0.157"),
                   "TLE": ("0.794 ± 0.157", "0.870 ± 0.041")}},
    {"dataset": "A (2D crop)", "cls": 3, "arch": "I3D", "f1": "0.483 ± 0.051",
     "per_class": {"FLE": ("0.854 ± 0.044", "0.592 ± 0.116"),
                   "TLE": ("0.795 ± 0.062", "0.400 ± 0.064"),
                   "Non-epileptic": ("0.610 ± 0.107", "0.635 ± 0.094")}},
    {"dataset": "A (2D crop)", "cls": 3, "arch": "LSTM", "f1": "0.578 ± 0.080",
     "per_class": {"FLE": ("0.942 ± 0.026", "0.444 ± 0.134"),
                   "TLE": ("0.902 ± 0.074", "0.426 ± 0.114"),
                   "Non-epileptic": ("0.501 ± 0.064", "0.838 ± 0.090")}},
    {"dataset": "B (3D crop)", "cls": 2, "arch": "I3D", "f1": "0.682 ± 0.111",
     "per_class": {"FLE": ("0.646 ± 0.115", "0.771 ± 0.132"),
                   "TLE": ("0.771 ± 0.132", "0.646 ± 0.115")}},
    {"dataset": "B (3D crop)", "cls": 2, "arch": "LSTM", "f1": "0.829 ± 0.055",
     "per_class": {"FLE": ("0.886 ± 0.064", "0.764 ± 0.152"),
                   "TLE": ("0.764 ± 0.152", "0.886 ± 0.064")}},
    {"dataset": "B (3D crop)", "cls": 3, "arch": "I3D", "f1": "0.688 ± 0.066",
     "per_class": {"FLE": ("0.886 ± 0.024", "0.648 ± 0.178"),
                   "TLE": ("0.941 ± 0.036", "0.637 ± 0.109"),
                   "Non-epileptic": ("0.936 ± 0.025", "0.904 ± 0.026")}},
    {"dataset": "B (3D crop)", "cls": 3, "arch": "LSTM", "f1": "0.751 ± 0.065",
     "per_class": {"FLE": ("0.941 ± 0.032", "0.613 ± 0.203"),
                   "TLE": ("0.956 ± 0.040", "0.720 ± 0.128"),
                   "Non-epileptic": ("0.873 ± 0.043", "0.949 ± 0.032")}},
    {"dataset": "B0.5 (50% overlap)", "cls": 2, "arch": "I3D", "f1": "0.611 ± 0.133",
     "per_class": {"FLE": ("0.621 ± 0.113", "0.663 ± 0.217"),
                   "TLE": ("0.663 ± 0.217", "0.621 ± 0.113")}},
    {"dataset": "B0.5 (50% overlap)", "cls": 2, "arch": "LSTM", "f1": "0.672 ± 0.214",
     "per_class": {"FLE": ("0.953 ± 0.041", "0.461 ± 0.330"),
                   "TLE": ("0.461 ± 0.330", "0.953 ± 0.041")}},
    {"dataset": "B0.5 (50% overlap)", "cls": 3, "arch": "I3D", "f1": "0.671 ± 0.065",
     "per_class": {"FLE": ("0.891 ± 0.027", "0.619 ± 0.178"),
                   "TLE": ("0.922 ± 0.040", "0.645 ± 0.087"),
                   "Non-epileptic": ("0.935 ± 0.022", "0.887 ± 0.026")}},
    {"dataset": "B0.5 (50% overlap)", "cls": 3, "arch": "LSTM", "f1": "0.740 ± 0.069",
     "per_class": {"FLE": ("0.921 ± 0.031", "0.648 ± 0.189"),
                   "TLE": ("0.970 ± 0.015", "0.672 ± 0.148"),
                   "Non-epileptic": ("0.910 ± 0.045", "0.958 ± 0.014")}},
    {"dataset": "B0.5 (50% overlap)", "cls": 3, "arch": "Ext. LSTM", "f1": "0.763 ± 0.083",
     "per_class": {"FLE": ("0.934 ± 0.022", "0.639 ± 0.215"),
                   "TLE": ("0.962 ± 0.029", "0.765 ± 0.058"),
                   "Non-epileptic": ("0.922 ± 0.024", "0.947 ± 0.019")}},
]

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}
th,td{border:1px solid #bbb;padding:3px 8px;text-align:left}
th{background:#eee} .leaky{color:#b00;font-weight:bold} img{max-width:100%}
.note{color:#555;font-size:0.9em}
"""


def _pm(stat: dict[str, float] | None) -> str:
    if not stat or stat.get("mean") is None or math.isnan(stat["mean"]):
        return "–"
    return f"{stat['mean']:.3f} ± {stat['std']:.3f}"


def confusion_figure(result: CVResult) -> str:
    """Confusion matrices of every fold and pooled over folds, as base64 PNG."""
    plt = pyplot()
    mats = [np.asarray(f.metrics["confusion"]) for f in result.folds]
    mats.append(np.sum(mats, axis=0))
    titles = [f"fold {f.fold}" for f in result.folds] + ["pooled"]
    cols = min(len(mats), 6)
    rows = math.ceil(len(mats) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.4 * cols, 2.4 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, mat, title in zip(axes.ravel(), mats, titles, strict=False):
        ax.axis("on")
        ax.imshow(mat, cmap="Blues")
        for (r, c), v in np.ndenumerate(mat):
            ax.text(c, r, str(v), ha="center", va="center", fontsize=8)
        ax.set_xticks(range(len(result.classes)), result.classes, fontsize=7)
        ax.set_yticks(range(len(result.classes)), result.classes, fontsize=7)
        ax.set_title(title, fontsize=9)
    fig.supxlabel("predicted")
    fig.supylabel("true")
    return png_base64(fig)


def curves_figure(result: CVResult) -> str:
    """Pooled ROC and precision-recall curves (one-vs-rest per class for > 2 classes)."""
    from sklearn.metrics import precision_recall_curve, roc_curve

    plt = pyplot()
    y, proba = result.pooled()
    fig, (ax_roc, ax_pr) = plt.subplots(1, 2, figsize=(9, 3.8))
    targets = [1] if len(result.classes) == 2 else list(range(len(result.classes)))
    for c in targets:
        truth = (y == c).astype(int)
        if truth.min() == truth.max():
            continue
        fpr, tpr, _ = roc_curve(truth, proba[:, c])
        prec, rec, _ = precision_recall_curve(truth, proba[:, c])
        ax_roc.plot(fpr, tpr, label=result.classes[c])
        ax_pr.plot(rec, prec, label=result.classes[c])
    ax_roc.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax_roc.set(xlabel="1 - specificity", ylabel="sensitivity", title="ROC (pooled)")
    ax_pr.set(xlabel="recall", ylabel="precision", title="Precision-recall (pooled)")
    for ax in (ax_roc, ax_pr):
        ax.legend(fontsize=8)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
    return png_base64(fig)


def fold_bars_figure(result: CVResult) -> str:
    """Per-fold bars of macro F1, precision, recall and accuracy."""
    plt = pyplot()
    names = ["f1_macro", "precision_macro", "recall_macro", "accuracy"]
    fig, ax = plt.subplots(figsize=(max(4.0, 1.1 * len(result.folds) + 2), 3))
    width = 0.8 / len(names)
    x = np.arange(len(result.folds))
    for j, name in enumerate(names):
        ax.bar(x + j * width, [f.metrics[name] for f in result.folds], width, label=name)
    ax.set_xticks(x + 0.4 - width / 2, [f"fold {f.fold}" for f in result.folds])
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7, ncols=4, loc="lower center")
    return png_base64(fig)


def write_figures(result: CVResult, folder: Path | str) -> list[Path]:
    """Write the report's figures of ``result`` as PNG files into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, make in (("confusion", confusion_figure), ("roc_pr", curves_figure),
                       ("fold_metrics", fold_bars_figure)):
        target = folder / f"{name}.png"
        with atomic_path(target) as tmp:
            tmp.write_bytes(base64.b64decode(make(result)))
        out.append(target)
    return out


def _dataset(result: CVResult) -> str:
    info = result.table_info
    name = str(info.get("dataset") or info.get("backbone") or "features")
    return f"{name} ({info['variant']})" if info.get("variant") else name


def _table2_rows(results: list[CVResult], level: str) -> str:
    head = ("<tr><th>Dataset</th><th>Architecture</th><th>cls</th><th>protocol / selection"
            "</th><th>F1</th><th>Precision</th><th>Recall</th><th>ROC-AUC</th><th>PR-AUC</th>"
            "<th>class</th><th>Spec.</th><th>Sens.</th></tr>")
    body = []
    for r in results:
        s = r.level_summary(level)
        n = len(r.classes)
        tag = ' <span class="leaky">LEAKY</span>' if r.leaky else ""
        for j, c in enumerate(r.classes):
            first = j == 0
            common = (
                f"<td rowspan={n}>{html.escape(_dataset(r))}</td>"
                f"<td rowspan={n}>{html.escape(r.name)} ({html.escape(r.model_config['arch'])})"
                f"</td><td rowspan={n}>{n}</td><td rowspan={n}>{html.escape(r.protocol)} / "
                f"{html.escape(r.selection)}{tag}</td>"
                + "".join(f"<td rowspan={n}>{_pm(s.get(m))}</td>" for m in
                          ("f1_macro", "precision_macro", "recall_macro", "roc_auc", "pr_auc"))
            ) if first else ""
            body.append(
                f"<tr>{common}<td>{html.escape(c)}</td>"
                f"<td>{_pm(s.get(f'per_class.{c}.specificity'))}</td>"
                f"<td>{_pm(s.get(f'per_class.{c}.sensitivity'))}</td></tr>")
    return f"<table>{head}{''.join(body)}</table>"


def _published() -> str:
    rows = []
    for row in PUBLISHED_TABLE2:
        n = len(row["per_class"])
        for j, (c, (spec, sens)) in enumerate(row["per_class"].items()):
            lead = (f"<td rowspan={n}>{row['dataset']}</td><td rowspan={n}>{row['arch']}</td>"
                    f"<td rowspan={n}>{row['cls']}</td><td rowspan={n}>{row['f1']}</td>"
                    if j == 0 else "")
            rows.append(f"<tr>{lead}<td>{c}</td><td>{spec}</td><td>{sens}</td></tr>")
    return ("<table><tr><th>Dataset</th><th>Architecture</th><th>cls</th><th>F1</th>"
            "<th>class</th><th>Spec.</th><th>Sens.</th></tr>" + "".join(rows) + "</table>")


def _fold_sizes(result: CVResult) -> str:
    """Patients and units per class and fold: samples, or seizures for a seizure-level
    model (runs written before seizures were counted show samples)."""
    unit = "seizures" if result.unit == "seizure" and all(
        "seizures" in f.sizes["test"] for f in result.folds) else "samples"
    head = (f"<tr><th>fold</th><th>train patients</th><th>train {unit}</th>"
            f"<th>validation (selection) {unit}</th><th>test patients</th>"
            f"<th>test {unit}</th><th>epochs run / kept</th></tr>")

    def per_class(d: dict[str, int]) -> str:
        return ", ".join(f"{c} {v}" for c, v in d.items())

    rows = []
    for f in result.folds:
        tr, te, va = f.sizes["train"], f.sizes["test"], f.sizes["validation"]
        runs = len(f.history.get("train_loss", []))
        rows.append(
            f"<tr><td>{f.fold}</td><td>{per_class(tr['patients'])}</td>"
            f"<td>{per_class(tr[unit])}</td><td>{per_class(va[unit])}</td>"
            f"<td>{per_class(te['patients'])}</td><td>{per_class(te[unit])}</td>"
            f"<td>{runs} / {f.history.get('best_epoch', -1) + 1}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


_SELECTION_TEXT = {
    "seed": "seed: the kept epoch was chosen on the outer validation fold, as seeds 000/001/002 "
            "did; the test fold influenced model selection, so numbers are optimistic.",
    "honest": "honest: the kept epoch was chosen on an inner split of the training patients "
              "only; the test fold was never seen before scoring.",
    "none": "none: every training patient was fitted for the configured number of epochs and "
            "the last one kept; no epoch was chosen on any patient of this run.",
}


def _section(result: CVResult) -> str:
    leak = ('<p class="leaky">LEAKY PROTOCOL: samples of the same patient are in training and '
            "test folds. These numbers only demonstrate leakage; never report them as "
            "performance.</p>" if result.leaky else "")
    info = result.table_info
    return (
        f"<h2>{html.escape(result.label)}</h2>{leak}"
        f"<p>Protocol <b>{html.escape(result.protocol)}</b>, {len(result.folds)} folds, seed "
        f"{result.seed}; selection <b>{html.escape(result.selection)}</b> — "
        f"{html.escape(_SELECTION_TEXT.get(result.selection, ''))}<br>"
        f"Features: {info.get('rows')} rows, shape {info.get('shape')}, "
        f"{info.get('patients')} patients, backbone {html.escape(str(info.get('backbone')))}, "
        f"weights sha256 {html.escape(str(info.get('weights_sha256')))}; unit of "
        f"prediction: {result.unit}.</p>"
        f"<h3>Fold sizes</h3>{_fold_sizes(result)}"
        f"<h3>Confusion matrices (per fold and pooled)</h3>"
        f'<img alt="confusion matrices" src="data:image/png;base64,{confusion_figure(result)}">'
        f"<h3>ROC and precision-recall curves</h3>"
        f'<img alt="ROC and PR curves" src="data:image/png;base64,{curves_figure(result)}">'
        f"<h3>Per-fold metrics</h3>"
        f'<img alt="per-fold metrics" src="data:image/png;base64,{fold_bars_figure(result)}">'
    )


def write_report(results: list[CVResult], path: Path | str) -> Path:
    """Write the HTML report of ``results`` to ``path`` and their metrics to ``<path>.json``."""
    if not results:
        raise ValueError("write_report needs at least one result")
    path = Path(path)
    metrics = [r.to_json() for r in results]
    for m in metrics:  # per-fold predictions stay in the run folders
        m.pop("model_config", None)
    json_text = json.dumps(metrics, default=str, allow_nan=False).replace("</", "<\\/")
    sections = "".join(_section(r) for r in results)
    sample_runs = [r for r in results if r.unit == "sample"]
    seizure_runs = [r for r in results if r.unit == "seizure"]
    # seed 000's published table only beside runs of its kind (not FOS / TCS ones)
    seed000 = [r for r in results if not is_seizure_type_run(r)]
    levels = ""
    if sample_runs:
        levels += "<h3>Sample level</h3>" + _table2_rows(sample_runs, "sample")
        levels += ("<h3>Seizure level of the sample-level models (mean probability over "
                   "each seizure's samples)</h3>" + _table2_rows(sample_runs, "seizure"))
    if seizure_runs:
        levels += ("<h3>Seizure-level models (one prediction per seizure, its views "
                   "averaged)</h3>" + _table2_rows(seizure_runs, "seizure"))
    published = ""
    if seed000:
        published = ("<h3>Published: seed 000, Table 2 (5-fold CV, real patients)</h3>"
                     '<p class="note">Reference numbers from the paper, for comparison '
                     "only.</p>" + _published())
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>ictal report</title>"
        f"<style>{_CSS}</style></head><body><h1>ictal cross-validation report</h1>"
        "<h2>Results (layout of seed 000, Table 2; mean ± std over folds)</h2>"
        + levels + published + seed002_section(results) + sections
        + f'<script type="application/json" id="metrics">{json_text}</script></body></html>'
    )
    write_text_atomic(path, page)
    write_json_atomic(path.with_suffix(".json"), metrics)
    return path
