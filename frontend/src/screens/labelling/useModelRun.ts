/** The model run whose class probabilities the timeline shows (none at first). */
import { useState } from "react";
import { type ApiClient, unwrap } from "../../api/client";
import type { ModelRunDetail } from "../../api/types";
import type { ToastKind } from "../../components/Toasts";

export function useModelRun(api: ApiClient, report: (err: unknown, action: string) => void, notify: (kind: ToastKind, message: string) => void) {
  const [run, setRun] = useState<ModelRunDetail | null>(null);

  /** Show run `runId` (loading its windows), or no run (null). */
  const choose = async (runId: number | null): Promise<void> => {
    if (runId === null) {
      setRun(null);
      return;
    }
    try {
      const detail = await unwrap(api.GET("/api/model-runs/{run_id}", { params: { path: { run_id: runId } } }));
      setRun(detail);
      notify("info", `Showing predictions of ${detail.model_name}`);
    } catch (err) {
      report(err, "Loading the model run");
    }
  };

  return { run, choose };
}
