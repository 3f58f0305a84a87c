import { describe, expect, expectTypeOf, it } from "vitest";
import { makeClient } from "./client";
import { ApiError } from "./errors";
import type { EventPublic, MoiPublic, PatientPublic } from "./types";
import { type ConflictOf, isConflictBody, sendVersioned } from "./versioned";
import type { paths } from "./schema";

const api = makeClient(() => "csrf-token", "http://ictal.test");

const EVENT: EventPublic = {
  id: 7,
  recording_id: 1,
  t0: 12,
  t1: 44,
  tG: null,
  label: "FLE",
  seizure_types: "",
  semiology: "",
  created_by: 2,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
  version: 4,
};

/** A `fetch` answering `status` with `body` as JSON (or no body). */
function answer(status: number, body?: unknown): (request: Request) => Promise<Response> {
  return async () =>
    new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

const patchEvent = (fetch: (request: Request) => Promise<Response>) =>
  api.PATCH("/api/events/{event_id}", { params: { path: { event_id: 7 } }, body: { version: 3, label: "TLE" }, fetch });

/** The JSON bodies of every answer an operation declares (success and errors). */
type BodiesOf<Op> = Op extends { responses: infer R }
  ? { [S in keyof R]: R[S] extends { content: { "application/json": infer B } } ? B : never }[keyof R]
  : never;

describe("ConflictOf", () => {
  it("gives each versioned route's 409 the entity's own row type", () => {
    expectTypeOf<ConflictOf<BodiesOf<paths["/api/events/{event_id}"]["patch"]>>["current"]>().toEqualTypeOf<EventPublic>();
    expectTypeOf<ConflictOf<BodiesOf<paths["/api/events/{event_id}"]["delete"]>>["current"]>().toEqualTypeOf<EventPublic>();
    expectTypeOf<ConflictOf<BodiesOf<paths["/api/mois/{moi_id}"]["patch"]>>["current"]>().toEqualTypeOf<MoiPublic>();
    expectTypeOf<ConflictOf<BodiesOf<paths["/api/mois/{moi_id}"]["delete"]>>["current"]>().toEqualTypeOf<MoiPublic>();
    expectTypeOf<ConflictOf<BodiesOf<paths["/api/patients/{patient_id}"]["patch"]>>["current"]>().toEqualTypeOf<PatientPublic>();
  });
  it("is never for a route that declares no 409", () => {
    expectTypeOf<ConflictOf<BodiesOf<paths["/api/recordings/{recording_id}/events"]["post"]>>>().toBeNever();
  });
});

describe("isConflictBody", () => {
  it("needs status 409 and a detail with a message and the row", () => {
    const body = { detail: { message: "changed", current: { id: 1, version: 2 } } };
    expect(isConflictBody(409, body)).toBe(true);
    expect(isConflictBody(422, body)).toBe(false);
    expect(isConflictBody(409, { detail: "changed" })).toBe(false);
    expect(isConflictBody(409, { detail: { message: "changed" } })).toBe(false);
    expect(isConflictBody(409, { detail: { message: "changed", current: [1] } })).toBe(false);
    expect(isConflictBody(409, { detail: { current: { id: 1 } } })).toBe(false);
    expect(isConflictBody(409, undefined)).toBe(false);
  });
});

describe("sendVersioned", () => {
  it("returns the saved row", async () => {
    const result = await sendVersioned(patchEvent(answer(200, { ...EVENT, label: "TLE" })));
    expect(result).toEqual({ ok: true, data: { ...EVENT, label: "TLE" } });
  });
  it("returns a stale version's conflict with the server's row, typed", async () => {
    const message = "event 7 was changed by someone else";
    const result = await sendVersioned(patchEvent(answer(409, { detail: { message, current: EVENT } })));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expectTypeOf(result.conflict.current).toEqualTypeOf<EventPublic>();
    expect(result.conflict.message).toBe(message);
    expect(result.conflict.current).toEqual(EVENT);
  });
  it("works for a DELETE answered 204", async () => {
    const call = api.DELETE("/api/mois/{moi_id}", { params: { path: { moi_id: 3 }, query: { version: 1 } }, fetch: answer(204) });
    expect((await sendVersioned(call)).ok).toBe(true);
  });
  it("throws an ApiError for every other failure", async () => {
    await expect(sendVersioned(patchEvent(answer(422, { detail: [{ loc: ["body", "t1"], msg: "past the end" }] })))).rejects.toThrow(
      new ApiError(422, "t1: past the end"),
    );
    await expect(sendVersioned(patchEvent(answer(409, { detail: "not a conflict body" })))).rejects.toBeInstanceOf(ApiError);
    const offline = patchEvent(async () => {
      throw new TypeError("Failed to fetch");
    });
    await expect(sendVersioned(offline)).rejects.toMatchObject({ status: 0, message: "cannot reach the server (Failed to fetch)" });
  });
});
