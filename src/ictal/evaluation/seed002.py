"""Seed 002's results layout (GESTURES): Table 1, the confusion counts and Fig. 2.

For runs whose classes are FOS / TCS (or whose model is a GESTURES one):

* **Table 1** (seed 002 §3.1): per run, the backbone, the classifier's trained parameters, the
  number of features, and accuracy, F1 of TCS and PR-AUC of TCS as *median (interquartile
  range)* over folds, in percent, at the run's own level (snippets for the snippet
  classifier, seizures for the seizure-level model), with the published rows beside them.
* **Confusion counts** (seed 002 §3.2): TP / TN / FP / FN pooled over the folds, TCS positive,
  with the published best model's 77 / 104 / 2 / 0.
* **Fig. 2** (seed 002 §3.2): pooled seizure-level accuracy against the number of segments
  ``n``, one panel per aggregator (mean, LSTM, BLSTM), marker brightness growing with the
  dispersion of Beta(gamma, gamma) (gamma = 1 brightest, infinity darkest), the published best
  (n = 16, BLSTM, 98.9 %) as a star.

The published numbers come from 183 real seizures and R(2+1)D-34 features; a phantom run
shares their layout, not their meaning.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import numpy as np

from ictal.evaluation.cv import CVResult
from ictal.plotting import png_base64, pyplot

#: Seed 002, Table 1: snippet-level classification, median (IQR) over 10 folds, percent.
PUBLISHED_TABLE1: tuple[dict[str, str], ...] = (
    {"model": "Wide R2D-50-2 (1)", "parameters": "66.8 M", "features": "2048",
     "accuracy": "80.3 (33.2)", "f1": "67.4 (30.2)", "auc": "75.7 (38.4)"},
    {"model": "R2D-34 (1)", "parameters": "21.2 M", "features": "512",
     "accuracy": "89.7 (27.7)", "f1": "73.9 (23.6)", "auc": "84.3 (28.7)"},
    {"model": "R(2+1)D-34 (8)", "parameters": "63.5 M", "features": "512",
     "accuracy": "93.9 (18.3)", "f1": "81.6 (16.9)", "auc": "93.7 (13.4)"},
    {"model": "R(2+1)D-34 (32)", "parameters": "63.5 M", "features": "512",
     "accuracy": "96.9 (12.9)", "f1": "84.7 (13.4)", "auc": "94.7 (11.9)"},
)
#: Seed 002 §3.2: the best seizure-level model (n = 16, gamma in {2, 4}, BLSTM), pooled.
PUBLISHED_BEST: dict[str, Any] = {"n_segments": 16, "aggregation": "blstm", "gamma": "2 or 4",
                                  "accuracy": 0.989, "f1": 0.987,
                                  "tp": 77, "tn": 104, "fp": 2, "fn": 0}
GAMMAS = (1.0, 1.25, 2.0, 4.0, math.inf)  # seed 002's grid
AGGREGATIONS = ("mean", "lstm", "blstm")
_COLOURS = {"mean": (0.12, 0.47, 0.71), "lstm": (0.84, 0.37, 0.0), "blstm": (0.17, 0.63, 0.17)}


def is_seizure_type_run(result: CVResult) -> bool:
    """The run classifies seed 002's seizure types (FOS / TCS) or uses a GESTURES model."""
    return (set(result.classes) == {"FOS", "TCS"}
            or str(result.model_config.get("arch", "")).startswith("gestures"))


def positive_index(result: CVResult) -> int:
    """Index of the positive class (TCS; else the last class) in ``result.classes``."""
    return result.classes.index("TCS") if "TCS" in result.classes else len(result.classes) - 1


def fold_table1(result: CVResult) -> dict[str, list[float]]:
    """Per fold, at the run's own level: ``accuracy``, ``f1`` and ``pr_auc`` of the positive
    class (TCS), as fractions."""
    from sklearn.metrics import average_precision_score

    pos = positive_index(result)
    out: dict[str, list[float]] = {"accuracy": [], "f1": [], "pr_auc": []}
    for f in result.folds:
        cm = np.asarray(f.metrics["confusion"])
        tp = cm[pos, pos]
        fp = cm[:, pos].sum() - tp
        fn = cm[pos].sum() - tp
        out["accuracy"].append(float(np.trace(cm) / cm.sum()) if cm.sum() else math.nan)
        out["f1"].append(float(2 * tp / (2 * tp + fp + fn)) if tp + fp + fn else math.nan)
        truth = (np.asarray(f.y) == pos).astype(int)
        out["pr_auc"].append(float(average_precision_score(truth, np.asarray(f.proba)[:, pos]))
                             if 0 < truth.sum() < len(truth) else math.nan)
    return out


def median_iqr(values: list[float]) -> str:
    """``median (IQR)`` in percent with one decimal, as seed 002 writes; folds without a
    value (``nan``: no TCS in the fold) are left out."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if not len(x):
        return "–"
    q1, med, q3 = np.percentile(x, [25, 50, 75])
    return f"{100 * med:.1f} ({100 * (q3 - q1):.1f})"


def pooled_counts(result: CVResult) -> dict[str, int]:
    """TP / TN / FP / FN over every fold's test units, TCS positive."""
    pos = positive_index(result)
    cm = np.sum([np.asarray(f.metrics["confusion"]) for f in result.folds], axis=0)
    tp = int(cm[pos, pos])
    fp = int(cm[:, pos].sum() - tp)
    fn = int(cm[pos].sum() - tp)
    return {"tp": tp, "tn": int(cm.sum() - tp - fp - fn), "fp": fp, "fn": fn}


def trained_parameters(result: CVResult) -> int | None:
    """Parameters of the first fold's fitted classifier (``folds/fold_00.pt``), ``None`` when
    the file is not there."""
    import torch

    if result.run_dir is None:
        return None
    path = Path(result.run_dir) / "folds" / "fold_00.pt"
    if not path.exists():
        return None
    state = torch.load(path, map_location="cpu", weights_only=False)
    weights = state.get("state_dict", {}) if isinstance(state, dict) else {}
    return int(sum(v.numel() for v in weights.values() if hasattr(v, "numel")))


def _count(n: int | None) -> str:
    if n is None:
        return "–"
    return f"{n / 1e6:.1f} M" if n >= 1e6 else f"{n / 1e3:.1f} k" if n >= 1e3 else str(n)


def level(result: CVResult) -> str:
    """What a run classifies, in seed 002's words: ``snippet`` (a sample-level run: each
    sample is a snippet of ``temporal.length`` frames) or ``seizure``."""
    return "snippet" if result.unit == "sample" else str(result.unit)


def describe(result: CVResult) -> str:
    """A run's model in seed 002's words: ``BLSTM, n = 16, gamma = 2`` or ``snippet FC``."""
    mc = result.model_config
    if mc.get("arch") == "gestures-seizure":
        gamma = mc.get("gamma")
        g = "∞" if gamma is None or (isinstance(gamma, float) and math.isinf(gamma)) else gamma
        return f"{str(mc.get('aggregation')).upper()}, n = {mc.get('n_segments')}, γ = {g}"
    if mc.get("arch") == "gestures-snippet":
        return "snippet FC"
    return str(mc.get("arch"))


def table1_html(results: list[CVResult]) -> str:
    """Seed 002's Table 1 for ``results``, the published rows below them."""
    head = ("<tr><th>Run</th><th>Model</th><th>Level</th><th>Backbone</th>"
            "<th>Parameters (trained)</th><th>Features</th><th>Accuracy</th>"
            "<th>F<sub>1</sub>-score*</th><th>AUC*</th></tr>")
    rows = []
    for r in results:
        m = fold_table1(r)
        info = r.table_info
        shape = info.get("shape") or [0, 0, 0]
        rows.append(
            f"<tr><td>{html.escape(r.label)}</td><td>{html.escape(describe(r))}</td>"
            f"<td>{level(r)}</td><td>{html.escape(str(info.get('backbone')))}</td>"
            f"<td>{_count(trained_parameters(r))}</td><td>{shape[-1]}</td>"
            f"<td>{median_iqr(m['accuracy'])}</td><td>{median_iqr(m['f1'])}</td>"
            f"<td>{median_iqr(m['pr_auc'])}</td></tr>")
    published = "".join(
        f"<tr><td>published (seed 002, Table 1)</td><td>{p['model']}</td><td>snippet</td>"
        f"<td>{p['model'].split(' (')[0]}</td><td>{p['parameters']} (backbone)</td>"
        f"<td>{p['features']}</td><td>{p['accuracy']}</td><td>{p['f1']}</td>"
        f"<td>{p['auc']}</td></tr>" for p in PUBLISHED_TABLE1)
    return (f"<table>{head}{''.join(rows)}{published}</table>"
            '<p class="note">Median (interquartile range) over folds, percent. Accuracy over '
            "FOS and TCS; F<sub>1</sub>-score and AUC (area under the precision-recall curve) "
            "for TCS only (*). Level: what the model classifies (snippets, or whole seizures "
            "with their views averaged). The published rows are snippet-level classifiers on "
            "183 real seizures; their parameters are the backbone's, ours the classifier's "
            "trained on the features.</p>")


def counts_html(results: list[CVResult]) -> str:
    """TP / TN / FP / FN pooled over folds per run, and the published best model's."""
    head = ("<tr><th>Run</th><th>Model</th><th>Level</th><th>TP</th><th>TN</th><th>FP</th>"
            "<th>FN</th><th>accuracy (pooled)</th></tr>")
    rows = []
    for r in results:
        c = pooled_counts(r)
        total = sum(c.values())
        acc = f"{100 * (c['tp'] + c['tn']) / total:.1f} %" if total else "–"
        rows.append(f"<tr><td>{html.escape(r.label)}</td><td>{html.escape(describe(r))}</td>"
                    f"<td>{level(r)}</td><td>{c['tp']}</td><td>{c['tn']}</td><td>{c['fp']}</td>"
                    f"<td>{c['fn']}</td><td>{acc}</td></tr>")
    b = PUBLISHED_BEST
    rows.append(f"<tr><td>published (seed 002 §3.2)</td><td>BLSTM, n = 16, γ = {b['gamma']}"
                f"</td><td>seizure</td><td>{b['tp']}</td><td>{b['tn']}</td><td>{b['fp']}</td>"
                f"<td>{b['fn']}</td><td>{100 * b['accuracy']:.1f} %</td></tr>")
    return (f"<table>{head}{''.join(rows)}</table>"
            '<p class="note">TCS is the positive class; counts over every fold\'s test '
            "units.</p>")


def _brightness(gamma: float) -> float:
    """0 (gamma = infinity, the centre snippet) to 0.6 (gamma = 1, uniform): the standard
    deviation of Beta(gamma, gamma), relative to the uniform's."""
    if math.isinf(gamma):
        return 0.0
    return 0.6 * math.sqrt(3.0 / (2.0 * gamma + 1.0))


def _gamma_rank(gamma: float) -> float:
    """Where ``gamma`` lies on seed 002's grid (0 for 1 ... 4 for infinity), interpolated."""
    finite = [g for g in GAMMAS if not math.isinf(g)]
    if math.isinf(gamma):
        return float(len(finite))
    return float(np.interp(gamma, finite, np.arange(len(finite))))


def figure2_points(results: list[CVResult]) -> list[dict[str, Any]]:
    """One point per seizure-level run: aggregation, n, gamma, pooled accuracy, label."""
    out = []
    for r in results:
        mc = r.model_config
        if r.unit != "seizure" or mc.get("arch") != "gestures-seizure":
            continue
        c = pooled_counts(r)
        total = sum(c.values())
        gamma = mc.get("gamma")
        out.append({"aggregation": str(mc.get("aggregation")),
                    "n_segments": int(mc.get("n_segments", 0)),
                    "gamma": math.inf if gamma is None else float(gamma),
                    "accuracy": (c["tp"] + c["tn"]) / total if total else math.nan,
                    "label": r.label})
    return out


def figure2(results: list[CVResult]) -> str | None:
    """Seed 002's Fig. 2 for the seizure-level runs, base64 PNG; ``None`` without any."""
    points = figure2_points(results)
    if not points:
        return None
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), sharey=True)
    ns = sorted({p["n_segments"] for p in points} | {16})
    for ax, agg in zip(axes, AGGREGATIONS, strict=True):
        base = np.asarray(_COLOURS[agg])
        for p in sorted((p for p in points if p["aggregation"] == agg),
                        key=lambda p: -p["gamma"]):
            b = _brightness(p["gamma"])
            colour = base * (1 - b) + b
            # gammas side by side around their n (equal accuracies would hide each other)
            shift = 2.0 ** (0.06 * (_gamma_rank(p["gamma"]) - 2))
            ax.scatter(p["n_segments"] * shift, 100 * p["accuracy"], s=60, color=colour,
                       edgecolors="k", linewidths=0.5, zorder=3)
        if agg == PUBLISHED_BEST["aggregation"]:
            ax.scatter(PUBLISHED_BEST["n_segments"], 100 * PUBLISHED_BEST["accuracy"],
                       marker="*", s=260, facecolors="none", edgecolors="goldenrod",
                       linewidths=1.5, zorder=4, label="published best (98.9 %)")
            ax.legend(fontsize=7, loc="lower left")
        ax.set_xscale("log", base=2)
        ax.set_xlim(min(ns) / 1.5, max(ns) * 1.5)
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.set_title(agg.upper() if agg != "mean" else "mean", fontsize=10)
        ax.set_xlabel("segments n")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("accuracy (%, pooled over folds)")
    accuracies = [100 * p["accuracy"] for p in points if not math.isnan(p["accuracy"])]
    axes[0].set_ylim(max(0.0, min([*accuracies, 100 * PUBLISHED_BEST["accuracy"]]) - 5), 100.5)
    handles = [axes[-1].scatter([], [], color=np.full(3, 0.3) * (1 - _brightness(g))
                                + _brightness(g), edgecolors="k", linewidths=0.5,
                                label=f"γ = {'∞' if math.isinf(g) else g}") for g in GAMMAS]
    fig.legend(handles=handles, fontsize=7, loc="center right", title="Beta(γ, γ)",
               title_fontsize=7)
    fig.subplots_adjust(right=0.88)
    return png_base64(fig)


def section_html(results: list[CVResult]) -> str:
    """The whole seed 002 section of the report for its runs (empty when there is none)."""
    runs = [r for r in results if is_seizure_type_run(r)]
    if not runs:
        return ""
    fig = figure2(runs)
    image = ('<p class="note">No seizure-level run (model gestures-seizure) among these.</p>'
             if fig is None else
             f'<img alt="accuracy against segments per aggregator" '
             f'src="data:image/png;base64,{fig}">'
             '<p class="note">Accuracy of every seizure-level run against its number of '
             "segments n, one panel per aggregator; marker brightness grows with the "
             "dispersion of the Beta(γ, γ) sampling in training (γ = 1 brightest, ∞ darkest); "
             "the star is seed 002's best model. Evaluation always takes the centre snippet "
             "of each segment.</p>")
    return ("<h2>GESTURES (seed 002): Table 1, confusion counts and Fig. 2</h2>"
            '<p class="note">Published figures: 183 real seizures (106 FOS, 77 TCS) of 68 '
            "patients, R(2+1)D-34 features, stratified 10-fold cross-validation. Ours: the "
            "runs named, on their own data and backbone; the layout is the paper's, the "
            "numbers are not comparable in value.</p>"
            "<h3>Table 1 layout</h3>" + table1_html(runs)
            + "<h3>Confusion counts</h3>" + counts_html(runs)
            + "<h3>Fig. 2 layout</h3>" + image)
