"""Benchmark of the ictal server: annotation API latency under load, and seek time in a preview.

1. Annotation API: ``--clients`` (50) concurrent clinicians (httpx async, each logged in with
   its own session, each labelling its own event) create, list, update (and, past 30 per
   event, delete) MOIs for ``--seconds`` (30) against a uvicorn subprocess on 127.0.0.1, with a
   pause of ``--think-ms`` (500 ms on average, uniform 0.5-1.5 x) before each action, as a
   person at the annotation screen; then the same back to back for ``--saturate-seconds``
   (10; a throughput figure: with 50 clients that never pause, latency is queueing).
   Prints p50 / p95 per operation and the CPU time per request of the server, of this load
   generator (same machine) and of PostgreSQL; any error (non-2xx) fails the run.
   Targets: p95 < 100 ms on SQLite and on PostgreSQL (``--database-url``).
2. Seek: a ``--preview-minutes`` (30) low-resolution H.264 preview (keyframe every 30 frames)
   is written, then a "player" reads it only through HTTP Range requests to the preview route
   (PyAV on a file-like object whose reads become Range requests) and, for random times,
   seeks and decodes the frame shown at that time. Prints the time to first frame. Target < 1 s.

Loopback only, bounded loops. Numbers on a shared machine are noisy: the CPU time per request
is the steadier figure.

    .venv/bin/python benchmarks/bench_api.py [--seconds 30] [--clients 50] [--think-ms 500]
        [--saturate-seconds 10] [--database-url postgresql+psycopg://...]
        [--loop auto|asyncio|uvloop] [--http auto|h11|httptools]
        [--preview-minutes 30] [--seeks 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from fractions import Fraction
from pathlib import Path

import httpx
import numpy as np

PASSWORD = "bench password 123"
MAX_MOIS = 30


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_long_preview(path: Path, minutes: float, fps: int = 30) -> int:
    """A ``minutes``-long 64x48 H.264 preview, g=30, faststart; returns the frame count."""
    from ictal.io.writers import H264Writer

    n = int(minutes * 60 * fps)
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, size=(30, 48, 64), dtype=np.uint8)
    with H264Writer(path, fps, 64, 48, gop=30, preset="ultrafast", crf=30) as writer:
        for i in range(n):
            frame = base[i % 30].copy()
            frame[:4, : (i // fps) % 64] = 255  # a moving bar: the second being shown
            writer.write(frame)
    return n


def prepare(data_dir: Path, storage: Path, url: str, minutes: float,
            n_events: int) -> dict[str, object]:
    """Migrate, add a clinic + user + patient + the long recording (preview already done)."""
    from ictal.server import schemas
    from ictal.server.db import Database
    from ictal.server.enums import PreviewStatus, Role
    from ictal.server.media import probe_video
    from ictal.server.migrate import upgrade_head
    from ictal.server.repositories import clinics, events, patients, recordings, users
    from ictal.server.security import make_hasher

    storage.mkdir(parents=True, exist_ok=True)
    raw = storage / "long.mp4"
    t = time.perf_counter()
    n = write_long_preview(raw, minutes)
    gen_s = time.perf_counter() - t
    preview_rel = f"bench/{uuid.uuid4().hex[:8]}.mp4"
    preview = data_dir / "previews" / preview_rel
    preview.parent.mkdir(parents=True, exist_ok=True)
    os.link(raw, preview)
    upgrade_head(url)
    database = Database.from_url(url)
    info = probe_video(raw)
    tag = uuid.uuid4().hex[:6]
    with database.writes() as db:
        clinic = clinics.get_or_create_clinic(db, f"bench-{tag}")
        user = users.create_user(db, None, schemas.UserCreate(
            username=f"bench_{tag}", password=PASSWORD, role=Role.CLINICIAN,
            clinic_ids=[clinic.id]), make_hasher().hash(PASSWORD), allowed_clinics=None)
        patient = patients.create_patient(db, user, clinic.id, schemas.PatientCreate())
        rec = recordings.create_recording(
            db, user, patient, kind="rgb", path=raw.resolve(), size_bytes=raw.stat().st_size,
            fps=info.fps, width=info.width, height=info.height, n_frames=info.n_frames,
            pix_fmt=info.pix_fmt, window=None)
        recordings.set_preview_state(db, rec.id, status=PreviewStatus.DONE, progress=100.0,
                                     preview_path=preview_rel)
        duration = float(Fraction(info.n_frames) / info.fps)
        made = [events.create_event(db, user, rec, schemas.EventCreate(
            t0=0.0, t1=duration, label="FLE")) for _ in range(n_events)]
        db.commit()
        out = {"username": user.username, "recording": rec.id,
               "events": [e.id for e in made], "duration": duration, "frames": n,
               "gen_s": gen_s, "size": raw.stat().st_size}
    database.dispose()
    return out


def cpu_seconds(server_pid: int, *, postgres: bool) -> dict[str, float]:
    """CPU seconds (user + system) used so far by the server, by this client process and, for
    PostgreSQL, by each local ``postgres`` process (key ``postgres:PID``: the backends serving
    the server; compare two snapshots with :func:`cpu_used`)."""
    import psutil

    def used(proc: psutil.Process) -> float:
        t = proc.cpu_times()
        return t.user + t.system

    out = {"server": used(psutil.Process(server_pid)), "client": used(psutil.Process())}
    if postgres:
        for proc in psutil.process_iter(["name"]):
            if proc.info["name"] == "postgres":
                with contextlib.suppress(psutil.Error):
                    out[f"postgres:{proc.pid}"] = used(proc)
    return out


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds used between two :func:`cpu_seconds` snapshots; the ``postgres`` processes
    are summed (one started in between counts whole; one that ended in between is missed)."""
    out = {"server": after["server"] - before["server"],
           "client": after["client"] - before["client"]}
    pg = [t - before.get(k, 0.0) for k, t in after.items() if k.startswith("postgres:")]
    if pg:
        out["postgres"] = sum(pg)
    return out


async def login(client: httpx.AsyncClient, username: str) -> None:
    r = await client.post("/api/auth/login", json={"username": username, "password": PASSWORD},
                          timeout=300)
    r.raise_for_status()
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]


async def annotator(client: httpx.AsyncClient, event_id: int, duration: float, deadline: float,
                    lat: dict[str, list[float]], errors: list[str], seed: int,
                    think_s: float) -> None:
    """One clinician labelling one event: create / list / update MOIs (delete the oldest once
    the event holds ``MAX_MOIS``, so list answers stay the size of a real event's)."""
    rng = random.Random(seed)
    mine: list[dict] = []
    while time.perf_counter() < deadline:
        if think_s > 0:
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)
        roll = rng.random()
        if roll < 0.3 and len(mine) >= MAX_MOIS:
            op = "delete"
            moi = mine.pop(0)
            req = client.delete(f"/api/mois/{moi['id']}", params={"version": moi["version"]})
        elif roll < 0.3 or not mine:
            op = "create"
            start = rng.uniform(0, duration - 5)
            req = client.post(f"/api/events/{event_id}/mois", json={
                "region": rng.choice(["head", "left-hand", "trunk", "mouth"]),
                "term": rng.choice(["tonic", "clonic", "oral-automatism", "versive"]),
                "start": start, "end": start + rng.uniform(0.5, 4.5)})
        elif roll < 0.8:
            op = "list"
            req = client.get(f"/api/events/{event_id}/mois")
        else:
            op = "update"
            moi = rng.choice(mine)
            req = client.patch(f"/api/mois/{moi['id']}", json={
                "version": moi["version"], "end": min(duration, moi["end"] + 0.1)})
        t = time.perf_counter()
        try:
            r = await req
        except httpx.HTTPError as err:
            errors.append(f"{op}: {type(err).__name__}: {err}")
            continue
        lat[op].append(time.perf_counter() - t)
        if r.status_code >= 400:
            errors.append(f"{op}: HTTP {r.status_code} {r.text[:200]}")
            continue
        if op == "create":
            mine.append(r.json())
        elif op == "update":
            fresh = r.json()
            mine[[m["id"] for m in mine].index(fresh["id"])] = fresh


class RangeFile(io.RawIOBase):
    """A read-only, seekable file whose reads are HTTP Range requests (a browser's view)."""

    def __init__(self, client: httpx.Client, url: str, block: int = 64 * 1024) -> None:
        self.client, self.url, self.block = client, url, block
        head = client.get(url, headers={"Range": "bytes=0-0"})
        if head.status_code != 206:
            raise RuntimeError(f"no Range support: HTTP {head.status_code}")
        self.size = int(head.headers["content-range"].split("/")[1])
        self.pos = 0
        self.requests = 0
        self._cache: dict[int, bytes] = {}

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def tell(self) -> int:
        return self.pos

    def _block(self, index: int) -> bytes:
        if index not in self._cache:
            start = index * self.block
            stop = min(self.size, start + self.block) - 1
            r = self.client.get(self.url, headers={"Range": f"bytes={start}-{stop}"})
            if r.status_code != 206 or len(r.content) != stop - start + 1:
                raise RuntimeError(f"bad Range reply {r.status_code} for {start}-{stop}")
            self.requests += 1
            self._cache[index] = r.content
        return self._cache[index]

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.pos >= self.size:
            return 0
        index, offset = divmod(self.pos, self.block)
        data = self._block(index)[offset: offset + len(buffer)]
        buffer[: len(data)] = data
        self.pos += len(data)
        return len(data)


def measure_seeks(base: str, username: str, recording: int, duration: float, n: int,
                  seed: int) -> tuple[float, list[float], int]:
    """Open the preview over Range requests, then ``n`` random seek + decode-one-frame."""
    import av

    rng = random.Random(seed)
    with httpx.Client(base_url=base, timeout=30) as client:
        r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        r.raise_for_status()
        t = time.perf_counter()
        reader = RangeFile(client, f"/api/recordings/{recording}/preview")
        container = av.open(io.BufferedReader(reader, buffer_size=reader.block))
        stream = container.streams.video[0]
        open_s = time.perf_counter() - t
        times = []
        for _ in range(n):
            target = rng.uniform(0, duration - 1)
            reader._cache.clear()  # every seek lands on bytes not fetched yet
            t = time.perf_counter()
            container.seek(int(target / stream.time_base), stream=stream, backward=True)
            shown = None
            for frame in container.decode(stream):
                if frame.time is not None and frame.time + 1 / 30 > target:
                    shown = frame.to_ndarray(format="gray")
                    break
            times.append(time.perf_counter() - t)
            if shown is None:
                raise RuntimeError(f"no frame decoded at {target:.2f} s")
        requests = reader.requests
        container.close()
    return open_s, times, requests


async def run_load(base: str, server_pid: int, *, postgres: bool, username: str,
                   events: list[int], duration: float, seconds: float,
                   think_ms: float) -> tuple[float, dict[str, list[float]], list[str],
                                              dict[str, float]]:
    """Log ``len(events)`` clients in (not measured: argon2 is slow on purpose), then let each
    label its event for ``seconds``. Returns wall time, latencies per operation, errors and
    the CPU seconds used meanwhile by the server, this client and PostgreSQL."""
    lat: dict[str, list[float]] = {"create": [], "list": [], "update": [], "delete": []}
    errors: list[str] = []
    clients = [httpx.AsyncClient(base_url=base, timeout=30) for _ in events]
    try:
        await asyncio.gather(*(login(c, username) for c in clients))
        before = cpu_seconds(server_pid, postgres=postgres)
        t = time.perf_counter()
        await asyncio.gather(*(
            annotator(c, event_id, duration, t + seconds, lat, errors, seed=i,
                      think_s=think_ms / 1000)
            for i, (c, event_id) in enumerate(zip(clients, events, strict=True))))
        wall = time.perf_counter() - t
        after = cpu_seconds(server_pid, postgres=postgres)
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return wall, lat, errors, cpu_used(before, after)


def report_load(title: str, wall: float, lat: dict[str, list[float]], errors: list[str],
                cpu: dict[str, float], *, target: bool) -> None:
    total = sum(len(v) for v in lat.values())
    print(f"\n{title}: {total} requests in {wall:.1f} s ({total / wall:.0f} req/s), "
          f"errors: {len(errors)}")
    print("  CPU per request: " + ", ".join(
        f"{name} {1000 * used / max(total, 1):.2f} ms" for name, used in cpu.items()))
    for op, values in lat.items():
        print(f"  {op:7s} n={len(values):6d}  p50 {1000 * percentile(values, 50):7.1f} ms"
              f"  p95 {1000 * percentile(values, 95):7.1f} ms")
    every = [x for v in lat.values() for x in v]
    p95 = 1000 * percentile(every, 95)
    verdict = (f"   (target p95 < 100 ms: {'met' if p95 < 100 else 'NOT met'})" if target
               else "")
    print(f"  all     n={len(every):6d}  p50 {1000 * percentile(every, 50):7.1f} ms"
          f"  p95 {p95:7.1f} ms{verdict}")
    for e in errors[:10]:
        print(f"  error: {e}")


def server_stack(loop: str, http: str) -> tuple[str, str]:
    """The event loop and HTTP parser uvicorn's ``auto`` picks here (or the ones asked for)."""
    import importlib.util

    if loop == "auto":
        loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    if http == "auto":
        http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return loop, http


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--database-url", default=None,
                        help="postgresql+psycopg://... (default: SQLite in a temp dir)")
    parser.add_argument("--think-ms", type=float, default=500.0,
                        help="mean pause of a clinician between two actions (uniform in "
                             "[0.5, 1.5] x this); 0: back to back")
    parser.add_argument("--saturate-seconds", type=float, default=10.0,
                        help="then run the same clients back to back for this long (a "
                             "throughput figure; 0: skip)")
    parser.add_argument("--loop", default="auto", choices=["auto", "asyncio", "uvloop"],
                        help="uvicorn's event loop")
    parser.add_argument("--http", default="auto", choices=["auto", "h11", "httptools"],
                        help="uvicorn's HTTP parser")
    parser.add_argument("--preview-minutes", type=float, default=30.0)
    parser.add_argument("--seeks", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ictal-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        storage = Path(tmp) / "storage"
        data_dir.mkdir()
        url = args.database_url or f"sqlite:///{data_dir / 'ictal.db'}"
        loop, http = server_stack(args.loop, args.http)
        print(f"database: {url.split('://')[0]}; uvicorn, 1 process, event loop {loop}, "
              f"HTTP parser {http}, no access log; load generator: this process (httpx "
              f"async), on the same {os.cpu_count()} CPUs")
        print(f"workload: {args.clients} clinicians for {args.seconds:g} s, each labelling "
              f"its own event: pause {args.think_ms:g} ms on average (uniform 0.5-1.5 x), "
              f"then one request: 30% create an MOI, 50% list the event's MOIs, 20% update "
              f"one (delete the oldest past {MAX_MOIS})"
              + (f"; then back to back for {args.saturate_seconds:g} s"
                 if args.saturate_seconds > 0 else ""))
        info = prepare(data_dir, storage, url, args.preview_minutes, 2 * args.clients)
        print(f"preview: {args.preview_minutes:g} min, {info['frames']} frames 64x48, g=30, "
              f"{info['size'] / 1e6:.1f} MB, written in {info['gen_s']:.1f} s")
        port = free_port()
        env = os.environ | {"ICTAL_DATA_DIR": str(data_dir), "ICTAL_STORAGE_ROOT": str(storage),
                            "ICTAL_DATABASE_URL": url}
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "ictal.server.app:create_app",
             "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
             "--loop", loop, "--http", http,
             "--log-level", "warning", "--timeout-keep-alive", "75"], env=env)
        base = f"http://127.0.0.1:{port}"
        postgres = url.startswith("postgresql")
        events: list[int] = info["events"]  # type: ignore[assignment]
        errors: list[str] = []
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                print("server did not start")
                return 1
            phases = [("annotation API", args.seconds, args.think_ms, events[: args.clients])]
            if args.saturate_seconds > 0 and args.think_ms > 0:
                phases.append(("back to back (throughput; latency = queueing of "
                               f"{args.clients} clients)", args.saturate_seconds, 0.0,
                               events[args.clients:]))
            for title, seconds, think_ms, phase_events in phases:
                wall, lat, phase_errors, cpu = asyncio.run(run_load(
                    base, server.pid, postgres=postgres, username=str(info["username"]),
                    events=phase_events, duration=float(info["duration"]),  # type: ignore[arg-type]
                    seconds=seconds, think_ms=think_ms))
                report_load(title, wall, lat, phase_errors, cpu, target=think_ms > 0
                            or len(phases) == 1)
                errors += phase_errors

            open_s, seeks, requests = measure_seeks(
                base, str(info["username"]), int(info["recording"]), float(info["duration"]),
                args.seeks, seed=1)
            print(f"\nseek in the {args.preview_minutes:g}-min preview over HTTP Range: "
                  f"open {1000 * open_s:.0f} ms; time to first frame after a seek "
                  f"(n={len(seeks)}): median {1000 * statistics.median(seeks):.0f} ms, "
                  f"max {1000 * max(seeks):.0f} ms, {requests} Range requests "
                  f"(target < 1 s: {'met' if max(seeks) < 1 else 'NOT met'})")
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
