/**
 * The labelling screen's rules as pure functions: what a marker key does to the seizure event,
 * how an MOI form is checked and which event a new MOI joins, the export file, the prediction
 * lane. Times are seconds; the server checks the same rules again (docs/api.md).
 */
import type { EventPublic, EventUpdate, ModelRunDetail, MoiPublic, RecordingPublic, Vocabulary } from "../../api/types";
import type { MoiDraft } from "../../components/MoiPanel";
import type { Prediction } from "../../components/Timeline";
import { formatTime, parseTime } from "../../lib/time";

export type Marker = "onset" | "offset" | "tg";
const MARKER_FIELD: Record<Marker, "t0" | "t1" | "tG"> = { onset: "t0", offset: "t1", tg: "tG" };
export const MARKER_NAME: Record<Marker, string> = { onset: "Onset", offset: "Offset", tg: "tG" };

export const DEFAULT_EVENT_LABEL = "seizure";
/** Suggested event classes (docs/api.md: the class label, e.g. FLE, TLE, NES). */
export const EVENT_LABELS = ["FLE", "TLE", "NES", "focal", "FBTCS", DEFAULT_EVENT_LABEL];

/** What setting a marker does: create the event, change it, or nothing (with the reason). */
export type MarkerStep =
  | { kind: "create"; t0: number; t1: number }
  | { kind: "patch"; changes: Omit<EventUpdate, "version">; message: string }
  | { kind: "refuse"; message: string };

/**
 * Setting `marker` at `t` (s, on a frame start) on the selected `event` of a recording of
 * `duration` s. Without an event only the onset may be set: it creates the event, with its
 * offset at the end of the recording.
 */
export function markerStep(marker: Marker, event: EventPublic | null, t: number, duration: number): MarkerStep {
  if (event === null) {
    if (marker !== "onset") return { kind: "refuse", message: `${MARKER_NAME[marker]} needs a seizure event: set the onset first (o)` };
    if (t >= duration) return { kind: "refuse", message: "The onset must be before the end of the recording" };
    return { kind: "create", t0: t, t1: duration };
  }
  return { kind: "patch", changes: { [MARKER_FIELD[marker]]: t }, message: `${MARKER_NAME[marker]} set at ${formatTime(t)}` };
}

/** Events in the order of their onsets (a new array). */
export function byOnset(events: EventPublic[]): EventPublic[] {
  return [...events].sort((a, b) => a.t0 - b.t0);
}

/** `events` with `event` in place of the row of the same id, in onset order. */
export function withEvent(events: EventPublic[], event: EventPublic): EventPublic[] {
  return byOnset(events.map((e) => (e.id === event.id ? event : e)));
}

/** The MOI form filled with `moi` (and based on its version). */
export function draftOf(moi: MoiPublic): MoiDraft {
  return { id: moi.id, version: moi.version, region: moi.region, term: moi.term, start: formatTime(moi.start), end: formatTime(moi.end) };
}

/** A new MOI's form from `start` (s) for one second (at most to `duration`), keeping the last region and term. */
export function newDraft(previous: MoiDraft | null, start: number, duration: number): MoiDraft {
  const end = Math.min(duration, start + 1);
  return { id: null, version: null, region: previous?.region ?? "", term: previous?.term ?? "", start: formatTime(start), end: formatTime(end) };
}

/** An MOI as the API takes it (times in seconds). */
export interface MoiFields {
  region: string;
  term: string;
  start: number;
  end: number;
}

/** The MOI form read and checked: its fields, or the message saying what to fix. */
export function readDraft(draft: MoiDraft): { ok: true; moi: MoiFields } | { ok: false; message: string } {
  const start = parseTime(draft.start);
  const end = parseTime(draft.end);
  if (start === null || end === null) return { ok: false, message: `${start === null ? "Start" : "End"} is not a time: type it as m:ss.mmm or seconds` };
  if (end <= start) return { ok: false, message: "The end of an MOI must be after its start" };
  if (!draft.region || !draft.term) return { ok: false, message: "Choose the body region and the MOI" };
  return { ok: true, moi: { region: draft.region, term: draft.term, start, end } };
}

/**
 * The event a new MOI from `start` to `end` belongs to: the selected one; else the one that
 * contains it; else, when the recording has no event yet, a new one over the whole recording
 * ("create"); else none (the user must choose).
 */
export function eventForNewMoi(selected: EventPublic | null, events: EventPublic[], start: number, end: number): EventPublic | "create" | null {
  if (selected !== null) return selected;
  return events.find((e) => e.t0 <= start && end <= e.t1) ?? (events.length === 0 ? "create" : null);
}

/** Display labels of MOI term and body region codes. */
export interface VocabularyLabels {
  term: (code: string) => string;
  region: (code: string) => string;
}

/** Display labels of vocabulary codes (the code itself when unknown). */
export function vocabularyLabels(vocabulary: Vocabulary | null): VocabularyLabels {
  return {
    term: (code) => vocabulary?.terms.find((t) => t.code === code)?.label ?? code,
    region: (code) => vocabulary?.regions.find((r) => r.code === code)?.label ?? code,
  };
}

/** The prediction lane of a model run: one row of class probabilities per window. */
export function predictionOf(run: Pick<ModelRunDetail, "labels" | "windows"> | null): Prediction | null {
  if (run === null) return null;
  return { labels: run.labels, rows: run.windows.map((w) => ({ start: w.t_start, end: w.t_stop, probabilities: w.probs })) };
}

/** The MOIs listed beside the timeline: those of `event` (all when none), by start. */
export function moisOfEvent(mois: MoiPublic[], event: EventPublic | null): MoiPublic[] {
  return mois.filter((m) => event === null || m.event_id === event.id).sort((a, b) => a.start - b.start);
}

/** The "Export labels (JSON)" file (format `ictal-labels/1`): each event with its MOIs. */
export function labelsExport(
  recording: Pick<RecordingPublic, "id" | "path" | "patient_code" | "fps" | "duration">,
  events: EventPublic[],
  mois: MoiPublic[],
) {
  const { id, path, patient_code, fps, duration } = recording;
  return {
    format: "ictal-labels/1",
    recording: { id, path, patient_code, fps, duration },
    events: events.map((e) => ({ ...e, mois: mois.filter((m) => m.event_id === e.id) })),
  };
}
