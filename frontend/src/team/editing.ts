/**
 * Editing comforts of the labelling screen as pure functions: which edge (event marker or MOI
 * bound) is selected, nudging it by whole frames, the frame a drag lands on, and the undo /
 * redo history of the user's own edits in this session.
 *
 * Times are seconds on frame starts (frame `n` starts at `n / fps`); every edited time is put
 * back on a frame start, so nudging 10 frames and back is exact.
 */
import { frameAt, frameCount, frameStart } from "../lib/time";

/** An event marker (onset t0, offset t1, generalisation tG) or an MOI bound. */
export type Edge =
  | { kind: "event"; id: number; field: "t0" | "t1" | "tG" }
  | { kind: "moi"; id: number; field: "start" | "end" };

/** Stable key of an edge (for React and comparisons). */
export function edgeKey(edge: Edge): string {
  return `${edge.kind}-${edge.id}-${edge.field}`;
}

export function sameEdge(a: Edge | null, b: Edge | null): boolean {
  return a !== null && b !== null && edgeKey(a) === edgeKey(b);
}

/** Human name of an edge ("onset of event 3", "end of MOI 7"). */
export function edgeName(edge: Edge): string {
  const names = { t0: "onset", t1: "offset", tG: "tG", start: "start", end: "end" } as const;
  return `${names[edge.field]} of ${edge.kind === "event" ? "event" : "MOI"} ${edge.id}`;
}

/** The bounds an edge may move within: its partner edges and the recording (s). */
export interface EdgeLimits {
  /** The time it must stay at or after (frame start), e.g. an offset stays after its onset. */
  min: number;
  /** The time it must stay at or before. */
  max: number;
}

/**
 * Where an edge lands when moved to `t` (s): on the start of the frame shown at `t`, clamped to
 * `limits` and to the recording's frames.
 */
export function landOnFrame(t: number, fps: number, duration: number, limits: EdgeLimits): number {
  const last = frameCount(duration, fps);
  // The offset / end may sit on the end of the last frame (= duration); starts are frame starts.
  const frame = Math.min(last, Math.max(0, frameAt(Math.max(0, t), fps)));
  const minFrame = Math.ceil(limits.min * fps - 1e-6);
  const maxFrame = Math.floor(limits.max * fps + 1e-6);
  return frameStart(Math.min(maxFrame, Math.max(minFrame, frame)), fps);
}

/**
 * `t` (s) moved by `frames` whole frames from the frame it lies in (negative: earlier), on that
 * frame's start, kept within `limits`.
 */
export function nudge(t: number, frames: number, fps: number, duration: number, limits: EdgeLimits): number {
  const frame = frameAt(Math.max(0, t), fps) + frames;
  return landOnFrame(frameStart(frame, fps) + 1e-7, fps, duration, limits);
}

/** The fields an event's marker may take without breaking t0 < tG < t1 (one frame apart). */
export function eventEdgeLimits(ev: { t0: number; t1: number; tG: number | null }, field: "t0" | "t1" | "tG", fps: number, duration: number): EdgeLimits {
  const frame = 1 / fps;
  if (field === "t0") return { min: 0, max: (ev.tG ?? ev.t1) - frame };
  if (field === "t1") return { min: (ev.tG ?? ev.t0) + frame, max: duration };
  return { min: ev.t0 + frame, max: ev.t1 - frame };
}

/** The limits of an MOI bound: the start stays a frame before the end and vice versa. */
export function moiEdgeLimits(m: { start: number; end: number }, field: "start" | "end", fps: number, duration: number): EdgeLimits {
  const frame = 1 / fps;
  return field === "start" ? { min: 0, max: m.end - frame } : { min: m.start + frame, max: duration };
}

// --- undo / redo ---------------------------------------------------------------------------------

/** Field values of an event or an MOI (what a PATCH sends, without the version; an event's
 * `signs` is a list). */
export type Fields = Record<string, string | number | string[] | null>;

/** One of the user's own edits, with what undoes it. */
export type Edit =
  | { kind: "patch"; target: "event" | "moi"; id: number; before: Fields; after: Fields; label: string }
  | { kind: "create"; target: "event" | "moi"; id: number; fields: Fields; parentId: number | null; label: string }
  | { kind: "delete"; target: "event" | "moi"; id: number; fields: Fields; parentId: number | null; label: string };

/** The session's history: `past` (newest last) can be undone, `future` (newest last) redone. */
export interface History {
  past: Edit[];
  future: Edit[];
}

export const EMPTY_HISTORY: History = { past: [], future: [] };
/** Most edits kept (the oldest are forgotten). */
export const HISTORY_LIMIT = 200;

/** After a new edit: it joins the past and the redo list is cleared. */
export function record(history: History, edit: Edit): History {
  return { past: [...history.past, edit].slice(-HISTORY_LIMIT), future: [] };
}

/** The edit that undoing the newest one performs (its inverse). */
export function inverse(edit: Edit): Edit {
  switch (edit.kind) {
    case "patch":
      return { ...edit, before: edit.after, after: edit.before };
    case "create":
      return { ...edit, kind: "delete" };
    case "delete":
      return { ...edit, kind: "create" };
  }
}

/**
 * An id changed: re-creating a deleted row gives it a new id, so every entry naming the old id
 * (as the row, or as an MOI's parent event) names the new one.
 */
export function remapId(history: History, target: "event" | "moi", from: number, to: number): History {
  const fix = (e: Edit): Edit => {
    let out = e.target === target && e.id === from ? { ...e, id: to } : e;
    if (target === "event" && out.kind !== "patch" && out.target === "moi" && out.parentId === from) out = { ...out, parentId: to };
    return out;
  };
  return { past: history.past.map(fix), future: history.future.map(fix) };
}

/** Move the newest past edit to the future (after its inverse was applied). */
export function afterUndo(history: History): History {
  const edit = history.past[history.past.length - 1];
  if (edit === undefined) return history;
  return { past: history.past.slice(0, -1), future: [...history.future, edit] };
}

/** Move the newest future edit back to the past (after it was applied again). */
export function afterRedo(history: History): History {
  const edit = history.future[history.future.length - 1];
  if (edit === undefined) return history;
  return { past: [...history.past, edit], future: history.future.slice(0, -1) };
}

/** `fields` restricted to `keys` (the before-values of a patch). */
export function pick(row: Record<string, unknown>, keys: readonly string[]): Fields {
  const out: Fields = {};
  for (const k of keys) {
    const v = row[k];
    out[k] = typeof v === "number" || typeof v === "string" ? v : Array.isArray(v) ? v.map(String) : null;
  }
  return out;
}
