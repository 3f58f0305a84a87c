/**
 * Everything the labelling screen shows of one recording, loaded from the server in one go:
 * the recording, the MOI vocabulary, its seizure events and MOIs, and its model runs.
 */
import { useCallback, useState } from "react";
import { type ApiClient, unwrap } from "../api/client";
import type { EventPublic, ModelRunPublic, MoiPublic, RecordingPublic, Vocabulary } from "../api/types";

export interface RecordingData {
  recording: RecordingPublic;
  vocabulary: Vocabulary;
  events: EventPublic[];
  mois: MoiPublic[];
  runs: ModelRunPublic[];
}

export interface RecordingDataState {
  /** null until the first load succeeded. */
  data: RecordingData | null;
  /** Why the last load failed ("" when it did not). */
  loadError: string;
  /** (Re)load everything; returns what was loaded, or null (reported) when loading failed. */
  load: () => Promise<RecordingData | null>;
  /** Apply a local change to the events or the MOIs (after the server saved it). */
  updateEvents: (change: (events: EventPublic[]) => EventPublic[]) => void;
  updateMois: (change: (mois: MoiPublic[]) => MoiPublic[]) => void;
}

export function useRecordingData(api: ApiClient, recordingId: number, report: (err: unknown, action: string) => void): RecordingDataState {
  const [data, setData] = useState<RecordingData | null>(null);
  const [loadError, setLoadError] = useState("");

  const load = useCallback(async (): Promise<RecordingData | null> => {
    const path = { recording_id: recordingId };
    try {
      const [recording, vocabulary, events, mois, runs] = await Promise.all([
        unwrap(api.GET("/api/recordings/{recording_id}", { params: { path } })),
        unwrap(api.GET("/api/vocabulary")),
        unwrap(api.GET("/api/recordings/{recording_id}/events", { params: { path } })),
        unwrap(api.GET("/api/recordings/{recording_id}/mois", { params: { path } })),
        unwrap(api.GET("/api/recordings/{recording_id}/model-runs", { params: { path } })),
      ]);
      const loaded = { recording, vocabulary, events, mois, runs };
      setData(loaded);
      return loaded;
    } catch (err) {
      setLoadError(err instanceof Error ? err.message : String(err));
      report(err, "Loading the recording");
      return null;
    }
  }, [api, recordingId, report]);

  const updateEvents = useCallback((change: (events: EventPublic[]) => EventPublic[]) => {
    setData((d) => d && { ...d, events: change(d.events) });
  }, []);
  const updateMois = useCallback((change: (mois: MoiPublic[]) => MoiPublic[]) => {
    setData((d) => d && { ...d, mois: change(d.mois) });
  }, []);

  return { data, loadError, load, updateEvents, updateMois };
}
