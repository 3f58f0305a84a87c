import { describe, expect, it } from "vitest";
import type { EventPublic, MoiPublic, Vocabulary } from "../../api/types";
import {
  byOnset,
  draftOf,
  eventForNewMoi,
  labelsExport,
  markerStep,
  moisOfEvent,
  newDraft,
  predictionOf,
  readDraft,
  vocabularyLabels,
  withEvent,
} from "./labels";

const STAMP = "2026-01-01T00:00:00Z";

function event(id: number, t0: number, t1: number, extra: Partial<EventPublic> = {}): EventPublic {
  return {
    id, recording_id: 1, t0, t1, tG: null, label: "seizure", seizure_types: "", semiology: "",
    created_by: 1, created_at: STAMP, updated_at: STAMP, version: 1, ...extra,
  };
}

function moi(id: number, eventId: number, start: number, end: number): MoiPublic {
  return {
    id, event_id: eventId, region: "head", term: "clonic", start, end, annotator_id: 1,
    annotator: "alice", created_at: STAMP, updated_at: STAMP, version: 1,
  };
}

describe("markerStep", () => {
  it("creates the event from the onset, up to the end of the recording", () => {
    expect(markerStep("onset", null, 0.48, 4)).toEqual({ kind: "create", t0: 0.48, t1: 4 });
  });
  it("refuses an onset at the end and any other marker without an event", () => {
    expect(markerStep("onset", null, 4, 4)).toEqual({ kind: "refuse", message: "The onset must be before the end of the recording" });
    expect(markerStep("offset", null, 1, 4)).toEqual({ kind: "refuse", message: "Offset needs a seizure event: set the onset first (o)" });
    expect(markerStep("tg", null, 1, 4).kind).toBe("refuse");
  });
  it("sets the marker's own field on the selected event", () => {
    const ev = event(3, 0.5, 4);
    expect(markerStep("onset", ev, 1, 4)).toEqual({ kind: "patch", changes: { t0: 1 }, message: "Onset set at 0:01.000" });
    expect(markerStep("offset", ev, 3.6, 4)).toEqual({ kind: "patch", changes: { t1: 3.6 }, message: "Offset set at 0:03.600" });
    expect(markerStep("tg", ev, 3, 4)).toEqual({ kind: "patch", changes: { tG: 3 }, message: "tG set at 0:03.000" });
  });
});

describe("events in onset order", () => {
  it("sorts without changing its input", () => {
    const events = [event(1, 5, 6), event(2, 1, 2)];
    expect(byOnset(events).map((e) => e.id)).toEqual([2, 1]);
    expect(events.map((e) => e.id)).toEqual([1, 2]);
  });
  it("replaces an event by id and keeps the order when its onset moves", () => {
    const events = [event(1, 1, 2), event(2, 3, 4)];
    const moved = event(1, 3.5, 4, { version: 2 });
    expect(withEvent(events, moved)).toEqual([events[1], moved]);
  });
});

describe("the MOI form", () => {
  it("shows an MOI's times as m:ss.mmm", () => {
    expect(draftOf(moi(4, 1, 1, 62.5))).toEqual({ id: 4, version: 1, region: "head", term: "clonic", start: "0:01.000", end: "1:02.500" });
  });
  it("starts a new MOI one second long, cut at the end, keeping the last region and term", () => {
    expect(newDraft(null, 1, 4)).toEqual({ id: null, version: null, region: "", term: "", start: "0:01.000", end: "0:02.000" });
    const previous = { id: 9, version: 3, region: "left-arm", term: "tonic", start: "x", end: "y" };
    expect(newDraft(previous, 3.5, 4)).toEqual({ id: null, version: null, region: "left-arm", term: "tonic", start: "0:03.500", end: "0:04.000" });
  });
  it("reads typed times and says what to fix", () => {
    const draft = { id: null, version: null, region: "head", term: "clonic", start: "0:01.000", end: "2" };
    expect(readDraft(draft)).toEqual({ ok: true, moi: { region: "head", term: "clonic", start: 1, end: 2 } });
    expect(readDraft({ ...draft, start: "soon" })).toEqual({ ok: false, message: "Start is not a time: type it as m:ss.mmm or seconds" });
    expect(readDraft({ ...draft, end: "1:99" })).toEqual({ ok: false, message: "End is not a time: type it as m:ss.mmm or seconds" });
    expect(readDraft({ ...draft, end: "1" })).toEqual({ ok: false, message: "The end of an MOI must be after its start" });
    expect(readDraft({ ...draft, term: "" })).toEqual({ ok: false, message: "Choose the body region and the MOI" });
  });
});

describe("eventForNewMoi", () => {
  const events = [event(1, 0, 2), event(2, 3, 6)];
  it("takes the selected event first", () => {
    expect(eventForNewMoi(events[0]!, events, 4, 5)).toBe(events[0]);
  });
  it("else the event containing the MOI", () => {
    expect(eventForNewMoi(null, events, 4, 5)).toBe(events[1]);
  });
  it("else a new event when there is none, or nobody when the choice is open", () => {
    expect(eventForNewMoi(null, [], 4, 5)).toBe("create");
    expect(eventForNewMoi(null, events, 1.5, 3.5)).toBeNull();
  });
});

describe("moisOfEvent", () => {
  it("lists the event's MOIs by start, or all without an event", () => {
    const mois = [moi(1, 1, 3, 4), moi(2, 2, 0, 1), moi(3, 1, 1, 2)];
    expect(moisOfEvent(mois, event(1, 0, 5)).map((m) => m.id)).toEqual([3, 1]);
    expect(moisOfEvent(mois, null).map((m) => m.id)).toEqual([2, 3, 1]);
  });
});

describe("vocabularyLabels", () => {
  it("names codes from the vocabulary and falls back to the code", () => {
    const vocabulary: Vocabulary = {
      regions: [{ id: 1, code: "head", label: "Head", active: true }],
      terms: [{ id: 1, code: "clonic", label: "Clonic", category: "motor", active: true }],
    };
    const labels = vocabularyLabels(vocabulary);
    expect([labels.term("clonic"), labels.region("head"), labels.term("new"), vocabularyLabels(null).region("head")]).toEqual([
      "Clonic",
      "Head",
      "new",
      "head",
    ]);
  });
});

describe("predictionOf", () => {
  it("turns a run's windows into probability rows", () => {
    const run = {
      labels: ["FLE", "TLE"],
      windows: [
        { index: 0, start_frame: 0, stop_frame: 25, t_start: 0, t_stop: 1, probs: [0.9, 0.1] },
        { index: 1, start_frame: 25, stop_frame: 50, t_start: 1, t_stop: 2, probs: [0.3, 0.7] },
      ],
    };
    expect(predictionOf(run)).toEqual({
      labels: ["FLE", "TLE"],
      rows: [
        { start: 0, end: 1, probabilities: [0.9, 0.1] },
        { start: 1, end: 2, probabilities: [0.3, 0.7] },
      ],
    });
    expect(predictionOf(null)).toBeNull();
  });
});

describe("labelsExport", () => {
  it("nests each event's MOIs under it", () => {
    const recording = { id: 7, path: "bed1/a.mp4", patient_code: "P-1", fps: "25/1", duration: 4 };
    const out = labelsExport(recording, [event(1, 0, 2), event(2, 3, 4)], [moi(5, 2, 3, 3.5)]);
    expect(out.format).toBe("ictal-labels/1");
    expect(out.recording).toEqual({ id: 7, path: "bed1/a.mp4", patient_code: "P-1", fps: "25/1", duration: 4 });
    expect(out.events.map((e) => [e.id, e.mois.map((m) => m.id)])).toEqual([
      [1, []],
      [2, [5]],
    ]);
  });
});
