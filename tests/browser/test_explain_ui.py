"""The explanation on the labelling screen, in headless Chromium against a real server: a data
scientist imports ``explanation.json`` of a recording; the clinician sees the lane of
per-window attribution under the timeline, turns the saliency on, and finds the explained
window's heat drawn over the video where its grid is hot (pixels read back from the canvas),
nothing outside explained windows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect
from tests.browser.conftest import log_in

VIEWPORT = {"width": 1400, "height": 950}
LONG_MS = 60_000
N_FRAMES, FPS, W, H = 100, 25, 64, 48  # the browser fixtures' tiny video


def _explanation() -> dict[str, Any]:
    """Four 1 s windows; window 2 (frames 50-74) explained: hot in the top-left cell of a
    2 x 2 grid over the box (0, 0)-(32, 24), its mass in frames 60-64."""
    windows = []
    for i in range(4):
        w: dict[str, Any] = {"index": i, "start_frame": 25 * i, "stop_frame": 25 * (i + 1),
                             "t_start": i * 1.0, "t_stop": i + 1.0, "probs": [0.4, 0.6],
                             "contribution": [-0.02, 0.01, 0.08, -0.01][i],
                             "explained": i == 2}
        if i == 2:
            mass = [0.0] * 25
            for f in range(10, 15):
                mass[f] = 0.2
            w |= {"method": "occlusion", "frame_mass": mass,
                  "heat": {"box": [0, 0, 32, 24], "grid": [[1.0, 0.0], [0.0, 0.0]]}}
        windows.append(w)
    return {"format": "ictal-explanation/1", "recording": "seizure_06", "fps": str(FPS),
            "model": {"name": "fast"}, "labels": ["FLE", "TLE"],
            "decision": {"label": "TLE", "probs": [0.4, 0.6]}, "target": 1,
            "method": "occlusion", "windows": windows}


def _show_frame(page: Page, frame: int) -> None:
    page.evaluate(f"document.querySelector('video').currentTime = {(frame + 0.5) / FPS}")
    expect(page.get_by_test_id("current-frame")).to_have_text(f"frame {frame}")


def _painted(page: Page, x: float, y: float) -> bool:
    """Whether the saliency canvas has paint at pixel (x, y) of the video frame."""
    return bool(page.evaluate("""([x, y, w, h]) => {
        const c = document.querySelector('[data-testid=saliency-overlay]');
        const v = document.querySelector('video');
        const r = window.devicePixelRatio || 1;
        const s = Math.min(v.clientWidth / w, v.clientHeight / h);
        const ox = (v.clientWidth - w * s) / 2, oy = (v.clientHeight - h * s) / 2;
        const px = Math.round((ox + x * s) * r), py = Math.round((oy + y * s) * r);
        return c.getContext('2d').getImageData(px, py, 1, 1).data[3] > 0;
    }""", [x, y, W, H]))


def test_saliency_overlay_and_attribution_lane(
    live_server: Any, browser: Browser, shots: Path,
    tiny_video: Callable[[Path], None], preview_ready: Callable[[Any, int], None],
) -> None:
    tiny_video(live_server.storage / "bed6" / "seizure_06.mp4")
    alice_api = live_server.login("alice")
    patient = alice_api.post("/api/patients", json={}).json()
    rec = alice_api.post("/api/recordings", json={
        "patient_id": patient["id"], "path": "bed6/seizure_06.mp4"}).json()
    preview_ready(alice_api, rec["id"])
    r = live_server.login("carol").post(f"/api/recordings/{rec['id']}/explanation",
                                        json=_explanation())
    assert r.status_code == 201, r.text

    page = browser.new_context(viewport=VIEWPORT).new_page()
    log_in(page, live_server, "alice", timeout_ms=LONG_MS)
    page.goto(f"{live_server.url}/#/recordings/{rec['id']}")
    page.wait_for_function("document.querySelector('video')?.readyState >= 2", timeout=LONG_MS)

    # the lane: one bar per window, window 2 raised the decision most and is outlined
    lane = page.get_by_test_id("attribution-lane")
    bars = lane.locator("rect.attribution-bar")
    expect(bars).to_have_count(4)
    assert bars.nth(2).get_attribute("data-explained") == "1"
    assert bars.nth(2).get_attribute("fill") == "#e6550d"  # raised: orange
    assert bars.nth(0).get_attribute("fill") == "#6baed6"  # lowered: blue
    heights = [float(bars.nth(i).get_attribute("height") or 0) for i in range(4)]
    assert heights.index(max(heights)) == 2

    # the saliency: off until turned on
    overlay = page.get_by_test_id("saliency-overlay")
    expect(overlay).to_have_count(0)
    page.get_by_label("Show the saliency on the video").check()
    _show_frame(page, 62)  # inside window 2, where its mass is
    expect(overlay).to_have_attribute("data-frame", "62")
    expect(overlay).to_have_attribute("data-window", "2")
    expect(overlay).to_have_attribute("data-cells", "1")
    assert _painted(page, 8, 6) and not _painted(page, 56, 40)
    page.screenshot(path=shots / "30-saliency-frame-62.png", full_page=True)

    # an unexplained window: nothing drawn
    _show_frame(page, 10)
    expect(overlay).to_have_attribute("data-frame", "10")
    expect(overlay).to_have_attribute("data-cells", "0")
    assert not _painted(page, 8, 6)

    # clicking a bar of the lane seeks into that window
    bars.nth(2).click()  # scrolled into view, clicked in its middle
    expect(overlay).to_have_attribute("data-window", "2")
    frame = int(overlay.get_attribute("data-frame") or -1)
    assert 50 <= frame < 75, frame

    page.get_by_label("Show the saliency on the video").uncheck()
    expect(overlay).to_have_count(0)
    page.context.close()
