/**
 * "Loading recording": polls the preview transcode progress until the browser-playable MP4 is
 * ready (seed 003 Fig. 2a: "the user is notified with a popup of the state of the loading").
 */
import { useEffect, useState } from "react";
import { type ApiClient, unwrap } from "../api/client";
import type { PreviewStatusPublic, RecordingPublic } from "../api/types";
import { Modal } from "./Modal";

/** How often the progress is polled, in milliseconds. */
export const POLL_MS = 500;

interface LoadingDialogProps {
  api: ApiClient;
  recording: RecordingPublic;
  canRetry: boolean;
  onReady: (recording: RecordingPublic) => void;
  onError: (err: unknown, action: string) => void;
  onClose: () => void;
}

export function LoadingDialog({ api, recording, canRetry, onReady, onError, onClose }: LoadingDialogProps) {
  const [status, setStatus] = useState<PreviewStatusPublic>({
    recording_id: recording.id,
    status: recording.preview_status,
    progress: recording.preview_progress,
    error: recording.preview_error ?? null,
  });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let stopped = false;
    let timer = 0;
    const poll = async () => {
      try {
        const next = await unwrap(
          api.GET("/api/recordings/{recording_id}/preview/status", { params: { path: { recording_id: recording.id } } }),
        );
        if (stopped) return;
        setStatus(next);
        if (next.status === "done") {
          onReady(await unwrap(api.GET("/api/recordings/{recording_id}", { params: { path: { recording_id: recording.id } } })));
          return;
        }
        if (next.status === "failed") return;
      } catch (err) {
        if (!stopped) onError(err, "Checking the loading progress");
        return;
      }
      timer = window.setTimeout(poll, POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
    // onReady / onError change identity on every render of the parent; polling restarts
    // only for a new recording or a retry.
  }, [api, recording.id, attempt]);

  const retry = async () => {
    try {
      setStatus(await unwrap(api.POST("/api/recordings/{recording_id}/preview", { params: { path: { recording_id: recording.id } } })));
      setAttempt((a) => a + 1);
    } catch (err) {
      onError(err, "Queueing the preview again");
    }
  };

  const percent = Math.round(status.progress);
  return (
    <Modal title="Loading recording" open onClose={onClose}>
      <p>
        <span className="mono">{recording.path}</span> — patient <strong>{recording.patient_code}</strong>
      </p>
      {status.status === "failed" ? (
        <>
          <p className="error-text" role="alert">
            Preparing the video failed: {status.error ?? "unknown error"}
          </p>
          <div className="dialog-buttons">
            <button type="button" className="button-quiet" onClick={onClose}>
              Close
            </button>
            {canRetry && (
              <button type="button" onClick={retry}>
                Try again
              </button>
            )}
          </div>
        </>
      ) : (
        <>
          <p aria-live="polite">
            {status.status === "pending" ? "Waiting for the server to start preparing the video…" : `Preparing the video for streaming: ${percent} %`}
          </p>
          <progress max={100} value={status.progress} aria-label="Loading progress" aria-valuetext={`${percent} %`} />
          <div className="dialog-buttons">
            <button type="button" className="button-quiet" onClick={onClose}>
              Continue in background
            </button>
          </div>
        </>
      )}
    </Modal>
  );
}
