"""The skeleton and the limb-activity lanes on the labelling screen, in headless Chromium
against a real server: a data scientist imports a keypoint shard (written by
``ictal.keypoints.store``, as ``ictal keypoints`` writes it) of a recording; the clinician
sees the per-limb lanes under the timeline, turns the skeleton on, and finds each frame's own
skeleton drawn over the video (pixels read back from the canvas), nothing on a gap frame."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect
from tests.browser.conftest import log_in

from ictal.keypoints.store import KeypointTrack, write_track

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1400, "height": 950}
LONG_MS = 60_000
N_FRAMES, FPS, W, H = 100, 25, 64, 48  # the browser fixtures' tiny video
GAP = (60, 61, 62)
#: (x, y) px of the 11 joints (head, neck, shoulders, elbows, wrists, hips, spine base)
JOINTS = np.array([(32, 4), (32, 10), (40, 10), (24, 10), (44, 20), (20, 20), (36, 30), (18, 30),
                   (38, 36), (26, 36), (32, 36)], float)
LEFT_WRIST = 6
WRIST_ODD = (52.0, 30.0)  # the left wrist on odd frames before frame 50 (even: (36, 30))


def _shard(recording: str) -> bytes:
    """The left wrist jumps between two places every frame during the first 2 s, then rests;
    frames GAP have no keypoint at all; the face is seen around the head."""
    body = np.zeros((N_FRAMES, 11, 3), np.float32)
    body[:, :, :2], body[:, :, 2] = JOINTS, 0.8
    body[1:50:2, LEFT_WRIST, :2] = WRIST_ODD
    face = np.zeros((N_FRAMES, 23, 3), np.float32)
    face[:, :, 0] = np.linspace(28, 36, 23)
    face[:, :, 1], face[:, :, 2] = 3.0, 0.6
    for f in GAP:
        body[f] = (np.nan, np.nan, 0)
        face[f] = (np.nan, np.nan, 0)
    track = KeypointTrack(recording=recording, fps=Fraction(FPS), width=W, height=H,
                          frames=np.arange(N_FRAMES), body=body, face=face,
                          attrs={"source": "phantom"})
    with tempfile.TemporaryDirectory() as tmp:
        return write_track(Path(tmp) / f"{recording}.h5", track).read_bytes()


def _painted(page: Page, x: float, y: float) -> bool:
    """Whether the overlay canvas has paint around keypoint pixel (x, y) of the video frame."""
    return bool(page.evaluate("""([x, y]) => {
        const v = document.querySelector('video');
        const c = document.querySelector('[data-testid=skeleton-overlay]');
        const s = Math.min(v.clientWidth / v.videoWidth, v.clientHeight / v.videoHeight);
        const bx = (v.clientWidth - v.videoWidth * s) / 2;
        const by = (v.clientHeight - v.videoHeight * s) / 2;
        const r = c.width / v.clientWidth;
        const px = Math.round((bx + (x + 0.5) * s) * r), py = Math.round((by + (y + 0.5) * s) * r);
        const d = c.getContext('2d').getImageData(px - 1, py - 1, 3, 3).data;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true;
        return false;
    }""", [x, y]))


def _blank(page: Page) -> bool:
    return bool(page.evaluate("""() => {
        const c = document.querySelector('[data-testid=skeleton-overlay]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return false;
        return true;
    }"""))


def _show_frame(page: Page, frame: int) -> None:
    page.evaluate(f"document.querySelector('video').currentTime = {(frame + 0.5) / FPS}")
    expect(page.get_by_test_id("current-frame")).to_have_text(f"frame {frame}")


def test_skeleton_and_limb_lanes(
    live_server: Any, browser: Browser, shots: Path,
    tiny_video: Callable[[Path], None], preview_ready: Callable[[Any, int], None],
) -> None:
    tiny_video(live_server.storage / "bed5" / "seizure_05.mp4")
    alice_api = live_server.login("alice")
    patient = alice_api.post("/api/patients", json={}).json()
    rec = alice_api.post("/api/recordings", json={
        "patient_id": patient["id"], "path": "bed5/seizure_05.mp4"}).json()
    preview_ready(alice_api, rec["id"])
    r = live_server.login("carol").post(f"/api/recordings/{rec['id']}/keypoints",
                                        content=_shard(f"rec-{rec['id']}"),
                                        headers={"Content-Type": "application/x-hdf5"})
    assert r.status_code == 201, r.text

    page = browser.new_context(viewport=VIEWPORT).new_page()
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/#/recordings/{rec['id']}")
    page.wait_for_function("document.querySelector('video')?.readyState >= 2", timeout=LONG_MS)
    expect(page.get_by_label("Keypoint set")).to_contain_text("phantom")

    # lanes: six limbs; the left forearm busy in the first two 1 s windows, resting after
    lanes = page.get_by_test_id("limb-lanes")
    expect(lanes.locator("g[data-limb]")).to_have_count(6)
    forearm = lanes.locator("g[data-limb=left_forearm] rect.limb-window")
    expect(forearm).to_have_count(4)
    levels = [forearm.nth(i).get_attribute("data-level") for i in range(4)]
    assert float(levels[0]) == 1.0 and float(levels[1]) > 0.5, levels  # type: ignore[arg-type]
    assert float(levels[3]) == 0.0, levels  # type: ignore[arg-type]
    still = lanes.locator("g[data-limb=right_forearm] rect.limb-window").first
    assert float(still.get_attribute("data-level")) == 0.0  # type: ignore[arg-type]

    # the skeleton: off until turned on
    overlay = page.get_by_test_id("skeleton-overlay")
    expect(overlay).to_have_count(0)
    page.get_by_label("Show the skeleton on the video").check()
    _show_frame(page, 40)
    expect(overlay).to_have_attribute("data-frame", "40")
    expect(overlay).to_have_attribute("data-state", "drawn")
    expect(overlay).to_have_attribute("data-joints", "11")
    expect(overlay).to_have_attribute("data-bones", "10")
    expect(page.get_by_test_id("skeleton-caption")).to_have_text(
        "frame 40 · 11 joints · confidence 0.80")
    # frame 40 (even): the wrist at its even place, not at the odd one
    assert _painted(page, *JOINTS[LEFT_WRIST]) and not _painted(page, *WRIST_ODD)
    assert _painted(page, *JOINTS[0])  # the head
    page.screenshot(path=shots / "20-skeleton-frame-40.png", full_page=True)

    # one frame on: that frame's skeleton, exactly
    page.get_by_role("button", name="Step forward one frame (→)").click()
    expect(page.get_by_test_id("current-frame")).to_have_text("frame 41")
    expect(overlay).to_have_attribute("data-frame", "41")
    page.wait_for_function("() => document.querySelector('[data-testid=skeleton-overlay]')"
                           ".dataset.frame === '41'")
    assert _painted(page, *WRIST_ODD) and not _painted(page, *JOINTS[LEFT_WRIST])

    # a gap: nothing drawn, said so
    _show_frame(page, GAP[1])
    expect(overlay).to_have_attribute("data-frame", str(GAP[1]))
    expect(overlay).to_have_attribute("data-state", "gap")
    expect(page.get_by_test_id("skeleton-caption")).to_have_text(
        f"frame {GAP[1]} · no skeleton (gap)")
    assert _blank(page)

    # playing then pausing: the drawn frame is the frame shown
    page.get_by_role("button", name="Play (space)").click()
    page.wait_for_timeout(400)
    page.get_by_role("button", name="Pause (space)").click()
    # once the video has stopped, the caption and the overlay settle on the same frame (read
    # together: the caption read once right after the click could precede the last frame)
    page.wait_for_function(
        "() => { const v = document.querySelector('video');"
        " const o = document.querySelector('[data-testid=skeleton-overlay]');"
        " const c = document.querySelector('[data-testid=current-frame]');"
        " return v.paused && o !== null && c !== null"
        " && c.textContent.trim().split(/\\s+/).pop() === o.dataset.frame; }")
    shown = page.get_by_test_id("current-frame").inner_text().split()[-1]
    expect(overlay).to_have_attribute("data-frame", shown)

    # turned off: gone
    page.get_by_label("Show the skeleton on the video").uncheck()
    expect(overlay).to_have_count(0)
    page.screenshot(path=shots / "21-limb-lanes.png", full_page=True)
    page.context.close()
