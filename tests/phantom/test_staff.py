from __future__ import annotations

import numpy as np

from ictal.phantom import PhantomConfig, script_dataset
from ictal.phantom.programmes import ICTAL, POST, PRE
from ictal.phantom.staff import staff_track


def test_staff_are_present_more_often_outside_the_seizure() -> None:
    plans = script_dataset(PhantomConfig.tiny(n_patients=40, duration_scale=0.2))
    frames = {"ne": [0, 0], "ictal": [0, 0]}
    for plan in plans:
        t = plan.timeline.times()
        present = np.zeros(len(t), bool)
        for visit in plan.visits:
            present |= staff_track(visit, t)[3]
        phase = plan.motion.phase
        ne = (phase == PRE) | (phase == POST)
        frames["ne"][0] += int(present[ne].sum())
        frames["ne"][1] += int(ne.sum())
        frames["ictal"][0] += int(present[phase == ICTAL].sum())
        frames["ictal"][1] += int((phase == ICTAL).sum())
    ne_rate = frames["ne"][0] / frames["ne"][1]
    ictal_rate = frames["ictal"][0] / frames["ictal"][1]
    assert ne_rate > 2 * ictal_rate
    assert ne_rate > 0.2


def test_staff_walk_in_stand_and_leave() -> None:
    plans = script_dataset(PhantomConfig.tiny(n_patients=6))
    visit = next(v for p in plans for v in p.visits)
    t = np.linspace(visit.start - 1, visit.end + 1, 400)
    pos, _, walking, present = staff_track(visit, t)
    inside = np.flatnonzero(present)
    assert walking[inside[0]] and walking[inside[-1]]
    assert not walking[inside[len(inside) // 2]]
    assert abs(pos[inside[0], 0] - visit.entry_x) < 0.2
    assert abs(pos[inside[len(inside) // 2], 0] - visit.stand_x) < 1e-9
