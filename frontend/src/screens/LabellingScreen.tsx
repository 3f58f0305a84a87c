/**
 * Labelling screen (seed 003 Fig. 2b): review the seizure video, mark onset / offset / tG of a
 * seizure event, label MOIs per body region with start and end times, and see a model run's
 * class probabilities on the same timeline.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { unwrap } from "../api/client";
import { ApiError } from "../api/errors";
import type { EventPublic, EventUpdate, ModelRunDetail, ModelRunPublic, MoiPublic, RecordingPublic, Vocabulary } from "../api/types";
import { type Conflict, ConflictDialog } from "../components/ConflictDialog";
import { HelpOverlay } from "../components/HelpOverlay";
import { MenuStrip } from "../components/MenuStrip";
import { type MoiDraft, MoiPanel } from "../components/MoiPanel";
import { classColour, type Prediction, Timeline } from "../components/Timeline";
import { useToast } from "../components/Toasts";
import { downloadJson } from "../lib/download";
import { followTime, type View, zoomView } from "../lib/lanes";
import { isEditableTarget, resolveShortcut, type ShortcutAction } from "../lib/shortcuts";
import { formatTime, frameAt, nextRate, PLAYBACK_RATES, parseFps, parseTime, snapToFrame, stepFrames, stepSeconds } from "../lib/time";
import { useApiErrors } from "../lib/useApiErrors";
import { canAnnotate, type ScreenProps } from "./common";

type Marker = "onset" | "offset" | "tg";
const MARKER_FIELD: Record<Marker, "t0" | "t1" | "tG"> = { onset: "t0", offset: "t1", tg: "tG" };
const MARKER_NAME: Record<Marker, string> = { onset: "Onset", offset: "Offset", tg: "tG" };
const DEFAULT_EVENT_LABEL = "seizure";
/** Suggested event classes (docs/api.md: the class label, e.g. FLE, TLE, NES). */
const EVENT_LABELS = ["FLE", "TLE", "NES", "focal", "FBTCS", DEFAULT_EVENT_LABEL];

interface LabellingScreenProps extends ScreenProps {
  recordingId: number;
}

export function LabellingScreen({ api, user, recordingId, onLogout, onSessionLost, navigate }: LabellingScreenProps) {
  const { notify } = useToast();
  const report = useApiErrors(onSessionLost);
  const annotator = canAnnotate(user);
  const path = { recording_id: recordingId };

  const [rec, setRec] = useState<RecordingPublic | null>(null);
  const [vocab, setVocab] = useState<Vocabulary | null>(null);
  const [events, setEvents] = useState<EventPublic[]>([]);
  const [mois, setMois] = useState<MoiPublic[]>([]);
  const [runs, setRuns] = useState<ModelRunPublic[]>([]);
  const [run, setRun] = useState<ModelRunDetail | null>(null);
  const [eventId, setEventId] = useState<number | null>(null);
  const [moiId, setMoiId] = useState<number | null>(null);
  const [draft, setDraft] = useState<MoiDraft | null>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [helpOpen, setHelpOpen] = useState(false);
  const [showEmptyLanes, setShowEmptyLanes] = useState(true);
  const [loadError, setLoadError] = useState("");

  const videoRef = useRef<HTMLVideoElement>(null);
  const [time, setTime] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [rate, setRate] = useState(1);
  const [view, setView] = useState<View>({ start: 0, end: 1 });

  const fps = useMemo(() => (rec ? parseFps(rec.fps) : 25), [rec]);
  const duration = rec?.duration ?? 0;
  const event = events.find((e) => e.id === eventId) ?? null;

  // --- loading -------------------------------------------------------------------------------
  const load = useCallback(async () => {
    try {
      const [r, v, evs, ms, rs] = await Promise.all([
        unwrap(api.GET("/api/recordings/{recording_id}", { params: { path } })),
        unwrap(api.GET("/api/vocabulary")),
        unwrap(api.GET("/api/recordings/{recording_id}/events", { params: { path } })),
        unwrap(api.GET("/api/recordings/{recording_id}/mois", { params: { path } })),
        unwrap(api.GET("/api/recordings/{recording_id}/model-runs", { params: { path } })),
      ]);
      setRec(r);
      setVocab(v);
      setEvents(evs);
      setMois(ms);
      setRuns(rs);
      setView({ start: 0, end: Math.max(r.duration, 0.1) });
      setEventId((id) => id ?? evs[0]?.id ?? null);
    } catch (err) {
      setLoadError(err instanceof Error ? err.message : String(err));
      report(err, "Loading the recording");
    }
    // `path` is rebuilt every render from recordingId, the real dependency.
  }, [api, recordingId, report]);

  useEffect(() => {
    void load();
  }, [load]);

  const chooseRun = async (runId: number | null) => {
    if (runId === null) {
      setRun(null);
      return;
    }
    try {
      const detail = await unwrap(api.GET("/api/model-runs/{run_id}", { params: { path: { run_id: runId } } }));
      setRun(detail);
      notify("info", `Showing predictions of ${detail.model_name}`);
    } catch (err) {
      report(err, "Loading the model run");
    }
  };

  // --- player ---------------------------------------------------------------------------------
  useEffect(() => {
    if (!playing) return undefined;
    let frame = 0;
    const tick = () => {
      const v = videoRef.current;
      if (v) setTime(v.currentTime);
      frame = requestAnimationFrame(tick);
    };
    frame = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(frame);
  }, [playing]);

  useEffect(() => {
    if (playing) setView((v) => followTime(v, time, duration));
  }, [playing, time, duration]);

  const seek = useCallback(
    (t: number) => {
      const v = videoRef.current;
      const clamped = Math.min(Math.max(0, t), duration);
      if (v) v.currentTime = clamped;
      setTime(clamped);
      setView((vw) => followTime(vw, clamped, duration));
    },
    [duration],
  );

  const togglePlay = () => {
    const v = videoRef.current;
    if (!v) return;
    if (v.paused) {
      v.play().catch((err: unknown) => report(err, "Playing the video"));
    } else {
      v.pause();
    }
  };

  const changeRate = (r: number) => {
    setRate(r);
    if (videoRef.current) videoRef.current.playbackRate = r;
  };

  const step = (frames: number) => {
    videoRef.current?.pause();
    seek(stepFrames(videoRef.current?.currentTime ?? time, frames, fps, duration));
  };

  const zoom = (factor: number, anchor = time) => setView((v) => zoomView(v, factor, anchor, Math.max(duration, 0.1)));

  // --- conflicts ------------------------------------------------------------------------------
  const conflictOr = (err: unknown, action: string, make: (current: Record<string, unknown>, message: string) => Conflict) => {
    if (err instanceof ApiError && err.isConflict && err.current) setConflict(make(err.current, err.message));
    else report(err, action);
  };

  // --- events and markers -----------------------------------------------------------------------
  const replaceEvent = (ev: EventPublic) => setEvents((all) => all.map((e) => (e.id === ev.id ? ev : e)).sort((a, b) => a.t0 - b.t0));

  const createEvent = async (t0: number, t1: number): Promise<EventPublic | null> => {
    try {
      const ev = await unwrap(
        api.POST("/api/recordings/{recording_id}/events", { params: { path }, body: { t0, t1, label: DEFAULT_EVENT_LABEL } }),
      );
      setEvents((all) => [...all, ev].sort((a, b) => a.t0 - b.t0));
      setEventId(ev.id);
      notify("success", `Seizure event created: ${formatTime(t0)} – ${formatTime(t1)}`);
      return ev;
    } catch (err) {
      report(err, "Creating the seizure event");
      return null;
    }
  };

  const patchEvent = async (ev: EventPublic, changes: Omit<EventUpdate, "version">, what: string) => {
    try {
      const saved = await unwrap(
        api.PATCH("/api/events/{event_id}", { params: { path: { event_id: ev.id } }, body: { ...changes, version: ev.version } }),
      );
      replaceEvent(saved);
      notify("success", what);
    } catch (err) {
      conflictOr(err, what, (current, message) => ({
        what: `Seizure event ${ev.id}`,
        message,
        mine: { ...changes },
        current,
        onReload: () => {
          replaceEvent(current as unknown as EventPublic);
          notify("info", `Reloaded event ${ev.id} from the server`);
        },
        onOverwrite: () => void patchEvent(current as unknown as EventPublic, changes, what),
      }));
    }
  };

  const setMarker = async (marker: Marker) => {
    if (!annotator || !rec) return;
    const t = snapToFrame(videoRef.current?.currentTime ?? time, fps);
    if (event === null) {
      if (marker !== "onset") {
        notify("error", `${MARKER_NAME[marker]} needs a seizure event: set the onset first (o)`);
        return;
      }
      if (t >= duration) {
        notify("error", "The onset must be before the end of the recording");
        return;
      }
      await createEvent(t, duration);
      return;
    }
    await patchEvent(event, { [MARKER_FIELD[marker]]: t }, `${MARKER_NAME[marker]} set at ${formatTime(t)}`);
  };

  const deleteEvent = async (ev: EventPublic) => {
    try {
      await unwrap(api.DELETE("/api/events/{event_id}", { params: { path: { event_id: ev.id }, query: { version: ev.version } } }));
      setEvents((all) => all.filter((e) => e.id !== ev.id));
      setMois((all) => all.filter((m) => m.event_id !== ev.id));
      setEventId(null);
      notify("success", `Seizure event ${ev.id} deleted`);
    } catch (err) {
      conflictOr(err, "Deleting the event", (current, message) => ({
        what: `Seizure event ${ev.id}`,
        message,
        mine: { deleted: true },
        current,
        onReload: () => replaceEvent(current as unknown as EventPublic),
        onOverwrite: () => void deleteEvent(current as unknown as EventPublic),
      }));
    }
  };

  // --- MOIs ------------------------------------------------------------------------------------
  const replaceMoi = (m: MoiPublic) => setMois((all) => all.map((x) => (x.id === m.id ? m : x)));

  const draftOf = (m: MoiPublic): MoiDraft => ({ id: m.id, region: m.region, term: m.term, start: formatTime(m.start), end: formatTime(m.end) });

  const newMoi = () => {
    if (!annotator) return;
    const start = snapToFrame(videoRef.current?.currentTime ?? time, fps);
    const end = Math.min(duration, start + 1);
    setMoiId(null);
    setDraft({ id: null, region: draft?.region ?? "", term: draft?.term ?? "", start: formatTime(start), end: formatTime(end) });
  };

  const editMoi = (m: MoiPublic) => {
    setMoiId(m.id);
    setEventId(m.event_id);
    setDraft(draftOf(m));
    seek(m.start + 0.5 / fps);
  };

  const saveMoi = async (d: MoiDraft) => {
    const start = parseTime(d.start);
    const end = parseTime(d.end);
    if (start === null || end === null) {
      notify("error", `${start === null ? "Start" : "End"} is not a time: type it as m:ss.mmm or seconds`);
      return;
    }
    if (end <= start) {
      notify("error", "The end of an MOI must be after its start");
      return;
    }
    if (!d.region || !d.term) {
      notify("error", "Choose the body region and the MOI");
      return;
    }
    const body = { region: d.region, term: d.term, start, end };
    if (d.id === null) {
      let ev = event;
      if (ev === null) {
        ev = events.find((e) => e.t0 <= start && end <= e.t1) ?? (events.length === 0 ? await createEvent(0, duration) : null);
        if (ev === null) {
          notify("error", "Select the seizure event this MOI belongs to");
          return;
        }
      }
      try {
        const m = await unwrap(api.POST("/api/events/{event_id}/mois", { params: { path: { event_id: ev.id } }, body }));
        setMois((all) => [...all, m]);
        setMoiId(m.id);
        setDraft(null);
        notify("success", `MOI added: ${termLabel(m.term)} (${regionLabel(m.region)}) ${formatTime(m.start)} – ${formatTime(m.end)}`);
      } catch (err) {
        report(err, "Adding the MOI");
      }
      return;
    }
    const existing = mois.find((m) => m.id === d.id);
    if (!existing) return;
    await patchMoi(existing, body);
  };

  const patchMoi = async (m: MoiPublic, body: { region: string; term: string; start: number; end: number }) => {
    try {
      const saved = await unwrap(api.PATCH("/api/mois/{moi_id}", { params: { path: { moi_id: m.id } }, body: { ...body, version: m.version } }));
      replaceMoi(saved);
      setDraft(null);
      notify("success", `MOI saved: ${termLabel(saved.term)} ${formatTime(saved.start)} – ${formatTime(saved.end)}`);
    } catch (err) {
      conflictOr(err, "Saving the MOI", (current, message) => ({
        what: `MOI ${m.id}`,
        message,
        mine: { ...body },
        current,
        onReload: () => {
          const cur = current as unknown as MoiPublic;
          replaceMoi(cur);
          setDraft(draftOf(cur));
          notify("info", `Reloaded MOI ${m.id} from the server`);
        },
        onOverwrite: () => void patchMoi(current as unknown as MoiPublic, body),
      }));
    }
  };

  const deleteMoi = async (m: MoiPublic) => {
    try {
      await unwrap(api.DELETE("/api/mois/{moi_id}", { params: { path: { moi_id: m.id }, query: { version: m.version } } }));
      setMois((all) => all.filter((x) => x.id !== m.id));
      if (draft?.id === m.id) setDraft(null);
      notify("success", `MOI deleted: ${termLabel(m.term)} at ${formatTime(m.start)}`);
    } catch (err) {
      conflictOr(err, "Deleting the MOI", (current, message) => ({
        what: `MOI ${m.id}`,
        message,
        mine: { deleted: true },
        current,
        onReload: () => replaceMoi(current as unknown as MoiPublic),
        onOverwrite: () => void deleteMoi(current as unknown as MoiPublic),
      }));
    }
  };

  const termLabel = (code: string) => vocab?.terms.find((t) => t.code === code)?.label ?? code;
  const regionLabel = (code: string) => vocab?.regions.find((r) => r.code === code)?.label ?? code;

  // --- export ----------------------------------------------------------------------------------
  const exportLabels = () => {
    if (!rec) return;
    downloadJson(`ictal-labels-recording-${rec.id}.json`, {
      format: "ictal-labels/1",
      recording: { id: rec.id, path: rec.path, patient_code: rec.patient_code, fps: rec.fps, duration: rec.duration },
      events: events.map((e) => ({ ...e, mois: mois.filter((m) => m.event_id === e.id) })),
    });
    notify("success", `Exported ${events.length} event(s) and ${mois.length} MOI(s)`);
  };

  const exportManifest = async () => {
    try {
      const manifest = await unwrap(api.POST("/api/exports/manifest", { body: { recording_ids: [recordingId], clinic_ids: [] } }));
      downloadJson(`ictal-manifest-recording-${recordingId}.json`, manifest);
      notify("success", "Training manifest exported");
    } catch (err) {
      report(err, "Exporting the training manifest");
    }
  };

  // --- keyboard ---------------------------------------------------------------------------------
  const perform = (action: ShortcutAction) => {
    switch (action.kind) {
      case "togglePlay":
        return togglePlay();
      case "stepFrames":
        return step(action.delta);
      case "stepSeconds":
        return seek(stepSeconds(videoRef.current?.currentTime ?? time, action.delta, duration));
      case "rate":
        return changeRate(nextRate(rate, action.direction));
      case "marker":
        return void setMarker(action.marker);
      case "newMoi":
        return newMoi();
      case "moiBound":
        if (draft) setDraft({ ...draft, [action.bound]: formatTime(snapToFrame(videoRef.current?.currentTime ?? time, fps)) });
        return;
      case "zoom":
        return zoom(action.direction > 0 ? 1.5 : 1 / 1.5);
      case "help":
        return setHelpOpen((h) => !h);
    }
  };
  const performRef = useRef(perform);
  performRef.current = perform;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // While a dialog is open its own keys (Escape, Tab, typing) win; only `?` still toggles help.
      if (document.querySelector("dialog[open]") && e.key !== "?") return;
      const action = resolveShortcut({
        key: e.key,
        shiftKey: e.shiftKey,
        ctrlKey: e.ctrlKey,
        metaKey: e.metaKey,
        altKey: e.altKey,
        inEditable: isEditableTarget(e.target),
      });
      if (action === null) return;
      e.preventDefault();
      performRef.current(action);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  // --- render ----------------------------------------------------------------------------------
  const menus = [
    {
      label: "File",
      items: [
        { label: "Back to recordings", onSelect: () => navigate({ screen: "landing" }) },
        { label: "Export labels (JSON)", onSelect: exportLabels },
        { label: "Export training manifest", onSelect: () => void exportManifest(), disabled: !(user.role === "data_scientist" || user.role === "admin") },
        { label: "Reload from server", onSelect: () => void load().then(() => notify("info", "Reloaded from the server")) },
        { label: "Log out", onSelect: onLogout },
      ],
    },
    {
      label: "Edit",
      items: [
        { label: "New MOI", shortcut: "n", onSelect: newMoi, disabled: !annotator },
        { label: "Set onset", shortcut: "o", onSelect: () => void setMarker("onset"), disabled: !annotator },
        { label: "Set offset", shortcut: "f", onSelect: () => void setMarker("offset"), disabled: !annotator },
        { label: "Set tG", shortcut: "g", onSelect: () => void setMarker("tg"), disabled: !annotator },
        {
          label: "Clear tG",
          onSelect: () => event && void patchEvent(event, { tG: null }, "tG cleared"),
          disabled: !annotator || event?.tG == null,
        },
        {
          label: "Delete selected MOI",
          onSelect: () => {
            const m = mois.find((x) => x.id === moiId);
            if (m) void deleteMoi(m);
          },
          disabled: !annotator || moiId === null,
        },
      ],
    },
    {
      label: "View",
      items: [
        { label: "Zoom in", shortcut: "z", onSelect: () => zoom(1.5) },
        { label: "Zoom out", shortcut: "x", onSelect: () => zoom(1 / 1.5) },
        { label: "Whole recording", onSelect: () => setView({ start: 0, end: Math.max(duration, 0.1) }) },
        { label: showEmptyLanes ? "Hide empty lanes" : "Show all lanes", onSelect: () => setShowEmptyLanes((s) => !s) },
      ],
    },
    {
      label: "Help",
      items: [{ label: "Keyboard shortcuts", shortcut: "?", onSelect: () => setHelpOpen(true) }],
    },
  ];

  const strip = <MenuStrip menus={menus} userLabel={`${user.username} (${user.role})`} onLogout={onLogout} />;
  if (rec === null || vocab === null) {
    return (
      <>
        {strip}
        <main>
          <p className={loadError ? "error-text" : "empty"}>{loadError || "Loading the recording…"}</p>
          <button type="button" className="button-quiet" onClick={() => navigate({ screen: "landing" })}>
            Back to recordings
          </button>
        </main>
      </>
    );
  }

  const prediction: Prediction | null = run
    ? { labels: run.labels, rows: run.windows.map((w) => ({ start: w.t_start, end: w.t_stop, probabilities: w.probs })) }
    : null;
  const eventMois = mois.filter((m) => event === null || m.event_id === event.id).sort((a, b) => a.start - b.start);

  return (
    <>
      {strip}
      <main>
        <div className="labelling-title">
          <h1>
            Recording <span className="mono">{rec.path}</span>
          </h1>
          <span className="muted">
            patient {rec.patient_code} · {rec.kind} · {rec.width}×{rec.height} · {fps.toFixed(2)} fps · {formatTime(duration)}
          </span>
        </div>
        <div className="labelling">
          <div>
            <section className="panel player" aria-label="Video player">
              {rec.preview_status === "done" ? (
                <video
                  ref={videoRef}
                  src={`/api/recordings/${rec.id}/preview`}
                  preload="auto"
                  muted
                  playsInline
                  aria-label="Seizure video"
                  onPlay={() => setPlaying(true)}
                  onPause={() => {
                    setPlaying(false);
                    setTime(videoRef.current?.currentTime ?? 0);
                  }}
                  onSeeked={() => setTime(videoRef.current?.currentTime ?? 0)}
                  onTimeUpdate={() => !playing && setTime(videoRef.current?.currentTime ?? 0)}
                  onError={() => notify("error", "The video could not be loaded: is its preview ready?")}
                />
              ) : (
                <p className="empty">The video is not ready yet ({rec.preview_status}); open it from the recordings list to follow its progress.</p>
              )}
              <div className="transport">
                <button type="button" aria-label="Step back one second (Shift+←)" onClick={() => perform({ kind: "stepSeconds", delta: -1 })}>
                  « 1 s
                </button>
                <button type="button" aria-label="Step back one frame (←)" onClick={() => step(-1)}>
                  ‹ 1 frame
                </button>
                <button type="button" aria-label={playing ? "Pause (space)" : "Play (space)"} onClick={togglePlay} style={{ minWidth: "4.5rem" }}>
                  {playing ? "❚❚ Pause" : "▶ Play"}
                </button>
                <button type="button" aria-label="Step forward one frame (→)" onClick={() => step(1)}>
                  1 frame ›
                </button>
                <button type="button" aria-label="Step forward one second (Shift+→)" onClick={() => perform({ kind: "stepSeconds", delta: 1 })}>
                  1 s »
                </button>
                <label className="inline">
                  Speed
                  <select aria-label="Playback speed" value={rate} onChange={(e) => changeRate(Number(e.target.value))}>
                    {PLAYBACK_RATES.map((r) => (
                      <option key={r} value={r}>
                        {r}×
                      </option>
                    ))}
                  </select>
                </label>
                <span className="time mono" data-testid="current-time">
                  {formatTime(time)} / {formatTime(duration)}
                </span>
                <span className="muted mono" data-testid="current-frame">
                  frame {frameAt(time, fps)}
                </span>
                <span className="spacer" />
                <button type="button" className="button-quiet" aria-label="Keyboard shortcuts (?)" onClick={() => setHelpOpen(true)}>
                  ?
                </button>
              </div>
              <div className="markers" aria-label="Seizure markers">
                <button type="button" className="marker-onset" disabled={!annotator} aria-label="Set onset at the current time (o)" onClick={() => void setMarker("onset")}>
                  Onset <kbd>o</kbd>
                </button>
                <button type="button" className="marker-offset" disabled={!annotator} aria-label="Set offset at the current time (f)" onClick={() => void setMarker("offset")}>
                  Offset <kbd>f</kbd>
                </button>
                <button type="button" className="marker-tg" disabled={!annotator} aria-label="Set generalisation time tG at the current time (g)" onClick={() => void setMarker("tg")}>
                  tG <kbd>g</kbd>
                </button>
                {event && (
                  <span className="mono muted" data-testid="event-times">
                    onset {formatTime(event.t0)} · offset {formatTime(event.t1)} · tG {event.tG === null ? "—" : formatTime(event.tG)}
                  </span>
                )}
              </div>
            </section>
            <section className="panel timeline" aria-label="Timeline">
              <div className="timeline-toolbar">
                <h3 style={{ margin: 0 }}>Timeline</h3>
                <button type="button" className="button-quiet" aria-label="Zoom in (z)" onClick={() => zoom(1.5)}>
                  +
                </button>
                <button type="button" className="button-quiet" aria-label="Zoom out (x)" onClick={() => zoom(1 / 1.5)}>
                  −
                </button>
                <button type="button" className="button-quiet" aria-label="Show the whole recording" onClick={() => setView({ start: 0, end: Math.max(duration, 0.1) })}>
                  Fit
                </button>
                <span className="spacer" />
                <label className="inline">
                  Predictions
                  <select aria-label="Model run shown on the timeline" value={run?.id ?? ""} onChange={(e) => void chooseRun(e.target.value ? Number(e.target.value) : null)}>
                    <option value="">{runs.length === 0 ? "no model runs" : "none"}</option>
                    {runs.map((r) => (
                      <option key={r.id} value={r.id}>
                        {r.model_name} → {r.decision_label} ({new Date(r.created_at).toLocaleDateString()})
                      </option>
                    ))}
                  </select>
                </label>
              </div>
              <Timeline
                view={view}
                currentTime={time}
                mois={mois.map((m) => ({ id: String(m.id), region: m.region, start: m.start, end: m.end, label: termLabel(m.term) }))}
                regions={vocab.regions.filter((r) => r.active)}
                events={events}
                selectedEventId={eventId}
                selectedMoiId={moiId === null ? null : String(moiId)}
                prediction={prediction}
                showEmptyLanes={showEmptyLanes}
                onSeek={seek}
                onSelectMoi={(id) => {
                  const m = mois.find((x) => String(x.id) === id);
                  if (m) editMoi(m);
                }}
                onZoom={(factor, anchor) => zoom(factor, anchor)}
              />
              {prediction && (
                <div className="legend" aria-label="Prediction classes">
                  {prediction.labels.map((label, c) => (
                    <span key={label} style={{ ["--swatch" as string]: classColour(c) }}>
                      {label}
                    </span>
                  ))}
                  <span>decision: {run?.decision_label}</span>
                </div>
              )}
            </section>
          </div>
          <aside className="sidebar">
            <section className="panel" aria-labelledby="events-heading">
              <h3 id="events-heading">Seizure events</h3>
              <div className="event-list">
                {events.length === 0 && <p className="muted">No event yet: press o at the seizure onset.</p>}
                {events.map((e) => (
                  <button type="button" key={e.id} aria-pressed={e.id === eventId} onClick={() => setEventId(e.id)}>
                    {e.label}: {formatTime(e.t0)} – {formatTime(e.t1)}
                    {e.tG !== null ? ` (tG ${formatTime(e.tG)})` : ""}
                  </button>
                ))}
              </div>
              {event && annotator && (
                <form
                  key={`${event.id}-${event.version}`}
                  className="row"
                  aria-label="Event class"
                  style={{ marginTop: "0.5rem", alignItems: "flex-end" }}
                  onSubmit={(e) => {
                    e.preventDefault();
                    const label = String(new FormData(e.currentTarget).get("label") ?? "").trim();
                    if (label && label !== event.label) void patchEvent(event, { label }, `Event class set to ${label}`);
                  }}
                >
                  <label>
                    Class
                    <input name="label" list="event-labels" defaultValue={event.label} maxLength={64} size={10} required />
                  </label>
                  <datalist id="event-labels">
                    {EVENT_LABELS.map((l) => (
                      <option key={l} value={l} />
                    ))}
                  </datalist>
                  <button type="submit" className="button-quiet">
                    Set class
                  </button>
                </form>
              )}
              {event && annotator && (
                <div className="row" style={{ marginTop: "0.5rem" }}>
                  <button type="button" className="button-quiet" onClick={() => seek(event.t0 + 0.5 / fps)}>
                    Go to onset
                  </button>
                  <button type="button" className="button-danger" aria-label={`Delete seizure event ${event.id}`} onClick={() => void deleteEvent(event)}>
                    Delete event
                  </button>
                </div>
              )}
            </section>
            <MoiPanel
              vocabulary={vocab}
              draft={draft}
              mois={eventMois}
              selectedId={moiId}
              disabled={!annotator}
              currentTime={snapToFrame(time, fps)}
              onDraft={setDraft}
              onNew={newMoi}
              onSave={(d) => void saveMoi(d)}
              onEdit={editMoi}
              onDelete={(m) => void deleteMoi(m)}
            />
          </aside>
        </div>
      </main>
      <HelpOverlay open={helpOpen} onClose={() => setHelpOpen(false)} />
      <ConflictDialog conflict={conflict} onDone={() => setConflict(null)} />
    </>
  );
}
