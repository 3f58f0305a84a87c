"""Data of the monitor's tests: a scene whose patient shakes or lies still, and a bundle
trained on it through the real chain (motion backbone, whole-frame crop, 10 fps)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from ictal.io import write_video

FPS = Fraction(10)
H, W = 72, 96


def scene(shaking: np.ndarray, *, seed: int = 0, dark: np.ndarray | None = None,
          offset: int = 0) -> list[np.ndarray]:
    """Grey ``(72, 96)`` ``uint8`` frames of a bed: the patient (a bright ellipse) lies
    still, or shakes at 3 Hz (+/- 4 px) where ``shaking`` is true; ``dark`` frames are black
    (camera covered). ``offset``: the frame number of the first frame (phase of the shake)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    bed = ((yy > 14) & (yy < 60) & (xx > 10) & (xx < 86))
    base = np.where(bed, 90.0, 40.0) + 10 * ((xx // 6 + yy // 6) % 2)
    frames = []
    for i, shake in enumerate(shaking):
        t = (i + offset) / float(FPS)
        dx = 4 * np.sin(2 * np.pi * 3 * t) if shake else 0.0
        dy = 3 * np.cos(2 * np.pi * 2.3 * t) if shake else 0.0
        body = ((yy - 37 - dy) / 9) ** 2 + ((xx - 48 - dx) / 26) ** 2 < 1
        img = np.where(body, 200.0, base) + rng.normal(0, 2, (H, W))
        if dark is not None and dark[i]:
            img = np.zeros((H, W))
        frames.append(np.clip(img, 0, 255).astype(np.uint8))
    return frames


def pattern(seconds: list[tuple[float, bool]]) -> np.ndarray:
    """Per-frame shaking flags of consecutive (seconds, shaking) stretches at :data:`FPS`."""
    return np.concatenate([np.full(round(s * float(FPS)), flag) for s, flag in seconds])


def write_scene(path: Path, shaking: np.ndarray, **kw: object) -> Path:
    return write_video(path, scene(shaking, **kw), FPS)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundle (labels NE, SZ) trained on 48 s of the scene through the real chain.

    Trained once per session: the CLI's and the browser's test modules import this fixture,
    which makes each a session fixture of its own; the later ones find the bundle in the
    session's temporary folder (its ``bundle.json`` is written last, atomically)."""
    root = tmp_path_factory.getbasetemp() / "monitor-bundle"
    if (root / "bundle" / "bundle.json").is_file():
        return root / "bundle"
    root.mkdir(exist_ok=True)
    return _train_bundle(root)


def _train_bundle(root: Path) -> Path:
    from ictal.backbones import load_backbone
    from ictal.manifest.io import parse_manifest
    from ictal.models.bundle import save_bundle
    from ictal.models.config import TrainConfig
    from ictal.models.presets import preset
    from ictal.models.registry import build_estimator
    from ictal.preprocess.config import PreprocessConfig

    stretches = [(4.0, i % 2 == 1) for i in range(12)]
    video = write_scene(root / "train.mkv", pattern(stretches), seed=1)
    events, t = [], 0.0
    for i, (s, flag) in enumerate(stretches):
        events.append({"id": f"e{i}", "recording": "train", "t0": t, "t1": t + s,
                       "label": "SZ" if flag else "NE"})
        t += s
    manifest = parse_manifest(
        {"name": "m", "labels": ["NE", "SZ"], "patients": [{"id": "p"}],
         "recordings": [{"id": "train", "patient": "p", "streams": [
             {"kind": "ir", "path": str(video), "fps": "10", "width": W, "height": H}]}],
         "events": events, "mois": []}, source="test", root=root)
    config = PreprocessConfig(variant="monitor-test", source="ir",
                              depth_crop={"enabled": False},
                              detection={"enabled": False, "on_depth_cropped": False})
    cfg = preset("fast").model_copy(update={
        "lstm_units": (16, 8), "fc_units": (8, 8),
        "train": TrainConfig(epochs=30, batch_size=8, select_on="loss")})

    extractor = load_backbone("motion")
    from ictal.features.extract import features_of_samples
    from ictal.preprocess.pipeline import iter_samples
    from ictal.preprocess.planner import plan_recording

    plan = plan_recording(manifest, "train", config)
    samples = iter_samples(manifest, plan, config, extractor.input_spec, windows="sliding",
                           stride=5)
    table = features_of_samples(samples, extractor, batch_size=8,
                                attrs={**extractor.provenance(),
                                       "preprocess": config.model_dump(mode="json")})
    keep = table.label != ""
    table = table.subset(np.flatnonzero(keep))
    est = build_estimator(cfg).fit(table, classes=["NE", "SZ"])
    return save_bundle(root / "bundle", est, cfg, provenance=table.attrs, training={})
