/**
 * The skeleton and face landmarks of the frame the video shows, drawn on a canvas laid over
 * the <video> (same box, the picture letterboxed as object-fit: contain draws it).
 *
 * Frame-exact: while playing, each painted video frame is reported by
 * requestVideoFrameCallback with its presentation time (`mediaTime`), and the keypoints of
 * `frameAt(mediaTime, fps)` are drawn; when paused (a callback arriving after the pause
 * included) or after a seek, those of the frame at `currentTime`. A gap (no keypoint on the frame) draws nothing; a bone is drawn only between
 * two seen joints; each joint's colour is its confidence (red 0 -> green 1). The caption and
 * the canvas's data-* attributes say which frame is drawn and what was drawn.
 */
import { type RefObject, useCallback, useEffect, useRef } from "react";
import { frameAt } from "../lib/time";
import { confidenceColour, containBox, type FrameKeypoints, meanConfidence, segments, seen, toCanvas } from "./skeleton";
import type { KeypointSet } from "./useKeypoints";

interface SkeletonOverlayProps {
  videoRef: RefObject<HTMLVideoElement | null>;
  fps: number;
  set: KeypointSet;
  showFace: boolean;
  /** The keypoints of a frame (undefined: not loaded yet). */
  frameData: (frame: number) => FrameKeypoints | null | undefined;
  ensure: (frame: number) => void;
  /** Changes when more frames arrive, or the player's time changes (redraw). */
  loadedStamp: number;
  time: number;
}

type VideoWithFrames = HTMLVideoElement & {
  requestVideoFrameCallback?: (cb: (now: number, meta: { mediaTime: number }) => void) => number;
  cancelVideoFrameCallback?: (handle: number) => void;
};

export function SkeletonOverlay({ videoRef, fps, set, showFace, frameData, ensure, loadedStamp, time }: SkeletonOverlayProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const captionRef = useRef<HTMLSpanElement>(null);

  const draw = useCallback(
    (mediaTime?: number) => {
      const video = videoRef.current;
      const canvas = canvasRef.current;
      const caption = captionRef.current;
      if (!video || !canvas || !caption) return;
      // mid-seek the old picture is still shown: keep its drawing until "seeked"
      if (mediaTime === undefined && video.seeking) return;
      // the canvas covers the video element exactly (same offset parent: siblings)
      const w = video.clientWidth;
      const h = video.clientHeight;
      Object.assign(canvas.style, { left: `${video.offsetLeft}px`, top: `${video.offsetTop}px`, width: `${w}px`, height: `${h}px` });
      Object.assign(caption.style, { left: `${video.offsetLeft + 6}px`, top: `${video.offsetTop + 4}px` });
      const ratio = window.devicePixelRatio || 1;
      if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
        canvas.width = Math.round(w * ratio);
        canvas.height = Math.round(h * ratio);
      }
      const ctx = canvas.getContext("2d");
      if (!ctx) return;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, w, h);
      const frame = frameAt(mediaTime ?? video.currentTime, fps);
      canvas.dataset.frame = String(frame);
      const data = frameData(frame);
      if (data === undefined) {
        ensure(frame);
        canvas.dataset.state = "loading";
        canvas.dataset.joints = "0";
        caption.textContent = `frame ${frame} · loading keypoints…`;
        return;
      }
      ensure(frame); // keep the next chunk coming
      const box = containBox(w, h, video.videoWidth || set.width, video.videoHeight || set.height);
      const at = (p: number[]) => toCanvas(p[0]!, p[1]!, set.width, set.height, box);
      const body = data?.body ?? null;
      const face = showFace ? (data?.face ?? null) : null;
      const joints = body ? body.filter(seen) : [];
      const bones = segments(body, set.bones);
      ctx.lineWidth = 2;
      ctx.strokeStyle = "rgba(255, 255, 255, 0.85)";
      for (const [a, b] of bones) {
        const [ax, ay] = at(a);
        const [bx, by] = at(b);
        ctx.beginPath();
        ctx.moveTo(ax, ay);
        ctx.lineTo(bx, by);
        ctx.stroke();
      }
      for (const p of joints) {
        const [x, y] = at(p);
        ctx.beginPath();
        ctx.arc(x, y, 4, 0, 2 * Math.PI);
        ctx.fillStyle = confidenceColour(p[2]!);
        ctx.fill();
      }
      const facePoints = face ? face.filter(seen) : [];
      ctx.lineWidth = 1;
      ctx.strokeStyle = "rgba(0, 200, 255, 0.8)";
      for (const [a, b] of segments(face, set.face_outlines)) {
        const [ax, ay] = at(a);
        const [bx, by] = at(b);
        ctx.beginPath();
        ctx.moveTo(ax, ay);
        ctx.lineTo(bx, by);
        ctx.stroke();
      }
      for (const p of facePoints) {
        const [x, y] = at(p);
        ctx.beginPath();
        ctx.arc(x, y, 1.5, 0, 2 * Math.PI);
        ctx.fillStyle = confidenceColour(p[2]!);
        ctx.fill();
      }
      canvas.dataset.state = joints.length || facePoints.length ? "drawn" : "gap";
      canvas.dataset.joints = String(joints.length);
      canvas.dataset.bones = String(bones.length);
      canvas.dataset.facePoints = String(facePoints.length);
      const conf = meanConfidence(body);
      caption.textContent =
        conf === null ? `frame ${frame} · no skeleton (gap)` : `frame ${frame} · ${joints.length} joints · confidence ${conf.toFixed(2)}`;
    },
    [videoRef, fps, set, showFace, frameData, ensure],
  );

  // paused, seeked, new frames arrived, resized: draw the frame shown now
  useEffect(() => {
    draw();
  }, [draw, loadedStamp, time]);

  // playing: draw each painted frame at its own presentation time
  useEffect(() => {
    const video = videoRef.current as VideoWithFrames | null;
    if (!video) return undefined;
    let handle = 0;
    const onFrame = (_now: number, meta: { mediaTime: number }) => {
      // a frame painted just before a pause can be reported after it: once paused, the frame
      // shown is the one at currentTime (which the player's frame caption reads too)
      draw(video.paused ? undefined : meta.mediaTime);
      handle = video.requestVideoFrameCallback!(onFrame);
    };
    if (video.requestVideoFrameCallback) handle = video.requestVideoFrameCallback(onFrame);
    const redraw = () => draw();
    window.addEventListener("resize", redraw);
    video.addEventListener("seeked", redraw);
    video.addEventListener("loadeddata", redraw);
    return () => {
      video.cancelVideoFrameCallback?.(handle);
      window.removeEventListener("resize", redraw);
      video.removeEventListener("seeked", redraw);
      video.removeEventListener("loadeddata", redraw);
    };
  }, [videoRef, draw]);

  return (
    <>
      <canvas ref={canvasRef} data-testid="skeleton-overlay" aria-label="Skeleton overlay" style={{ position: "absolute", pointerEvents: "none" }} />
      <span
        ref={captionRef}
        data-testid="skeleton-caption"
        className="mono"
        style={{ position: "absolute", pointerEvents: "none", color: "#fff", background: "rgba(0,0,0,0.55)", fontSize: "11px", padding: "1px 4px", borderRadius: "3px" }}
      />
    </>
  );
}
