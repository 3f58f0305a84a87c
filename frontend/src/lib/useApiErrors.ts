import { useCallback } from "react";
import { ApiError, errorMessage } from "../api/errors";
import { useToast } from "../components/Toasts";

/**
 * `report(err, action)`: a 401 ends the session (back to log-in); anything else becomes an
 * error toast naming what failed, e.g. "Saving the MOI failed: end must be after start".
 */
export function useApiErrors(onSessionLost: () => void): (err: unknown, action: string) => void {
  const { notify } = useToast();
  return useCallback(
    (err: unknown, action: string) => {
      if (err instanceof ApiError && err.status === 401) {
        onSessionLost();
        return;
      }
      notify("error", `${action} failed: ${errorMessage(err)}`);
    },
    [notify, onSessionLost],
  );
}
