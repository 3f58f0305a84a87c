"""Do the explanations point at the right thing? Pointing game and mass on the phantom.

A phantom with the demo's programmes (``PhantomConfig.demo``, fewer patients), variant ``B``,
the ``motion`` backbone; the ``fast`` LSTM preset trained on the event windows of two thirds
of the patients; every window of the held-out patients' recordings explained (occlusion, the
recording's true class as the target) and scored against the ground truth beside the plain
motion-energy map; the randomisation check on the first ictal window of each held-out
recording. Prints the table of the README and writes ``study.json``.

    .venv/bin/python benchmarks/explain_study.py --out /tmp/explain-study [--patients 12]

Resumable: the phantom, the store and the bundle are reused when present.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from ictal.backbones import load_backbone
from ictal.explain.run import ExplainOptions, explain_recording
from ictal.features.extract import ExtractOptions, extract_manifest
from ictal.features.store import read_features
from ictal.manifest import load_manifest
from ictal.manifest.groundtruth import load_ground_truth
from ictal.models.bundle import load_bundle, save_bundle
from ictal.models.presets import load_model_config
from ictal.phantom import PhantomConfig, generate_dataset
from ictal.preprocess.config import variant_config
from ictal.training.fit import fit_rows


def _ms(values: list[float]) -> str:
    v = [x for x in values if x is not None and not math.isnan(x)]
    if not v:
        return "-"
    return f"{np.mean(v):.2f} ± {np.std(v):.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--patients", type=int, default=12)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    manifest_path = out / "phantom" / "manifest.yaml"
    if not manifest_path.exists():
        result = generate_dataset(PhantomConfig.demo(n_patients=args.patients,
                                                     seed=args.seed),
                                  out / "phantom", workers=args.workers, progress=False)
        if result.report.exit_code:
            raise SystemExit(result.report.summary())
    manifest = load_manifest(manifest_path)
    print(f"phantom ready ({time.perf_counter() - t0:.0f} s)", flush=True)
    config = variant_config("B")
    extractor = load_backbone("motion")
    extract_manifest(manifest, out / "store", extractor, config,
                     options=ExtractOptions(batch_size=8), show_progress=False)
    table = read_features(out / "store")
    print(f"features ready ({time.perf_counter() - t0:.0f} s)", flush=True)
    patients = sorted(set(table.patient.tolist()))
    held = patients[::3]  # patient-grouped: a third of the patients never trained on
    bundle_dir = out / "bundle"
    if not (bundle_dir / "bundle.json").exists():
        model = load_model_config("fast")
        train_rows = np.flatnonzero(~np.isin(table.patient, held))
        est = fit_rows(table, train_rows, None, model, sorted(set(table.label.tolist())))
        save_bundle(bundle_dir, est, model, provenance=dict(table.attrs),
                    training={"patients": sorted(set(patients) - set(held))},
                    frame_rates=sorted(set(table.fps.tolist())))
    bundle = load_bundle(bundle_dir)
    recordings = [r for r in manifest.recordings if r.patient in held]
    docs = []
    for rec in recordings:
        # the seizure's class (the pre- and post-ictal events are labelled NE)
        events = [e for e in manifest.events if e.recording == rec.id]
        target = max(events, key=lambda e: (e.label != "NE", e.t1 - e.t0)).label
        folder = out / "explain" / rec.id
        if (folder / "explanation.json").exists():
            docs.append(json.loads((folder / "explanation.json").read_text()))
            continue
        gt = load_ground_truth(manifest_path.parent / "groundtruth" / f"{rec.id}.npz")
        doc = explain_recording(bundle, manifest, rec.id, extractor, folder,
                                options=ExplainOptions(windows="all", target=target,
                                                       sanity=True, video=False,
                                                       strips=False),
                                ground_truth=gt)
        docs.append(doc)
        print(f"{rec.id} ({target}): decision {doc['decision']['label']}, sanity "
              f"{doc['sanity']['spearman']} ({time.perf_counter() - t0:.0f} s)", flush=True)
    rows: dict[str, dict[str, list[float]]] = {}
    seconds: list[float] = []
    for doc in docs:
        for w in doc["windows"]:
            truth, base = w.get("truth"), w.get("baseline_truth")
            if not truth:
                continue
            seconds.append(w["seconds"])
            group = truth["label"] if truth["phase"] in ("ictal", "tonic", "clonic") else \
                "outside seizures"
            r = rows.setdefault(group, {k: [] for k in (
                "hit", "base_hit", "chance", "patient", "base_patient", "staff", "base_staff",
                "background", "base_background")})
            r["hit"].append(float(truth["hit"]))
            r["base_hit"].append(float(base["hit"]))
            r["chance"].append(truth["chance"])
            for k in ("patient", "staff", "background"):
                r[k].append(truth[k] if truth[k] is not None else math.nan)
                r[f"base_{k}"].append(base[k] if base[k] is not None else math.nan)
    sanity = [d["sanity"] for d in docs if d.get("sanity")]
    summary = {"patients": len(patients), "held_out": held, "windows": sum(
        len(v["hit"]) for v in rows.values()), "seconds_per_window": _ms(seconds),
        "sanity_passed": sum(s["passed"] for s in sanity), "sanity_checked": len(sanity),
        "sanity_spearman": [s["spearman"]["classifier"] for s in sanity],
        "groups": {g: {k: (float(np.nanmean(v)) if v else None, float(np.nanstd(v)) if v
                           else None, len(v)) for k, v in r.items()} for g, r in rows.items()}}
    (out / "study.json").write_text(json.dumps(summary, indent=2))
    print("| windows | n | pointing: model | pointing: motion energy | chance | mass on "
          "patient: model | motion energy | mass on staff: model | motion energy |")
    print("|---|---|---|---|---|---|---|---|---|")
    for g, r in sorted(rows.items()):
        ictal = g != "outside seizures"
        print(f"| {g} | {len(r['hit'])} | "
              + (f"{np.mean(r['hit']):.0%} | {np.mean(r['base_hit']):.0%} | "
                 f"{np.mean(r['chance']):.0%}" if ictal else "- | - | -")
              + f" | {_ms(r['patient'])} | {_ms(r['base_patient'])} | {_ms(r['staff'])} | "
              f"{_ms(r['base_staff'])} |")
    print(f"randomisation check passed on {summary['sanity_passed']} of "
          f"{summary['sanity_checked']} recordings (Spearman {summary['sanity_spearman']}); "
          f"{summary['seconds_per_window']} s per window; total "
          f"{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
