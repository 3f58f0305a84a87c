/**
 * Shown when the server answers 409 to an edit: someone else saved the same row since it was
 * loaded. Lists the fields that differ between the user's edit and the server's row, and offers
 * to reload the server's version (the default) or to apply the edit on top of it.
 */
import { Modal } from "./Modal";

export interface Conflict {
  /** What was being edited, e.g. "MOI 12" or "patient P-7KQ2M9XA". */
  what: string;
  message: string;
  /** The fields the user tried to save. */
  mine: Record<string, unknown>;
  /** The row as the server has it now. */
  current: Record<string, unknown>;
  /** Use the server's row (discard the edit). */
  onReload: () => void;
  /** Send the edit again against the server's current version. */
  onOverwrite: () => void;
}

const show = (value: unknown): string => (value === null || value === undefined || value === "" ? "—" : String(value));

/** Field names of `mine` whose value differs from `current` (ignoring `version`). */
export function differingFields(mine: Record<string, unknown>, current: Record<string, unknown>): string[] {
  return Object.keys(mine).filter((key) => key !== "version" && show(mine[key]) !== show(current[key]));
}

export function ConflictDialog({ conflict, onDone }: { conflict: Conflict | null; onDone: () => void }) {
  if (conflict === null) return null;
  const fields = differingFields(conflict.mine, conflict.current);
  return (
    <Modal title="Edit conflict" open alert onClose={onDone} className="modal-wide">
      <p role="alert">
        <strong>{conflict.what} was changed by someone else</strong> while you were editing it. Your change was not saved.
      </p>
      <p className="muted">{conflict.message}</p>
      {fields.length > 0 && (
        <div className="conflict-compare" aria-label="Differences">
          <span className="head">Field</span>
          <span className="head">Your change</span>
          <span className="head">Server's version</span>
          {fields.map((f) => (
            <FieldRow key={f} name={f} mine={conflict.mine[f]} current={conflict.current[f]} />
          ))}
        </div>
      )}
      <div className="dialog-buttons">
        <button
          type="button"
          className="button-quiet"
          onClick={() => {
            conflict.onOverwrite();
            onDone();
          }}
        >
          Overwrite with my change
        </button>
        <button
          type="button"
          autoFocus
          onClick={() => {
            conflict.onReload();
            onDone();
          }}
        >
          Reload the server's version
        </button>
      </div>
    </Modal>
  );
}

function FieldRow({ name, mine, current }: { name: string; mine: unknown; current: unknown }) {
  return (
    <>
      <span>{name}</span>
      <span className="mono">{show(mine)}</span>
      <span className="mono">{show(current)}</span>
    </>
  );
}
