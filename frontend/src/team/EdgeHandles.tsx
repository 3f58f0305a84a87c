/**
 * Drag handles over the timeline (Timeline's `extra`): one on each marker (onset, offset, tG)
 * of the user's own events and on each edge of their MOI segments. Click a handle to select
 * its edge (then `,` `.` `<` `>` nudge it by 1 / 10 frames); drag it to move the edge — it
 * lands on a frame start (team/editing.ts) and is saved when the pointer is released.
 */
import { type PointerEvent, useState } from "react";
import type { EventPublic, MoiPublic } from "../api/types";
import type { TimelineGeometry } from "../components/Timeline";
import { formatTime } from "../lib/time";
import { type Edge, edgeKey, edgeName, eventEdgeLimits, landOnFrame, moiEdgeLimits, sameEdge } from "./editing";

interface EdgeHandlesProps {
  geometry: TimelineGeometry;
  /** The events and MOIs the user may edit (their own layer). */
  events: EventPublic[];
  mois: MoiPublic[];
  fps: number;
  duration: number;
  selected: Edge | null;
  onSelect: (edge: Edge) => void;
  onMove: (edge: Edge, t: number) => void;
}

interface Handle {
  edge: Edge;
  t: number;
  min: number;
  max: number;
  y: number;
  height: number;
}

const HANDLE_W = 9;

export function EdgeHandles({ geometry, events, mois, fps, duration, selected, onSelect, onMove }: EdgeHandlesProps) {
  const [drag, setDrag] = useState<{ edge: Edge; t: number; moved: boolean } | null>(null);
  const handles: Handle[] = [];
  for (const ev of events) {
    for (const field of ["t0", "t1", "tG"] as const) {
      const t = ev[field];
      if (t === null || !geometry.visible(t)) continue;
      handles.push({ edge: { kind: "event", id: ev.id, field }, t, ...eventEdgeLimits(ev, field, fps, duration), y: geometry.top - 8, height: geometry.height - geometry.top + 8 });
    }
  }
  for (const box of geometry.segments) {
    const m = mois.find((x) => String(x.id) === box.id);
    if (m === undefined) continue;
    for (const field of ["start", "end"] as const) {
      if (!geometry.visible(m[field])) continue;
      handles.push({ edge: { kind: "moi", id: m.id, field }, t: m[field], ...moiEdgeLimits(m, field, fps, duration), y: box.y, height: box.height });
    }
  }

  const down = (h: Handle) => (e: PointerEvent<SVGRectElement>) => {
    e.stopPropagation();
    e.currentTarget.setPointerCapture(e.pointerId);
    onSelect(h.edge);
    setDrag({ edge: h.edge, t: h.t, moved: false });
  };
  const move = (h: Handle) => (e: PointerEvent<SVGRectElement>) => {
    if (drag === null || !sameEdge(drag.edge, h.edge)) return;
    const t = landOnFrame(geometry.timeAt(e.clientX), fps, duration, h);
    if (t !== drag.t) setDrag({ edge: h.edge, t, moved: true });
  };
  const up = (h: Handle) => (e: PointerEvent<SVGRectElement>) => {
    e.stopPropagation();
    if (drag !== null && sameEdge(drag.edge, h.edge) && drag.moved && Math.abs(drag.t - h.t) > 1e-9) onMove(h.edge, drag.t);
    setDrag(null);
  };

  return (
    <g aria-label="Edge handles">
      {handles.map((h) => {
        const isSelected = sameEdge(selected, h.edge);
        const shown = drag !== null && sameEdge(drag.edge, h.edge) ? drag.t : h.t;
        const cx = geometry.x(shown);
        return (
          <g key={edgeKey(h.edge)}>
            {drag !== null && sameEdge(drag.edge, h.edge) && (
              <line className="drag-ghost" x1={cx} x2={cx} y1={h.y} y2={h.y + h.height} stroke="#111" strokeWidth={2} strokeDasharray="2 2" />
            )}
            <rect
              role="button"
              tabIndex={-1}
              aria-label={`Edge ${edgeName(h.edge)} at ${formatTime(h.t)}`}
              aria-pressed={isSelected}
              data-edge={edgeKey(h.edge)}
              className={`edge-handle ${isSelected ? "selected" : ""}`}
              x={cx - HANDLE_W / 2}
              y={h.y}
              width={HANDLE_W}
              height={h.height}
              fill={isSelected ? "rgba(0,0,0,0.25)" : "transparent"}
              style={{ cursor: "ew-resize", touchAction: "none" }}
              onClick={(e) => e.stopPropagation()}
              onPointerDown={down(h)}
              onPointerMove={move(h)}
              onPointerUp={up(h)}
            />
          </g>
        );
      })}
    </g>
  );
}
