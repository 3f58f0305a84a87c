/**
 * The keypoints panel under the timeline: which imported keypoint set to show, the toggles
 * of the skeleton (and face) on the video, and the per-limb activity lanes.
 */
import type { VideoPlayer } from "../hooks/useVideoPlayer";
import { LimbLanes } from "./LimbLanes";
import type { Keypoints } from "./useKeypoints";

interface KeypointsPanelProps {
  keypoints: Keypoints;
  player: VideoPlayer;
  fps: number;
}

export function KeypointsPanel({ keypoints, player, fps }: KeypointsPanelProps) {
  const { sets, chosen, lanes } = keypoints;
  if (sets.length === 0) return null;
  return (
    <section className="panel timeline" aria-label="Keypoints">
      <div className="timeline-toolbar">
        <h3 style={{ margin: 0 }}>Limb activity</h3>
        <span className="spacer" />
        <label className="inline">
          <input
            type="checkbox"
            aria-label="Show the skeleton on the video"
            checked={keypoints.showSkeleton}
            onChange={(e) => keypoints.setShowSkeleton(e.target.checked)}
          />
          Skeleton
        </label>
        <label className="inline">
          <input type="checkbox" aria-label="Show the face landmarks" checked={keypoints.showFace} disabled={!keypoints.showSkeleton} onChange={(e) => keypoints.setShowFace(e.target.checked)} />
          Face
        </label>
        <label className="inline">
          Keypoints
          <select aria-label="Keypoint set" value={chosen?.id ?? ""} onChange={(e) => keypoints.choose(Number(e.target.value))}>
            {sets.map((s) => (
              <option key={s.id} value={s.id}>
                {s.source} #{s.id} ({s.body_frames}/{s.n_rows} frames with a skeleton{s.has_3d ? ", 3D" : ""})
              </option>
            ))}
          </select>
        </label>
      </div>
      {lanes ? (
        <LimbLanes lanes={lanes} fps={fps} view={player.view} currentTime={player.time} onSeek={player.seek} />
      ) : (
        <p className="muted">Loading the limb activity…</p>
      )}
      {lanes && (
        <p className="muted" style={{ margin: "0.3rem 0 0", fontSize: "0.85rem" }}>
          Bars: each limb&apos;s speed per {lanes.window_s} s ({lanes.unit}), darker = faster, relative to this recording&apos;s fastest windows; dashed = not measured.
        </p>
      )}
    </section>
  );
}
