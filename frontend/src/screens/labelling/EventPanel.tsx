/**
 * The seizure events of the recording: the list (select one), and for the selected event its
 * class (FLE, TLE, NES, ...), "Go to onset" and "Delete event".
 */
import type { EventPublic } from "../../api/types";
import { formatTime } from "../../lib/time";
import { EVENT_LABELS } from "./labels";

interface EventPanelProps {
  events: EventPublic[];
  /** The selected event (null: none). */
  event: EventPublic | null;
  annotator: boolean;
  onSelect: (eventId: number) => void;
  onSetClass: (event: EventPublic, label: string) => void;
  onGoToOnset: (event: EventPublic) => void;
  onDelete: (event: EventPublic) => void;
}

export function EventPanel({ events, event, annotator, onSelect, onSetClass, onGoToOnset, onDelete }: EventPanelProps) {
  return (
    <section className="panel" aria-labelledby="events-heading">
      <h3 id="events-heading">Seizure events</h3>
      <div className="event-list">
        {events.length === 0 && <p className="muted">No event yet: press o at the seizure onset.</p>}
        {events.map((e) => (
          <button type="button" key={e.id} aria-pressed={e.id === event?.id} onClick={() => onSelect(e.id)}>
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
      {event && annotator && (
        <div className="row" style={{ marginTop: "0.5rem" }}>
          <button type="button" className="button-quiet" onClick={() => onGoToOnset(event)}>
            Go to onset
          </button>
          <button type="button" className="button-danger" aria-label={`Delete seizure event ${event.id}`} onClick={() => onDelete(event)}>
            Delete event
          </button>
        </div>
      )}
    </section>
  );
}
