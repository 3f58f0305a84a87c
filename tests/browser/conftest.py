"""Fixtures of the browser tests: a real ``ictal serve`` on a free port with a temporary data
directory, two clinicians, a tiny real video in server storage, and headless Chromium.

The tests skip, naming the reason, when Debian's Chromium or the built front-end is missing —
unless the environment variable ``CI`` is set: then they fail, so CI cannot pass silently.
Set ``ICTAL_BROWSER_SCREENSHOTS=DIR`` to keep a screenshot of every screen in ``DIR``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
STATIC_INDEX = REPO / "src" / "ictal" / "server" / "static" / "index.html"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
PASSWORD = "correct horse battery staple"
USERS = {"alice": "clinician", "bob": "clinician", "carol": "data_scientist"}
FPS = 25
N_FRAMES = 100  # 4 s
VIDEO_SIZE = (48, 64)  # (H, W)
VIDEO_PATH = "bed1/seizure_01.mp4"  # relative to the storage root
PREVIEW_WAIT_S = 60.0


@dataclass(frozen=True)
class LiveServer:
    """A running server; the test users' password and the tiny video's rate travel with it."""

    url: str
    data_dir: Path
    storage: Path
    password: str = PASSWORD
    fps: int = FPS

    def login(self, username: str) -> httpx.Client:
        """An httpx client logged in as ``username`` with the CSRF header set."""
        client = httpx.Client(base_url=self.url, timeout=30)
        r = client.post("/api/auth/login", json={"username": username, "password": self.password})
        r.raise_for_status()
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return client


def log_in(page: Any, server: LiveServer, username: str, *,
           timeout_ms: float | None = None) -> None:
    """Log ``username`` in through the login form of ``page`` and wait for the recordings list."""
    from playwright.sync_api import expect

    page.goto(server.url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Recordings")).to_be_visible(timeout=timeout_ms)


def until(get: Callable[[], Any], want: Callable[[Any], bool], what: str,
          seconds: float = 10.0) -> Any:
    """Poll ``get()`` every 0.1 s until ``want`` holds for its value; fail naming ``what``."""
    deadline = time.monotonic() + seconds
    while True:
        value = get()
        if want(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: last value {value!r}")
        time.sleep(0.1)


def skip_or_fail(reason: str) -> None:
    """Skip naming ``reason``; fail instead when ``CI`` is set (CI must run these tests)."""
    if os.environ.get("CI"):
        pytest.fail(f"CI is set, so the browser tests must run, but {reason}")
    pytest.skip(reason)


def write_tiny_video(path: Path, n_frames: int = N_FRAMES, fps: int = FPS,
                     size: tuple[int, int] = VIDEO_SIZE) -> None:
    """An H.264 MP4 (yuv420p) of ``n_frames`` ``(H, W, 3) uint8`` frames: a white square
    moving left to right over a grey background whose brightness encodes the frame index."""
    import av

    h, w = size
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for t in range(n_frames):
            frame = np.full((h, w, 3), 40 + (t * 2) % 180, dtype=np.uint8)
            x = int((w - 12) * t / max(1, n_frames - 1))
            frame[h // 2 - 6:h // 2 + 6, x:x + 12] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def wait_for_preview(client: httpx.Client, recording_id: int) -> None:
    """Poll the preview status until the transcode is done (fail when it fails)."""
    deadline = time.monotonic() + PREVIEW_WAIT_S
    while True:
        status = client.get(f"/api/recordings/{recording_id}/preview/status").json()
        if status["status"] == "done":
            return
        if status["status"] == "failed" or time.monotonic() > deadline:
            pytest.fail(f"preview of recording {recording_id} not ready: {status}")
        time.sleep(0.2)

SERVER_START_S = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ictal(*args: str) -> list[str]:
    return [sys.executable, "-m", "ictal", *args]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``ictal serve`` in a subprocess with users ``alice`` and ``bob`` (clinicians) and
    ``carol`` (data scientist) and one tiny video in its storage; stopped at the end of the
    session."""
    if not CHROMIUM.is_file():
        skip_or_fail(f"{CHROMIUM} not found (apt-get install chromium, or "
                     "scripts/install-system.sh)")
    if not STATIC_INDEX.is_file():
        skip_or_fail(f"the front-end is not built ({STATIC_INDEX} missing): run "
                     "scripts/build-frontend.sh")
    data_dir = tmp_path_factory.mktemp("ictal-data")
    storage = data_dir / "storage"
    write_tiny_video(storage / VIDEO_PATH)
    env = {**os.environ, "ICTAL_NEW_PASSWORD": PASSWORD}
    for user, role in USERS.items():
        subprocess.run(_ictal("server", "create-user", user, "--role", role,
                              "--data-dir", str(data_dir)),
                       check=True, env=env, capture_output=True, timeout=120)
    port = _free_port()
    log_path = data_dir / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            _ictal("serve", "--port", str(port), "--data-dir", str(data_dir)),
            stdout=log, stderr=subprocess.STDOUT, cwd=data_dir,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"ictal serve did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield LiveServer(url=url, data_dir=data_dir, storage=storage)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (never downloads a browser)."""
    if not CHROMIUM.is_file():
        skip_or_fail(f"{CHROMIUM} not found (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: ``$ICTAL_BROWSER_SCREENSHOTS`` when set, else the test's tmp dir."""
    target = os.environ.get("ICTAL_BROWSER_SCREENSHOTS")
    directory = Path(target) if target else tmp_path / "screens"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def preview_ready() -> Callable[[httpx.Client, int], None]:
    """``wait(client, recording_id)``: block until the recording's preview is transcoded."""
    return wait_for_preview


@pytest.fixture
def tiny_video() -> Callable[[Path], None]:
    """``write(path)``: write the tiny H.264 test video at ``path``."""
    return write_tiny_video
