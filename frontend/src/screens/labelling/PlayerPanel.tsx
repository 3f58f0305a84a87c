/**
 * The video with its transport (step one second / one frame, play / pause, speed, the current
 * time and frame) and the seizure marker buttons (onset, offset, tG) under it.
 */
import type { ReactNode } from "react";
import type { EventPublic, RecordingPublic } from "../../api/types";
import type { VideoPlayer } from "../../hooks/useVideoPlayer";
import { formatTime, frameAt, PLAYBACK_RATES } from "../../lib/time";
import type { Marker } from "./labels";

interface PlayerPanelProps {
  recording: RecordingPublic;
  fps: number;
  duration: number;
  player: VideoPlayer;
  /** The selected seizure event, whose times are shown beside the markers. */
  event: EventPublic | null;
  annotator: boolean;
  onMarker: (marker: Marker) => void;
  onHelp: () => void;
  onVideoError: () => void;
  /** Drawn over the video (keypoints/SkeletonOverlay), a sibling of the <video>. */
  overlay?: ReactNode;
}

export function PlayerPanel({ recording, fps, duration, player, event, annotator, onMarker, onHelp, onVideoError, overlay }: PlayerPanelProps) {
  const { playing, time } = player;
  return (
    <section className="panel player" aria-label="Video player" style={{ position: "relative" }}>
      {recording.preview_status === "done" ? (
        <video
          ref={player.videoRef}
          src={`/api/recordings/${recording.id}/preview`}
          preload="auto"
          muted
          playsInline
          aria-label="Seizure video"
          {...player.videoEvents}
          onError={onVideoError}
        />
      ) : (
        <p className="empty">The video is not ready yet ({recording.preview_status}); open it from the recordings list to follow its progress.</p>
      )}
      {recording.preview_status === "done" && overlay}
      <div className="transport">
        <button type="button" aria-label="Step back one second (Shift+←)" onClick={() => player.stepSeconds(-1)}>
          « 1 s
        </button>
        <button type="button" aria-label="Step back one frame (←)" onClick={() => player.stepFrames(-1)}>
          ‹ 1 frame
        </button>
        <button type="button" aria-label={playing ? "Pause (space)" : "Play (space)"} onClick={player.togglePlay} style={{ minWidth: "4.5rem" }}>
          {playing ? "❚❚ Pause" : "▶ Play"}
        </button>
        <button type="button" aria-label="Step forward one frame (→)" onClick={() => player.stepFrames(1)}>
          1 frame ›
        </button>
        <button type="button" aria-label="Step forward one second (Shift+→)" onClick={() => player.stepSeconds(1)}>
          1 s »
        </button>
        <label className="inline">
          Speed
          <select aria-label="Playback speed" value={player.rate} onChange={(e) => player.changeRate(Number(e.target.value))}>
            {PLAYBACK_RATES.map((r) => (
              <option key={r} value={r}>
                {r}×
              </option>
            ))}
          </select>
        </label>
        <span className="time mono" data-testid="current-time">
          {formatTime(time)} / {formatTime(duration)}
        </span>
        <span className="muted mono" data-testid="current-frame">
          frame {frameAt(time, fps)}
        </span>
        <span className="spacer" />
        <button type="button" className="button-quiet" aria-label="Keyboard shortcuts (?)" onClick={onHelp}>
          ?
        </button>
      </div>
      <div className="markers" aria-label="Seizure markers">
        <button type="button" className="marker-onset" disabled={!annotator} aria-label="Set onset at the current time (o)" onClick={() => onMarker("onset")}>
          Onset <kbd>o</kbd>
        </button>
        <button type="button" className="marker-offset" disabled={!annotator} aria-label="Set offset at the current time (f)" onClick={() => onMarker("offset")}>
          Offset <kbd>f</kbd>
        </button>
        <button type="button" className="marker-tg" disabled={!annotator} aria-label="Set generalisation time tG at the current time (g)" onClick={() => onMarker("tg")}>
          tG <kbd>g</kbd>
        </button>
        {event && (
          <span className="mono muted" data-testid="event-times">
            onset {formatTime(event.t0)} · offset {formatTime(event.t1)} · tG {event.tG === null ? "—" : formatTime(event.tG)}
          </span>
        )}
      </div>
    </section>
  );
}
