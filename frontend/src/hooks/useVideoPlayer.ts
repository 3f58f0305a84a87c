/**
 * The video player's state: the current time (read from the <video> element every animation
 * frame while it plays), play / pause, playback rate, frame-exact stepping, and the timeline's
 * visible window `view`, which follows the play head.
 *
 * Times are seconds as HTMLMediaElement.currentTime uses them; frames as in lib/time.ts.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { followTime, type View, zoomView } from "../lib/lanes";
import { stepFrames as framesFrom, stepSeconds as secondsFrom } from "../lib/time";

/** The shortest window the timeline shows (s), so an empty or unknown duration still draws. */
const MIN_VIEW_S = 0.1;

/** The whole recording of `duration` seconds as a timeline window. */
function wholeView(duration: number): View {
  return { start: 0, end: Math.max(duration, MIN_VIEW_S) };
}

export function useVideoPlayer(fps: number, duration: number, report: (err: unknown, action: string) => void) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const [time, setTime] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [rate, setRate] = useState(1);
  const [view, setView] = useState<View>({ start: 0, end: 1 });

  useEffect(() => {
    if (!playing) return undefined;
    let frame = 0;
    const tick = () => {
      const v = videoRef.current;
      if (v) setTime(v.currentTime);
      frame = requestAnimationFrame(tick);
    };
    frame = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(frame);
  }, [playing]);

  useEffect(() => {
    if (playing) setView((v) => followTime(v, time, duration));
  }, [playing, time, duration]);

  /** The time to act on: the element's own (fresher than `time` between renders). */
  const now = () => videoRef.current?.currentTime ?? time;

  const seek = useCallback(
    (t: number) => {
      const v = videoRef.current;
      const clamped = Math.min(Math.max(0, t), duration);
      if (v) v.currentTime = clamped;
      setTime(clamped);
      setView((vw) => followTime(vw, clamped, duration));
    },
    [duration],
  );

  const togglePlay = () => {
    const v = videoRef.current;
    if (!v) return;
    if (v.paused) {
      v.play().catch((err: unknown) => report(err, "Playing the video"));
    } else {
      v.pause();
    }
  };

  const changeRate = (r: number) => {
    setRate(r);
    if (videoRef.current) videoRef.current.playbackRate = r;
  };

  /** Pause and move by whole frames (exact: from the frame shown now, lib/time.ts). */
  const stepFrames = (frames: number) => {
    videoRef.current?.pause();
    seek(framesFrom(now(), frames, fps, duration));
  };

  const stepSeconds = (seconds: number) => seek(secondsFrom(now(), seconds, duration));

  const zoom = (factor: number, anchor = time) => setView((v) => zoomView(v, factor, anchor, Math.max(duration, MIN_VIEW_S)));

  /** Show the whole recording (of `total` seconds: the loaded one's before it re-renders). */
  const fit = useCallback((total: number) => setView(wholeView(total)), []);

  /** Handlers for the <video> element, which keep `time` and `playing` in step with it. */
  const videoEvents = {
    onPlay: () => setPlaying(true),
    onPause: () => {
      setPlaying(false);
      setTime(videoRef.current?.currentTime ?? 0);
    },
    onSeeked: () => setTime(videoRef.current?.currentTime ?? 0),
    onTimeUpdate: () => {
      if (!playing) setTime(videoRef.current?.currentTime ?? 0);
    },
  };

  return { videoRef, videoEvents, time, playing, rate, view, now, seek, togglePlay, changeRate, stepFrames, stepSeconds, zoom, fit };
}

export type VideoPlayer = ReturnType<typeof useVideoPlayer>;
