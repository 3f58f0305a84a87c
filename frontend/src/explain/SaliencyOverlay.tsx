/**
 * The saliency of the explained window under the frame the video shows, drawn on a canvas laid
 * over the <video> (same box as the skeleton overlay): the window's heat grid (its map summed
 * over the window's frames, on the crop the model saw, in the recording's pixels) as
 * translucent warm cells, the opacity following the share of the map's mass in the frame
 * shown. Outside explained windows nothing is drawn. The canvas's data-* attributes say which
 * frame and window are drawn and how many cells.
 */
import { type RefObject, useCallback, useEffect, useRef } from "react";
import { containBox } from "../keypoints/skeleton";
import { frameAt } from "../lib/time";
import { type Explanation, explainedWindowAt, frameWeight } from "./useExplanation";

interface SaliencyOverlayProps {
  videoRef: RefObject<HTMLVideoElement | null>;
  fps: number;
  explanation: Explanation;
  /** The recording's frame size (the heat boxes are in its pixels). */
  frameW: number;
  frameH: number;
  time: number;
}

/** inferno-like ramp: dark red -> orange -> yellow. */
export function heatColour(v: number): string {
  const t = Math.min(1, Math.max(0, v));
  const r = Math.round(120 + 135 * Math.min(1, t * 1.6));
  const g = Math.round(255 * Math.max(0, t - 0.35) / 0.65);
  return `rgb(${r}, ${g}, 40)`;
}

export function SaliencyOverlay({ videoRef, fps, explanation, frameW, frameH, time }: SaliencyOverlayProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);

  const draw = useCallback(() => {
    const video = videoRef.current;
    const canvas = canvasRef.current;
    if (!video || !canvas) return;
    const w = video.clientWidth;
    const h = video.clientHeight;
    Object.assign(canvas.style, { left: `${video.offsetLeft}px`, top: `${video.offsetTop}px`, width: `${w}px`, height: `${h}px` });
    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
      canvas.width = Math.round(w * ratio);
      canvas.height = Math.round(h * ratio);
    }
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const frame = frameAt(video.currentTime, fps);
    canvas.dataset.frame = String(frame);
    const win = explainedWindowAt(explanation, frame);
    if (!win || !win.heat) {
      canvas.dataset.window = "";
      canvas.dataset.cells = "0";
      return;
    }
    const box = containBox(w, h, video.videoWidth || frameW, video.videoHeight || frameH);
    const [x0, y0, x1, y1] = win.heat.box as [number, number, number, number];
    const rows = win.heat.grid.length;
    const cols = win.heat.grid[0]?.length ?? 0;
    const cellW = ((x1 - x0) / cols) * (box.width / frameW);
    const cellH = ((y1 - y0) / rows) * (box.height / frameH);
    const left = box.x + (x0 * box.width) / frameW;
    const top = box.y + (y0 * box.height) / frameH;
    const weight = frameWeight(win, frame);
    let cells = 0;
    win.heat.grid.forEach((row, r) =>
      row.forEach((v, c) => {
        if (v <= 0.05) return;
        ctx.globalAlpha = 0.65 * v * weight;
        ctx.fillStyle = heatColour(v);
        ctx.fillRect(left + c * cellW, top + r * cellH, cellW + 0.5, cellH + 0.5);
        cells += 1;
      }),
    );
    ctx.globalAlpha = 1;
    ctx.strokeStyle = "rgba(255, 200, 0, 0.8)";
    ctx.strokeRect(left, top, cellW * cols, cellH * rows);
    canvas.dataset.window = String(win.index);
    canvas.dataset.cells = String(cells);
  }, [videoRef, fps, explanation, frameW, frameH]);

  useEffect(() => {
    draw();
  }, [draw, time]);
  useEffect(() => {
    const video = videoRef.current;
    if (!video) return undefined;
    video.addEventListener("seeked", draw);
    video.addEventListener("timeupdate", draw);
    window.addEventListener("resize", draw);
    return () => {
      video.removeEventListener("seeked", draw);
      video.removeEventListener("timeupdate", draw);
      window.removeEventListener("resize", draw);
    };
  }, [videoRef, draw]);

  return <canvas ref={canvasRef} className="keypoint-overlay" data-testid="saliency-overlay" aria-label="Saliency of the explained window" />;
}
