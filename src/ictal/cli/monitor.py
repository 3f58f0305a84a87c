"""``ictal monitor``: follow beds live with a model bundle; measure detection on whole nights."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from ictal.cli.options import out_folder
from ictal.errors import ConfigError

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Live bedside monitoring: a class probability per bed every 2 s, alarms, "
             "metrics; detection measured on whole nights.", no_args_is_help=True)
    group.command("run")(run)
    group.command("report")(report)
    group.command("nights")(nights)
    group.command("select-rule")(select_rule)
    app.add_typer(group, name="monitor")


def _beds(specs: list[str]) -> list[tuple[str, str]]:
    out = []
    for n, spec in enumerate(specs):
        name, sep, source = spec.partition("=")
        if not sep or "://" in name or "/" in name:
            name, source = f"bed{n + 1}", spec
        out.append((name, source))
    return out


def run(
    bed: list[str] = typer.Option(
        ..., "--bed", metavar="NAME=SOURCE",
        help="A bed to follow (repeatable): a video file (replayed), a recorder's segment "
             "folder, an rtsp:// / http:// stream, or v4l2:/dev/videoN. NAME= is optional."),
    model: Path = typer.Option(..., "--model", help="Bundle directory (ictal train --final)."),
    out: Path = out_folder(Path("monitor"), "--out", "-o",
                           help="Journal folder (one sub-folder per bed); a second run "
                                "resumes it."),
    speed: float = typer.Option(1.0, min=0, help="Replay speed of video files and segment "
                                                 "folders (1: real time, 0: as fast as "
                                                 "possible)."),
    stride: float | None = typer.Option(None, min=0.04, help="Seconds between windows "
                                                             "(default: the window, 2 s)."),
    alarm: str = typer.Option("k-of-n:2/3@0.5", help="Alarm rule: k-of-n:K/N@THRESHOLD or "
                                                      "evidence:THRESHOLD@BASELINE, optionally /N "
                                                      "quiet windows."),
    background: list[str] = typer.Option(["NE"], help="Labels that are not seizures "
                                                      "(repeatable)."),
    workers: int = typer.Option(1, min=1, help="Compute threads shared by the beds."),
    max_pending: int = typer.Option(3, min=1, help="Windows a bed may wait for compute "
                                                   "before the oldest is dropped."),
    http: str | None = typer.Option(None, metavar="HOST:PORT",
                                    help="Serve /metrics, /beds and /events (SSE) here."),
    duration: float | None = typer.Option(None, min=0, help="Stop after this many seconds."),
    fps: str | None = typer.Option(None, help="Frame rate of streams that state none."),
    end_after: float | None = typer.Option(
        None, min=0, help="A segment folder ends when no new frame came for this long (s)."),
    weights: Path | None = typer.Option(None, help="Backbone checkpoint file."),
    precision: str | None = typer.Option(
        None, help="Backbone arithmetic: fp32 or bf16 (i3d on a CPU with bfloat16 kernels, "
                   "faster; see the README for its fidelity). Default: the precision the "
                   "bundle's features were extracted with. Recorded in OUT/<bed>/bed.json."),
    adapt: str | None = typer.Option(
        None, metavar="bar[:MARGIN[/MAX]]",
        help="Per-bed adaptation (off by default): each bed moves its alarm bar from the "
             "answers to its alarms in OUT/<bed>/acks.jsonl -- above a rejected alarm's "
             "windows, back below a confirmed one's (defaults bar:0.02/0.95)."),
) -> None:
    """Follow beds in real time: per window the class probabilities (or why the bed could
    not be assessed), alarms raised and cleared, all journaled in OUT/<bed>/ (JSON lines).

    Stop with Ctrl-C (or SIGTERM): windows already waiting are finished and journaled; a
    second run with the same OUT resumes every bed after its last window.
    """
    from ictal.models.bundle import load_bundle
    from ictal.models.compat import prediction_config
    from ictal.models.labels import seizure_columns
    from ictal.models.predict import load_bundle_backbone
    from ictal.monitor.adapt import AdaptConfig
    from ictal.monitor.alarms import AlarmConfig
    from ictal.monitor.service import Monitor, MonitorSettings
    from ictal.monitor.sources import open_source

    console = Console(stderr=True, soft_wrap=True)
    rule = AlarmConfig.parse(alarm, background)
    adaptation = None if adapt is None else AdaptConfig.parse(adapt)
    bundle = load_bundle(model)
    seizure_columns(bundle.labels, rule.background)  # refused before the backbone loads
    config, _ = prediction_config(bundle.meta, name=f"the bundle {model}")
    extractor = load_bundle_backbone(bundle, weights=weights, precision=precision)
    settings = MonitorSettings(out=out, stride_s=stride, alarm=rule, workers=workers,
                               max_pending=max_pending, adapt=adaptation)
    mon = Monitor(bundle, extractor, config, settings)
    for name, spec in _beds(bed):
        src = open_source(spec, speed=speed, fps=fps, end_after_s=end_after)
        mon.add_bed(name, src)
        console.print(f"bed {name}: {spec} ({src.fps} fps)", markup=False)
    server = None
    if http:
        from ictal.monitor.http import MonitorServer

        host, _, port = http.rpartition(":")
        try:
            port_n = int(port)
        except ValueError as err:
            raise ConfigError(f"--http {http}: not HOST:PORT", hint="e.g. 127.0.0.1:9108"
                              ) from err
        server = MonitorServer(mon, host or "127.0.0.1", port_n)
        server.start()
        console.print(f"serving {server.url}/metrics, /beds, /events", markup=False)
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, on_signal)
    mon.start()
    console.print(f"following {len(mon.beds)} bed(s) (backbone warmed up in {mon.warm_s:.1f} s)",
                  markup=False)
    deadline = None if duration is None else time.monotonic() + duration
    try:
        while not stop.is_set():
            if mon.wait(0.2):
                break
            if deadline is not None and time.monotonic() > deadline:
                break
    finally:
        mon.stop()
        if server is not None:
            server.close()
        mon.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    for name, b in mon.beds.items():
        m = b.metrics
        console.print(f"bed {name}: {m.frames_in} frames, {m.windows_scored} windows scored, "
                      f"{m.windows_not_assessable} not assessable "
                      f"({m.not_assessable_share or 0.0:.1%} of the time), "
                      f"{m.windows_dropped} dropped, {m.frames_missing} frames missing, "
                      f"{m.reconnects} feed losses, {m.alarms_raised} alarms; latency mean "
                      f"{m.latency_mean:.3f} s, max {m.latency_max:.3f} s", markup=False)


def report(
    nights_dir: Path = typer.Argument(..., help="Phantom nights folder (ictal monitor nights) "
                                                "or any folder of nights with night.json."),
    journal: Path = typer.Option(..., "--journal", help="The monitor's OUT folder (one bed "
                                                        "per night, named after it)."),
    out: Path = out_folder(Path("detection"), "--out", "-o", help="Report folder."),
    within: float = typer.Option(10.0, help="Also report the share detected within this "
                                            "many seconds of onset."),
    alarm: str | None = typer.Option(
        None, help="Replay the journal's windows with this alarm rule instead of reading its "
                   "alarms (k-of-n:K/N@THRESHOLD or evidence:THRESHOLD@BASELINE)."),
    adapt: str | None = typer.Option(
        None, metavar="bar[:MARGIN[/MAX]]",
        help="Replay with per-bed adaptation, a simulated clinician answering each alarm "
             "from the ground truth --review-delay s after it (confirmed in a seizure, "
             "rejected outside it and its post-ictal minute)."),
    review_delay: float = typer.Option(120.0, min=0, help="Seconds from an alarm to its "
                                                          "simulated answer (--adapt)."),
    background: list[str] = typer.Option(["NE"], help="Labels that are not seizures "
                                                      "(with --alarm)."),
) -> None:
    """Detection as the field reports it: per seizure type sensitivity (95 % Wilson),
    latency from clinical onset (median, IQR), false detections per hour (95 % Poisson) over
    the non-seizure hours, not-assessable share, and a probability timeline per night."""
    from ictal.monitor.adapt import AdaptConfig
    from ictal.monitor.alarms import AlarmConfig
    from ictal.monitor.detection import detection_report, write_report

    rep = detection_report(
        nights_dir, journal, within_s=within,
        rule=None if alarm is None else AlarmConfig.parse(alarm, background),
        adapt=None if adapt is None else AdaptConfig.parse(adapt), review_s=review_delay)
    paths = write_report(rep, out)
    Console().print(json.dumps(rep["summary"], indent=2), markup=False)
    Console().print(f"wrote {', '.join(str(p) for p in paths)}", markup=False)


def nights(
    out: Path = typer.Argument(..., help="Folder to write the nights into."),
    n_nights: int = typer.Option(3, "--nights", min=1, help="Nights (one patient each)."),
    hours: float = typer.Option(0.75, min=0.01, help="Length of each night (h)."),
    seizures: int = typer.Option(2, min=0, help="Seizures per night."),
    seed: int = typer.Option(0, min=0, help="Seed."),
    scale: float = typer.Option(0.25, help="Frame scale of the Kinect picture (reduced cost)."),
    fps: int = typer.Option(15, min=1, help="Frame rate (reduced cost)."),
    workers: int = typer.Option(2, min=1, help="Rendering processes."),
) -> None:
    """Render phantom nights: hours of bed life (sleep, turning over, sitting up,
    scratching, eating, a visitor, staff care) with seizures of every phantom type at random
    times, as a recorder's segment folder per night (resumable)."""
    from ictal.phantom.nights import NightsConfig, render_nights

    cfg = NightsConfig(n_nights=n_nights, hours=hours, seizures=seizures, seed=seed,
                       scale=scale, fps=fps)
    res = render_nights(cfg, out, workers=workers)
    Console().print(f"{len(res)} nights in {out}; as a training manifest (bed life as NE "
                    f"events): {out / 'manifest.yaml'}", markup=False)


def select_rule(
    nights_dir: Path = typer.Argument(..., help="Validation nights (ictal monitor nights of "
                                                "patients neither trained on nor evaluated)."),
    journal: Path = typer.Option(..., "--journal", help="The monitor's OUT folder over those "
                                                        "nights (any alarm rule)."),
    out: Path = out_folder(Path("selection"), "--out", "-o", help="Folder for selection.json "
                                                                  "and selection.md."),
    rule: list[str] = typer.Option([], "--rule", help="A rule to compare (repeatable; "
                                                      "default: the built-in grid)."),
    min_within: float = typer.Option(0.9, min=0, max=1, help="Share of the seizures a rule "
                                                             "must detect within --within s."),
    within: float = typer.Option(10.0, help="Seconds from onset that count as early."),
    background: list[str] = typer.Option(["NE"], help="Labels that are not seizures."),
) -> None:
    """Choose the alarm rule on validation nights: among the rules detecting at least
    --min-within of the seizures within --within s, the fewest false detections (then the
    most early detections, the shortest median latency); never choose on evaluation nights."""
    from ictal.monitor.selection import DEFAULT_GRID, write_selection
    from ictal.monitor.selection import select_rule as choose

    sel = choose(nights_dir, journal, rules=tuple(rule) or DEFAULT_GRID, min_within=min_within,
                 within_s=within, background=tuple(background))
    paths = write_selection(sel, out)
    Console().print((out / "selection.md").read_text(), markup=False)
    Console().print(f"chosen: {sel['chosen']}; wrote {', '.join(map(str, paths))}",
                    markup=False)
