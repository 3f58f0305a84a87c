/**
 * One error type for every failed API call, built from the back-end's error bodies:
 * `{"detail": "text"}`, FastAPI validation `{"detail": [{loc, msg}, ...]}`, and the 409
 * conflict `{"detail": {"message": ..., "current": <the row as the server has it>}}`.
 */

export class ApiError extends Error {
  readonly status: number;
  /** For 409 conflicts: the server's current version of the row. */
  readonly current: Record<string, unknown> | null;

  constructor(status: number, message: string, current: Record<string, unknown> | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.current = current;
  }

  get isConflict(): boolean {
    return this.status === 409 && this.current !== null;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Turn an error body (any of the shapes above, or junk) and its status into an ApiError. */
export function apiErrorFrom(status: number, body: unknown): ApiError {
  const detail = isRecord(body) ? body.detail : undefined;
  if (typeof detail === "string") return new ApiError(status, detail);
  if (Array.isArray(detail)) {
    const parts = detail.map((item) => {
      if (!isRecord(item)) return String(item);
      const loc = Array.isArray(item.loc) ? item.loc.filter((p) => p !== "body").join(".") : "";
      return loc ? `${loc}: ${String(item.msg)}` : String(item.msg);
    });
    return new ApiError(status, parts.join("; ") || `request rejected (${status})`);
  }
  if (isRecord(detail)) {
    const message = typeof detail.message === "string" ? detail.message : `request failed (${status})`;
    return new ApiError(status, message, isRecord(detail.current) ? detail.current : null);
  }
  const fallback: Record<number, string> = {
    401: "your session has expired: please log in again",
    403: "you are not allowed to do this",
    404: "not found",
    413: "the file is too large",
  };
  return new ApiError(status, fallback[status] ?? `the server answered ${status}`);
}

/** A readable message for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
