import { describe, expect, it } from "vitest";
import { ApiError, apiErrorFrom, errorMessage } from "./errors";

describe("apiErrorFrom", () => {
  it("reads a plain detail string", () => {
    const err = apiErrorFrom(404, { detail: "recording 3 not found" });
    expect(err.message).toBe("recording 3 not found");
    expect(err.status).toBe(404);
    expect(err.isConflict).toBe(false);
  });
  it("joins FastAPI validation errors with their field", () => {
    const err = apiErrorFrom(422, {
      detail: [
        { loc: ["body", "end"], msg: "must be after start" },
        { loc: ["body", "region"], msg: "bad code" },
      ],
    });
    expect(err.message).toBe("end: must be after start; region: bad code");
  });
  it("keeps the server's row of a 409 conflict", () => {
    const err = apiErrorFrom(409, { detail: { message: "changed by someone else", current: { id: 4, version: 3 } } });
    expect(err.isConflict).toBe(true);
    expect(err.current).toEqual({ id: 4, version: 3 });
    expect(err.message).toBe("changed by someone else");
  });
  it("falls back to a message per status for unexpected bodies", () => {
    expect(apiErrorFrom(401, "<html>").message).toMatch(/log in again/);
    expect(apiErrorFrom(502, null).message).toBe("the server answered 502");
  });
  it("errorMessage handles non-errors", () => {
    expect(errorMessage(new ApiError(400, "x"))).toBe("x");
    expect(errorMessage("plain")).toBe("plain");
  });
});
