/**
 * Drag / nudge of edges, and undo / redo of the user's own edits in this session (team/editing.ts
 * holds the rules). Edits go to the server one by one with the row's current version; a refusal
 * (a colleague's row: 403, changed meanwhile: 409) is reported and leaves the history as it was.
 *
 * A key pressed while a save is in flight waits for it: the edits run in a queue, each reading
 * the history and the rows as the previous one left them (the rows it saved are kept until the
 * page's own rows catch up, so the next edit sends the new version, not a stale one).
 */
import { useCallback, useRef, useState } from "react";
import { type ApiClient, unwrap } from "../api/client";
import type { EventPublic, MoiPublic, Sign } from "../api/types";
import type { RecordingDataState } from "../hooks/useRecordingData";
import { formatTime } from "../lib/time";
import {
  afterRedo,
  afterUndo,
  type Edge,
  type Edit,
  EMPTY_HISTORY,
  edgeName,
  eventEdgeLimits,
  type Fields,
  type History,
  inverse,
  landOnFrame,
  moiEdgeLimits,
  nudge,
  record,
  remapId,
} from "./editing";

export interface EditingContext {
  api: ApiClient;
  recordingId: number;
  events: EventPublic[];
  mois: MoiPublic[];
  fps: number;
  duration: number;
  updateEvents: RecordingDataState["updateEvents"];
  updateMois: RecordingDataState["updateMois"];
  report: (err: unknown, action: string) => void;
  notify: (kind: "success" | "info" | "error", message: string) => void;
}

const EVENT_FIELDS = ["t0", "t1", "tG", "label", "seizure_types", "semiology", "signs"] as const;
const MOI_FIELDS = ["region", "term", "start", "end"] as const;

export function useEditing(ctx: EditingContext) {
  const [edge, setEdge] = useState<Edge | null>(null);
  const [history, setHistory] = useState<History>(EMPTY_HISTORY);
  const [busy, setBusy] = useState(false);
  const ctxRef = useRef(ctx);
  ctxRef.current = ctx;
  // the history as the last edit left it (the state renders it; queued edits read this)
  const historyRef = useRef(history);
  const changeHistory = useCallback((change: (h: History) => History) => {
    historyRef.current = change(historyRef.current);
    setHistory(historyRef.current);
  }, []);
  // rows this hook saved ("event-3" -> the saved row, null: deleted), newer than the page's
  // rows until they are rendered
  const savedRows = useRef(new Map<string, EventPublic | MoiPublic | null>());
  const queue = useRef<Promise<unknown>>(Promise.resolve());

  /** Run `job` after every edit queued before it. */
  const enqueue = <T>(job: () => Promise<T>): Promise<T> => {
    const run = queue.current.then(job);
    queue.current = run.catch(() => undefined);
    return run;
  };

  /** The newest known version of an event or MOI: the page's, or the one this hook saved. */
  function row(target: "event", id: number): EventPublic | undefined;
  function row(target: "moi", id: number): MoiPublic | undefined;
  function row(target: "event" | "moi", id: number): EventPublic | MoiPublic | undefined {
    const shown = (target === "event" ? ctxRef.current.events : ctxRef.current.mois) as (EventPublic | MoiPublic)[];
    const page = shown.find((x) => x.id === id);
    const saved = savedRows.current.get(`${target}-${id}`);
    if (saved === undefined) return page;
    if (saved === null) return undefined;
    return page !== undefined && page.version > saved.version ? page : saved;
  }

  /** Another part of the screen saved an edit of the user's: remember it for undo. */
  const onEdit = useCallback((edit: Edit) => changeHistory((h) => record(h, edit)), [changeHistory]);

  /** The time of an edge, and how far it may move, or null when its row is gone. */
  const edgeState = (e: Edge): { t: number; min: number; max: number } | null => {
    const { fps, duration } = ctxRef.current;
    if (e.kind === "event") {
      const ev = row("event", e.id);
      const t = ev?.[e.field];
      if (ev === undefined || t === null || t === undefined) return null;
      return { t, ...eventEdgeLimits(ev, e.field, fps, duration) };
    }
    const m = row("moi", e.id);
    if (m === undefined) return null;
    return { t: m[e.field], ...moiEdgeLimits(m, e.field, fps, duration) };
  };

  /** Send one edit to the server; returns the id of a row it created (else the edit's id). */
  const apply = async (edit: Edit): Promise<number> => {
    const { api, updateEvents, updateMois, recordingId } = ctxRef.current;
    const key = `${edit.target}-${edit.id}`;
    if (edit.kind === "patch") {
      if (edit.target === "event") {
        const ev = row("event", edit.id);
        if (!ev) throw new Error(`event ${edit.id} is not on this recording any more`);
        const saved = await unwrap(api.PATCH("/api/events/{event_id}", { params: { path: { event_id: ev.id } }, body: { ...edit.after, version: ev.version } }));
        savedRows.current.set(key, saved);
        updateEvents((all) => all.map((x) => (x.id === saved.id ? saved : x)).sort((a, b) => a.t0 - b.t0));
      } else {
        const m = row("moi", edit.id);
        if (!m) throw new Error(`MOI ${edit.id} is not on this recording any more`);
        const saved = await unwrap(api.PATCH("/api/mois/{moi_id}", { params: { path: { moi_id: m.id } }, body: { ...edit.after, version: m.version } }));
        savedRows.current.set(key, saved);
        updateMois((all) => all.map((x) => (x.id === saved.id ? saved : x)));
      }
      return edit.id;
    }
    if (edit.kind === "delete") {
      if (edit.target === "event") {
        const ev = row("event", edit.id);
        if (!ev) throw new Error(`event ${edit.id} is not on this recording any more`);
        await unwrap(api.DELETE("/api/events/{event_id}", { params: { path: { event_id: ev.id }, query: { version: ev.version } } }));
        savedRows.current.set(key, null);
        updateEvents((all) => all.filter((x) => x.id !== ev.id));
        updateMois((all) => all.filter((x) => x.event_id !== ev.id));
      } else {
        const m = row("moi", edit.id);
        if (!m) throw new Error(`MOI ${edit.id} is not on this recording any more`);
        await unwrap(api.DELETE("/api/mois/{moi_id}", { params: { path: { moi_id: m.id }, query: { version: m.version } } }));
        savedRows.current.set(key, null);
        updateMois((all) => all.filter((x) => x.id !== m.id));
      }
      return edit.id;
    }
    // create (again)
    if (edit.target === "event") {
      const f = edit.fields;
      const ev = await unwrap(
        api.POST("/api/recordings/{recording_id}/events", {
          params: { path: { recording_id: recordingId } },
          body: {
            t0: Number(f.t0),
            t1: Number(f.t1),
            tG: f.tG === null || f.tG === undefined ? null : Number(f.tG),
            label: String(f.label),
            seizure_types: String(f.seizure_types ?? ""),
            semiology: String(f.semiology ?? ""),
            signs: Array.isArray(f.signs) ? (f.signs as Sign[]) : [],
          },
        }),
      );
      savedRows.current.set(`event-${ev.id}`, ev);
      updateEvents((all) => [...all, ev].sort((a, b) => a.t0 - b.t0));
      return ev.id;
    }
    if (edit.parentId === null) throw new Error("the MOI's event is unknown");
    const f = edit.fields;
    const m = await unwrap(
      api.POST("/api/events/{event_id}/mois", {
        params: { path: { event_id: edit.parentId } },
        body: { region: String(f.region), term: String(f.term), start: Number(f.start), end: Number(f.end) },
      }),
    );
    savedRows.current.set(`moi-${m.id}`, m);
    updateMois((all) => [...all, m]);
    return m.id;
  };

  /** Apply `edit` as a new edit of the user's (recorded for undo). */
  const perform = async (edit: Edit, action: string): Promise<boolean> => {
    setBusy(true);
    try {
      const id = await apply(edit);
      changeHistory((h) => record(h, { ...edit, id }));
      return true;
    } catch (err) {
      ctxRef.current.report(err, action);
      return false;
    } finally {
      setBusy(false);
    }
  };

  /** Move `e` to `t` (s), landing on a frame start within its limits. */
  const moveEdgeNow = async (e: Edge, t: number): Promise<void> => {
    const state = edgeState(e);
    if (state === null) return;
    const { fps, duration } = ctxRef.current;
    const to = landOnFrame(t, fps, duration, state);
    if (Math.abs(to - state.t) < 1e-9) return;
    const ok = await perform({ kind: "patch", target: e.kind, id: e.id, before: { [e.field]: state.t }, after: { [e.field]: to }, label: `${edgeName(e)} moved` }, `Moving the ${edgeName(e)}`);
    if (ok) ctxRef.current.notify("success", `${edgeName(e)} at ${formatTime(to)}`);
  };

  /** Nudge the selected edge by `frames` frames (from where the edits before it left it). */
  const nudgeSelected = (frames: number): Promise<void> => {
    if (edge === null) {
      ctxRef.current.notify("info", "Select an edge first: click an event marker or an MOI edge on the timeline");
      return Promise.resolve();
    }
    const e = edge;
    return enqueue(async () => {
      const state = edgeState(e);
      if (state === null) return;
      const { fps, duration } = ctxRef.current;
      await moveEdgeNow(e, nudge(state.t, frames, fps, duration, state));
    });
  };

  const step = async (direction: "undo" | "redo"): Promise<void> => {
    const { past, future } = historyRef.current;
    const list = direction === "undo" ? past : future;
    const edit = list[list.length - 1];
    if (edit === undefined) {
      ctxRef.current.notify("info", direction === "undo" ? "Nothing to undo" : "Nothing to redo");
      return;
    }
    const todo = direction === "undo" ? inverse(edit) : edit;
    setBusy(true);
    try {
      const id = await apply(todo);
      changeHistory((h) => {
        let next = direction === "undo" ? afterUndo(h) : afterRedo(h);
        if (id !== edit.id) next = remapId(next, edit.target, edit.id, id);
        return next;
      });
      ctxRef.current.notify("info", `${direction === "undo" ? "Undone" : "Redone"}: ${edit.label}`);
    } catch (err) {
      ctxRef.current.report(err, direction === "undo" ? `Undoing "${edit.label}"` : `Redoing "${edit.label}"`);
    } finally {
      setBusy(false);
    }
  };

  return {
    edge,
    selectEdge: setEdge,
    history,
    busy,
    onEdit,
    moveEdge: (e: Edge, t: number) => enqueue(() => moveEdgeNow(e, t)),
    nudgeSelected,
    undo: () => enqueue(() => step("undo")),
    redo: () => enqueue(() => step("redo")),
  };
}

export type Editing = ReturnType<typeof useEditing>;

/** The fields of an event as its creation / re-creation needs them. */
export function eventFields(ev: EventPublic): Fields {
  const out: Fields = {};
  for (const k of EVENT_FIELDS) out[k] = ev[k] ?? null;
  return out;
}

/** The fields of an MOI as its creation / re-creation needs them. */
export function moiFields(m: MoiPublic): Fields {
  const out: Fields = {};
  for (const k of MOI_FIELDS) out[k] = m[k];
  return out;
}
