"""Choosing the alarm rule on validation nights, never on the nights a bundle is evaluated on.

An alarm rule is a function of a bed's windows (:func:`ictal.monitor.alarms.replay`), so one
journal of the monitor over *validation* nights -- phantom nights of patients neither in the
bundle's training nor in its evaluation (another seed) -- serves to compare every rule of a
grid. The criterion, fixed before any night is scored, follows the issue's aims (most seizures
within 10 s, the fewest false detections):

1. the rules that detect at least ``min_within`` (0.9) of the validation seizures within
   ``within_s`` (10 s) of onset; if none does, every rule;
2. among them, the fewest false detections;
3. then the most seizures detected within ``within_s``;
4. then the shortest median latency;
5. then the grid's order (rules listed from the least to the most demanding).

``ictal monitor select-rule`` runs it and writes ``selection.json`` (the choice and each rule's
figures) and ``selection.md``; the chosen rule is then given to ``ictal monitor run --alarm``
on the evaluation nights.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ictal.fsutil import write_json_atomic, write_text_atomic
from ictal.monitor.alarms import AlarmConfig
from ictal.monitor.detection import detection_report, load_journal

#: The rules compared by default, from the least to the most demanding within each family.
DEFAULT_GRID: tuple[str, ...] = (
    *(f"k-of-n:{kn}@{thr}" for kn in ("2/3", "3/4", "3/5", "4/5")
      for thr in ("0.5", "0.6", "0.7", "0.8", "0.9", "0.95", "0.98")),
    *(f"evidence:{thr}@{base}" for base in ("0.3", "0.5", "0.7", "0.9")
      for thr in ("1", "1.5", "2", "3", "4")),
)


def _key(row: dict[str, Any], index: int) -> tuple[float, ...]:
    lat = row["latency_median_s"]
    return (row["false_detections"], -row["within"], math.inf if lat is None else lat, index)


def select_rule(nights_dir: Path | str, journal: Path | str, *,
                rules: tuple[str, ...] | list[str] = DEFAULT_GRID, min_within: float = 0.9,
                within_s: float = 10.0, background: tuple[str, ...] = ("NE",)
                ) -> dict[str, Any]:
    """Score every rule of ``rules`` on the validation nights of ``nights_dir`` through the
    monitor's journal ``journal`` and choose one (module docstring).

    Returns:
        ``{"chosen", "criterion", "nights", "non_seizure_hours", "seizures", "rules": [{"rule",
        "detected", "within", "false_detections", "false_per_hour", "latency_median_s",
        "eligible"}]}``.
    """
    loaded = load_journal(nights_dir, journal)
    rows = []
    for text in rules:
        cfg = AlarmConfig.parse(text, background)
        rep = detection_report(nights_dir, journal, within_s=within_s, rule=cfg, loaded=loaded)
        s = rep["summary"]
        b = s["seizures"]
        rows.append({"rule": cfg.describe(), "detected": b["detected"],
                     "within": b[f"within_{within_s:g}s"], "false_detections":
                     s["false_detections"], "false_per_hour": s["false_per_hour"],
                     "latency_median_s": b["latency_s"]["median"], "seizures": b["n"],
                     "non_seizure_hours": s["non_seizure_hours"]})
    n = rows[0]["seizures"] if rows else 0
    for row in rows:
        row["eligible"] = n > 0 and row["within"] >= min_within * n
    pool = [(i, r) for i, r in enumerate(rows) if r["eligible"]] or list(enumerate(rows))
    chosen = min(pool, key=lambda ir: _key(ir[1], ir[0]))[1] if pool else None
    return {"format": "ictal-rule-selection/1",
            "chosen": None if chosen is None else chosen["rule"],
            "criterion": f">= {min_within:.0%} of the seizures within {within_s:g} s (else "
                         "all rules); then fewest false detections, most within "
                         f"{within_s:g} s, shortest median latency, grid order",
            "nights": [night["night"] for night, *_ in loaded], "seizures": n,
            "non_seizure_hours": rows[0]["non_seizure_hours"] if rows else 0.0,
            "journal": str(journal), "rules": rows}


def selection_markdown(sel: dict[str, Any]) -> str:
    """The selection as a Markdown table (the chosen rule in bold)."""
    lines = [f"Validation nights {', '.join(sel['nights'])}: {sel['seizures']} seizures, "
             f"{sel['non_seizure_hours']:.2f} non-seizure hours. Criterion: "
             f"{sel['criterion']}. Chosen: **{sel['chosen']}**.", "",
             "| rule | detected | within | false | false / h | latency median s |",
             "|---|---|---|---|---|---|"]
    for r in sel["rules"]:
        name = f"**{r['rule']}**" if r["rule"] == sel["chosen"] else r["rule"]
        lat = "-" if r["latency_median_s"] is None else f"{r['latency_median_s']:.1f}"
        lines.append(f"| {name} | {r['detected']} / {r['seizures']} | {r['within']} | "
                     f"{r['false_detections']} | {r['false_per_hour']:.2f} | {lat} |")
    return "\n".join(lines) + "\n"


def write_selection(sel: dict[str, Any], out: Path | str) -> list[Path]:
    """``selection.json`` and ``selection.md`` in ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / "selection.json", sel)
    write_text_atomic(out / "selection.md", selection_markdown(sel))
    return [out / "selection.json", out / "selection.md"]
