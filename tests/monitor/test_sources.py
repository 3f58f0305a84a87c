"""Sources against real counterparts: files, a recorder process writing segments, an HTTP
stream server on 127.0.0.1 that cuts the connection."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av
import numpy as np
import pytest
from tests.monitor.conftest import FPS, pattern, scene, write_scene

from ictal.errors import ConfigError
from ictal.io import open_video
from ictal.monitor.sources import (
    FileSource,
    Frame,
    SegmentFolderSource,
    SourceNote,
    StreamSource,
    open_source,
)


def _split(items: list[Frame | SourceNote]) -> tuple[list[Frame], list[SourceNote]]:
    return ([i for i in items if isinstance(i, Frame)],
            [i for i in items if isinstance(i, SourceNote)])


def test_a_file_replays_the_readers_frames_and_resumes(tmp_path: Path) -> None:
    video = write_scene(tmp_path / "v.mkv", pattern([(4.0, True)]))
    frames, notes = _split(list(FileSource(video, speed=0).items()))
    with open_video(video) as reader:
        ref = reader.read(0, 40)
    assert [f.index for f in frames] == list(range(40))
    assert all(np.array_equal(f.pixels, r) for f, r in zip(frames, ref, strict=True))
    assert [n.kind for n in notes] == ["connected", "ended"] and notes[-1].final
    frames, _ = _split(list(FileSource(video, speed=0).items(25)))
    assert [f.index for f in frames] == list(range(25, 40))
    _, notes = _split(list(FileSource(video, speed=0).items(40)))
    assert [n.kind for n in notes] == ["ended"]


def test_a_file_is_paced_at_its_frame_rate(tmp_path: Path) -> None:
    # the pacing itself (frame k handed over (k + 1) / fps after the start) is what a live
    # bed sees; checked on the order of hand-over, not on wall-clock figures
    video = write_scene(tmp_path / "v.mkv", pattern([(1.0, False)]))
    frames, _ = _split(list(FileSource(video, speed=4).items()))
    arrivals = [f.arrived for f in frames]
    assert arrivals == sorted(arrivals) and len(frames) == 10


def test_bad_specs_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such video file"):
        open_source(str(tmp_path / "missing.mkv"))
    with pytest.raises(ConfigError, match="negative"):
        FileSource(write_scene(tmp_path / "v.mkv", pattern([(1.0, False)])), speed=-1)
    with pytest.raises(ConfigError, match="back-off"):
        StreamSource("http://127.0.0.1:9/x", backoff=(0, 1))
    assert isinstance(open_source(str(tmp_path / "segments")), SegmentFolderSource)
    assert isinstance(open_source("rtsp://127.0.0.1:8554/bed"), StreamSource)


RECORDER = r'''
import sys, time
import av
import numpy as np
folder, n_seg, per_seg = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
k = 0
for s in range(n_seg):
    out = av.open(f"{folder}/seg-{s:05d}.mkv", "w")
    st = out.add_stream("ffv1", rate=10)
    st.width, st.height, st.pix_fmt = 96, 72, "gray"
    for i in range(per_seg):
        img = np.full((72, 96), k % 251, np.uint8)
        img[k % 72] = 255
        f = av.VideoFrame.from_ndarray(img, format="gray")
        f.pts = i
        for p in st.encode(f):
            out.mux(p)
        k += 1
        time.sleep(0.02)
    for p in st.encode():
        out.mux(p)
    out.close()
'''


def _expected(k: int) -> np.ndarray:
    img = np.full((72, 96), k % 251, np.uint8)
    img[k % 72] = 255
    return img


def test_a_segment_folder_is_followed_while_a_recorder_writes_it(tmp_path: Path) -> None:
    folder = tmp_path / "bed"
    folder.mkdir()
    script = tmp_path / "recorder.py"
    script.write_text(RECORDER)
    recorder = subprocess.Popen([sys.executable, str(script), str(folder), "3", "25"])
    try:
        src = SegmentFolderSource(folder, fps=FPS, settle_s=1.0, end_after_s=4.0, poll_s=0.1)
        frames, notes = _split(list(src.items()))
    finally:
        recorder.wait(60)
    assert recorder.returncode == 0
    assert [f.index for f in frames] == list(range(75))
    assert all(np.array_equal(f.pixels, _expected(f.index)) for f in frames)
    assert [n.kind for n in notes].count("segment") == 3
    assert notes[-1].kind == "ended" and notes[-1].final
    # a restart resumes at frame 30 (the second segment's sixth frame)
    frames, _ = _split(list(SegmentFolderSource(folder, settle_s=0.0, end_after_s=0.5,
                                                poll_s=0.1).items(30)))
    assert [f.index for f in frames] == list(range(30, 75))


def _mpegts(path: Path, seconds: float) -> Path:
    """An MPEG-2 video in MPEG-TS of the scene (as an IP camera streams it)."""
    frames = scene(pattern([(seconds, True)]))
    with av.open(str(path), "w", format="mpegts") as out:
        st = out.add_stream("mpeg2video", rate=int(FPS))
        st.width, st.height, st.pix_fmt = 96, 72, "yuv420p"
        st.options = {"g": "5", "qscale": "3"}
        for i, img in enumerate(frames):
            f = av.VideoFrame.from_ndarray(np.repeat(img[:, :, None], 3, axis=2),
                                           format="rgb24")
            f.pts = i
            for p in st.encode(f):
                out.mux(p)
        for p in st.encode():
            out.mux(p)
    return path


class _Streamer:
    """An HTTP server on 127.0.0.1 streaming a TS file at its real rate; the first
    connection is cut after ``cut`` of the bytes."""

    def __init__(self, data: bytes, seconds: float, cut: float) -> None:
        self.data, self.seconds, self.cut = data, seconds, cut
        self.connections = 0
        streamer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                streamer.connections += 1
                first = streamer.connections == 1
                self.send_response(200)
                self.send_header("Content-Type", "video/mp2t")
                self.end_headers()
                data = streamer.data
                end = int(len(data) * streamer.cut) if first else len(data)
                step = 188 * 8
                pause = streamer.seconds / (len(data) / step)
                try:
                    for pos in range(0, end, step):
                        self.wfile.write(data[pos:min(pos + step, end)])
                        self.wfile.flush()
                        time.sleep(pause)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/bed.ts"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _until_second_loss(src: StreamSource) -> Iterator[Frame | SourceNote]:
    lost = 0
    for item in src.items():
        yield item
        if isinstance(item, SourceNote) and item.kind == "lost":
            lost += 1
            if lost == 2:
                src.stop()


def test_an_http_stream_cut_is_reconnected_and_its_gap_recorded(tmp_path: Path) -> None:
    data = _mpegts(tmp_path / "bed.ts", 3.0).read_bytes()
    server = _Streamer(data, seconds=3.0, cut=0.5)
    try:
        src = StreamSource(server.url, backoff=(1.0, 4.0), timeout_s=3.0)
        assert src.fps == FPS
        frames, notes = _split(list(_until_second_loss(src)))
    finally:
        server.close()
    kinds = [n.kind for n in notes]
    assert kinds[:2] == ["connected", "lost"] and kinds.count("connected") >= 2
    assert kinds[-1] == "ended"
    indices = [f.index for f in frames]
    assert indices == sorted(set(indices))  # never back, never twice
    assert len(frames) >= 30 + 5  # the whole second connection and part of the first
    # the reconnection waited 1 s: the frames of that second are a recorded gap
    gaps = [n for n in notes if n.kind == "gap"]
    assert gaps and sum(g.missing for g in gaps) == indices[-1] + 1 - len(frames)
    assert src.reconnects == 2 and frames[0].pixels.shape == (72, 96, 3)


PUBLISHER = r'''
import sys, time
import av
import numpy as np
sys.path.insert(0, sys.argv[2])
from tests.monitor.conftest import pattern, scene
out = av.open(sys.argv[1], "w", format="rtsp", options={"rtsp_transport": "tcp"})
st = out.add_stream("mjpeg", rate=10)
st.width, st.height, st.pix_fmt = 96, 72, "yuvj420p"
for i, img in enumerate(scene(pattern([(float(sys.argv[3]), True)]))):
    f = av.VideoFrame.from_ndarray(np.repeat(img[:, :, None], 3, 2), format="rgb24")
    f.pts = i
    for p in st.encode(f):
        out.mux(p)
    time.sleep(0.1)
for p in st.encode():
    out.mux(p)
out.close()
'''


def test_an_rtsp_stream_cut_is_reconnected_and_its_gap_recorded(tmp_path: Path) -> None:
    from tests.monitor.rtsp_relay import RtspRelay

    # connection 1 is the frame-rate probe; the monitor's connection 2 is cut after 20 packets
    relay = RtspRelay(cut_after=20, cut_connection=2)
    repo = str(Path(__file__).resolve().parents[2])
    camera = subprocess.Popen([sys.executable, "-c", PUBLISHER, relay.url, repo, "8"])
    try:
        src = StreamSource(relay.url, options={"rtsp_transport": "tcp"}, backoff=(0.5, 1.0),
                           timeout_s=3.0)
        assert src.fps == FPS
        items: list[Frame | SourceNote] = []
        for item in src.items():
            items.append(item)
            if isinstance(item, SourceNote) and item.kind == "lost" and camera.poll() is not None:
                src.stop()
        assert camera.wait(30) == 0
    finally:
        relay.close()
        if camera.poll() is None:
            camera.kill()
    frames, notes = _split(items)
    kinds = [n.kind for n in notes]
    assert kinds[:3] == ["connected", "lost", "connected"], kinds
    indices = [f.index for f in frames]
    assert indices == sorted(set(indices)) and len(frames) >= 25
    gaps = [n for n in notes if n.kind == "gap"]
    assert gaps and sum(g.missing for g in gaps) == indices[-1] - indices[0] + 1 - len(frames)
    assert frames[0].pixels.shape == (72, 96, 3)
