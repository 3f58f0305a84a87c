"""Cross-validation protocols. Grouped protocols refuse any fold that leaks a patient.

Every split is a list of ``(train_rows, test_rows)`` int64 index pairs into a
:class:`~ictal.features.table.FeatureTable`. Protocols:

* ``grouped-kfold``: patients dealt to k folds stratified by class at patient level (seed 000:
  12 FLE + 8 TLE patients for training, 3 + 3 for validation in each fold);
* ``loso``: leave one subject (patient) out (seed 004);
* ``gestures-10fold``: seed 002's stratified 10-fold over videos (events), folds balanced by
  total duration and class ratio, all views of a video in the same fold (patients may be on
  both sides, as in the seed);
* ``leaky-kfold``: stratified sample-level k-fold that ignores patients - only to demonstrate
  leakage; its results are labelled ``LEAKY`` everywhere.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ictal.errors import ConfigError, LeakageError
from ictal.features.table import FeatureTable

PROTOCOLS = ("grouped-kfold", "loso", "gestures-10fold", "leaky-kfold")
Split = tuple[np.ndarray, np.ndarray]


def default_k(protocol: str) -> int:
    """Folds of ``protocol`` when none are asked for: 10 for ``gestures-10fold`` (seed 002's
    stratified 10-fold), 5 otherwise (seed 000's patient-grouped 5-fold)."""
    return 10 if protocol == "gestures-10fold" else 5


def is_leaky(protocol: str) -> bool:
    """Whether results of ``protocol`` are inflated by patient leakage by design."""
    return protocol == "leaky-kfold"


def patient_labels(patient: np.ndarray, label: np.ndarray) -> dict[str, str]:
    """The majority label of each patient's rows (ties: the alphabetically first label)."""
    out: dict[str, str] = {}
    for p in np.unique(patient):
        counts = Counter(label[patient == p].tolist())
        out[str(p)] = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return out


def _latest_labels(unit: np.ndarray, label: np.ndarray, time: np.ndarray) -> dict[str, str]:
    """Each video's label: that of its latest row (with Eq. 1 snippet labels of seed 002, a
    tonic-clonic seizure ends generalised, so this is the seizure's class)."""
    out: dict[str, str] = {}
    for u in np.unique(unit):
        rows = np.flatnonzero(unit == u)
        out[str(u)] = str(label[rows[np.argmax(time[rows])]])
    return out


def _deal(units: list[str], unit_label: dict[str, str], k: int,
          rng: np.random.Generator, size: dict[str, float] | None = None) -> dict[str, int]:
    """Assign units to k folds: per class (rarest first), units in random order (or by size,
    largest first) go to the fold with the fewest units of that class, then the smallest total."""
    fold_of: dict[str, int] = {}
    total = np.zeros(k)
    by_class: dict[str, list[str]] = {}
    for u in units:
        by_class.setdefault(unit_label[u], []).append(u)
    for _cls, members in sorted(by_class.items(), key=lambda kv: (len(kv[1]), kv[0])):
        order = [members[i] for i in rng.permutation(len(members))]
        if size is not None:
            order.sort(key=lambda u: -size[u])
        count = np.zeros(k)
        for u in order:
            key = count * 1e12 + total + rng.random(k) * 1e-9
            f = int(np.argmin(key))
            fold_of[u] = f
            count[f] += 1
            total[f] += size[u] if size is not None else 1.0
    return fold_of


def check_no_leak(splits: list[Split], groups: np.ndarray, what: str = "patient") -> None:
    """Raise :class:`LeakageError` when any fold has a group on both sides."""
    for i, (train, test) in enumerate(splits):
        shared = set(groups[train].tolist()) & set(groups[test].tolist())
        if shared:
            raise LeakageError(
                f"fold {i}: {len(shared)} {what}(s) on both sides: {sorted(shared)[:5]}",
                hint=f"split by {what} (protocol grouped-kfold or loso)")


def make_splits(table: FeatureTable, protocol: str, *, k: int | None = None,
                seed: int = 0) -> list[Split]:
    """Folds of ``table`` for ``protocol`` (see the module docstring), checked for leakage;
    ``k`` defaults to :func:`default_k` (10 for ``gestures-10fold``)."""
    k = default_k(protocol) if k is None else k
    if protocol != "loso" and k < 2:
        raise ConfigError(f"{protocol} needs k >= 2 folds, got {k}")
    rng = np.random.default_rng(seed)
    n = len(table)
    rows = np.arange(n)
    if protocol == "grouped-kfold":
        labels = patient_labels(table.patient, table.label)
        patients = sorted(labels)
        if len(patients) < k:
            raise ConfigError(f"{k}-fold grouped CV needs at least {k} patients, the table "
                              f"has {len(patients)}", hint="lower k or use loso")
        fold_of = _deal(patients, labels, k, rng)
        fold = np.asarray([fold_of[p] for p in table.patient.tolist()])
        splits = [(rows[fold != f], rows[fold == f]) for f in range(k)]
        check_no_leak(splits, table.patient)
    elif protocol == "loso":
        patients = np.unique(table.patient)
        if len(patients) < 2:
            raise ConfigError("leave-one-subject-out needs at least two patients")
        splits = [(rows[table.patient != p], rows[table.patient == p]) for p in patients]
        check_no_leak(splits, table.patient)
    elif protocol == "gestures-10fold":
        unit = table.seizure_key()
        labels = seizure_classes(table)  # seed 002: TCS when it has a tG
        dur = {u: float((table.t_stop[unit == u] - table.t_start[unit == u]).sum())
               for u in labels}
        if len(labels) < k:
            raise ConfigError(f"{k}-fold needs at least {k} videos, the table has {len(labels)}")
        fold_of = _deal(sorted(labels), labels, k, rng, size=dur)
        fold = np.asarray([fold_of[u] for u in unit.tolist()])
        splits = [(rows[fold != f], rows[fold == f]) for f in range(k)]
        check_no_leak(splits, unit, what="video")
    elif protocol == "leaky-kfold":
        from sklearn.model_selection import StratifiedKFold

        skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
        splits = [(tr, te) for tr, te in skf.split(np.zeros(n), table.label)]
    else:
        raise ConfigError(f"unknown protocol {protocol!r}", hint=f"use one of {PROTOCOLS}")
    empty = [i for i, (_, te) in enumerate(splits) if len(te) == 0]
    if empty:
        raise ConfigError(f"folds {empty} of {protocol} are empty")
    return splits


def inner_split(table: FeatureTable, train_rows: np.ndarray, *, fraction: float = 0.2,
                seed: int = 0, grouped: bool = True) -> Split:
    """Honest model selection: split the training rows by patient into fit / validation
    parts; about ``fraction`` of each class's patients (at least one when the class has two
    or more) go to validation, so every class is validated; no patient is on both sides.

    ``grouped=False`` (only for the leaky protocol) splits samples instead, stratified by label.
    """
    if not grouped:
        from sklearn.model_selection import train_test_split

        fit, val = train_test_split(train_rows, test_size=fraction, random_state=seed,
                                    stratify=table.label[train_rows])
        return np.sort(fit), np.sort(val)
    sub = table.subset(train_rows)
    labels = patient_labels(sub.patient, sub.label)
    if len(labels) < 2:
        raise ConfigError("an inner split needs at least two training patients")
    rng = np.random.default_rng(seed)
    chosen: set[str] = set()
    for cls in sorted(set(labels.values())):
        members = sorted(p for p, c in labels.items() if c == cls)
        if len(members) < 2:  # a lone patient of a class stays in the fit part
            continue
        n_val = max(1, round(fraction * len(members)))
        chosen.update(members[i] for i in rng.permutation(len(members))[:n_val])
    if not chosen:
        chosen = {sorted(labels)[int(rng.integers(len(labels)))]}
    val = np.isin(sub.patient, sorted(chosen))
    split = (train_rows[~val], train_rows[val])
    check_no_leak([split], table.patient)
    return split


def seizure_classes(table: FeatureTable, rows: np.ndarray | None = None) -> dict[str, str]:
    """The class of every seizure (:meth:`FeatureTable.seizure_key`) of the table, or of its
    ``rows``: seed 002's (TCS when it has a tG) when the table knows its events' times, else
    that of its latest row."""
    rows = np.arange(len(table)) if rows is None else rows
    unit = table.seizure_key()[rows]
    labels = _latest_labels(unit, table.label[rows], table.t_start[rows])
    truth = table.seizure_truth() or {}
    return {u: truth.get(u, lab) for u, lab in labels.items()}


def fold_sizes(table: FeatureTable, rows: np.ndarray, classes: list[str]) -> dict[str, object]:
    """Patients, samples and seizures per class of the given rows (for the report; a
    seizure-level model's units are the seizures)."""
    sub_label = table.label[rows]
    sub_patient = table.patient[rows]
    seizures = Counter(seizure_classes(table, rows).values())
    return {
        "patients": {c: len(np.unique(sub_patient[sub_label == c])) for c in classes},
        "samples": {c: int((sub_label == c).sum()) for c in classes},
        "seizures": {c: int(seizures.get(c, 0)) for c in classes},
        "n_patients": len(np.unique(sub_patient)),
        "n_samples": len(rows),
    }
