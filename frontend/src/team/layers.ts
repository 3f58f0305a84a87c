/**
 * Annotator layers as pure functions: whose layer an event is in, which layers a recording
 * has, which events are shown, whether the user may edit one, and the short texts of the
 * recordings list's "Labelled by" column and of agreement figures.
 */
import type { components } from "../api/schema";

type Schemas = components["schemas"];
export type RecordingLabelling = Schemas["RecordingLabelling"];
export type AgreementPublic = Schemas["AgreementPublic"];

/** The consensus layer's name (reviewers adjudicate into it). */
export const CONSENSUS = "consensus";
/** The layer of events made from alarms of `ictal monitor` (any clinician reviews them). */
export const MONITOR = "monitor alarms";

interface Layered {
  layer?: "annotator" | "consensus" | "monitor";
  author?: string | null;
}

/** The layer of an event: `consensus`, `monitor alarms`, or its author's username. */
export function layerOf(ev: Layered): string {
  return ev.layer === "consensus" ? CONSENSUS : ev.layer === "monitor" ? MONITOR : (ev.author ?? "unknown");
}

/** The layers present, the user's own first, then the others by name, the monitor's alarms,
 * the consensus last. */
export function layersOf(events: readonly Layered[], username: string): string[] {
  const names = new Set(events.map(layerOf));
  const others = [...names].filter((n) => n !== username && n !== CONSENSUS && n !== MONITOR).sort();
  return [...(names.has(username) ? [username] : []), ...others, ...(names.has(MONITOR) ? [MONITOR] : []), ...(names.has(CONSENSUS) ? [CONSENSUS] : [])];
}

/** The events whose layer is not hidden. */
export function visibleEvents<T extends Layered>(events: readonly T[], hidden: ReadonlySet<string>): T[] {
  return events.filter((e) => !hidden.has(layerOf(e)));
}

/** Whether `username` (of `role`) edits this event: their own layer, a reviewer's consensus,
 * any clinician's alarm events (drafts to confirm or reject). */
export function mayEdit(ev: Layered, username: string, role: string): boolean {
  if (ev.layer === "consensus") return role === "reviewer";
  if (ev.layer === "monitor") return role === "clinician" || role === "reviewer" || role === "admin";
  return ev.author === username;
}

/** "alice 2 ev / 5 MOI · bob 1 ev / 0 MOI · consensus 1 · alarms 2", or "not labelled". */
export function labellingText(status: RecordingLabelling | undefined): string {
  const alarms = status?.monitor_events ?? 0;
  if (status === undefined || (status.annotators.length === 0 && status.consensus_events === 0 && alarms === 0)) return "not labelled";
  const parts = status.annotators.map((a) => `${a.username} ${a.events} ev / ${a.mois} MOI`);
  if (status.consensus_events > 0) parts.push(`consensus ${status.consensus_events}`);
  else if (status.annotators.length > 1) parts.push("not adjudicated");
  if (alarms > 0) parts.push(`alarms ${alarms}`);
  return parts.join(" · ");
}

/** A number with `digits` decimals, or "–" when missing. */
export function fmt(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "–" : value.toFixed(digits);
}

/** "mean ± std (n)" of an agreement figure. */
export function meanStd(m: { mean: number | null; std: number | null; n: number }, digits = 2): string {
  return m.n === 0 ? "–" : `${fmt(m.mean, digits)} ± ${fmt(m.std, digits)} (n=${m.n})`;
}

/** The mean MOI IoU over the regions of one pair (null when no region). */
export function meanRegionIou(perRegion: Record<string, number>): number | null {
  const values = Object.values(perRegion);
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}
