/**
 * Versioned edits with the conflict flow: send the edit; when the server answers 409 (someone
 * else saved the row since it was loaded) show the conflict dialog with the server's row, and
 * let the user reload it (the default) or apply the edit again on top of it.
 */
import { useCallback, useState } from "react";
import { type ConflictOf, type FetchResult, sendVersioned } from "../api/versioned";
import type { Conflict } from "../components/ConflictDialog";

/** What to do with a versioned edit's outcome; `R` is the entity's row (e.g. `MoiPublic`). */
export interface VersionedEditPlan<T, R> {
  /** What failed, for the error toast of any other failure, e.g. "Saving the MOI". */
  action: string;
  /** What was edited, for the conflict dialog, e.g. "MOI 12". */
  what: string;
  /** The fields the user tried to save (compared with the server's row in the dialog). */
  mine: Record<string, unknown>;
  onSaved: (data: T) => void;
  /** Conflict, "Reload": take the server's row, drop the edit. */
  onReload: (current: R) => void;
  /** Conflict, "Overwrite": send the edit again against the server's row. */
  onOverwrite: (current: R) => void;
}

export interface VersionedEdit {
  /** Send one versioned edit and act on its outcome as `plan` says. */
  send: <T, E>(call: Promise<FetchResult<T, E>>, plan: VersionedEditPlan<T, ConflictOf<E>["current"]>) => Promise<void>;
  /** The conflict to show (null: none), and how to close its dialog. */
  conflict: Conflict | null;
  closeConflict: () => void;
}

/** `report(err, action)` handles every failure that is not a conflict (see useApiErrors). */
export function useVersionedEdit(report: (err: unknown, action: string) => void): VersionedEdit {
  const [conflict, setConflict] = useState<Conflict | null>(null);

  const send = useCallback(
    async <T, E>(call: Promise<FetchResult<T, E>>, plan: VersionedEditPlan<T, ConflictOf<E>["current"]>): Promise<void> => {
      try {
        const result = await sendVersioned(call);
        if (result.ok) {
          plan.onSaved(result.data);
          return;
        }
        const { message, current } = result.conflict;
        setConflict({
          what: plan.what,
          message,
          mine: plan.mine,
          current,
          onReload: () => plan.onReload(current),
          onOverwrite: () => plan.onOverwrite(current),
        });
      } catch (err) {
        report(err, plan.action);
      }
    },
    [report],
  );
  const closeConflict = useCallback(() => setConflict(null), []);
  return { send, conflict, closeConflict };
}
