"""Inter-annotator agreement: event matching, MOI IoU per region, Cohen's kappa on a grid."""

from __future__ import annotations

import math

import pytest

from ictal.manifest import Event, Manifest, MoiAnnotation, Patient, Recording, Stream
from ictal.manifest.agreement import cohen_kappa, interval_iou, manifest_agreement


def _ev(eid: str, t0: float, t1: float, who: str, layer: str = "annotator") -> Event:
    return Event(id=eid, recording="R1", t0=t0, t1=t1, label="FLE",
                 meta={"annotator": who, "layer": layer})


def _moi(mid: str, ev: str, region: str, term: str, start: float, end: float) -> MoiAnnotation:
    return MoiAnnotation(id=mid, event=ev, region=region, term=term, start=start, end=end)


def _manifest(events: list[Event], mois: list[MoiAnnotation]) -> Manifest:
    return Manifest(labels=["FLE"], patients=[Patient(id="P")],
                    recordings=[Recording(id="R1", patient="P", streams=[
                        Stream(kind="ir", path="a.mkv", fps=10, n_frames=200)])],
                    events=events, mois=mois)


def test_kappa_and_iou_by_hand() -> None:
    assert cohen_kappa(list("aabb"), list("aabb")) == 1.0
    # p_o = 0.5, p_e = 0.5 -> 0
    assert cohen_kappa(list("abab"), list("aabb")) == 0.0
    assert cohen_kappa(list("aaaa"), list("aaaa")) is None
    assert interval_iou([(0, 2)], [(1, 3)]) == pytest.approx(1 / 3)
    assert interval_iou([(0, 1), (0.5, 2)], [(0, 2)]) == 1.0
    assert interval_iou([], []) == 0.0


def test_two_annotators_on_one_recording() -> None:
    events = [_ev("a1", 1.6, 9.0, "dr-a"), _ev("b1", 1.0, 10.0, "dr-b"),
              _ev("b2", 15.0, 16.0, "dr-b"), _ev("c1", 1.2, 9.5, "rev", layer="consensus")]
    mois = [_moi("ma", "a1", "head", "versive", 2.0, 4.0),
            _moi("mb", "b1", "head", "versive", 3.0, 5.0),
            _moi("mb2", "b1", "left-hand", "clonic", 6.0, 7.0)]
    report = manifest_agreement(_manifest(events, mois), grid_s=0.5)
    assert len(report.pairs) == 1  # the consensus layer is not a rater
    pair = report.pairs[0]
    assert (pair.annotator_a, pair.annotator_b) == ("dr-a", "dr-b")
    [match] = pair.matches
    assert (match.event_a, match.event_b) == ("a1", "b1")
    assert match.onset_diff_s == pytest.approx(-0.6) and match.offset_diff_s == pytest.approx(1.0)
    assert pair.unmatched_b == ["b2"] and pair.unmatched_a == []
    assert pair.moi_iou == {"head": pytest.approx(1 / 3), "left-hand": 0.0}
    # grid 0.5 s over [1.0, 16.0): 30 points x 2 regions
    assert pair.grid_points == 60
    # by hand: head: A versive on [2, 4) = 4 pts, B on [3, 5) = 4 pts, both 2 pts;
    # left-hand: B clonic on [6, 7) = 2 pts
    n = 60
    agree = n - (2 + 2) - 2
    ca = {"none": 56, "versive": 4}
    cb = {"none": 54, "versive": 4, "clonic": 2}
    p_o, p_e = agree / n, sum(ca[k] * cb.get(k, 0) for k in ca) / n**2
    assert pair.kappa == pytest.approx((p_o - p_e) / (1 - p_e))
    s = report.summary()
    assert s["onset_abs_diff_s"]["mean"] == pytest.approx(0.6)
    assert s["kappa_pooled"] == pytest.approx(pair.kappa)
    assert s["moi_iou"]["mean"] == pytest.approx(1 / 6)
    assert math.isclose(s["moi_iou"]["std"], 1 / 6)


def test_identical_layers_agree_fully() -> None:
    events = [_ev("a1", 1.0, 5.0, "dr-a"), _ev("b1", 1.0, 5.0, "dr-b")]
    mois = [_moi("ma", "a1", "head", "tonic", 2.0, 3.0),
            _moi("mb", "b1", "head", "tonic", 2.0, 3.0)]
    pair = manifest_agreement(_manifest(events, mois)).pairs[0]
    assert pair.kappa == pytest.approx(1.0) and pair.moi_iou == {"head": 1.0}
    assert pair.matches[0].onset_diff_s == 0.0
