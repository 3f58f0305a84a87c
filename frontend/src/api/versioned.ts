/**
 * Versioned edits (`PATCH` with `version` in the body, `DELETE ...?version=N`): a stale
 * version is answered 409 with the row as the server holds it now. The OpenAPI schema types
 * that body per route (`PatientConflict`, `EventConflict`, `MoiConflict`), so `current` has the
 * entity's own type here: no casts.
 */
import { apiErrorFrom } from "./errors";

/** The shape every 409 body of a versioned route has (docs/api.md, "Concurrency"). */
interface ConflictBody {
  detail: { message: string; current: Record<string, unknown> };
}

/**
 * The conflict a route's error union `E` declares: `{ message, current }` with `current` the
 * entity's public schema (`never` for a route that declares no 409).
 */
export type ConflictOf<E> = Extract<E, ConflictBody>["detail"];

/** What a versioned edit came to: saved (the server's answer), or refused as stale. */
export type VersionedResult<T, E> = { ok: true; data: T } | { ok: false; conflict: ConflictOf<E> };

/** The result shape of every openapi-fetch call (its `error` typed by the route). */
export interface FetchResult<T, E> {
  data?: T;
  error?: E;
  response: Response;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** True when an error body of status `status` is a versioned route's 409 (checked, not assumed). */
export function isConflictBody<E>(status: number, body: E | undefined): body is Extract<E, ConflictBody> {
  if (status !== 409 || !isRecord(body)) return false;
  const detail = body.detail;
  return isRecord(detail) && typeof detail.message === "string" && isRecord(detail.current);
}

/** Await an openapi-fetch call; a network failure becomes an `ApiError` of status 0. */
export async function settle<T, E>(call: Promise<FetchResult<T, E>>): Promise<FetchResult<T, E>> {
  try {
    return await call;
  } catch (err) {
    throw apiErrorFrom(0, { detail: `cannot reach the server (${err instanceof Error ? err.message : String(err)})` });
  }
}

/**
 * Await a versioned edit: its data when saved, the typed conflict when the version was stale;
 * any other failure throws an `ApiError` (as `unwrap` does).
 */
export async function sendVersioned<T, E>(call: Promise<FetchResult<T, E>>): Promise<VersionedResult<T, E>> {
  const result = await settle(call);
  if (result.response.ok) return { ok: true, data: result.data as T };
  if (isConflictBody(result.response.status, result.error)) return { ok: false, conflict: result.error.detail };
  throw apiErrorFrom(result.response.status, result.error);
}
