/**
 * The explanation imported onto the open recording (`ictal explain`'s explanation.json), or
 * null when it has none, and whether its saliency is laid over the video.
 */
import { useCallback, useEffect, useState } from "react";
import { type ApiClient, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { ApiError } from "../api/errors";

export type Explanation = components["schemas"]["ExplanationPublic"];
export type ExplanationWindow = components["schemas"]["ExplanationWindow"];

export function useExplanation(api: ApiClient, recordingId: number, report: (err: unknown, action: string) => void) {
  const [explanation, setExplanation] = useState<Explanation | null>(null);
  const [showSaliency, setShowSaliency] = useState(false);

  const reload = useCallback(async () => {
    try {
      setExplanation(await unwrap(api.GET("/api/recordings/{recording_id}/explanation", { params: { path: { recording_id: recordingId } } })));
    } catch (err) {
      setExplanation(null);
      if (!(err instanceof ApiError && err.status === 404)) report(err, "Loading the explanation");
    }
  }, [api, recordingId, report]);
  useEffect(() => {
    void reload();
  }, [reload]);

  return { explanation, showSaliency, setShowSaliency, reload };
}

export type ExplanationState = ReturnType<typeof useExplanation>;

/** The explained window holding source frame `frame`, if any. */
export function explainedWindowAt(explanation: Explanation, frame: number): ExplanationWindow | undefined {
  return explanation.windows.find((w) => w.explained && w.heat && w.start_frame <= frame && frame < w.stop_frame);
}

/**
 * Opacity of an explained window's heat at `frame`: its share of the map's mass in that
 * frame over the window's largest share (1 where the window's evidence peaks; 1 throughout
 * when the window has no per-frame mass).
 */
export function frameWeight(window: ExplanationWindow, frame: number): number {
  const mass = window.frame_mass;
  if (!mass || mass.length === 0) return 1;
  const top = Math.max(...mass);
  const value = mass[frame - window.start_frame] ?? 0;
  return top > 0 ? value / top : 0;
}
