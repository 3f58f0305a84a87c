/**
 * The labelling screen's team and editing panels: the edit bar (undo / redo, the selected edge
 * and its nudge buttons), "New event" (any class, any span), the annotator layers (show / hide
 * each, copy a colleague's event into one's own layer, an event's history) and the agreement
 * between the annotators of the recording.
 */
import { useEffect, useState } from "react";
import { type ApiClient, unwrap } from "../api/client";
import type { EventPublic } from "../api/types";
import { formatTime, parseTime } from "../lib/time";
import { EVENT_LABELS } from "../screens/labelling/labels";
import { type Edge, edgeName } from "./editing";
import { type AgreementPublic, CONSENSUS, fmt, MONITOR, meanRegionIou, meanStd } from "./layers";

// --- edit bar ------------------------------------------------------------------------------------
interface EditBarProps {
  edge: Edge | null;
  canUndo: string | null;
  canRedo: string | null;
  busy: boolean;
  onNudge: (frames: number) => void;
  onUndo: () => void;
  onRedo: () => void;
}

export function EditBar({ edge, canUndo, canRedo, busy, onNudge, onUndo, onRedo }: EditBarProps) {
  return (
    <section className="panel" aria-label="Editing">
      <div className="row" style={{ alignItems: "center", flexWrap: "wrap" }}>
        <button type="button" className="button-quiet" disabled={busy || canUndo === null} title={canUndo ? `Undo ${canUndo} (Ctrl+Z)` : "Nothing to undo"} onClick={onUndo}>
          Undo
        </button>
        <button type="button" className="button-quiet" disabled={busy || canRedo === null} title={canRedo ? `Redo ${canRedo} (Ctrl+Shift+Z)` : "Nothing to redo"} onClick={onRedo}>
          Redo
        </button>
        <span className="muted" data-testid="selected-edge">
          {edge ? `Selected: ${edgeName(edge)}` : "Click a marker or MOI edge to nudge it"}
        </span>
      </div>
      {edge && (
        <div className="row" role="group" aria-label="Nudge the selected edge">
          {[-10, -1, 1, 10].map((n) => (
            <button key={n} type="button" className="button-quiet" disabled={busy} aria-label={`Nudge ${n > 0 ? "+" : ""}${n} frame${Math.abs(n) > 1 ? "s" : ""}`} onClick={() => onNudge(n)}>
              {n > 0 ? `+${n}` : n}
            </button>
          ))}
        </div>
      )}
    </section>
  );
}

// --- new event -----------------------------------------------------------------------------------
interface NewEventProps {
  /** The current frame's start (s) and the recording's length: the default span. */
  now: number;
  duration: number;
  onCreate: (fields: { label: string; t0: number; t1: number }) => Promise<boolean>;
}

export function NewEventForm({ now, duration, onCreate }: NewEventProps) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState("");
  if (!open) {
    return (
      <button type="button" className="button-quiet" onClick={() => setOpen(true)}>
        New event…
      </button>
    );
  }
  return (
    <form
      className="panel"
      aria-label="New event"
      onSubmit={(e) => {
        e.preventDefault();
        const form = new FormData(e.currentTarget);
        const label = String(form.get("label") ?? "").trim();
        const t0 = parseTime(String(form.get("t0") ?? ""));
        const t1 = parseTime(String(form.get("t1") ?? ""));
        if (!label) return setError("Give the event's class");
        if (t0 === null || t1 === null) return setError("Type onset and offset as m:ss.mmm or seconds");
        if (t1 <= t0 || t1 > duration) return setError(`The offset must be after the onset and at most ${formatTime(duration)}`);
        setError("");
        void onCreate({ label, t0, t1 }).then((ok) => ok && setOpen(false));
      }}
    >
      <h3>New event</h3>
      <div className="row" style={{ flexWrap: "wrap" }}>
        <label>
          Class
          <input name="label" list="new-event-labels" defaultValue="FLE" maxLength={64} size={8} required />
        </label>
        <datalist id="new-event-labels">
          {EVENT_LABELS.map((l) => (
            <option key={l} value={l} />
          ))}
        </datalist>
        <label>
          Onset
          <input name="t0" defaultValue={formatTime(now)} size={9} />
        </label>
        <label>
          Offset
          <input name="t1" defaultValue={formatTime(Math.min(duration, now + 10))} size={9} />
        </label>
      </div>
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      <div className="row">
        <button type="submit">Add event</button>
        <button type="button" className="button-quiet" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

// --- layers --------------------------------------------------------------------------------------
interface LayersProps {
  api: ApiClient;
  layers: string[];
  username: string;
  hidden: ReadonlySet<string>;
  onToggle: (layer: string) => void;
  /** The selected event, when it is a colleague's (read-only here). */
  foreign: EventPublic | null;
  selected: EventPublic | null;
  mayCopy: boolean;
  onCopy: (ev: EventPublic) => void;
  report: (err: unknown, action: string) => void;
}

type HistoryRow = { id: number; at: string; username: string; action: string; entity: string; entity_id: number | null; before: Record<string, unknown> | null; after: Record<string, unknown> | null };

/** "t0: 1.6 → 1.0, label: FLE → TLE" of an audit entry's before / after. */
export function changeText(before: Record<string, unknown> | null, after: Record<string, unknown> | null): string {
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
  const show = (v: unknown) => (v === undefined ? "–" : JSON.stringify(v));
  return keys
    .filter((k) => JSON.stringify(before?.[k]) !== JSON.stringify(after?.[k]))
    .map((k) => (before === null ? `${k}: ${show(after?.[k])}` : after === null ? `${k}: ${show(before[k])} → deleted` : `${k}: ${show(before[k])} → ${show(after[k])}`))
    .join(", ");
}

export function LayersPanel({ api, layers, username, hidden, onToggle, foreign, selected, mayCopy, onCopy, report }: LayersProps) {
  const [history, setHistory] = useState<HistoryRow[] | null>(null);
  useEffect(() => setHistory(null), [selected?.id, selected?.version]);
  const showHistory = async () => {
    if (!selected) return;
    try {
      setHistory(await unwrap(api.GET("/api/events/{event_id}/history", { params: { path: { event_id: selected.id } } })));
    } catch (err) {
      report(err, "Loading the event's history");
    }
  };
  return (
    <section className="panel" aria-labelledby="layers-heading">
      <h3 id="layers-heading">Layers</h3>
      {layers.length === 0 && <p className="muted">No labels yet.</p>}
      <div className="row" style={{ flexWrap: "wrap" }}>
        {layers.map((layer) => (
          <label key={layer} className="inline">
            <input type="checkbox" checked={!hidden.has(layer)} onChange={() => onToggle(layer)} aria-label={`Show layer ${layer}`} />
            {layer === username ? `${layer} (mine)` : layer === CONSENSUS ? "consensus" : layer === MONITOR ? `${layer} (to review)` : `${layer} (read-only)`}
          </label>
        ))}
      </div>
      {foreign && (
        <p className="muted" data-testid="read-only-note">
          Event {foreign.id} is {foreign.layer === CONSENSUS ? "the consensus" : `${foreign.author}'s`}: read-only.{" "}
          {mayCopy && (
            <button type="button" className="button-quiet" onClick={() => onCopy(foreign)}>
              Copy to my layer
            </button>
          )}
        </p>
      )}
      {selected && (
        <button type="button" className="button-quiet" onClick={() => void showHistory()}>
          History of event {selected.id}
        </button>
      )}
      {history && (
        <ol className="history" aria-label={`History of event ${selected?.id}`}>
          {history.map((h) => (
            <li key={h.id}>
              <span className="mono">{new Date(h.at).toLocaleString()}</span> {h.username} {h.action} {h.entity} {h.entity_id}: {changeText(h.before, h.after)}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

// --- agreement -----------------------------------------------------------------------------------
export function AgreementView({ agreement }: { agreement: AgreementPublic }) {
  const s = agreement.summary;
  if (agreement.pairs.length === 0) return <p className="muted">Agreement needs two annotators' labels.</p>;
  return (
    <div>
      <table className="agreement" aria-label="Agreement per pair">
        <thead>
          <tr>
            <th scope="col">Pair</th>
            <th scope="col">Matched</th>
            <th scope="col">Onset Δ (s)</th>
            <th scope="col">Offset Δ (s)</th>
            <th scope="col">MOI IoU</th>
            <th scope="col">κ</th>
          </tr>
        </thead>
        <tbody>
          {agreement.pairs.map((p) => (
            <tr key={`${p.recording}-${p.annotator_a}-${p.annotator_b}`}>
              <td>
                {p.annotator_a} / {p.annotator_b}
              </td>
              <td>
                {p.matches.length} (unmatched {p.unmatched_a.length + p.unmatched_b.length})
              </td>
              <td className="mono">{p.matches.map((m) => fmt(m.onset_diff_s)).join(", ") || "–"}</td>
              <td className="mono">{p.matches.map((m) => fmt(m.offset_diff_s)).join(", ") || "–"}</td>
              <td className="mono" title={Object.entries(p.moi_iou).map(([r, v]) => `${r}: ${fmt(v)}`).join(", ")}>
                {fmt(meanRegionIou(p.moi_iou))}
              </td>
              <td className="mono">{fmt(p.kappa)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted" data-testid="agreement-summary">
        |onset Δ| {meanStd(s.onset_abs_diff_s)} s · |offset Δ| {meanStd(s.offset_abs_diff_s)} s · MOI IoU {meanStd(s.moi_iou)} · κ {meanStd(s.kappa)} (grid {agreement.grid_s} s)
      </p>
    </div>
  );
}

/** The agreement of a recording, reloaded whenever `stamp` changes. */
export function useAgreement(api: ApiClient, recordingId: number, stamp: string, report: (err: unknown, action: string) => void) {
  const [agreement, setAgreement] = useState<AgreementPublic | null>(null);
  useEffect(() => {
    let live = true;
    unwrap(api.GET("/api/recordings/{recording_id}/agreement", { params: { path: { recording_id: recordingId } } }))
      .then((a) => live && setAgreement(a))
      .catch((err: unknown) => live && report(err, "Loading the agreement"));
    return () => {
      live = false;
    };
  }, [api, recordingId, stamp, report]);
  return agreement;
}

export function AgreementPanel(props: { api: ApiClient; recordingId: number; stamp: string; report: (err: unknown, action: string) => void }) {
  const agreement = useAgreement(props.api, props.recordingId, props.stamp, props.report);
  return (
    <section className="panel" aria-labelledby="agreement-heading">
      <h3 id="agreement-heading">Agreement</h3>
      {agreement ? <AgreementView agreement={agreement} /> : <p className="muted">Loading…</p>}
    </section>
  );
}
