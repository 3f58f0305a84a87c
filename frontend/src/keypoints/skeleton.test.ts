import { describe, expect, it } from "vitest";
import { chunkOf, confidenceColour, containBox, laneColour, meanConfidence, segments, seen, toCanvas } from "./skeleton";

describe("skeleton geometry", () => {
  it("finds the chunk of a frame", () => {
    expect(chunkOf(0)).toEqual({ index: 0, start: 0, stop: 250 });
    expect(chunkOf(249).index).toBe(0);
    expect(chunkOf(250)).toEqual({ index: 1, start: 250, stop: 500 });
  });

  it("letterboxes the picture like object-fit: contain", () => {
    // a 64x48 video in a 400x150 element: height-bound, scale 150/48
    const box = containBox(400, 150, 64, 48);
    expect(box.height).toBeCloseTo(150);
    expect(box.width).toBeCloseTo(200);
    expect(box.x).toBeCloseTo(100);
    expect(box.y).toBeCloseTo(0);
  });

  it("maps pixel centres into the box", () => {
    const box = { x: 100, y: 0, width: 200, height: 150 };
    // pixel 0's centre is half a pixel in; the last pixel's centre half a pixel before the edge
    expect(toCanvas(0, 0, 64, 48, box)).toEqual([100 + 0.5 * 200 / 64, 0.5 * 150 / 48]);
    expect(toCanvas(63, 47, 64, 48, box)[0]).toBeCloseTo(300 - 0.5 * 200 / 64);
  });

  it("draws no bone to a gap", () => {
    const pts = [[1, 1, 0.9], null, [3, 3, 0.5], [4, 4, 0]];
    expect(seen(pts[0])).toBe(true);
    expect(seen(pts[1])).toBe(false);
    expect(seen(pts[3])).toBe(false); // confidence 0 is a gap
    expect(segments(pts, [[0, 1], [0, 2], [2, 3]])).toEqual([[[1, 1, 0.9], [3, 3, 0.5]]]);
    expect(segments(null, [[0, 1]])).toEqual([]);
  });

  it("shows confidence", () => {
    expect(confidenceColour(1)).toBe("hsl(120, 90%, 50%)");
    expect(confidenceColour(0)).toBe("hsl(0, 90%, 50%)");
    expect(meanConfidence([[0, 0, 0.5], null, [1, 1, 1]])).toBeCloseTo(0.75);
    expect(meanConfidence(null)).toBeNull();
    expect(laneColour(null)).toBe("none");
    expect(laneColour(1)).toBe("rgba(209, 73, 91, 1.000)");
  });
});
