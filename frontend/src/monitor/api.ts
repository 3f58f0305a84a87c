/**
 * The live page's API calls (routes/monitor.py) through the app's typed client: `makeClient`
 * (session cookie, CSRF header from the `ictal_csrf` cookie) and `unwrap` (an error answer
 * becomes an `ApiError`); the types are those generated from the back-end's schema.
 */
import { makeClient, unwrap } from "../api/client";
import type { components } from "../api/schema";
import type { UserPublic } from "../api/types";

type Schemas = components["schemas"];
export type MonitorWindow = Schemas["MonitorWindow"];
export type MonitorAlarm = Schemas["MonitorAlarm"];
export type MonitorBed = Schemas["MonitorBed"];
export type BedRecording = Schemas["BedRecording"];
export type Decision = NonNullable<Schemas["AckRequest"]["decision"]>;

const api = makeClient(() => "");

export async function me(): Promise<UserPublic> {
  return (await unwrap(api.GET("/api/auth/me"))).user;
}

export async function fetchBeds(seconds: number): Promise<MonitorBed[]> {
  return (await unwrap(api.GET("/api/monitor/beds", { params: { query: { seconds } } }))).beds;
}

export async function answerAlarm(bed: string, alarm: string, decision: Decision, note = ""): Promise<MonitorAlarm> {
  return unwrap(
    api.POST("/api/monitor/beds/{bed}/alarms/{alarm_id}/acks", {
      params: { path: { bed, alarm_id: alarm } },
      body: { decision, note },
    }),
  );
}

/** Say that `bed` is seen in recording `recordingId`, from the bed's second `offset`. */
export async function assignRecording(bed: string, recordingId: number, offset: number): Promise<BedRecording> {
  return unwrap(
    api.POST("/api/monitor/beds/{bed}/recordings", {
      params: { path: { bed } },
      body: { recording_id: recordingId, offset },
    }),
  );
}
