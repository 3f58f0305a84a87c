/**
 * The semiological signs of the selected seizure event (seed 004): a checklist of limb dystonia
 * (left / right) and emotional expression (fear / rage / smile). Each tick saves at once, as a
 * versioned PATCH of the event's `signs` (undoable like any edit); read-only for viewers.
 */
import { useState } from "react";
import type { EventPublic } from "../../api/types";
import { SIGN_GROUPS, type Sign, describeSigns, toggleSign } from "./signs";

interface SignsChecklistProps {
  event: EventPublic;
  editable: boolean;
  onChange: (event: EventPublic, signs: Sign[]) => void;
}

export function SignsChecklist({ event, editable, onChange }: SignsChecklistProps) {
  // what the user ticked, shown at once, until the saved event (or the one a conflict
  // reloads: a new version re-keys this component) replaces it
  const [signs, setSigns] = useState<Sign[]>(event.signs ?? []);
  if (!editable) {
    return (
      <p className="muted" data-testid="event-signs" style={{ marginTop: "0.5rem" }}>
        Signs: {describeSigns(signs)}
      </p>
    );
  }
  const box = (code: Sign, label: string) => (
    <label key={code} className="inline">
      <input
        type="checkbox"
        name={code}
        checked={signs.includes(code)}
        onChange={(e) => {
          const next = toggleSign(signs, code, e.currentTarget.checked);
          setSigns(next);
          onChange(event, next);
        }}
      />{" "}
      {label}
    </label>
  );
  return (
    <fieldset aria-label="Semiological signs" style={{ marginTop: "0.5rem" }}>
      <legend>Signs</legend>
      {SIGN_GROUPS.map((g) => (
        <div key={g.base} className="row" style={{ alignItems: "center", gap: "0.6rem" }}>
          {box(g.base, g.label)}
          <span className="muted">·</span>
          {g.refinements.map((r) => box(r.code, r.label))}
        </div>
      ))}
    </fieldset>
  );
}
