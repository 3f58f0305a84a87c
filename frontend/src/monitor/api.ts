/**
 * The live page's API calls (routes/monitor.py). Plain `fetch` with the session cookie and the
 * CSRF header; the types mirror the back-end's pydantic models (MonitorBeds, MonitorAlarm).
 */
import { CSRF_COOKIE, CSRF_HEADER, readCookie } from "../api/client";

export interface MonitorWindow {
  n: number;
  t_start: number;
  t_stop: number;
  state: string;
  probs: number[] | null;
  score: number | null;
  reason: string | null;
}

export type Decision = "acknowledged" | "confirmed" | "rejected";

export interface AlarmAck {
  user: string;
  role: string;
  at: string;
  decision: Decision;
  note: string;
}

export interface MonitorAlarm {
  id: string;
  label: string;
  raised_t: number;
  raised_at: string;
  reason: string;
  score: number;
  cleared_t: number | null;
  acks: AlarmAck[];
}

export interface MonitorBed {
  name: string;
  labels: string[];
  alarm_rule: string;
  alarm_active: boolean;
  windows: MonitorWindow[];
  alarms: MonitorAlarm[];
  not_assessable_share: number | null;
  last_note: string | null;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function check(response: Response): Promise<unknown> {
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = (body as { detail?: unknown } | null)?.detail;
    throw new HttpError(response.status, typeof detail === "string" ? detail : `HTTP ${response.status}`);
  }
  return body;
}

export async function me(): Promise<{ user: { username: string; role: string } }> {
  return (await check(await fetch("/api/auth/me", { credentials: "same-origin" }))) as {
    user: { username: string; role: string };
  };
}

export async function fetchBeds(seconds: number): Promise<MonitorBed[]> {
  const r = await fetch(`/api/monitor/beds?seconds=${seconds}`, { credentials: "same-origin" });
  return ((await check(r)) as { beds: MonitorBed[] }).beds;
}

export async function answerAlarm(bed: string, alarm: string, decision: Decision, note = ""): Promise<MonitorAlarm> {
  const r = await fetch(`/api/monitor/beds/${encodeURIComponent(bed)}/alarms/${encodeURIComponent(alarm)}/acks`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", [CSRF_HEADER]: readCookie(document.cookie, CSRF_COOKIE) },
    body: JSON.stringify({ decision, note }),
  });
  return (await check(r)) as MonitorAlarm;
}
