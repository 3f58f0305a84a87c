/**
 * The timeline panel: zoom / fit buttons and the choice of model run in its toolbar, the
 * timeline itself (events, MOI lanes, prediction lane) and the legend of the prediction classes.
 */
import type { EventPublic, ModelRunDetail, ModelRunPublic, MoiPublic, Vocabulary } from "../../api/types";
import type { ReactNode } from "react";
import { classColour, Timeline, type TimelineGeometry } from "../../components/Timeline";
import type { VideoPlayer } from "../../hooks/useVideoPlayer";
import { predictionOf, type VocabularyLabels } from "./labels";
import { ZOOM_STEP } from "./menus";

interface TimelinePanelProps {
  player: VideoPlayer;
  duration: number;
  vocabulary: Vocabulary;
  labels: VocabularyLabels;
  events: EventPublic[];
  mois: MoiPublic[];
  selectedEventId: number | null;
  selectedMoiId: number | null;
  showEmptyLanes: boolean;
  runs: ModelRunPublic[];
  run: ModelRunDetail | null;
  onChooseRun: (runId: number | null) => void;
  onSelectMoi: (moi: MoiPublic) => void;
  /** Drawn over the timeline (drag handles), and shown under the legend (the run's provenance). */
  extra?: (geometry: TimelineGeometry) => ReactNode;
  runDetails?: ReactNode;
}

export function TimelinePanel(props: TimelinePanelProps) {
  const { player, runs, run, mois, labels } = props;
  const prediction = predictionOf(run);
  return (
    <section className="panel timeline" aria-label="Timeline">
      <div className="timeline-toolbar">
        <h3 style={{ margin: 0 }}>Timeline</h3>
        <button type="button" className="button-quiet" aria-label="Zoom in (z)" onClick={() => player.zoom(ZOOM_STEP)}>
          +
        </button>
        <button type="button" className="button-quiet" aria-label="Zoom out (x)" onClick={() => player.zoom(1 / ZOOM_STEP)}>
          −
        </button>
        <button type="button" className="button-quiet" aria-label="Show the whole recording" onClick={() => player.fit(props.duration)}>
          Fit
        </button>
        <span className="spacer" />
        <label className="inline">
          Predictions
          <select
            aria-label="Model run shown on the timeline"
            value={run?.id ?? ""}
            onChange={(e) => props.onChooseRun(e.target.value ? Number(e.target.value) : null)}
          >
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
        view={player.view}
        currentTime={player.time}
        mois={mois.map((m) => ({ id: String(m.id), region: m.region, start: m.start, end: m.end, label: labels.term(m.term) }))}
        regions={props.vocabulary.regions.filter((r) => r.active)}
        events={props.events}
        selectedEventId={props.selectedEventId}
        selectedMoiId={props.selectedMoiId === null ? null : String(props.selectedMoiId)}
        prediction={prediction}
        showEmptyLanes={props.showEmptyLanes}
        onSeek={player.seek}
        onSelectMoi={(id) => {
          const m = mois.find((x) => String(x.id) === id);
          if (m) props.onSelectMoi(m);
        }}
        onZoom={(factor, anchor) => player.zoom(factor, anchor)}
        extra={props.extra}
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
      {props.runDetails}
    </section>
  );
}
