/**
 * Time formatting, parsing and frame-stepping arithmetic for the player.
 *
 * Times are seconds (float) as HTMLMediaElement.currentTime uses them; frames are integer
 * indices from 0 at `fps` frames per second. A frame `n` covers [n / fps, (n + 1) / fps).
 */

/** Playback rates offered by the speed control and the `[` / `]` shortcuts, slowest first. */
export const PLAYBACK_RATES: readonly number[] = [0.1, 0.25, 0.5, 1, 1.5, 2, 4];

/** Split a non-negative number of milliseconds into h, m, s, ms. */
function parts(totalMs: number): [number, number, number, number] {
  const ms = totalMs % 1000;
  const totalS = Math.floor(totalMs / 1000);
  return [Math.floor(totalS / 3600), Math.floor((totalS % 3600) / 60), totalS % 60, ms];
}

const pad = (value: number, width: number): string => String(value).padStart(width, "0");

/**
 * Format seconds as `m:ss.mmm` (or `h:mm:ss.mmm` from one hour), rounded to the millisecond.
 * Negative or non-finite input formats as `--:--.---` so a missing duration reads as unknown.
 */
export function formatTime(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--.---";
  const [h, m, s, ms] = parts(Math.round(seconds * 1000));
  const tail = `${pad(s, 2)}.${pad(ms, 3)}`;
  return h > 0 ? `${h}:${pad(m, 2)}:${tail}` : `${m}:${tail}`;
}

/**
 * Parse a typed time: `12.5`, `1:02.5`, `1:02:03.250` (hours, minutes, seconds).
 * Returns seconds, or `null` when the text is not a valid non-negative time
 * (minutes/seconds fields beyond the first must be below 60).
 */
export function parseTime(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d+(:\d{1,2}){0,2}(\.\d+)?$/.test(trimmed) && !/^\d*\.\d+$/.test(trimmed)) return null;
  const fields = trimmed.split(":");
  let seconds = 0;
  for (let i = 0; i < fields.length; i++) {
    const value = Number(fields[i]);
    if (!Number.isFinite(value)) return null;
    if (i > 0 && value >= 60) return null;
    seconds = seconds * 60 + value;
  }
  return seconds;
}

/** Index of the frame shown at `seconds` (a tolerance of 1e-6 s absorbs float error). */
export function frameAt(seconds: number, fps: number): number {
  if (!(fps > 0)) throw new RangeError(`fps must be positive, got ${fps}`);
  return Math.max(0, Math.floor(seconds * fps + 1e-6));
}

/** Start time in seconds of frame `index`. */
export function frameStart(index: number, fps: number): number {
  return index / fps;
}

/**
 * The time to seek to so that the video shows frame `index`: the middle of the frame, so
 * that decoders rounding either way land on the right picture.
 */
export function frameSeekTime(index: number, fps: number): number {
  return (index + 0.5) / fps;
}

/** Number of frames in `duration` seconds (the last, partial frame counted). */
export function frameCount(duration: number, fps: number): number {
  return Math.max(1, Math.ceil(duration * fps - 1e-6));
}

/**
 * The seek time after stepping `delta` frames from the frame shown at `seconds`, clamped to
 * the first and last frame of a `duration`-second video.
 */
export function stepFrames(seconds: number, delta: number, fps: number, duration: number): number {
  const last = frameCount(duration, fps) - 1;
  const target = Math.min(last, Math.max(0, frameAt(seconds, fps) + delta));
  return frameSeekTime(target, fps);
}

/** `seconds + delta` clamped to [0, duration]. */
export function stepSeconds(seconds: number, delta: number, duration: number): number {
  return Math.min(duration, Math.max(0, seconds + delta));
}

/** Snap `seconds` to the start of its frame (what markers and MOI bounds store). */
export function snapToFrame(seconds: number, fps: number): number {
  return frameStart(frameAt(seconds, fps), fps);
}

/** The next playback rate in `PLAYBACK_RATES` up (`direction` 1) or down (-1), clamped. */
export function nextRate(current: number, direction: 1 | -1): number {
  const rates = PLAYBACK_RATES;
  // The nearest listed rate, so that an unlisted rate (e.g. 0.8) still steps sensibly.
  let nearest = 0;
  for (let i = 1; i < rates.length; i++) {
    if (Math.abs(rates[i]! - current) < Math.abs(rates[nearest]! - current)) nearest = i;
  }
  const index = Math.min(rates.length - 1, Math.max(0, nearest + direction));
  return rates[index]!;
}

/**
 * Frames per second from the API's exact rational text (`"30"`, `"30000/1001"`).
 * Throws a RangeError naming the text when it is not a positive number.
 */
export function parseFps(text: string): number {
  const [num, den = "1"] = text.split("/");
  const fps = Number(num) / Number(den);
  if (!Number.isFinite(fps) || fps <= 0) throw new RangeError(`invalid frame rate ${JSON.stringify(text)}`);
  return fps;
}
