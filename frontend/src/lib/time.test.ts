import { describe, expect, it } from "vitest";
import {
  formatTime,
  frameAt,
  frameCount,
  frameSeekTime,
  nextRate,
  parseFps,
  parseTime,
  snapToFrame,
  stepFrames,
  stepSeconds,
} from "./time";

describe("formatTime", () => {
  it("formats minutes, seconds and milliseconds", () => {
    expect(formatTime(0)).toBe("0:00.000");
    expect(formatTime(62.5)).toBe("1:02.500");
    expect(formatTime(3723.25)).toBe("1:02:03.250");
  });
  it("rounds to the millisecond without producing 60 seconds", () => {
    expect(formatTime(59.9996)).toBe("1:00.000");
  });
  it("shows unknown times as dashes", () => {
    expect(formatTime(Number.NaN)).toBe("--:--.---");
    expect(formatTime(-1)).toBe("--:--.---");
  });
});

describe("parseTime", () => {
  it("parses seconds, m:ss and h:mm:ss", () => {
    expect(parseTime("12.5")).toBe(12.5);
    expect(parseTime(".5")).toBe(0.5);
    expect(parseTime("1:02.5")).toBe(62.5);
    expect(parseTime(" 1:02:03.25 ")).toBe(3723.25);
  });
  it("round-trips formatTime", () => {
    for (const t of [0, 0.04, 61.123, 3599.999, 7322.5]) {
      expect(parseTime(formatTime(t))).toBeCloseTo(t, 6);
    }
  });
  it("rejects malformed text and out-of-range fields", () => {
    for (const bad of ["", "abc", "1:60", "-3", "1::2", "1:2:3:4", "1.2.3"]) {
      expect(parseTime(bad)).toBeNull();
    }
  });
});

describe("frame arithmetic", () => {
  const fps = 25;
  it("finds the frame shown at a time, tolerant to float error", () => {
    expect(frameAt(0, fps)).toBe(0);
    expect(frameAt(0.039, fps)).toBe(0);
    expect(frameAt(0.04, fps)).toBe(1);
    expect(frameAt(3 * 0.04, fps)).toBe(3); // 0.12000000000000001 * 25 is not an integer
    expect(() => frameAt(1, 0)).toThrow(RangeError);
  });
  it("seeks to the middle of a frame", () => {
    expect(frameSeekTime(2, fps)).toBeCloseTo(0.1, 9);
    expect(frameAt(frameSeekTime(7, fps), fps)).toBe(7);
  });
  it("steps one frame forward and back and clamps at both ends", () => {
    const duration = 2; // 50 frames: 0..49
    expect(frameCount(duration, fps)).toBe(50);
    expect(frameAt(stepFrames(0.5, 1, fps, duration), fps)).toBe(13);
    expect(frameAt(stepFrames(0.5, -1, fps, duration), fps)).toBe(11);
    expect(frameAt(stepFrames(0, -1, fps, duration), fps)).toBe(0);
    expect(frameAt(stepFrames(1.99, 5, fps, duration), fps)).toBe(49);
  });
  it("repeated single steps visit every frame exactly once", () => {
    let t = 0;
    const seen: number[] = [];
    for (let i = 0; i < 30; i++) {
      seen.push(frameAt(t, 30));
      t = stepFrames(t, 1, 30, 10);
    }
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });
  it("steps seconds with clamping", () => {
    expect(stepSeconds(0.4, -1, 10)).toBe(0);
    expect(stepSeconds(9.5, 1, 10)).toBe(10);
    expect(stepSeconds(3, 1, 10)).toBe(4);
  });
  it("snaps a time to its frame start", () => {
    expect(snapToFrame(0.999, 25)).toBeCloseTo(0.96, 9);
  });
});

describe("nextRate", () => {
  it("moves along the listed rates and clamps at the ends", () => {
    expect(nextRate(1, 1)).toBe(1.5);
    expect(nextRate(1, -1)).toBe(0.5);
    expect(nextRate(4, 1)).toBe(4);
    expect(nextRate(0.1, -1)).toBe(0.1);
  });
  it("starts from the nearest listed rate for an unlisted one", () => {
    expect(nextRate(0.9, 1)).toBe(1.5);
  });
});

describe("parseFps", () => {
  it("reads integers and exact rationals", () => {
    expect(parseFps("30")).toBe(30);
    expect(parseFps("30000/1001")).toBeCloseTo(29.97003, 5);
    expect(parseFps("25/1")).toBe(25);
  });
  it("rejects junk and non-positive rates", () => {
    for (const bad of ["", "abc", "0", "30/0", "-25"]) expect(() => parseFps(bad)).toThrow(RangeError);
  });
});
