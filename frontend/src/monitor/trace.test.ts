import { describe, expect, it } from "vitest";
import type { MonitorWindow } from "./api";
import { classPoints, clock, notAssessed, xOf } from "./trace";

const w = (n: number, probs: number[] | null, state = "scored"): MonitorWindow => ({
  n,
  t_start: 2 * n,
  t_stop: 2 * n + 2,
  state,
  probs,
  score: probs ? probs[1]! : null,
  reason: probs ? null : "frame gap",
});

describe("trace", () => {
  it("maps the last window's end to the right edge", () => {
    expect(xOf(10, 10, 10, 100)).toBe(100);
    expect(xOf(0, 10, 10, 100)).toBe(0);
    expect(xOf(-5, 10, 10, 100)).toBe(0);
  });
  it("draws a step per scored window and skips the others", () => {
    const windows = [w(0, [0.9, 0.1]), w(1, null, "not-assessable"), w(2, [0.2, 0.8])];
    expect(classPoints(windows, 1, 6, 60, 100)).toBe("0.0,90.0 20.0,90.0 40.0,20.0 60.0,20.0");
    expect(notAssessed(windows, 6, 60)).toEqual([{ x0: 20, x1: 40, reason: "frame gap" }]);
    expect(classPoints([], 0, 6, 60, 100)).toBe("");
  });
  it("formats clock times", () => {
    expect(clock(65.4)).toBe("01:05");
    expect(clock(3725)).toBe("1:02:05");
  });
});
