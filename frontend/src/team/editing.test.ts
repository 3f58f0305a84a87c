import { describe, expect, it } from "vitest";
import {
  afterRedo,
  afterUndo,
  type Edit,
  EMPTY_HISTORY,
  eventEdgeLimits,
  inverse,
  landOnFrame,
  moiEdgeLimits,
  nudge,
  pick,
  record,
  remapId,
} from "./editing";

const FPS = 25;
const free = { min: 0, max: 100 };

describe("frame-exact edges", () => {
  it("lands a drag on the start of the frame under the pointer", () => {
    expect(landOnFrame(1.039, FPS, 100, free)).toBe(1.0);
    expect(landOnFrame(1.04, FPS, 100, free)).toBe(26 / 25);
    expect(landOnFrame(-3, FPS, 100, free)).toBe(0);
    expect(landOnFrame(1e9, FPS, 4, free)).toBe(4); // the end of the last frame
  });
  it("nudges by whole frames and back exactly, 59 times", () => {
    let t = 0.48;
    for (let i = 0; i < 59; i++) t = nudge(t, 1, FPS, 100, free);
    expect(t * FPS).toBeCloseTo(12 + 59, 9);
    expect(Math.round(t * FPS) / FPS).toBe(t);
    for (let i = 0; i < 59; i++) t = nudge(t, -1, FPS, 100, free);
    expect(t).toBe(0.48);
    const ntsc = 30000 / 1001; // 1.0 s lies in frame 29 (29.97 frames / s): 10 frames on is 39
    expect(nudge(1.0, 10, ntsc, 100, free)).toBe(39 / ntsc);
    expect(nudge(0.5, 1, FPS, 100, free)).toBe(0.52); // mid-frame 12: onto frame 13's start
    expect(nudge(0.5, -1, FPS, 100, free)).toBe(0.44);
  });
  it("keeps markers in order one frame apart", () => {
    const ev = { t0: 1, t1: 3, tG: 2 };
    expect(nudge(1.96, 10, FPS, 100, eventEdgeLimits(ev, "t0", FPS, 100))).toBe(1.96);
    expect(landOnFrame(0.5, FPS, 100, eventEdgeLimits(ev, "t1", FPS, 100))).toBe(2.04);
    expect(landOnFrame(99, FPS, 10, eventEdgeLimits({ t0: 1, t1: 3, tG: null }, "t1", FPS, 10))).toBe(10);
    expect(landOnFrame(0, FPS, 100, moiEdgeLimits({ start: 1, end: 2 }, "end", FPS, 100))).toBe(1.04);
  });
});

describe("undo / redo", () => {
  const patch: Edit = { kind: "patch", target: "event", id: 1, before: { t0: 1 }, after: { t0: 2 }, label: "onset" };
  const created: Edit = { kind: "create", target: "moi", id: 7, fields: { start: 1 }, parentId: 1, label: "MOI" };
  it("inverts patches, creations and deletions", () => {
    expect(inverse(patch)).toMatchObject({ before: { t0: 2 }, after: { t0: 1 } });
    expect(inverse(created).kind).toBe("delete");
    expect(inverse(inverse(created))).toEqual(created);
  });
  it("moves edits between past and future; a new edit clears the future", () => {
    let h = record(record(EMPTY_HISTORY, patch), created);
    h = afterUndo(h);
    expect(h.past).toEqual([patch]);
    expect(h.future).toEqual([created]);
    h = afterRedo(h);
    expect(h.past).toEqual([patch, created]);
    h = record(afterUndo(h), patch);
    expect(h.future).toEqual([]);
    expect(afterUndo(EMPTY_HISTORY)).toBe(EMPTY_HISTORY);
  });
  it("follows a re-created event's new id, in its MOIs too", () => {
    const deleted: Edit = { kind: "delete", target: "event", id: 1, fields: {}, parentId: null, label: "event" };
    const h = remapId({ past: [patch, created, deleted], future: [] }, "event", 1, 9);
    expect(h.past.map((e) => e.id)).toEqual([9, 7, 9]);
    expect(h.past[1]).toMatchObject({ parentId: 9 });
  });
});

describe("pick", () => {
  it("keeps numbers, strings and an event's list of signs (a copy), else null", () => {
    const signs = ["dystonia", "dystonia-left"];
    const out = pick({ t0: 1.5, label: "HKN", signs, tG: undefined }, ["t0", "label", "signs", "tG"]);
    expect(out).toEqual({ t0: 1.5, label: "HKN", signs: ["dystonia", "dystonia-left"], tG: null });
    signs.push("emotion");
    expect(out.signs).toEqual(["dystonia", "dystonia-left"]);
  });
});
