"""Agreement between annotators who labelled the same recordings (inter-rater reliability).

Input is a manifest whose events carry their author in ``meta["annotator"]`` (the web
platform's export with ``layers: all`` writes it, with ``meta["layer"]``: ``annotator`` or
``consensus``; consensus events are left out here: they are the adjudication, not a rater).
Each pair of annotators of a recording is compared three ways:

* **Events** are matched one to one, greedily by temporal IoU (highest first, IoU > 0);
  for each match the onset and offset differences ``B - A`` in seconds; events of one
  annotator without a counterpart are counted as unmatched.
* **MOI temporal IoU per body region**: the union of one annotator's MOI intervals in a region
  (whatever their term) against the other's: ``|A ∩ B| / |A ∪ B|`` in seconds.
* **Cohen's κ on MOI terms** on a fixed time grid (``grid_s``, default 0.1 s; grid points at
  the centres of the cells ``[k g, (k + 1) g)``) over the span both annotators labelled (the
  first onset to the last offset of either's events), one label per region and grid point:
  the term of the MOI covering it (several: ``+``-joined, sorted), else ``none``.
  κ = (p_o − p_e) / (1 − p_e); undefined (``None``) when p_e = 1.

The team summary gives mean ± std (population std) of the absolute onset / offset differences
over matched events, of the per-region IoUs and of the per-pair κ, and κ pooled over every
pair's grid points.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ictal.manifest.schema import Event, Manifest, MoiAnnotation

#: Default time grid of Cohen's κ (seconds).
GRID_S = 0.1
#: The label of a grid point no MOI of the region covers.
NONE = "none"

Interval = tuple[float, float]


def event_annotator(event: Event) -> str | None:
    """The rater of an event (``None`` for a consensus event or an unattributed one)."""
    if event.meta.get("layer", "annotator") != "annotator":
        return None
    who = event.meta.get("annotator")
    return str(who) if who else None


def _iou(a: Interval, b: Interval) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _length(intervals: Sequence[Interval]) -> float:
    return sum(hi - lo for lo, hi in intervals)


def interval_iou(a: Iterable[Interval], b: Iterable[Interval]) -> float:
    """Temporal IoU of two sets of intervals (each merged first); 0 when both are empty."""
    ma, mb = _merge(a), _merge(b)
    inter = sum(max(0.0, min(x[1], y[1]) - max(x[0], y[0])) for x in ma for y in mb)
    union = _length(ma) + _length(mb) - inter
    return inter / union if union > 0 else 0.0


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Cohen's κ of two equally long label sequences; ``None`` when chance agreement is 1."""
    if len(a) != len(b):
        raise ValueError(f"label sequences of different lengths ({len(a)} and {len(b)})")
    n = len(a)
    if n == 0:
        return None
    p_o = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    p_e = sum(ca[k] * cb[k] for k in ca) / (n * n)
    if math.isclose(p_e, 1.0):
        return None
    return (p_o - p_e) / (1 - p_e)


@dataclass
class EventMatch:
    event_a: str
    event_b: str
    iou: float
    onset_diff_s: float  # B - A
    offset_diff_s: float


@dataclass
class PairAgreement:
    """Two annotators on one recording."""

    recording: str
    annotator_a: str
    annotator_b: str
    matches: list[EventMatch] = field(default_factory=list)
    unmatched_a: list[str] = field(default_factory=list)
    unmatched_b: list[str] = field(default_factory=list)
    moi_iou: dict[str, float] = field(default_factory=dict)  # region -> IoU
    kappa: float | None = None
    grid_points: int = 0
    #: the grid labels (kept for the pooled κ; not written by :meth:`to_dict`)
    labels_a: list[str] = field(default_factory=list, repr=False)
    labels_b: list[str] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        del d["labels_a"], d["labels_b"]
        return d


def _mean_std(values: Sequence[float]) -> dict[str, float | int | None]:
    if not values:
        return {"mean": None, "std": None, "n": 0}
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    return {"mean": mean, "std": std, "n": len(values)}


@dataclass
class AgreementReport:
    grid_s: float
    pairs: list[PairAgreement]

    def summary(self) -> dict[str, Any]:
        """The team's figures over every pair (see the module docstring)."""
        onsets = [abs(m.onset_diff_s) for p in self.pairs for m in p.matches]
        offsets = [abs(m.offset_diff_s) for p in self.pairs for m in p.matches]
        ious = [v for p in self.pairs for v in p.moi_iou.values()]
        kappas = [p.kappa for p in self.pairs if p.kappa is not None]
        pooled_a = [x for p in self.pairs for x in p.labels_a]
        pooled_b = [x for p in self.pairs for x in p.labels_b]
        return {
            "pairs": len(self.pairs),
            "matched_events": sum(len(p.matches) for p in self.pairs),
            "unmatched_events": sum(len(p.unmatched_a) + len(p.unmatched_b) for p in self.pairs),
            "onset_abs_diff_s": _mean_std(onsets),
            "offset_abs_diff_s": _mean_std(offsets),
            "moi_iou": _mean_std(ious),
            "kappa": _mean_std(kappas),
            "kappa_pooled": cohen_kappa(pooled_a, pooled_b),
        }

    def to_dict(self) -> dict[str, Any]:
        return {"grid_s": self.grid_s, "pairs": [p.to_dict() for p in self.pairs],
                "summary": self.summary()}


def _grid_labels(mois: Sequence[MoiAnnotation], regions: Sequence[str],
                 points: Sequence[float]) -> list[str]:
    by_region: dict[str, list[MoiAnnotation]] = defaultdict(list)
    for m in mois:
        by_region[m.region].append(m)
    out = []
    for region in regions:
        for t in points:
            terms = sorted({m.term for m in by_region[region] if m.start <= t < m.end})
            out.append("+".join(terms) if terms else NONE)
    return out


def compare_layers(recording: str, name_a: str, events_a: Sequence[Event],
                   mois_a: Sequence[MoiAnnotation], name_b: str, events_b: Sequence[Event],
                   mois_b: Sequence[MoiAnnotation], *, grid_s: float = GRID_S) -> PairAgreement:
    """Agreement of annotator A's layer (events and their MOIs) with annotator B's."""
    if grid_s <= 0:
        raise ValueError(f"grid_s must be positive, got {grid_s}")
    pair = PairAgreement(recording, name_a, name_b)
    candidates = sorted(
        ((_iou((a.t0, a.t1), (b.t0, b.t1)), i, j)
         for (i, a), (j, b) in itertools.product(enumerate(events_a), enumerate(events_b))),
        key=lambda x: (-x[0], x[1], x[2]))
    used_a: set[int] = set()
    used_b: set[int] = set()
    for iou, i, j in candidates:
        if iou <= 0 or i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        a, b = events_a[i], events_b[j]
        pair.matches.append(EventMatch(a.id, b.id, iou, b.t0 - a.t0, b.t1 - a.t1))
    pair.matches.sort(key=lambda m: m.event_a)
    pair.unmatched_a = [e.id for i, e in enumerate(events_a) if i not in used_a]
    pair.unmatched_b = [e.id for j, e in enumerate(events_b) if j not in used_b]

    regions = sorted({m.region for m in itertools.chain(mois_a, mois_b)})
    for region in regions:
        pair.moi_iou[region] = interval_iou(
            [(m.start, m.end) for m in mois_a if m.region == region],
            [(m.start, m.end) for m in mois_b if m.region == region])
    spans = [(e.t0, e.t1) for e in itertools.chain(events_a, events_b)]
    if spans and regions:
        lo, hi = min(s[0] for s in spans), max(s[1] for s in spans)
        first, last = math.floor(lo / grid_s), math.ceil(hi / grid_s)
        points = [(k + 0.5) * grid_s for k in range(first, last)]
        pair.labels_a = _grid_labels(mois_a, regions, points)
        pair.labels_b = _grid_labels(mois_b, regions, points)
        pair.grid_points = len(pair.labels_a)
        pair.kappa = cohen_kappa(pair.labels_a, pair.labels_b)
    return pair


def manifest_agreement(manifest: Manifest, *, grid_s: float = GRID_S,
                       recordings: Sequence[str] | None = None) -> AgreementReport:
    """Every pair of annotators of every recording (or of ``recordings``) of ``manifest``."""
    wanted = set(recordings) if recordings is not None else None
    layers: dict[str, dict[str, list[Event]]] = defaultdict(lambda: defaultdict(list))
    for ev in manifest.events:
        who = event_annotator(ev)
        if who is not None and (wanted is None or ev.recording in wanted):
            layers[ev.recording][who].append(ev)
    mois_of: dict[str, list[MoiAnnotation]] = defaultdict(list)
    for m in manifest.mois:
        mois_of[m.event].append(m)
    pairs = []
    for rec in sorted(layers):
        by_annotator = layers[rec]
        for a, b in itertools.combinations(sorted(by_annotator), 2):
            ea, eb = by_annotator[a], by_annotator[b]
            pairs.append(compare_layers(
                rec, a, ea, [m for e in ea for m in mois_of[e.id]],
                b, eb, [m for e in eb for m in mois_of[e.id]], grid_s=grid_s))
    return AgreementReport(grid_s, pairs)
