/**
 * The explanation panel under the timeline: the saliency toggle and the lane of per-window
 * attribution (same time axis and 110 px label column as the timeline): each window a bar of
 * how much it raised (orange, up) or lowered (blue, down) the decision's probability when left
 * out; explained windows outlined. Click to seek.
 */
import { type MouseEvent, useEffect, useRef, useState } from "react";
import type { VideoPlayer } from "../hooks/useVideoPlayer";
import { timeToX, xToTime } from "../lib/lanes";
import type { ExplanationState } from "./useExplanation";

const LABEL_W = 110;
const LANE_H = 36;

export function ExplanationPanel({ state, player }: { state: ExplanationState; player: VideoPlayer }) {
  const { explanation } = state;
  const wrapRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  useEffect(() => {
    const el = wrapRef.current;
    if (el === null) return undefined;
    const observer = new ResizeObserver((entries) => setWidth(entries[0]?.contentRect.width ?? 800));
    observer.observe(el);
    return () => observer.disconnect();
  }, [explanation]);
  if (!explanation) return null;
  const view = player.view;
  const plotW = Math.max(50, width - LABEL_W);
  const x = (t: number) => LABEL_W + timeToX(t, view, plotW);
  const peak = Math.max(1e-9, ...explanation.windows.map((w) => Math.abs(w.contribution)));
  const mid = LANE_H / 2;
  const seekAt = (event: MouseEvent<SVGSVGElement>) => {
    const px = event.clientX - event.currentTarget.getBoundingClientRect().left - LABEL_W;
    if (px >= 0) player.seek(xToTime(px, view, plotW));
  };
  const explained = explanation.windows.filter((w) => w.explained).length;
  return (
    <section className="panel timeline" aria-label="Explanation">
      <div className="timeline-toolbar">
        <h3 style={{ margin: 0 }}>Explanation</h3>
        <span className="muted">
          {explanation.model ?? "model"}: {explanation.decision} · maps of {explanation.target} ({explanation.method}) · {explained} window(s) explained
        </span>
        <span className="spacer" />
        <label className="inline">
          <input type="checkbox" aria-label="Show the saliency on the video" checked={state.showSaliency} onChange={(e) => state.setShowSaliency(e.target.checked)} />
          Saliency
        </label>
      </div>
      <div ref={wrapRef} className="timeline-plot">
        <svg width={width} height={LANE_H + 2} onClick={seekAt} data-testid="attribution-lane" aria-label="Per-window attribution lane">
          <rect className="lane-bg" x={0} y={0} width={width} height={LANE_H} />
          <text className="lane-label" x={6} y={mid + 4}>
            drove decision
          </text>
          <line x1={LABEL_W} x2={width} y1={mid} y2={mid} stroke="#999" />
          {explanation.windows.map((w) => {
            const h = ((mid - 2) * Math.abs(w.contribution)) / peak;
            const x0 = x(w.t_start);
            const x1 = x(w.t_stop);
            if (x1 < LABEL_W || x0 > width) return null;
            return (
              <rect
                key={w.index}
                className="attribution-bar"
                data-window={w.index}
                data-explained={w.explained ? "1" : "0"}
                x={Math.max(LABEL_W, x0)}
                y={w.contribution > 0 ? mid - h : mid}
                width={Math.max(1, Math.min(x1, width) - Math.max(LABEL_W, x0) - 1)}
                height={Math.max(0.5, h)}
                fill={w.contribution > 0 ? "#e6550d" : "#6baed6"}
                stroke={w.explained ? "#000" : "none"}
              >
                <title>
                  window {w.index}: {w.t_start.toFixed(2)}–{w.t_stop.toFixed(2)} s, {w.contribution >= 0 ? "+" : ""}
                  {w.contribution.toFixed(4)}
                </title>
              </rect>
            );
          })}
          <line x1={x(player.time)} x2={x(player.time)} y1={0} y2={LANE_H} stroke="#c00" />
        </svg>
      </div>
    </section>
  );
}
