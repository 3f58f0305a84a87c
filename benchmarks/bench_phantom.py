"""Speed of the phantom renderer at 512x424 (one process, one core).

Prints frames/s for: ray casting alone; ray casting + the depth and infrared sensor models; and
those + lossless FFV1 encoding of both streams (what ``ictal phantom`` does per recording), and
the estimated wall time of the demo dataset on 2 workers. Each figure is given per wall-clock
second and per CPU second of this process (the latter is less sensitive to other jobs on a
shared machine; the estimate uses it).

    .venv/bin/python benchmarks/bench_phantom.py [--frames 150]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from ictal.io import Ffv1Writer
from ictal.phantom import PhantomConfig, script_dataset
from ictal.phantom.body import body_solids, forward_kinematics
from ictal.phantom.generate import plan_patient, script_recording
from ictal.phantom.render import Rasteriser, depth_frame, ir_frame, transform_solids, valid_area


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--patient", type=int, default=0)
    args = parser.parse_args()

    cfg = PhantomConfig.demo()
    plan = script_recording(cfg, plan_patient(cfg, args.patient), 0)
    p = plan.patient
    joints, frames = forward_kinematics(p.shape, plan.placement, plan.motion.dof)
    body = body_solids(p.shape, joints, frames, plan.motion.dof, blanket=p.blanket)
    n = min(args.frames, len(body))
    ras = Rasteriser(p.scene.camera)
    static, _ = ras.static(p.scene)
    area = valid_area(cfg.width, cfg.height)
    rng = np.random.default_rng(0)

    clock = Clock(n)
    for f in range(n):
        buf = static.copy()
        ras.frame(buf, transform_solids(body[f], p.scene.camera))
    raster = clock.rates()

    clock = Clock(n)
    for f in range(n):
        buf = static.copy()
        ras.frame(buf, transform_solids(body[f], p.scene.camera))
        depth_frame(buf, cfg.sensor, area, rng)
        ir_frame(buf, p.scene.reflectance, p.scene.ir_gain, cfg.sensor, rng)
    render = clock.rates()

    with tempfile.TemporaryDirectory() as tmp:
        clock = Clock(n)
        with (Ffv1Writer(Path(tmp) / "d.mkv", cfg.fps, cfg.width, cfg.height, threads=1) as wd,
              Ffv1Writer(Path(tmp) / "i.mkv", cfg.fps, cfg.width, cfg.height, threads=1) as wi):
            for f in range(n):
                buf = static.copy()
                ras.frame(buf, transform_solids(body[f], p.scene.camera))
                wd.write(depth_frame(buf, cfg.sensor, area, rng))
                wi.write(ir_frame(buf, p.scene.reflectance, p.scene.ir_gain, cfg.sensor, rng))
        encode = clock.rates()
        size = sum(f.stat().st_size for f in Path(tmp).iterdir()) / n

    total = sum(pl.timeline.n_frames for pl in script_dataset(cfg))
    print(f"phantom renderer, {cfg.width}x{cfg.height}, {n} frames of {plan.id} "
          f"({p.syndrome}, {len(body[0].capsules)} capsules + {len(body[0].centres)} ellipsoids)")
    print("                                wall fps   CPU fps")
    print(f"  ray casting only            : {raster[0]:8.1f}  {raster[1]:8.1f}")
    print(f"  + depth & IR sensor models  : {render[0]:8.1f}  {render[1]:8.1f}")
    print(f"  + FFV1 encoding of both     : {encode[0]:8.1f}  {encode[1]:8.1f}"
          f"   ({size / 1e3:.0f} kB per frame pair)")
    print(f"demo dataset: {total} frames per stream -> about {total / encode[1] / 2:.0f} s "
          "on 2 workers with 2 free cores")


class Clock:
    """Wall-clock and process CPU time since construction, as frames per second."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def rates(self) -> tuple[float, float]:
        return (self.n / (time.perf_counter() - self.wall),
                self.n / (time.process_time() - self.cpu))


if __name__ == "__main__":
    main()
