/**
 * Geometry of the timeline: a visible time window (zoom), time <-> pixel mapping, one lane per
 * body region with MOI segments packed into sub-rows when they overlap, tick marks, and the
 * polylines of the prediction lane.
 */

/** The visible time window in seconds, `start < end`. */
export interface View {
  start: number;
  end: number;
}

/** An interval to draw; `id` identifies the MOI it came from. */
export interface Interval {
  id: string;
  region: string;
  start: number;
  end: number;
}

/** A segment placed on the timeline: pixel x and width, and its sub-row within its lane. */
export interface PlacedSegment<T extends Interval = Interval> {
  item: T;
  x: number;
  width: number;
  row: number;
}

/** One lane (body region) with its segments and how many sub-rows they need (>= 1). */
export interface Lane<T extends Interval = Interval> {
  region: string;
  segments: PlacedSegment<T>[];
  rows: number;
}

/** The narrowest segment drawn, in pixels, so a one-frame MOI stays clickable. */
export const MIN_SEGMENT_PX = 3;

/** x pixel of time `t` in a `width`-pixel-wide view. */
export function timeToX(t: number, view: View, width: number): number {
  return ((t - view.start) / (view.end - view.start)) * width;
}

/** Time at x pixel `x` in a `width`-pixel-wide view, clamped to the view. */
export function xToTime(x: number, view: View, width: number): number {
  const t = view.start + (x / width) * (view.end - view.start);
  return Math.min(view.end, Math.max(view.start, t));
}

/**
 * Zoom the view by `factor` (> 1 zooms in) keeping time `anchor` at the same pixel, clamped to
 * [0, duration] and never narrower than `minSpan` seconds.
 */
export function zoomView(view: View, factor: number, anchor: number, duration: number, minSpan = 0.5): View {
  const span = view.end - view.start;
  const newSpan = Math.min(duration, Math.max(Math.min(minSpan, duration), span / factor));
  const ratio = span > 0 ? (anchor - view.start) / span : 0.5;
  let start = anchor - ratio * newSpan;
  start = Math.min(Math.max(0, start), duration - newSpan);
  return { start, end: start + newSpan };
}

/** Shift the view so that time `t` is visible, keeping its span (used while playing). */
export function followTime(view: View, t: number, duration: number): View {
  if (t >= view.start && t <= view.end) return view;
  const span = view.end - view.start;
  const start = Math.min(Math.max(0, t - span * 0.1), Math.max(0, duration - span));
  return { start, end: start + span };
}

/**
 * Lay MOIs out in one lane per region (in `regions` order; regions not listed get a lane
 * after them, sorted). Within a lane, overlapping MOIs go to the first sub-row that is free
 * (greedy interval partitioning by start time). Segments outside the view are dropped;
 * visible ones are clipped to it.
 */
export function layoutLanes<T extends Interval>(
  items: readonly T[],
  regions: readonly string[],
  view: View,
  width: number,
): Lane<T>[] {
  const extra = [...new Set(items.map((i) => i.region).filter((r) => !regions.includes(r)))].sort();
  const order = [...regions, ...extra];
  return order.map((region) => {
    const inLane = items
      .filter((i) => i.region === region)
      .sort((a, b) => a.start - b.start || a.end - b.end);
    const rowEnds: number[] = [];
    const segments: PlacedSegment<T>[] = [];
    for (const item of inLane) {
      let row = rowEnds.findIndex((end) => end <= item.start);
      if (row === -1) {
        row = rowEnds.length;
        rowEnds.push(item.end);
      } else {
        rowEnds[row] = item.end;
      }
      if (item.end < view.start || item.start > view.end) continue;
      const x0 = timeToX(Math.max(item.start, view.start), view, width);
      const x1 = timeToX(Math.min(item.end, view.end), view, width);
      segments.push({ item, x: x0, width: Math.max(MIN_SEGMENT_PX, x1 - x0), row });
    }
    return { region, segments, rows: Math.max(1, rowEnds.length) };
  });
}

/** A "nice" tick step (1, 2 or 5 times a power of ten) giving about `target` ticks. */
export function tickStep(span: number, target = 8): number {
  const raw = span / Math.max(1, target);
  const power = 10 ** Math.floor(Math.log10(raw));
  const mantissa = raw / power;
  const nice = mantissa <= 1 ? 1 : mantissa <= 2 ? 2 : mantissa <= 5 ? 5 : 10;
  return nice * power;
}

/** Tick times (multiples of the step) inside the view. */
export function ticks(view: View, target = 8): number[] {
  const step = tickStep(view.end - view.start, target);
  const out: number[] = [];
  const first = Math.ceil(view.start / step - 1e-9);
  for (let k = first; k * step <= view.end + 1e-9; k++) out.push(Number((k * step).toFixed(6)));
  return out;
}

/** One prediction window: its time span and one probability per class, in [0, 1]. */
export interface ProbabilityRow {
  start: number;
  end: number;
  probabilities: readonly number[];
}

/**
 * SVG polyline `points` strings, one per class: each window contributes the point at its
 * midpoint, y = (1 - p) * height so that p = 1 is at the top of the lane.
 */
export function probabilityPolylines(
  rows: readonly ProbabilityRow[],
  classCount: number,
  view: View,
  width: number,
  height: number,
): string[] {
  const sorted = [...rows].sort((a, b) => a.start - b.start);
  return Array.from({ length: classCount }, (_, c) =>
    sorted
      .map((row) => {
        const x = timeToX((row.start + row.end) / 2, view, width);
        const p = Math.min(1, Math.max(0, row.probabilities[c] ?? 0));
        return `${x.toFixed(1)},${((1 - p) * height).toFixed(1)}`;
      })
      .join(" "),
  );
}
