"""Detection measured as the field reports it, over continuous nights followed by the monitor.

Inputs: nights described by ``night.json`` (:mod:`ictal.phantom.nights`: seizures with their
clinical onset and end, and the bed-life activities) and the monitor's journal of a bed named
after each night (``<journal>/<night>/windows.jsonl`` and ``alarms.jsonl``).

Rules (stated in the report):

* a seizure is **detected** when an alarm is raised from its onset to ``grace_s`` (4 s: two
  windows) after its end; its **latency** is the raising window's end (the moment its
  probability exists, on the recording's timeline) minus the onset -- the compute latency of
  the live bed (``latency_s`` of the journal) comes on top and is reported beside;
* an alarm raised within ``post_s`` (60 s) after a seizure's end is post-ictal: neither a
  detection nor false; that time is left out of the non-seizure hours;
* every other alarm is a **false detection**; false detections per hour are counted over the
  non-seizure hours (the nights' time outside ``[onset, end + post_s]``), and attributed to
  the bed-life activity they fall in (within 4 s), if any;
* intervals: sensitivity with a 95 % Wilson score interval, false detections per hour with an
  exact 95 % Poisson (Garwood) interval, latency as median and inter-quartile range.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ictal.errors import ConfigError
from ictal.fsutil import write_json_atomic, write_text_atomic
from ictal.jsonl import read_jsonl
from ictal.monitor.adapt import AdaptConfig
from ictal.monitor.alarms import AlarmConfig
from ictal.plotting import pyplot, save_png

Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion ``k / n`` (``(nan, nan)`` for ``n = 0``)."""
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def poisson_rate(k: int, exposure: float) -> tuple[float, float, float]:
    """Rate ``k / exposure`` with its exact 95 % (Garwood) interval."""
    from scipy.stats import chi2

    if exposure <= 0:
        return (math.nan, math.nan, math.nan)
    lo = 0.0 if k == 0 else float(chi2.ppf(0.025, 2 * k)) / 2
    hi = float(chi2.ppf(0.975, 2 * k + 2)) / 2
    return (k / exposure, lo / exposure, hi / exposure)


def _quartiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "q1": None, "q3": None}
    q1, med, q3 = np.percentile(values, [25, 50, 75])
    return {"median": float(med), "q1": float(q1), "q3": float(q3)}


def evaluate_night(night: dict[str, Any], windows: list[dict[str, Any]],
                   alarms: list[dict[str, Any]], *, grace_s: float = 4.0,
                   post_s: float = 60.0) -> dict[str, Any]:
    """One night's seizures (detected, latency), false detections and exposure."""
    raised = [a for a in alarms if a["action"] == "raised"]
    seizures = []
    used: set[str] = set()
    for sz in night["seizures"]:
        hit = next((a for a in raised if sz["onset_s"] <= a["t"] <= sz["offset_s"] + grace_s
                    and a["id"] not in used), None)
        if hit is not None:
            used.add(hit["id"])
        seizures.append({**sz, "detected": hit is not None,
                         "latency_s": None if hit is None else hit["t"] - sz["onset_s"],
                         "alarm": None if hit is None else hit["id"]})
    excluded = [(sz["onset_s"], sz["offset_s"] + post_s) for sz in night["seizures"]]
    false, post_ictal = [], []
    for a in raised:
        if a["id"] in used:
            continue
        if any(lo <= a["t"] <= hi for lo, hi in excluded):
            post_ictal.append(a["id"])
            continue
        during = [act["kind"] for act in night.get("activities", [])
                  if act["start_s"] - 4 <= a["t"] <= act["end_s"] + 4]
        false.append({"id": a["id"], "t": a["t"], "label": a["label"],
                      "activity": during[0] if during else "sleep"})
    assessed = night["seconds"]
    if windows:
        assessed = min(assessed, max(w["t_stop"] for w in windows))
    merged: list[list[float]] = []
    for lo, hi in sorted(excluded):
        lo, hi = max(lo, 0.0), min(hi, assessed)
        if hi <= lo:
            continue
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    non_seizure_s = assessed - sum(hi - lo for lo, hi in merged)
    span = sum(w["t_stop"] - w["t_start"] for w in windows) or 1.0
    not_assessable = sum(w["t_stop"] - w["t_start"] for w in windows if w["state"] != "scored")
    lat = [w["latency_s"] for w in windows if w.get("latency_s") is not None]
    return {"night": night["night"], "seconds": assessed, "non_seizure_s": non_seizure_s,
            "seizures": seizures, "false": false, "post_ictal_alarms": post_ictal,
            "not_assessable_share": not_assessable / span,
            "compute_latency_s": _quartiles(lat)}


def summarise(nights: list[dict[str, Any]], *, within_s: float = 10.0) -> dict[str, Any]:
    """Per seizure type and over all: sensitivity (Wilson), share detected within
    ``within_s``, latency (median, IQR); false detections per hour (Poisson) overall and
    per activity."""
    all_sz = [sz for n in nights for sz in n["seizures"]]
    types = sorted({sz["type"] for sz in all_sz})

    def block(szs: list[dict[str, Any]]) -> dict[str, Any]:
        k = sum(sz["detected"] for sz in szs)
        fast = sum(sz["detected"] and sz["latency_s"] <= within_s for sz in szs)
        lats = [sz["latency_s"] for sz in szs if sz["detected"]]
        return {"n": len(szs), "detected": k, "sensitivity": k / len(szs) if szs else None,
                "sensitivity_ci95": wilson(k, len(szs)), f"within_{within_s:g}s": fast,
                f"within_{within_s:g}s_share": fast / len(szs) if szs else None,
                f"within_{within_s:g}s_ci95": wilson(fast, len(szs)),
                "latency_s": _quartiles(lats)}

    hours = sum(n["non_seizure_s"] for n in nights) / 3600
    n_false = sum(len(n["false"]) for n in nights)
    rate, lo, hi = poisson_rate(n_false, hours)
    by_activity: dict[str, int] = {}
    for n in nights:
        for f in n["false"]:
            by_activity[f["activity"]] = by_activity.get(f["activity"], 0) + 1
    return {"nights": len(nights), "non_seizure_hours": hours,
            "seizures": block(all_sz), "by_type": {t: block([s for s in all_sz
                                                             if s["type"] == t])
                                                   for t in types},
            "false_detections": n_false, "false_per_hour": rate,
            "false_per_hour_ci95": (lo, hi), "false_by_activity": by_activity,
            "not_assessable_share": (sum(n["not_assessable_share"] * n["seconds"]
                                         for n in nights)
                                     / max(sum(n["seconds"] for n in nights), 1e-9))}


def load_journal(nights_dir: Path | str, journal: Path | str
                 ) -> list[tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]],
                                 list[dict[str, Any]]]]:
    """Every night of ``nights_dir`` (folders with ``night.json``) with its bed of the
    monitor's journal ``journal`` (a bed per night, named after it): ``(night, bed.json``
    (``{}`` when absent)``, windows, alarms)`` per night, in name order.

    Raises:
        ConfigError: no night, or a night without its bed in the journal.
    """
    import json

    from ictal.phantom.nights import load_night

    nights_dir, journal = Path(nights_dir), Path(journal)
    folders = sorted(p.parent for p in nights_dir.glob("*/night.json"))
    if not folders:
        raise ConfigError(f"{nights_dir}: no night (no */night.json)",
                          hint="render nights with `ictal monitor nights DIR`")
    out = []
    for folder in folders:
        night = load_night(folder)
        bed = journal / night["night"]
        if not (bed / "windows.jsonl").exists():
            raise ConfigError(f"{bed}: no journal for night {night['night']}",
                              hint=f"run `ictal monitor run --bed {night['night']}="
                                   f"{folder / 'ir'} ... --out {journal}` first")
        meta = (json.loads((bed / "bed.json").read_text()) if (bed / "bed.json").exists()
                else {})
        out.append((night, meta, read_jsonl(bed / "windows.jsonl"),
                    read_jsonl(bed / "alarms.jsonl")))
    return out


def detection_report(nights_dir: Path | str, journal: Path | str, *, within_s: float = 10.0,
                     grace_s: float = 4.0, post_s: float = 60.0, rule: AlarmConfig | None = None,
                     adapt: AdaptConfig | None = None, review_s: float = 120.0,
                     loaded: list[Any] | None = None) -> dict[str, Any]:
    """Evaluate every night of ``nights_dir`` against the monitor's journal in ``journal``
    (:func:`load_journal`; ``loaded``: its result, read once for several rules).

    The alarms are the journal's, or with ``rule`` those the rule raises over the journaled
    windows (:func:`ictal.monitor.alarms.replay`); with ``adapt``, the bed adapting its bar
    from a simulated clinician's answers ``review_s`` after each alarm
    (:func:`ictal.monitor.adapt.simulate`; ``rule`` defaults to the journal's).

    Raises:
        ConfigError: no night, or a night without its bed in the journal.
    """
    from ictal.monitor.adapt import oracle, simulate

    data = loaded if loaded is not None else load_journal(nights_dir, journal)
    results, timelines, changes = [], {}, {}
    for night, meta, windows, journaled in data:
        alarms = journaled
        if rule is not None or adapt is not None:
            if "labels" not in meta:
                raise ConfigError(f"{journal}/{night['night']}: no bed.json (the bundle's "
                                  "labels): its alarms cannot be replayed")
            use = rule if rule is not None else AlarmConfig.parse(meta["alarm"])
            alarms, bar_changes = simulate(
                windows, use, meta["labels"], night["night"], adapt,
                lambda t, night=night: oracle(night, t, grace_s=grace_s, post_s=post_s),
                review_s=review_s)
            changes[night["night"]] = bar_changes
        results.append(evaluate_night(night, windows, alarms, grace_s=grace_s, post_s=post_s))
        timelines[night["night"]] = (night, windows, alarms)
    rules: dict[str, Any] = {"grace_s": grace_s, "post_s": post_s, "within_s": within_s}
    if rule is not None or adapt is not None:
        rules["alarm"] = (rule.describe() if rule is not None
                          else ", ".join(sorted({m["alarm"] for _, m, _, _ in data})))
        rules["replayed"] = True
    if adapt is not None:
        rules["adapt"] = adapt.describe()
        rules["review_s"] = review_s
    rep = {"format": "ictal-detection/1", "rules": rules,
           "summary": summarise(results, within_s=within_s), "nights": results,
           "_timelines": timelines}
    if adapt is not None:
        rep["adaptations"] = changes
    return rep


def timeline_figure(night: dict[str, Any], windows: list[dict[str, Any]],
                    alarms: list[dict[str, Any]], path: Path) -> Path:
    """A night's seizure score over time: seizures in red, bed-life activities in grey,
    not-assessable windows as a grey band, alarms as triangles."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(14, 3))
    minutes = 60.0
    xs = [(w["t_start"] + w["t_stop"]) / 2 / minutes for w in windows if w["state"] == "scored"]
    ys = [w["score"] for w in windows if w["state"] == "scored"]
    colours = {"sitting-up": "#d9a400", "scratching": "#8c564b", "eating": "#17becf",
               "turning": "#7f7f7f", "visitor": "#9467bd", "care": "#2ca02c"}
    for act in night.get("activities", []):
        ax.axvspan(act["start_s"] / minutes, act["end_s"] / minutes, ymin=0, ymax=0.08,
                   color=colours.get(act["kind"], "grey"), lw=0)
    for sz in night["seizures"]:
        ax.axvspan(sz["onset_s"] / minutes, sz["offset_s"] / minutes, color="red", alpha=0.25,
                   lw=0)
    for w in windows:
        if w["state"] != "scored":
            ax.axvspan(w["t_start"] / minutes, w["t_stop"] / minutes, ymin=0.92, ymax=1.0,
                       color="black", alpha=0.4, lw=0)
    ax.plot(xs, ys, lw=0.6, color="#1f77b4")
    up = [a["t"] / minutes for a in alarms if a["action"] == "raised"]
    ax.plot(up, [1.04] * len(up), "v", color="red", ms=6, clip_on=False)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours.values()]
    ax.legend([*handles, plt.Rectangle((0, 0), 1, 1, color="red", alpha=0.25)],
              [*colours, "seizure"], fontsize=7, ncol=7, loc="upper left",
              bbox_to_anchor=(0, -0.25))
    ax.set(xlabel="time (min)", ylabel="seizure score", ylim=(-0.02, 1.08),
           xlim=(0, night["seconds"] / minutes),
           title=f"night {night['night']} ({night['syndrome']} patient): seizure score per "
                 "2 s window; alarms raised (v)")
    return save_png(fig, path, dpi=80)


def markdown(rep: dict[str, Any]) -> str:
    """The report's tables in Markdown."""
    s = rep["summary"]
    w = rep["rules"]["within_s"]

    def pct(x: float | None) -> str:
        return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.0f} %"

    def row(name: str, b: dict[str, Any]) -> str:
        lo, hi = b["sensitivity_ci95"]
        lat = b["latency_s"]
        latency = "-" if lat["median"] is None else (
            f"{lat['median']:.1f} ({lat['q1']:.1f}-{lat['q3']:.1f})")
        return (f"| {name} | {b['detected']} / {b['n']} | {pct(b['sensitivity'])} "
                f"({pct(lo)}-{pct(hi)}) | {pct(b[f'within_{w:g}s_share'])} | {latency} |")

    lines = ["| seizures | detected | sensitivity (95 % CI) | "
             f"within {w:g} s | latency s, median (IQR) |", "|---|---|---|---|---|"]
    lines += [row(t, b) for t, b in s["by_type"].items()]
    lines.append(row("all", s["seizures"]))
    lo, hi = s["false_per_hour_ci95"]
    lines += ["", f"False detections: {s['false_detections']} in "
                  f"{s['non_seizure_hours']:.2f} non-seizure hours = "
                  f"{s['false_per_hour']:.2f} / h (95 % CI {lo:.2f}-{hi:.2f}); by activity: "
                  + (", ".join(f"{k} {v}" for k, v in sorted(s["false_by_activity"].items()))
                     or "none")
                  + f". Not assessable: {100 * s['not_assessable_share']:.1f} % of the time."]
    rules = rep["rules"]
    if rules.get("replayed"):
        lines += ["", f"Alarms replayed over the journal's windows with `{rules['alarm']}`"
                  + ("." if "adapt" not in rules else
                     f", each bed adapting its bar (`{rules['adapt']}`) from a simulated "
                     f"clinician's answer {rules['review_s']:g} s after each alarm: "
                     + ", ".join(f"{night} {' -> '.join(_bars(ch))}"
                                 for night, ch in rep.get("adaptations", {}).items()) + ".")]
    return "\n".join(lines) + "\n"


def _bars(changes: list[dict[str, Any]]) -> list[str]:
    """A night's bar over time: its first value and every change (``0.5 -> 0.93r``; ``r`` /
    ``c``: after a rejected / confirmed alarm)."""
    if not changes:
        return ["bar unchanged"]
    out = [f"{changes[0]['bar_before']:.2f}"]
    out += [f"{c['bar_after']:.2f}{c['decision'][0]}" for c in changes
            if c["bar_after"] != c["bar_before"]]
    return out


def write_report(rep: dict[str, Any], out: Path | str) -> list[Path]:
    """``detection.json``, ``detection.md`` and ``figures/<night>.png`` in ``out``."""
    out = Path(out)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    doc = {k: v for k, v in rep.items() if not k.startswith("_")}
    write_json_atomic(out / "detection.json", doc)
    write_text_atomic(out / "detection.md", markdown(rep))
    paths = [out / "detection.json", out / "detection.md"]
    for name, (night, windows, alarms) in rep.get("_timelines", {}).items():
        paths.append(timeline_figure(night, windows, alarms, out / "figures" / f"{name}.png"))
    return paths
