/**
 * The scrolling trace of a bed: one polyline per class (probability over the last seconds),
 * and the spans where the bed could not be assessed. Pure functions (unit-tested).
 */
import type { MonitorWindow } from "./api";

export interface Span {
  x0: number;
  x1: number;
  reason: string;
}

/** x in [0, width] for time t, the trace ending at `end` and covering `seconds`. */
export function xOf(t: number, end: number, seconds: number, width: number): number {
  return Math.max(0, Math.min(width, width - ((end - t) / seconds) * width));
}

/**
 * The polyline `points` of class `column`: a step per scored window over its span (a window
 * not assessed breaks nothing: it has no point), y = 0 at the top for p = 1.
 */
export function classPoints(
  windows: MonitorWindow[],
  column: number,
  seconds: number,
  width: number,
  height: number,
): string {
  if (windows.length === 0) return "";
  const end = windows[windows.length - 1]!.t_stop;
  const pts: string[] = [];
  for (const w of windows) {
    const p = w.state === "scored" && w.probs ? (w.probs[column] ?? 0) : null;
    if (p === null) continue;
    const y = ((1 - p) * height).toFixed(1);
    pts.push(`${xOf(w.t_start, end, seconds, width).toFixed(1)},${y}`, `${xOf(w.t_stop, end, seconds, width).toFixed(1)},${y}`);
  }
  return pts.join(" ");
}

/** The spans of windows that were not scored (frame gap, covered camera, dropped, ...). */
export function notAssessed(windows: MonitorWindow[], seconds: number, width: number): Span[] {
  if (windows.length === 0) return [];
  const end = windows[windows.length - 1]!.t_stop;
  return windows
    .filter((w) => w.state !== "scored")
    .map((w) => ({ x0: xOf(w.t_start, end, seconds, width), x1: xOf(w.t_stop, end, seconds, width), reason: w.reason ?? w.state }));
}

/** Clock time of a timeline second, as mm:ss or h:mm:ss. */
export function clock(t: number): string {
  const s = Math.floor(t);
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  const two = (v: number) => String(v).padStart(2, "0");
  return hh > 0 ? `${hh}:${two(mm)}:${two(ss)}` : `${two(mm)}:${two(ss)}`;
}
