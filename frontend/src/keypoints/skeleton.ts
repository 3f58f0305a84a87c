/**
 * Pure geometry and caching rules of the skeleton overlay (no DOM), unit-tested in
 * skeleton.test.ts.
 *
 * Keypoints come from the API as `[x px, y px, confidence]` in the recording's own frame of
 * `width` x `height` pixels, integer coordinates at pixel centres (pixel i covers
 * [i - 0.5, i + 0.5)), `null` for a gap. The frame shown at a video time t is
 * `frameAt(t, fps)` (lib/time.ts): the overlay draws that frame's keypoints, never a
 * neighbour's, and nothing where the frame is a gap.
 */

/** One keypoint, or null where it was not seen. */
export type Point = number[] | null;
/** The keypoints of one frame, or null when none was seen on it (a gap). */
export type FramePoints = Point[] | null;

export interface FrameKeypoints {
  body: FramePoints;
  face: FramePoints;
}

/** Frames fetched per request: chunk k covers frames [k * CHUNK_FRAMES, (k + 1) * CHUNK_FRAMES). */
export const CHUNK_FRAMES = 250;

/** The chunk holding `frame`, and its frame range [start, stop). */
export function chunkOf(frame: number): { index: number; start: number; stop: number } {
  const index = Math.floor(Math.max(0, frame) / CHUNK_FRAMES);
  return { index, start: index * CHUNK_FRAMES, stop: (index + 1) * CHUNK_FRAMES };
}

/** The box the video's picture fills inside its element (`object-fit: contain`). */
export interface ContentBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function containBox(elementW: number, elementH: number, videoW: number, videoH: number): ContentBox {
  if (!(videoW > 0 && videoH > 0 && elementW > 0 && elementH > 0)) return { x: 0, y: 0, width: elementW, height: elementH };
  const scale = Math.min(elementW / videoW, elementH / videoH);
  const width = videoW * scale;
  const height = videoH * scale;
  return { x: (elementW - width) / 2, y: (elementH - height) / 2, width, height };
}

/**
 * Canvas position of keypoint pixel coordinates (x, y) of a `frameW` x `frameH` frame shown in
 * `box`: the pixel centre convention makes x = 0 the middle of the first pixel column.
 */
export function toCanvas(x: number, y: number, frameW: number, frameH: number, box: ContentBox): [number, number] {
  return [box.x + ((x + 0.5) * box.width) / frameW, box.y + ((y + 0.5) * box.height) / frameH];
}

/** A drawable keypoint: seen, finite, confidence > 0. */
export function seen(p: Point | undefined): p is number[] {
  return Array.isArray(p) && p.length >= 3 && Number.isFinite(p[0]) && Number.isFinite(p[1]) && (p[2] ?? 0) > 0;
}

/** The segments to draw for `pairs` / chains of indices: only between two seen points. */
export function segments(points: FramePoints, chains: number[][]): [number[], number[]][] {
  if (!points) return [];
  const out: [number[], number[]][] = [];
  for (const chain of chains) {
    for (let i = 0; i + 1 < chain.length; i++) {
      const a = points[chain[i]!];
      const b = points[chain[i + 1]!];
      if (seen(a) && seen(b)) out.push([a, b]);
    }
  }
  return out;
}

/** Colour of a keypoint of confidence c in [0, 1]: red (unsure) through yellow to green (sure). */
export function confidenceColour(c: number): string {
  const clamped = Math.min(1, Math.max(0, c));
  const hue = Math.round(120 * clamped);
  return `hsl(${hue}, 90%, 50%)`;
}

/** Mean confidence of the seen points of a frame, or null when none is seen. */
export function meanConfidence(points: FramePoints): number | null {
  if (!points) return null;
  const cs = points.filter(seen).map((p) => p[2]!);
  return cs.length ? cs.reduce((a, b) => a + b, 0) / cs.length : null;
}

/** Fill colour of an activity lane window of `level` in [0, 1] (null: not measured). */
export function laneColour(level: number | null): string {
  if (level === null) return "none";
  const l = Math.min(1, Math.max(0, level));
  return `rgba(209, 73, 91, ${(0.08 + 0.92 * l).toFixed(3)})`;
}
