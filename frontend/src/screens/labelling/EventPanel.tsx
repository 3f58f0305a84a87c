/**
 * The seizure events of the recording: the list (select one), and for the selected event its
 * class (FLE, TLE, NES, ...), its semiological signs (a checklist), "Go to onset" and "Delete
 * event". An event made from an alarm of
 * `ictal monitor` says so (draft / confirmed / rejected, the alarm) and is confirmed as a
 * seizure or rejected as a false alarm instead of deleted.
 */
import type { EventPublic } from "../../api/types";
import { formatTime } from "../../lib/time";
import { EVENT_LABELS } from "./labels";
import { SignsChecklist } from "./SignsChecklist";
import type { Sign } from "./signs";

interface EventPanelProps {
  events: EventPublic[];
  /** The selected event (null: none). */
  event: EventPublic | null;
  annotator: boolean;
  onSelect: (eventId: number) => void;
  onSetClass: (event: EventPublic, label: string) => void;
  onSetSigns: (event: EventPublic, signs: Sign[]) => void;
  onGoToOnset: (event: EventPublic) => void;
  onDelete: (event: EventPublic) => void;
  onReview: (event: EventPublic, decision: "confirmed" | "rejected") => void;
}

/** " · draft alarm bed3-1" for an event made from a monitor alarm, else "". */
export function alarmText(e: EventPublic): string {
  if (e.layer !== "monitor") return "";
  const alarm = (e.monitor_alarm ?? "").split("/").pop();
  return ` · ${e.review ?? "draft"} alarm ${alarm}`;
}

export function EventPanel({ events, event, annotator, onSelect, onSetClass, onSetSigns, onGoToOnset, onDelete, onReview }: EventPanelProps) {
  return (
    <section className="panel" aria-labelledby="events-heading">
      <h3 id="events-heading">Seizure events</h3>
      <div className="event-list">
        {events.length === 0 && <p className="muted">No event yet: press o at the seizure onset.</p>}
        {events.map((e) => (
          <button type="button" key={e.id} aria-pressed={e.id === event?.id} onClick={() => onSelect(e.id)}>
            {e.label}: {formatTime(e.t0)} – {formatTime(e.t1)}
            {e.tG !== null ? ` (tG ${formatTime(e.tG)})` : ""}
            {alarmText(e)}
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
            if (label && label !== event.label) onSetClass(event, label);
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
      {event && <SignsChecklist key={`signs-${event.id}-${event.version}`} event={event} editable={annotator} onChange={onSetSigns} />}
      {event && annotator && (
        <div className="row" style={{ marginTop: "0.5rem" }}>
          <button type="button" className="button-quiet" onClick={() => onGoToOnset(event)}>
            Go to onset
          </button>
          {event.layer !== "monitor" && (
            <button type="button" className="button-danger" aria-label={`Delete seizure event ${event.id}`} onClick={() => onDelete(event)}>
              Delete event
            </button>
          )}
        </div>
      )}
      {event && annotator && event.layer === "monitor" && (
        <div className="row" role="group" aria-label="Alarm review" style={{ marginTop: "0.5rem", alignItems: "center", flexWrap: "wrap" }}>
          <span className="muted" data-testid="alarm-review">
            {event.review === "draft" ? "Draft from" : event.review === "confirmed" ? "Confirmed seizure, from" : "Rejected (false alarm), from"} monitor alarm {event.monitor_alarm}
          </span>
          {event.review !== "confirmed" && (
            <button type="button" onClick={() => onReview(event, "confirmed")}>
              Confirm seizure
            </button>
          )}
          {event.review !== "rejected" && (
            <button type="button" className="button-danger" onClick={() => onReview(event, "rejected")}>
              Reject (false alarm)
            </button>
          )}
        </div>
      )}
    </section>
  );
}
