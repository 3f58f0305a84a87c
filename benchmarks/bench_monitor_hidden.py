"""The monitor's patient-hidden test against the phantom's ground truth.

Renders, per ``--seed``: (a) a phantom of ``--patients`` recordings (10 fps, scale 0.25,
infrared, staff visiting before and after every seizure, none during it); (b) for 3 nights of
the nights recipe (``ictal.phantom.nights``, 15 fps, scale 0.25), one 30 s segment of each
bed-life activity (sitting up, turning over, scratching, eating, a visitor, staff care) and
two seizure segments. Then runs :class:`ictal.monitor.bed.HiddenTest` over each recording's
2 s windows as a bed does (reference: the median of the first 3 s, then the last window
assessed; renewed after 60 s hidden) and compares with the ground truth: a window is *hidden*
when, in its median frame, a staff box covers at least 25 % of the patient's box, *clear*
when no staff box touches the patient's box in any of its frames (seizure windows counted
apart); the rest is partial. Seed 0 is the development phantom; 1 and 2 are held out.

    .venv/bin/python benchmarks/bench_monitor_hidden.py --seed 2 --out /tmp/hidden-s2
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from ictal.io import open_video
from ictal.manifest.groundtruth import load_ground_truth
from ictal.monitor.bed import HiddenTest
from ictal.phantom import PhantomConfig, generate_dataset
from ictal.phantom.body import rest_placement
from ictal.phantom.generate import render_recording
from ictal.phantom.nights import NightsConfig, life_script, night_plan, seizure_script

ACTIVITIES = ("sitting-up", "turning", "scratching", "eating", "visitor", "care", "seizure",
              "seizure")


def windows(video: Path, truth: Path, fps: int) -> list[tuple[str, bool, bool]]:
    """``(truth class, seizure, flagged)`` per 2 s window of one recording."""
    gt = load_ground_truth(truth)
    with open_video(video) as reader:
        frames = np.stack([f for _, f in reader.iter_frames(0, None)])
    w = 2 * fps
    test = HiddenTest(np.median(frames[:3 * fps:max(1, fps // 3)], axis=0), renew=30)
    occ, labels = gt.staff_occlusion(), gt.frame_labels()
    out = []
    for n in range(len(frames) // w):
        s = slice(n * w, n * w + w)
        kind = ("hidden" if np.median(occ[s]) >= 0.25 else "clear" if occ[s].max() == 0
                else "partial")
        out.append((kind, any(x != "NE" for x in labels[s]), test.check(frames[s]) is not None))
    return out


def render(seed: int, patients: int, out: Path) -> dict[str, list[tuple[Path, Path, int]]]:
    """Render the recordings (skipped when there); ``{group: [(video, truth, fps)]}``."""
    groups: dict[str, list[tuple[Path, Path, int]]] = defaultdict(list)
    cfg = PhantomConfig.tiny(n_patients=patients, seed=seed, scale=0.25, fps=10,
                             pre_s=(6.0, 8.0), post_s=(8.0, 10.0), duration_scale=0.2,
                             streams=("ir",), staff={"p_visit_pre": 1.0, "p_visit_ictal": 0.0,
                                                     "p_visit_post": 1.0})
    phantom = out / "phantom"
    if not (phantom / "manifest.yaml").exists():
        generate_dataset(cfg, phantom, workers=1, progress=False)
    for video in sorted((phantom / "ir").glob("*.mkv")):
        groups["phantom"].append((video, phantom / "groundtruth" / f"{video.stem}.npz", 10))
    nc = NightsConfig(n_nights=3, segment_s=30.0, seed=seed)
    ncfg = nc.phantom()
    for k in range(nc.n_nights):
        patient, _ = night_plan(nc, k)
        bed = patient.scene.bed
        placement = rest_placement(patient.shape, bed.length, bed.top, bed.head_sign,
                                   np.random.default_rng([nc.seed, k, 8]))
        folder = out / f"N{k + 1:02d}"
        for j, activity in enumerate(ACTIVITIES):
            rng = np.random.default_rng([nc.seed, k, 9, j])
            if activity == "seizure":
                script = seizure_script(ncfg, patient, placement, j, j % 2 == 1, rng)
            else:
                script, _ = life_script(ncfg, patient, placement, j, nc.segment_s, activity,
                                        rng)
            video = folder / "ir" / f"{script.id}.mkv"
            if not video.exists():
                render_recording(ncfg, script, folder)
            groups[activity].append((video, folder / "groundtruth" / f"{script.id}.npz",
                                     nc.fps))
    return groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--patients", type=int, default=12)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    groups = render(args.seed, args.patients, args.out)
    summary = {}
    print(f"seed {args.seed}: windows flagged 'patient hidden' / windows")
    for group, recordings in groups.items():
        rows = [r for video, truth, fps in recordings for r in windows(video, truth, fps)]
        count = {kind: (sum(f for k, _, f in rows if k == kind),
                        sum(1 for k, _, _ in rows if k == kind))
                 for kind in ("hidden", "clear", "partial")}
        seizure = (sum(f for k, sz, f in rows if sz and k == "clear"),
                   sum(1 for k, sz, _ in rows if sz and k == "clear"))
        summary[group] = {**count, "seizure": seizure}
        print(f"  {group:11s} hidden {count['hidden'][0]:3d}/{count['hidden'][1]:<3d} clear "
              f"{count['clear'][0]:3d}/{count['clear'][1]:<3d} (seizure windows "
              f"{seizure[0]}/{seizure[1]}) partial {count['partial'][0]}/{count['partial'][1]}")
    (args.out / "hidden.json").write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
