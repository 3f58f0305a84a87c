/**
 * The keypoints of the open recording: its imported keypoint sets (the newest chosen), the
 * chosen set's per-limb activity lanes, and its frames, fetched a chunk of CHUNK_FRAMES at a
 * time around the frame shown (the next chunk prefetched) and kept while the set is open.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { type ApiClient, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { CHUNK_FRAMES, chunkOf, type FrameKeypoints } from "./skeleton";

export type KeypointSet = components["schemas"]["KeypointSetPublic"];
export type KeypointLanes = components["schemas"]["KeypointLanes"];

export function useKeypoints(api: ApiClient, recordingId: number, report: (err: unknown, action: string) => void) {
  const [sets, setSets] = useState<KeypointSet[]>([]);
  const [setId, setSetId] = useState<number | null>(null);
  const [lanes, setLanes] = useState<KeypointLanes | null>(null);
  const [showSkeleton, setShowSkeleton] = useState(false);
  const [showFace, setShowFace] = useState(true);
  /** frame index -> its keypoints (null: a gap, or a frame the set does not hold) */
  const frames = useRef(new Map<number, FrameKeypoints | null>());
  const chunks = useRef(new Set<number>()); // requested (loaded or on their way)
  const [loadedStamp, setLoadedStamp] = useState(0);

  const reload = useCallback(async () => {
    try {
      const found = await unwrap(api.GET("/api/recordings/{recording_id}/keypoints", { params: { path: { recording_id: recordingId } } }));
      setSets(found);
      setSetId((current) => (current !== null && found.some((s) => s.id === current) ? current : (found[found.length - 1]?.id ?? null)));
    } catch (err) {
      report(err, "Loading the keypoints");
    }
  }, [api, recordingId, report]);
  useEffect(() => {
    void reload();
  }, [reload]);

  useEffect(() => {
    frames.current = new Map();
    chunks.current = new Set();
    setLanes(null);
    if (setId === null) return;
    let live = true;
    unwrap(api.GET("/api/keypoint-sets/{keypoint_set_id}/lanes", { params: { path: { keypoint_set_id: setId } } }))
      .then((l) => live && setLanes(l))
      .catch((err: unknown) => report(err, "Loading the limb activity"));
    return () => {
      live = false;
    };
  }, [api, setId, report]);

  const fetchChunk = useCallback(
    (index: number) => {
      if (setId === null || chunks.current.has(index)) return;
      chunks.current.add(index);
      const start = index * CHUNK_FRAMES;
      const stop = start + CHUNK_FRAMES;
      const mine = frames.current;
      unwrap(api.GET("/api/keypoint-sets/{keypoint_set_id}/frames", { params: { path: { keypoint_set_id: setId }, query: { start, stop } } }))
        .then((data) => {
          for (let f = start; f < stop; f++) mine.set(f, null);
          data.frames.forEach((f, i) => mine.set(f, { body: data.body[i] ?? null, face: data.face[i] ?? null }));
          setLoadedStamp((s) => s + 1);
        })
        .catch((err: unknown) => {
          chunks.current.delete(index);
          report(err, "Loading the skeleton");
        });
    },
    [api, setId, report],
  );

  /** Make sure the chunk of `frame` (and the next) is loaded or on its way. */
  const ensure = useCallback(
    (frame: number) => {
      const { index } = chunkOf(frame);
      fetchChunk(index);
      fetchChunk(index + 1);
    },
    [fetchChunk],
  );

  /** The keypoints of `frame`: undefined while not loaded, null for a gap. */
  const frameData = useCallback((frame: number) => frames.current.get(frame), []);

  const chosen = sets.find((s) => s.id === setId) ?? null;
  return { sets, chosen, choose: setSetId, lanes, showSkeleton, setShowSkeleton, showFace, setShowFace, ensure, frameData, loadedStamp, reload };
}

export type Keypoints = ReturnType<typeof useKeypoints>;
