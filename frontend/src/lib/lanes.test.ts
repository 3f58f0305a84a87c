import { describe, expect, it } from "vitest";
import {
  followTime,
  layoutLanes,
  MIN_SEGMENT_PX,
  probabilityPolylines,
  ticks,
  tickStep,
  timeToX,
  xToTime,
  zoomView,
} from "./lanes";

const view = { start: 0, end: 10 };

describe("time <-> x", () => {
  it("maps linearly and inverts", () => {
    expect(timeToX(5, view, 200)).toBe(100);
    expect(xToTime(100, view, 200)).toBe(5);
    expect(xToTime(-10, view, 200)).toBe(0);
    expect(xToTime(500, view, 200)).toBe(10);
    expect(timeToX(3, { start: 2, end: 4 }, 100)).toBe(50);
  });
});

describe("zoomView", () => {
  it("keeps the anchor at the same pixel", () => {
    const zoomed = zoomView({ start: 0, end: 100 }, 4, 40, 100);
    expect(zoomed.end - zoomed.start).toBeCloseTo(25);
    expect(timeToX(40, zoomed, 1000)).toBeCloseTo(timeToX(40, { start: 0, end: 100 }, 1000));
  });
  it("clamps to the recording and to the minimum span", () => {
    expect(zoomView({ start: 0, end: 10 }, 0.1, 5, 10)).toEqual({ start: 0, end: 10 });
    const tiny = zoomView({ start: 0, end: 1 }, 100, 0.5, 10, 0.5);
    expect(tiny.end - tiny.start).toBeCloseTo(0.5);
    const edge = zoomView({ start: 80, end: 100 }, 0.5, 99, 100);
    expect(edge.end).toBeLessThanOrEqual(100);
    expect(edge.end - edge.start).toBeCloseTo(40);
  });
  it("followTime scrolls only when the time leaves the view", () => {
    expect(followTime({ start: 0, end: 10 }, 5, 100)).toEqual({ start: 0, end: 10 });
    const moved = followTime({ start: 0, end: 10 }, 15, 100);
    expect(moved.start).toBeLessThanOrEqual(15);
    expect(moved.end).toBeGreaterThanOrEqual(15);
    expect(moved.end - moved.start).toBeCloseTo(10);
  });
});

describe("layoutLanes", () => {
  const items = [
    { id: "a", region: "head", start: 1, end: 3 },
    { id: "b", region: "head", start: 2, end: 4 },
    { id: "c", region: "head", start: 3, end: 5 },
    { id: "d", region: "left arm", start: 0, end: 1 },
    { id: "e", region: "trunk", start: 20, end: 30 },
  ];
  it("gives one lane per region in the given order, unknown regions after", () => {
    const lanes = layoutLanes(items, ["left arm", "head", "legs"], view, 100);
    expect(lanes.map((l) => l.region)).toEqual(["left arm", "head", "legs", "trunk"]);
    expect(lanes[2]!.segments).toEqual([]);
    expect(lanes[2]!.rows).toBe(1);
  });
  it("packs overlapping MOIs into sub-rows and reuses free rows", () => {
    const head = layoutLanes(items, ["head"], view, 100)[0]!;
    const rows = Object.fromEntries(head.segments.map((s) => [s.item.id, s.row]));
    expect(rows).toEqual({ a: 0, b: 1, c: 0 });
    expect(head.rows).toBe(2);
  });
  it("places segments in pixels, drops invisible ones and clips partial ones", () => {
    const lanes = layoutLanes(items, [], { start: 2, end: 12 }, 100);
    const head = lanes.find((l) => l.region === "head")!;
    const a = head.segments.find((s) => s.item.id === "a")!;
    expect(a.x).toBe(0);
    expect(a.width).toBeCloseTo(10);
    expect(lanes.find((l) => l.region === "trunk")!.segments).toEqual([]);
  });
  it("keeps a minimum clickable width", () => {
    const lane = layoutLanes([{ id: "z", region: "r", start: 5, end: 5.001 }], ["r"], view, 100)[0]!;
    expect(lane.segments[0]!.width).toBe(MIN_SEGMENT_PX);
  });
});

describe("ticks", () => {
  it("picks 1-2-5 steps", () => {
    expect(tickStep(10, 10)).toBe(1);
    expect(tickStep(60, 8)).toBe(10);
    expect(tickStep(3, 8)).toBe(0.5);
    expect(tickStep(0.7, 8)).toBe(0.1);
  });
  it("lists multiples of the step inside the view", () => {
    expect(ticks({ start: 0.3, end: 4.2 }, 4)).toEqual([1, 2, 3, 4]);
  });
});

describe("probabilityPolylines", () => {
  it("draws one line per class with p = 1 at the top", () => {
    const rows = [
      { start: 2, end: 4, probabilities: [0.25, 0.75] },
      { start: 0, end: 2, probabilities: [1, 0] },
    ];
    const lines = probabilityPolylines(rows, 2, view, 100, 40);
    expect(lines).toEqual(["10.0,0.0 30.0,30.0", "10.0,40.0 30.0,10.0"]);
  });
});
