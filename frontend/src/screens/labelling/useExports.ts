/** The File menu's exports: the labels of this recording (JSON), the training manifest. */
import { type ApiClient, unwrap } from "../../api/client";
import type { ToastKind } from "../../components/Toasts";
import type { RecordingData } from "../../hooks/useRecordingData";
import { downloadJson } from "../../lib/download";
import { labelsExport } from "./labels";

export function useExports(
  api: ApiClient,
  recordingId: number,
  data: RecordingData | null,
  report: (err: unknown, action: string) => void,
  notify: (kind: ToastKind, message: string) => void,
) {
  /** Download the events and MOIs as shown (format `ictal-labels/1`). */
  const exportLabels = () => {
    if (!data) return;
    downloadJson(`ictal-labels-recording-${data.recording.id}.json`, labelsExport(data.recording, data.events, data.mois));
    notify("success", `Exported ${data.events.length} event(s) and ${data.mois.length} MOI(s)`);
  };

  /** Download the training manifest of this recording as the server builds it. */
  const exportManifest = async (): Promise<void> => {
    try {
      const manifest = await unwrap(api.POST("/api/exports/manifest", { body: { recording_ids: [recordingId], clinic_ids: [] } }));
      downloadJson(`ictal-manifest-recording-${recordingId}.json`, manifest);
      notify("success", "Training manifest exported");
    } catch (err) {
      report(err, "Exporting the training manifest");
    }
  };

  return { exportLabels, exportManifest };
}
