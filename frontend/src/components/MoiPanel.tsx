/**
 * Add / edit / delete an MOI: body region and MOI term from the vocabulary API, start and end
 * typed (`m:ss.mmm`) or taken from the current video time.
 */
import type { FormEvent } from "react";
import type { MoiPublic, Vocabulary } from "../api/types";
import { formatTime } from "../lib/time";

/**
 * The form's content; `id` null = a new MOI. Times are the typed text. `version`: the version
 * of the MOI the form was filled from (null for a new one) -- a save is based on it, so an
 * edit that a colleague's save overtook is a conflict even after the list reloaded.
 */
export interface MoiDraft {
  id: number | null;
  version: number | null;
  region: string;
  term: string;
  start: string;
  end: string;
}

interface MoiPanelProps {
  vocabulary: Vocabulary;
  draft: MoiDraft | null;
  mois: MoiPublic[];
  selectedId: number | null;
  disabled: boolean;
  currentTime: number;
  onDraft: (draft: MoiDraft | null) => void;
  onNew: () => void;
  onSave: (draft: MoiDraft) => void;
  onEdit: (moi: MoiPublic) => void;
  onDelete: (moi: MoiPublic) => void;
}

export function MoiPanel(props: MoiPanelProps) {
  const { vocabulary, draft, mois, selectedId, disabled, currentTime, onDraft } = props;
  const termLabel = new Map(vocabulary.terms.map((t) => [t.code, t.label]));
  const regionLabel = new Map(vocabulary.regions.map((r) => [r.code, r.label]));
  const categories = [...new Set(vocabulary.terms.filter((t) => t.active).map((t) => t.category))];

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (draft) props.onSave(draft);
  };

  return (
    <section className="panel" aria-labelledby="moi-heading">
      <div className="row" style={{ justifyContent: "space-between", alignItems: "center" }}>
        <h3 id="moi-heading">Movements of interest</h3>
        <button type="button" onClick={props.onNew} disabled={disabled} aria-label="New MOI at the current time (n)">
          + New MOI
        </button>
      </div>
      {draft && (
        <form onSubmit={submit} aria-label={draft.id === null ? "New MOI" : "Edit MOI"} className="stack" style={{ marginTop: "0.5rem" }}>
          <label>
            Body region
            <select name="region" value={draft.region} required onChange={(e) => onDraft({ ...draft, region: e.target.value })}>
              <option value="">choose…</option>
              {vocabulary.regions
                .filter((r) => r.active)
                .map((r) => (
                  <option key={r.code} value={r.code}>
                    {r.label}
                  </option>
                ))}
            </select>
          </label>
          <label>
            MOI term
            <select name="term" value={draft.term} required onChange={(e) => onDraft({ ...draft, term: e.target.value })}>
              <option value="">choose…</option>
              {categories.map((cat) => (
                <optgroup key={cat} label={cat || "other"}>
                  {vocabulary.terms
                    .filter((t) => t.active && t.category === cat)
                    .map((t) => (
                      <option key={t.code} value={t.code}>
                        {t.label}
                      </option>
                    ))}
                </optgroup>
              ))}
            </select>
          </label>
          <div className="form-grid">
            <div className="time-field">
              <label>
                Start
                <input name="start" className="mono" size={9} value={draft.start} required onChange={(e) => onDraft({ ...draft, start: e.target.value })} />
              </label>
              <button type="button" className="button-quiet" aria-label="Set start to the current time (s)" onClick={() => onDraft({ ...draft, start: formatTime(currentTime) })}>
                Now
              </button>
            </div>
            <div className="time-field">
              <label>
                End
                <input name="end" className="mono" size={9} value={draft.end} required onChange={(e) => onDraft({ ...draft, end: e.target.value })} />
              </label>
              <button type="button" className="button-quiet" aria-label="Set end to the current time (e)" onClick={() => onDraft({ ...draft, end: formatTime(currentTime) })}>
                Now
              </button>
            </div>
          </div>
          <div className="dialog-buttons">
            <button type="button" className="button-quiet" onClick={() => onDraft(null)}>
              Cancel
            </button>
            <button type="submit" disabled={disabled}>
              {draft.id === null ? "Add MOI" : "Save MOI"}
            </button>
          </div>
        </form>
      )}
      <ul className="moi-list" aria-label="MOIs of this event">
        {mois.length === 0 && <li className="muted">No MOI yet.</li>}
        {mois.map((m) => (
          <li key={m.id} className={m.id === selectedId ? "selected" : ""}>
            <span className="moi-text">
              {termLabel.get(m.term) ?? m.term} — {regionLabel.get(m.region) ?? m.region}
              <small className="mono">
                {formatTime(m.start)} – {formatTime(m.end)}
                {m.annotator ? ` · ${m.annotator}` : ""}
              </small>
            </span>
            <button type="button" className="button-quiet" aria-label={`Edit MOI ${termLabel.get(m.term) ?? m.term} at ${formatTime(m.start)}`} onClick={() => props.onEdit(m)}>
              Edit
            </button>
            <button type="button" className="button-danger" disabled={disabled} aria-label={`Delete MOI ${termLabel.get(m.term) ?? m.term} at ${formatTime(m.start)}`} onClick={() => props.onDelete(m)}>
              Delete
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
