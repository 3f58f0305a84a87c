"""Speed of the phantom renderer at 512x424 (one process, one core).

Prints frames/s for: ray casting alone; ray casting + the depth and infrared sensor models; and
those + lossless FFV1 encoding of both streams (what ``ictal phantom`` does per recording), and
the estimated wall time of the demo dataset on 2 workers. Figures are noisy on a shared machine.

    .venv/bin/python benchmarks/bench_phantom.py [--frames 150]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from ictal.io import Ffv1Writer
from ictal.phantom import PhantomConfig, plan_dataset
from ictal.phantom.body import body_solids, forward_kinematics
from ictal.phantom.generate import plan_patient, plan_recording
from ictal.phantom.render import Rasteriser, depth_frame, ir_frame, transform_solids, valid_area


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--patient", type=int, default=0)
    args = parser.parse_args()

    cfg = PhantomConfig.demo()
    plan = plan_recording(cfg, plan_patient(cfg, args.patient), 0)
    p = plan.patient
    joints, frames = forward_kinematics(p.shape, plan.placement, plan.motion.dof)
    body = body_solids(p.shape, joints, frames, plan.motion.dof, blanket=p.blanket)
    n = min(args.frames, len(body))
    ras = Rasteriser(p.scene.camera)
    static, _ = ras.static(p.scene)
    area = valid_area(cfg.width, cfg.height)
    rng = np.random.default_rng(0)

    t = time.perf_counter()
    for f in range(n):
        buf = static.copy()
        ras.frame(buf, transform_solids(body[f], p.scene.camera))
    raster = n / (time.perf_counter() - t)

    t = time.perf_counter()
    for f in range(n):
        buf = static.copy()
        ras.frame(buf, transform_solids(body[f], p.scene.camera))
        depth_frame(buf, cfg.sensor, area, rng)
        ir_frame(buf, p.scene.reflectance, p.scene.ir_gain, cfg.sensor, rng)
    render = n / (time.perf_counter() - t)

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        with (Ffv1Writer(Path(tmp) / "d.mkv", cfg.fps, cfg.width, cfg.height, threads=1) as wd,
              Ffv1Writer(Path(tmp) / "i.mkv", cfg.fps, cfg.width, cfg.height, threads=1) as wi):
            for f in range(n):
                buf = static.copy()
                ras.frame(buf, transform_solids(body[f], p.scene.camera))
                wd.write(depth_frame(buf, cfg.sensor, area, rng))
                wi.write(ir_frame(buf, p.scene.reflectance, p.scene.ir_gain, cfg.sensor, rng))
        encode = n / (time.perf_counter() - t)
        size = sum(f.stat().st_size for f in Path(tmp).iterdir()) / n

    total = sum(pl.timeline.n_frames for pl in plan_dataset(cfg))
    print(f"phantom renderer, {cfg.width}x{cfg.height}, {n} frames of {plan.id} "
          f"({p.syndrome}, {len(body[0].capsules)} capsules + {len(body[0].centres)} ellipsoids)")
    print(f"  ray casting only            : {raster:7.1f} frames/s")
    print(f"  + depth & IR sensor models  : {render:7.1f} frames/s")
    print(f"  + FFV1 encoding of both     : {encode:7.1f} frames/s  ({size / 1e3:.0f} kB/frame)")
    print(f"demo dataset: {total} frames per stream -> about {total / encode / 2:.0f} s "
          "on 2 workers (2 free cores)")


if __name__ == "__main__":
    main()
