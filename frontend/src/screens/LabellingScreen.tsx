/**
 * Labelling screen (seed 003 Fig. 2b): review the seizure video, mark onset / offset / tG of a
 * seizure event, label MOIs per body region with start and end times, and see a model run's
 * class probabilities on the same timeline.
 *
 * A composition: the data (useRecordingData), the player (useVideoPlayer), the labels and their
 * edits (labelling/useAnnotations, with useVersionedEdit's conflict flow), the keyboard
 * (useShortcuts), the menus and exports, and the panels of labelling/.
 */
import { useCallback, useEffect, useState } from "react";
import type { EventPublic, MoiPublic } from "../api/types";
import { ConflictDialog } from "../components/ConflictDialog";
import { HelpOverlay } from "../components/HelpOverlay";
import { MenuStrip } from "../components/MenuStrip";
import { MoiPanel } from "../components/MoiPanel";
import { useToast } from "../components/Toasts";
import { useRecordingData } from "../hooks/useRecordingData";
import { useShortcuts } from "../hooks/useShortcuts";
import { useVersionedEdit } from "../hooks/useVersionedEdit";
import { useVideoPlayer } from "../hooks/useVideoPlayer";
import { presenceText, useLiveRecording } from "../hooks/useLiveRecording";
import type { ShortcutAction } from "../lib/shortcuts";
import { formatTime, nextRate, parseFps, snapToFrame } from "../lib/time";
import { useApiErrors } from "../lib/useApiErrors";
import { canAnnotate, type ScreenProps } from "./common";
import { EventPanel } from "./labelling/EventPanel";
import { describeSigns } from "./labelling/signs";
import { moisOfEvent, vocabularyLabels } from "./labelling/labels";
import { labellingMenus, ZOOM_STEP } from "./labelling/menus";
import { PlayerPanel } from "./labelling/PlayerPanel";
import { TimelinePanel } from "./labelling/TimelinePanel";
import { useAnnotations } from "./labelling/useAnnotations";
import { unwrap } from "../api/client";
import { EdgeHandles } from "../team/EdgeHandles";
import { layersOf, mayEdit, visibleEvents } from "../team/layers";
import { RunProvenance } from "../team/RunProvenance";
import { AgreementPanel, EditBar, LayersPanel, NewEventForm } from "../team/TeamPanels";
import { useEditing } from "../team/useEditing";
import { eventFields } from "../team/useEditing";
import { useExports } from "./labelling/useExports";
import { useModelRun } from "./labelling/useModelRun";
import { ExplanationPanel } from "../explain/ExplanationPanel";
import { SaliencyOverlay } from "../explain/SaliencyOverlay";
import { useExplanation } from "../explain/useExplanation";
import { KeypointsPanel } from "../keypoints/KeypointsPanel";
import { SkeletonOverlay } from "../keypoints/SkeletonOverlay";
import { useKeypoints } from "../keypoints/useKeypoints";

interface LabellingScreenProps extends ScreenProps {
  recordingId: number;
}

export function LabellingScreen({ api, user, recordingId, onLogout, onSessionLost, navigate }: LabellingScreenProps) {
  const { notify } = useToast();
  const report = useApiErrors(onSessionLost);
  const annotator = canAnnotate(user);
  const [helpOpen, setHelpOpen] = useState(false);
  const [showEmptyLanes, setShowEmptyLanes] = useState(true);

  const { data, loadError, load, updateEvents, updateMois } = useRecordingData(api, recordingId, report);
  const fps = data ? parseFps(data.recording.fps) : 25;
  const duration = data?.recording.duration ?? 0;
  const labels = vocabularyLabels(data?.vocabulary ?? null);
  const player = useVideoPlayer(fps, duration, report);
  const edit = useVersionedEdit(report);
  const modelRun = useModelRun(api, report, notify);
  const keypoints = useKeypoints(api, recordingId, report);
  const explain = useExplanation(api, recordingId, report);
  const { exportLabels, exportManifest } = useExports(api, recordingId, data, report, notify);
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const editing = useEditing({ api, recordingId, events: data?.events ?? [], mois: data?.mois ?? [], fps, duration, updateEvents, updateMois, report, notify });
  const annotations = useAnnotations({
    api, recordingId, events: data?.events ?? [], mois: data?.mois ?? [], updateEvents, updateMois,
    duration, enabled: annotator && data !== null, send: edit.send, report, notify, labels, onEdit: editing.onEdit,
  });
  const { event, draft } = annotations;
  /** The current time on its frame's start: what markers and MOI bounds are set to. */
  const frameTime = () => snapToFrame(player.now(), fps);

  const { fit } = player;
  const { selectFirstEvent } = annotations;
  /** Load everything, then show the whole recording and select its first event (if none is). */
  const reload = useCallback(async () => {
    const loaded = await load();
    if (loaded) {
      fit(loaded.recording.duration);
      selectFirstEvent(loaded.events);
    }
    return loaded;
  }, [load, fit, selectFirstEvent]);
  useEffect(() => {
    void reload();
  }, [reload]);
  // a colleague saved: reload the labels (the selection and the view stay)
  const live = useLiveRecording(recordingId, () => void load());
  const viewing = presenceText(live.viewers, user.username);

  const perform = (action: ShortcutAction) => {
    switch (action.kind) {
      case "togglePlay":
        return player.togglePlay();
      case "stepFrames":
        return player.stepFrames(action.delta);
      case "stepSeconds":
        return player.stepSeconds(action.delta);
      case "rate":
        return player.changeRate(nextRate(player.rate, action.direction));
      case "marker":
        return void annotations.setMarker(action.marker, frameTime());
      case "newMoi":
        return annotations.newMoi(frameTime());
      case "moiBound":
        return annotations.setDraftBound(action.bound, frameTime());
      case "zoom":
        return player.zoom(action.direction > 0 ? ZOOM_STEP : 1 / ZOOM_STEP);
      case "help":
        return setHelpOpen((h) => !h);
      case "nudge":
        return void editing.nudgeSelected(action.frames);
      case "undo":
        return void editing.undo();
      case "redo":
        return void editing.redo();
    }
  };
  useShortcuts(perform);

  const menus = labellingMenus(
    {
      annotator,
      mayExportManifest: user.role === "data_scientist" || user.role === "admin",
      hasTG: event?.tG != null,
      moiSelected: annotations.moiId !== null,
      showEmptyLanes,
    },
    {
      back: () => navigate({ screen: "landing" }),
      exportLabels,
      exportManifest: () => void exportManifest(),
      reload: () => void reload().then((loaded) => loaded && notify("info", "Reloaded from the server")),
      logOut: onLogout,
      newMoi: () => annotations.newMoi(frameTime()),
      setMarker: (marker) => void annotations.setMarker(marker, frameTime()),
      clearTG: () => event && void annotations.patchEvent(event, { tG: null }, "tG cleared"),
      deleteSelectedMoi: () => annotations.selectedMoi && void annotations.deleteMoi(annotations.selectedMoi),
      zoom: (factor) => player.zoom(factor),
      fit: () => player.fit(duration),
      toggleEmptyLanes: () => setShowEmptyLanes((s) => !s),
      help: () => setHelpOpen(true),
    },
  );

  const strip = <MenuStrip menus={menus} userLabel={`${user.username} (${user.role})`} onLogout={onLogout} />;
  if (data === null) {
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

  const { recording, vocabulary } = data;
  // annotator layers: the shown ones, and of those the user's own (editable) events and MOIs
  const shownEvents = visibleEvents(data.events, hidden);
  const shownIds = new Set(shownEvents.map((e) => e.id));
  const shownMois = data.mois.filter((m) => shownIds.has(m.event_id));
  const ownEvents = shownEvents.filter((e) => mayEdit(e, user.username, user.role));
  const ownIds = new Set(ownEvents.map((e) => e.id));
  const foreign = event !== null && !mayEdit(event, user.username, user.role) ? event : null;
  const createEvent = async (fields: { label: string; t0: number; t1: number }): Promise<boolean> => {
    try {
      const ev = await unwrap(api.POST("/api/recordings/{recording_id}/events", { params: { path: { recording_id: recordingId } }, body: fields }));
      updateEvents((all) => [...all, ev].sort((a, b) => a.t0 - b.t0));
      annotations.selectEvent(ev.id);
      editing.onEdit({ kind: "create", target: "event", id: ev.id, fields: eventFields(ev), parentId: null, label: `event ${ev.id} created` });
      notify("success", `${ev.label} event created: ${formatTime(ev.t0)} – ${formatTime(ev.t1)}`);
      return true;
    } catch (err) {
      report(err, "Creating the event");
      return false;
    }
  };
  const copyEvent = async (ev: { id: number }) => {
    try {
      const copy = await unwrap(api.POST("/api/events/{event_id}/copy", { params: { path: { event_id: ev.id } } }));
      await load();
      annotations.selectEvent(copy.id);
      notify("success", `Copied into your layer as event ${copy.id}`);
    } catch (err) {
      report(err, "Copying the event");
    }
  };
  const reviewEvent = async (ev: EventPublic, decision: "confirmed" | "rejected") => {
    try {
      const done = await unwrap(api.POST("/api/events/{event_id}/review", { params: { path: { event_id: ev.id } }, body: { decision, version: ev.version } }));
      updateEvents((all) => all.map((e) => (e.id === done.id ? done : e)));
      notify("success", `Alarm event ${done.id} ${decision === "confirmed" ? "confirmed as a seizure" : "rejected as a false alarm"}`);
    } catch (err) {
      report(err, "Reviewing the alarm event");
    }
  };
  const manageRun = async (runId: number, how: "archive" | "delete") => {
    try {
      if (how === "archive") await unwrap(api.POST("/api/model-runs/{run_id}/archive", { params: { path: { run_id: runId } }, body: { archived: true } }));
      else await unwrap(api.DELETE("/api/model-runs/{run_id}", { params: { path: { run_id: runId } } }));
      await modelRun.choose(null);
      await load();
      notify("success", `Model run ${runId} ${how === "archive" ? "archived" : "deleted"}`);
    } catch (err) {
      report(err, how === "archive" ? "Archiving the model run" : "Deleting the model run");
    }
  };
  const lastOf = <T,>(list: T[]) => list[list.length - 1];
  const seekInto = (t: number) => player.seek(t + 0.5 / fps); // mid-frame: the frame at t is shown
  const editMoi = (m: MoiPublic) => {
    annotations.selectMoi(m);
    seekInto(m.start);
  };
  return (
    <>
      {strip}
      <main>
        <div className="labelling-title">
          <h1>
            Recording <span className="mono">{recording.path}</span>
          </h1>
          <span className="muted">
            patient {recording.patient_code} · {recording.kind} · {recording.width}×{recording.height} · {fps.toFixed(2)} fps · {formatTime(duration)}
          </span>
          {viewing && (
            <span className="muted" data-testid="presence" role="status">
              {" "}· {viewing}
            </span>
          )}
        </div>
        <div className="labelling">
          <div>
            <PlayerPanel
              recording={recording}
              fps={fps}
              duration={duration}
              player={player}
              event={event}
              annotator={annotator}
              onMarker={(marker) => void annotations.setMarker(marker, frameTime())}
              onHelp={() => setHelpOpen(true)}
              onVideoError={() => notify("error", "The video could not be loaded: is its preview ready?")}
              overlay={
                <>
                  {keypoints.chosen && keypoints.showSkeleton && (
                    <SkeletonOverlay
                      videoRef={player.videoRef}
                      fps={fps}
                      set={keypoints.chosen}
                      showFace={keypoints.showFace}
                      frameData={keypoints.frameData}
                      ensure={keypoints.ensure}
                      loadedStamp={keypoints.loadedStamp}
                      time={player.time}
                    />
                  )}
                  {explain.explanation && explain.showSaliency && (
                    <SaliencyOverlay videoRef={player.videoRef} fps={fps} explanation={explain.explanation} frameW={recording.width} frameH={recording.height} time={player.time} />
                  )}
                </>
              }
            />
            <TimelinePanel
              player={player}
              duration={duration}
              vocabulary={vocabulary}
              labels={labels}
              events={shownEvents}
              mois={shownMois}
              selectedEventId={annotations.eventId}
              selectedMoiId={annotations.moiId}
              showEmptyLanes={showEmptyLanes}
              runs={data.runs}
              run={modelRun.run}
              onChooseRun={(runId) => void modelRun.choose(runId)}
              onSelectMoi={editMoi}
              extra={
                annotator
                  ? (geometry) => (
                      <EdgeHandles
                        geometry={geometry}
                        events={ownEvents}
                        mois={shownMois.filter((m) => ownIds.has(m.event_id))}
                        fps={fps}
                        duration={duration}
                        selected={editing.edge}
                        onSelect={editing.selectEdge}
                        onMove={(e, t) => void editing.moveEdge(e, t)}
                      />
                    )
                  : undefined
              }
              runDetails={
                modelRun.run && (
                  <RunProvenance
                    run={modelRun.run}
                    mayManage={user.role === "data_scientist" || user.role === "admin"}
                    onArchive={(r) => void manageRun(r.id, "archive")}
                    onDelete={(r) => void manageRun(r.id, "delete")}
                  />
                )
              }
            />
            <KeypointsPanel keypoints={keypoints} player={player} fps={fps} />
            <ExplanationPanel state={explain} player={player} />
          </div>
          <aside className="sidebar">
            {annotator && (
              <EditBar
                edge={editing.edge}
                canUndo={lastOf(editing.history.past)?.label ?? null}
                canRedo={lastOf(editing.history.future)?.label ?? null}
                busy={editing.busy}
                onNudge={(n) => void editing.nudgeSelected(n)}
                onUndo={() => void editing.undo()}
                onRedo={() => void editing.redo()}
              />
            )}
            <EventPanel
              events={shownEvents}
              event={event}
              annotator={annotator && foreign === null}
              onSelect={annotations.selectEvent}
              onSetClass={(ev, label) => void annotations.patchEvent(ev, { label }, `Event class set to ${label}`)}
              onSetSigns={(ev, signs) => void annotations.patchEvent(ev, { signs }, `Signs set to ${describeSigns(signs)}`)}
              onGoToOnset={(ev) => seekInto(ev.t0)}
              onDelete={(ev) => void annotations.deleteEvent(ev)}
              onReview={(ev, decision) => void reviewEvent(ev, decision)}
            />
            <MoiPanel
              vocabulary={vocabulary}
              draft={draft}
              mois={moisOfEvent(data.mois, event)}
              selectedId={annotations.moiId}
              disabled={!annotator}
              currentTime={snapToFrame(player.time, fps)}
              onDraft={annotations.setDraft}
              onNew={() => annotations.newMoi(frameTime())}
              onSave={(d) => void annotations.saveMoi(d)}
              onEdit={editMoi}
              onDelete={(m) => void annotations.deleteMoi(m)}
            />
            {annotator && <NewEventForm now={snapToFrame(player.time, fps)} duration={duration} onCreate={createEvent} />}
            <LayersPanel
              api={api}
              layers={layersOf(data.events, user.username)}
              username={user.username}
              hidden={hidden}
              onToggle={(layer) => setHidden((h) => (h.has(layer) ? new Set([...h].filter((x) => x !== layer)) : new Set([...h, layer])))}
              foreign={foreign}
              selected={event}
              mayCopy={annotator}
              onCopy={(ev) => void copyEvent(ev)}
              report={report}
            />
            <AgreementPanel api={api} recordingId={recordingId} stamp={data.events.map((e) => `${e.id}.${e.version}`).join() + `|${data.mois.map((m) => `${m.id}.${m.version}`).join()}`} report={report} />
            {user.role === "reviewer" && (
              <button type="button" onClick={() => navigate({ screen: "review", recordingId })}>
                Adjudicate (consensus)…
              </button>
            )}
          </aside>
        </div>
      </main>
      <HelpOverlay open={helpOpen} onClose={() => setHelpOpen(false)} />
      <ConflictDialog conflict={edit.conflict} onDone={edit.closeConflict} />
    </>
  );
}
