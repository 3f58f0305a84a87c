"""Report of the semiology runs laid out like seed 004's Table 1, the published numbers beside.

Seed 004, Table 1 (leave-one-subject-out, 38 HKN seizures of 19 patients): dystonia -
AGCN_p F1 0.78 / accuracy 0.76, TCN_p 0.76 / 0.73, AGCN_p + KD 0.83 / 0.81; emotion - AGCN_f
0.74 / 0.71, TCN_f 0.84 / 0.80, AGCN_f + KD 0.80 / 0.78. The seed does not say how F1 and
accuracy are aggregated; with one to six seizures per left-out subject, per-subject F1 is
mostly undefined, so ours are **pooled** over the left-out predictions of all folds (F1 of
the sign's class), with the mean accuracy over subjects beside. Rows beyond the seed: late
fusion of the AGCN and TCN streams (mean of probabilities), and lateralisation of dystonia
(left vs right), which the seed does not attempt.

Also beyond the seed, for every AGCN run: which keypoints and which moments drive the
decisions (:func:`explain_agcn_run`: each fold's learned adjacency ``B_k`` and the occlusion
attribution of its left-out seizures, written beside the run and drawn in the report), and
the speed the benchmark measured (``speed.json`` in the runs folder: training seconds per
LOSO fold, inference timesteps per second of each stream).
"""

from __future__ import annotations

import html
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ictal.evaluation.cv import CVResult, table_info
from ictal.features.semiology import TASKS, positive_label
from ictal.features.table import FeatureTable
from ictal.fsutil import atomic_path
from ictal.models.agcn import AGCNClassifier
from ictal.models.config import ModelConfig
from ictal.models.graph import GRAPHS
from ictal.models.registry import build_estimator
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
#: What :func:`explain_agcn_run` writes into a run folder, and the benchmark's speed file in
#: the runs folder.
EXPLANATION_FILE = "explanation.npz"
SPEED_FILE = "speed.json"


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


def fold_estimator(result: CVResult, fold: int) -> Any:
    """The fitted estimator of ``fold`` of a finished run (``folds/fold_<i>.pt``)."""
    if result.run_dir is None:
        raise ValueError(f"run {result.label} has no folder to read its models from")
    config = ModelConfig.model_validate(result.model_config)
    state = torch.load(Path(result.run_dir) / "folds" / f"fold_{fold:02d}.pt",
                       map_location="cpu", weights_only=False)
    return build_estimator(config).load_state(state)


def explain_agcn_run(run_dir: Path | str, table: FeatureTable, *, windows: int = 8) -> Path:
    """Which keypoints and which moments drive the decisions of a LOSO AGCN run (issue item 7).

    For every fold, its fitted AGCN (the student alone for ``agcn-*-kd``) gives its learned
    adjacency (:meth:`~ictal.models.agcn.AGCNClassifier.learned_graphs`, the joint stream) and
    the occlusion attribution of its **left-out** seizures
    (:meth:`~ictal.models.agcn.AGCNClassifier.attribution`: the change of the predicted
    probability when a keypoint, or one of ``windows`` equal spans of the clip, is held at its
    clip mean). ``table`` must be the table the run was trained on (checked by its features'
    hash).

    Writes ``run_dir/explanation.npz`` and returns its path:

    * ``nodes (V,)`` str keypoint names; ``rows (N,)`` int64 table rows (every left-out
      seizure once); ``y (N,)`` int64, 1 for the task's positive class
      (:func:`~ictal.features.semiology.positive_label`); ``fold (N,)`` int64;
    * ``joints (N, V)`` and ``moments (N, windows)`` float64 attribution (probability change,
      in ``[0, 1]``);
    * ``fixed (L, K, V, V)`` float32 the fixed ``A_k`` of the ``L`` blocks; ``learned (F, L, K,
      V, V)`` float32 each fold's learned ``B_k``.
    """
    run_dir = Path(run_dir)
    result = CVResult.load(run_dir)
    want = result.table_info.get("features_sha256")
    if want and table_info(table)["features_sha256"] != want:
        raise ValueError(f"{run_dir}: the table given is not the one the run was trained on")
    task = str(table.attrs.get("task", ""))
    if task not in TASKS:
        raise ValueError(f"the table's attrs name no semiology task ({task!r}); use a table of "
                         "ictal.features.semiology.semiology_table")
    pos = result.classes.index(positive_label(task))
    rows, ys, folds, joints, moments, learned = [], [], [], [], [], []
    fixed = None
    for f in result.folds:
        est = fold_estimator(result, f.fold)
        if not isinstance(est, AGCNClassifier):
            raise ValueError(f"{run_dir}: {result.model_config['arch']} is not an AGCN run")
        net = est.module_.nets["joint" if "joint" in est.module_.nets else "bone"]
        fixed = np.stack([b.gcn.A.cpu().numpy() for b in net.blocks])
        learned.append(np.stack([b.gcn.B.detach().cpu().numpy() for b in net.blocks]))
        j, m = est.attribution(table.subset(f.rows), windows=windows)
        joints.append(j)
        moments.append(m)
        rows.append(f.rows)
        ys.append((f.y == pos).astype(np.int64))
        folds.append(np.full(len(f.rows), f.fold, np.int64))
    stream = str(result.model_config.get("stream", "body"))
    out = run_dir / EXPLANATION_FILE
    with atomic_path(out) as tmp, tmp.open("wb") as fh:
        np.savez(fh, nodes=np.asarray(GRAPHS[stream].names), rows=np.concatenate(rows),
                 y=np.concatenate(ys), fold=np.concatenate(folds),
                 joints=np.concatenate(joints), moments=np.concatenate(moments),
                 fixed=np.asarray(fixed, np.float32),
                 learned=np.stack(learned).astype(np.float32))
    return out


def _explanation_html(task: str, model: str, path: Path, figures: Path) -> str:
    """The report's paragraph and figure of one run's ``explanation.npz``."""
    with np.load(path, allow_pickle=False) as z:
        nodes, y = z["nodes"].tolist(), z["y"]
        joints, moments, fixed, learned = z["joints"], z["moments"], z["fixed"], z["learned"]
    sign = positive_label(task)
    b = learned.mean(axis=0).sum(axis=1).mean(axis=0)  # (V, V): mean over folds and blocks
    off_graph = fixed.sum(axis=(0, 1)) == 0
    np.fill_diagonal(off_graph, False)
    order = np.argsort(-np.where(off_graph, np.abs(b), -1.0), axis=None)[:3]
    # the graph convolution computes x_out[w] = sum_v x_in[v] (A + B + C)[v, w]: row v feeds
    # column w
    edges = ", ".join(f"{nodes[i // len(nodes)]} &rarr; {nodes[i % len(nodes)]} "
                      f"({b.flat[i]:+.3f})" for i in order.tolist())
    mean_pos = joints[y == 1].mean(axis=0) if (y == 1).any() else np.zeros(len(nodes))
    top = ", ".join(f"{nodes[i]} ({mean_pos[i]:.3f})" for i in np.argsort(-mean_pos)[:3])
    figure = _explanation_figure(task, model, nodes, y, joints, moments, b,
                                 figures / f"seed004_{task}-{model}_explain.png")
    rel = html.escape(f"{figures.name}/{figure.name}")
    return (f"<h3>{NAMES.get(model, model)}, {task}</h3><p>Keypoints that change the decision "
            f"most on the left-out <i>{sign}</i> seizures (mean probability change when held "
            f"still): {html.escape(top)}. Largest learned links outside the skeleton "
            f"(B<sub>k</sub> summed over k, mean over blocks and {len(learned)} folds; "
            f"row &rarr; column: the column keypoint gathers from the row keypoint): {edges}.</p>"
            f"<p><img src=\"{rel}\" width=900></p>")


def _explanation_figure(task: str, model: str, nodes: list[str], y: np.ndarray,
                        joints: np.ndarray, moments: np.ndarray, b: np.ndarray,
                        path: Path) -> Path:
    """Learned adjacency (heat map), per-keypoint and per-moment attribution by class."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8),
                             gridspec_kw={"width_ratios": [1.1, 1.6, 1]})
    lim = float(np.abs(b).max()) or 1.0
    im = axes[0].imshow(b, cmap="RdBu_r", vmin=-lim, vmax=lim)
    small = {"fontsize": 5 if len(nodes) > 12 else 7}
    axes[0].set_xticks(range(len(nodes)), nodes, rotation=90, **small)
    axes[0].set_yticks(range(len(nodes)), nodes, **small)
    axes[0].set_title("learned B (sum over k, mean of blocks, folds)", fontsize=8)
    axes[0].set_ylabel("from", fontsize=8)
    axes[0].set_xlabel("to", fontsize=8)
    fig.colorbar(im, ax=axes[0], fraction=0.046)
    x = np.arange(len(nodes))
    sign = positive_label(task)
    for k, (label, shift) in enumerate(((sign, -0.2), (f"not {sign}", 0.2))):
        sel = y == (1 - k)
        if sel.any():
            axes[1].bar(x + shift, joints[sel].mean(axis=0), 0.4, label=f"{label} ({sel.sum()})")
            axes[2].plot(np.arange(moments.shape[1]) + 1, moments[sel].mean(axis=0),
                         marker="o", label=label)
    axes[1].set_xticks(x, nodes, rotation=90, **small)
    axes[1].set_ylabel("probability change when held still", fontsize=8)
    axes[1].legend(fontsize=7)
    axes[1].set_title("per keypoint", fontsize=8)
    axes[2].set_xlabel(f"span of the clip (1..{moments.shape[1]})", fontsize=8)
    axes[2].set_title("per moment", fontsize=8)
    axes[2].legend(fontsize=7)
    fig.suptitle(f"{task}: {model}", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_png(fig, path, dpi=100, tight=False)


def _speed_html(runs_dir: Path) -> str:
    """The benchmark's speed table (``speed.json`` in the runs folder), or nothing."""
    path = runs_dir / SPEED_FILE
    if not path.exists():
        return ""
    rows = json.loads(path.read_text(encoding="utf-8"))
    cells = "".join(
        f"<tr><td>{html.escape(r['task'])}</td><td>{html.escape(r['model'])}</td>"
        f"<td>{r['seconds_per_fold']:.1f}</td><td>{r['folds']}</td>"
        f"<td>{r['inference_timesteps_per_s']:,.0f}</td>"
        f"<td>{r['clips']} x {r['timesteps']}</td><td>{r['threads']}</td></tr>"
        for r in rows)
    return ("<h2>Speed on this CPU</h2><p>Training: wall seconds per LOSO fold (fit on the "
            "training subjects, teacher included for KD, and scoring), mean over folds. "
            "Inference: fold 0's fitted model predicting every clip of the table at once "
            "(best of 3), in clip timesteps (frames fed to the network) per second; KD runs "
            "the AGCN alone.</p><table><tr><th>Task</th><th>Model</th><th>s / fold</th>"
            "<th>folds</th><th>timesteps / s</th><th>clips x timesteps</th>"
            f"<th>torch threads</th></tr>{cells}</table>")


def _fmt(x: float | None) -> str:
    return "-" if x is None or x != x else f"{x:.2f}"


def write_seed004_report(runs_dir: Path | str, out: Path | str) -> Path:
    """An HTML report of the run folders ``runs_dir/<task>-<model>`` (missing runs are listed
    as missing) with Table 1 laid out like the seed's and a bar figure beside it; then, where
    they were written, each AGCN run's explanation (:func:`explain_agcn_run`) and the
    benchmark's speed table (``runs_dir/speed.json``)."""
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
    variants = sorted({str(r.table_info.get("variant") or "not recorded")
                       for r in loaded.values()})
    explained = [_explanation_html(task, model, runs_dir / f"{task}-{model}" / EXPLANATION_FILE,
                                   out.parent / "figures")
                 for task, model in RUNS
                 if (runs_dir / f"{task}-{model}" / EXPLANATION_FILE).exists()]
    explain_part = ("<h2>Which keypoints and moments drive the decisions (AGCN)</h2><p>Each "
                    "fold's fitted AGCN on its left-out seizures: a keypoint, or one of the "
                    "clip's spans, is held at its clip mean and the change of the predicted "
                    "probability is its weight; the heat map is what the network added to the "
                    "skeleton's fixed graph (B<sub>k</sub>, initialised at 0).</p>"
                    + "".join(explained)) if explained else ""
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
<p>Keypoint inputs (the tables' variants: <code>semiology-body-3d</code> is the body from the
3D keypoints and the face from the 2D landmarks, as in seed 004; <code>-body-axes</code> a 3D
body turned into its own frame): <code>{html.escape(", ".join(variants))}</code></p>
{explain_part}
{_speed_html(runs_dir)}
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
