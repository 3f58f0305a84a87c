/**
 * Per-limb activity lanes under the timeline (same time axis: the player's view, the same
 * 110 px label column), one lane per limb of ictal.keypoints.layout.LIMBS: each window of the
 * keypoint set's lanes is a bar whose strength is its activity level (the limb's speed over
 * the recording's 95th percentile of window speeds), empty where the limb was not measured.
 * Click to seek.
 */
import { type MouseEvent, useEffect, useRef, useState } from "react";
import { timeToX, type View, xToTime } from "../lib/lanes";
import { formatTime } from "../lib/time";
import { laneColour } from "./skeleton";
import type { KeypointLanes } from "./useKeypoints";

/** Same label column as components/Timeline.tsx, so the time axes line up. */
const LABEL_W = 110;
const LANE_H = 14;

const LIMB_NAMES: Record<string, string> = {
  head: "head",
  left_arm: "left arm",
  right_arm: "right arm",
  left_forearm: "left forearm",
  right_forearm: "right forearm",
  trunk: "trunk",
};

interface LimbLanesProps {
  lanes: KeypointLanes;
  fps: number;
  view: View;
  currentTime: number;
  onSeek: (t: number) => void;
}

export function LimbLanes({ lanes, fps, view, currentTime, onSeek }: LimbLanesProps) {
  const wrapRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  useEffect(() => {
    const el = wrapRef.current;
    if (el === null) return undefined;
    const observer = new ResizeObserver((entries) => setWidth(entries[0]?.contentRect.width ?? 800));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  const plotW = Math.max(50, width - LABEL_W);
  const x = (t: number) => LABEL_W + timeToX(t, view, plotW);
  const height = lanes.limbs.length * LANE_H + 2;
  const seekAt = (event: MouseEvent<SVGSVGElement>) => {
    const px = event.clientX - event.currentTarget.getBoundingClientRect().left - LABEL_W;
    if (px >= 0) onSeek(xToTime(px, view, plotW));
  };
  return (
    <div ref={wrapRef} className="timeline-plot">
      <svg width={width} height={height} onClick={seekAt} data-testid="limb-lanes" aria-label="Limb activity lanes">
        {lanes.limbs.map((lane, i) => {
          const top = 1 + i * LANE_H;
          return (
            <g key={lane.limb} data-limb={lane.limb}>
              <rect className={`lane-bg ${i % 2 ? "alt" : ""}`} x={0} y={top} width={width} height={LANE_H} />
              <text className="lane-label" x={6} y={top + 11}>
                {LIMB_NAMES[lane.limb] ?? lane.limb}
              </text>
              {lane.windows.map((w) => {
                const t0 = w.start_frame / fps;
                const t1 = w.stop_frame / fps;
                if (t1 < view.start || t0 > view.end) return null;
                const x0 = Math.max(LABEL_W, x(t0));
                const x1 = Math.min(LABEL_W + plotW, x(t1));
                const speed = w.speed === null ? "not measured" : `${w.speed.toPrecision(3)} ${lanes.unit}`;
                return (
                  <rect
                    key={w.start_frame}
                    className="limb-window"
                    data-level={w.level === null ? "none" : w.level}
                    x={x0}
                    y={top + 1}
                    width={Math.max(0.5, x1 - x0)}
                    height={LANE_H - 2}
                    fill={laneColour(w.level)}
                    stroke={w.level === null ? "#c8ccd2" : "none"}
                    strokeDasharray={w.level === null ? "2 2" : undefined}
                  >
                    <title>{`${LIMB_NAMES[lane.limb] ?? lane.limb} ${formatTime(t0)}–${formatTime(t1)}: ${speed}${w.level === null ? "" : ` (level ${w.level.toFixed(2)})`}`}</title>
                  </rect>
                );
              })}
            </g>
          );
        })}
        {currentTime >= view.start && currentTime <= view.end && (
          <line x1={x(currentTime)} x2={x(currentTime)} y1={0} y2={height} stroke="#d1495b" strokeWidth={1.5} data-testid="limb-lanes-cursor" />
        )}
      </svg>
    </div>
  );
}
