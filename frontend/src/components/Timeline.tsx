/**
 * The timeline: a time axis, the seizure events with their onset / offset / tG markers, one
 * lane per body region with its MOI segments, and a lane of model-prediction probabilities
 * (one line per class). Click to seek, click a segment to edit its MOI; zoom with the
 * buttons, `z` / `x`, or Ctrl + mouse wheel.
 */
import { type MouseEvent, type ReactNode, useEffect, useRef, useState } from "react";
import {
  type Interval,
  layoutLanes,
  type ProbabilityRow,
  probabilityPolylines,
  ticks,
  timeToX,
  type View,
  xToTime,
} from "../lib/lanes";
import { formatTime } from "../lib/time";

export interface TimelineMoi extends Interval {
  label: string;
}

export interface TimelineEvent {
  id: number;
  t0: number;
  t1: number;
  tG: number | null;
}

export interface Prediction {
  labels: string[];
  rows: ProbabilityRow[];
}

/** Where things are on the drawn timeline, for layers drawn over it (`extra`). */
export interface TimelineGeometry {
  /** x pixel (in the SVG) of time `t` (s). */
  x: (t: number) => number;
  /** Time (s) under a pointer at `clientX` (clamped to the view). */
  timeAt: (clientX: number) => number;
  /** The SVG's height, and the y where the lanes start (under the axis). */
  height: number;
  top: number;
  /** Each drawn MOI segment's box (its id as given in `mois`). */
  segments: { id: string; x: number; y: number; width: number; height: number }[];
  /** Whether `t` is inside the view. */
  visible: (t: number) => boolean;
}

interface TimelineProps {
  view: View;
  currentTime: number;
  mois: TimelineMoi[];
  regions: { code: string; label: string }[];
  events: TimelineEvent[];
  selectedEventId: number | null;
  selectedMoiId: string | null;
  prediction: Prediction | null;
  showEmptyLanes: boolean;
  onSeek: (t: number) => void;
  onSelectMoi: (id: string) => void;
  onZoom: (factor: number, anchor: number) => void;
  /** Drawn last, over everything (drag handles of team/EdgeHandles). */
  extra?: (geometry: TimelineGeometry) => ReactNode;
}

const LABEL_W = 110;
const AXIS_H = 22;
const ROW_H = 15;
const LANE_PAD = 3;
const PRED_H = 70;
const CLASS_COLOURS = ["#1f5fa8", "#d1495b", "#2a9d8f", "#e9a23b", "#6a4c93", "#555555"];

export function classColour(index: number): string {
  return CLASS_COLOURS[index % CLASS_COLOURS.length]!;
}

export function Timeline(props: TimelineProps) {
  const { view, currentTime, mois, regions, events, selectedEventId, selectedMoiId, prediction, showEmptyLanes } = props;
  const wrapRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  const plotW = Math.max(50, width - LABEL_W);

  useEffect(() => {
    const el = wrapRef.current;
    if (el === null) return undefined;
    const observer = new ResizeObserver((entries) => setWidth(entries[0]?.contentRect.width ?? 800));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // Ctrl + wheel zooms around the pointer (a non-passive listener, so the page does not zoom).
  const zoomRef = useRef(props.onZoom);
  zoomRef.current = props.onZoom;
  const viewRef = useRef(view);
  viewRef.current = view;
  useEffect(() => {
    const el = wrapRef.current;
    if (el === null) return undefined;
    const onWheel = (event: WheelEvent) => {
      if (!event.ctrlKey) return;
      event.preventDefault();
      const box = el.getBoundingClientRect();
      const anchor = xToTime(event.clientX - box.left - LABEL_W, viewRef.current, box.width - LABEL_W);
      zoomRef.current(event.deltaY < 0 ? 1.25 : 0.8, anchor);
    };
    el.addEventListener("wheel", onWheel, { passive: false });
    return () => el.removeEventListener("wheel", onWheel);
  }, []);

  const regionCodes = regions.map((r) => r.code);
  const regionLabel = new Map(regions.map((r) => [r.code, r.label]));
  let lanes = layoutLanes(mois, regionCodes, view, plotW);
  if (!showEmptyLanes) lanes = lanes.filter((l) => mois.some((m) => m.region === l.region));
  // The prediction lane sits right under the axis, above the region lanes.
  const predTop = AXIS_H;
  const laneTops: number[] = [];
  let y = AXIS_H + (prediction ? PRED_H + 6 : 0);
  for (const lane of lanes) {
    laneTops.push(y);
    y += lane.rows * ROW_H + 2 * LANE_PAD;
  }
  const height = y;
  const x = (t: number) => LABEL_W + timeToX(t, view, plotW);
  const visibleX = (t: number) => t >= view.start && t <= view.end;

  const seekAt = (event: MouseEvent<SVGSVGElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    const px = event.clientX - box.left - LABEL_W;
    if (px >= 0) props.onSeek(xToTime(px, view, plotW));
  };

  const svgRef = useRef<SVGSVGElement>(null);
  const geometry: TimelineGeometry = {
    x,
    timeAt: (clientX) => xToTime(clientX - (svgRef.current?.getBoundingClientRect().left ?? 0) - LABEL_W, view, plotW),
    height,
    top: AXIS_H,
    segments: lanes.flatMap((lane, i) =>
      lane.segments.map((seg) => ({ id: seg.item.id, x: LABEL_W + seg.x, y: laneTops[i]! + LANE_PAD + seg.row * ROW_H + 1, width: seg.width, height: ROW_H - 2 })),
    ),
    visible: visibleX,
  };
  const lines = prediction ? probabilityPolylines(prediction.rows, prediction.labels.length, view, plotW, PRED_H) : [];

  return (
    <div ref={wrapRef} className="timeline-plot">
      <svg
        ref={svgRef}
        width={width}
        height={height}
        role="group"
        aria-label={`Timeline from ${formatTime(view.start)} to ${formatTime(view.end)}; click to seek`}
        onClick={seekAt}
      >
        {lanes.map((lane, i) => (
          <rect
            key={`bg-${lane.region}`}
            className={`lane-bg ${i % 2 ? "alt" : ""}`}
            x={0}
            y={laneTops[i]}
            width={width}
            height={lane.rows * ROW_H + 2 * LANE_PAD}
          />
        ))}
        {events.map((ev) => (
          <rect
            key={`band-${ev.id}`}
            className="event-band"
            x={Math.max(LABEL_W, x(ev.t0))}
            y={AXIS_H}
            width={Math.max(0, Math.min(x(ev.t1), LABEL_W + plotW) - Math.max(LABEL_W, x(ev.t0)))}
            height={height - AXIS_H}
            opacity={ev.id === selectedEventId ? 1 : 0.5}
          />
        ))}
        {ticks(view, Math.max(2, Math.floor(plotW / 90))).map((t) => (
          <g key={`tick-${t}`}>
            <line className="tick" x1={x(t)} x2={x(t)} y1={AXIS_H - 6} y2={height} />
            <text className="tick-label" x={x(t) + 2} y={12}>
              {formatTime(t)}
            </text>
          </g>
        ))}
        {lanes.map((lane, i) => (
          <g key={lane.region}>
            <text className="lane-label" x={6} y={laneTops[i]! + LANE_PAD + 12}>
              {regionLabel.get(lane.region) ?? lane.region}
            </text>
            {lane.segments.map((seg) => {
              const top = laneTops[i]! + LANE_PAD + seg.row * ROW_H + 1;
              const selected = seg.item.id === selectedMoiId;
              return (
                <g
                  key={seg.item.id}
                  role="button"
                  tabIndex={0}
                  aria-label={`MOI ${seg.item.label}, ${regionLabel.get(lane.region) ?? lane.region}, ${formatTime(seg.item.start)} to ${formatTime(seg.item.end)}`}
                  onClick={(e) => {
                    e.stopPropagation();
                    props.onSelectMoi(seg.item.id);
                  }}
                  onKeyDown={(e) => {
                    if (e.key === "Enter") props.onSelectMoi(seg.item.id);
                  }}
                >
                  <rect className={`segment ${selected ? "selected" : ""}`} x={LABEL_W + seg.x} y={top} width={seg.width} height={ROW_H - 2} rx={2} />
                  {seg.width > 40 && (
                    <text className="segment-text" x={LABEL_W + seg.x + 3} y={top + 11}>
                      {seg.item.label.slice(0, Math.floor(seg.width / 6))}
                    </text>
                  )}
                </g>
              );
            })}
          </g>
        ))}
        {prediction && (
          <g aria-label="Model prediction probabilities">
            <rect className="pred-bg" x={0} y={predTop + 2} width={width} height={PRED_H} />
            <text className="lane-label" x={6} y={predTop + 14}>
              Prediction
            </text>
            <text className="lane-label" x={LABEL_W - 16} y={predTop + 12}>
              1
            </text>
            <text className="lane-label" x={LABEL_W - 16} y={predTop + PRED_H}>
              0
            </text>
            <g transform={`translate(${LABEL_W}, ${predTop + 2})`}>
              {lines.map((points, c) => (
                <polyline key={prediction.labels[c]} className="prob-line" points={points} stroke={classColour(c)} />
              ))}
            </g>
          </g>
        )}
        {events.flatMap((ev) =>
          (
            [
              ["onset", ev.t0, "var(--onset)"],
              ["offset", ev.t1, "var(--offset)"],
              ["tG", ev.tG, "var(--tg)"],
            ] as const
          )
            .filter(([, t]) => t !== null && visibleX(t))
            .map(([name, t, colour]) => (
              <g key={`${ev.id}-${name}`}>
                <line x1={x(t!)} x2={x(t!)} y1={AXIS_H - 8} y2={height} stroke={colour} strokeWidth={2} strokeDasharray={name === "tG" ? "4 3" : undefined} />
                <text x={x(t!) + 3} y={AXIS_H - 1} fontSize={10} fill={colour}>
                  {name}
                </text>
              </g>
            )),
        )}
        {visibleX(currentTime) && <line className="playhead" x1={x(currentTime)} x2={x(currentTime)} y1={0} y2={height} />}
        {props.extra?.(geometry)}
      </svg>
    </div>
  );
}
