import { describe, expect, it } from "vitest";
import { parseRoute, routeHash } from "./route";

describe("routes", () => {
  it("parses the labelling route and round-trips", () => {
    expect(parseRoute("#/recordings/42")).toEqual({ screen: "labelling", recordingId: 42 });
    expect(routeHash({ screen: "labelling", recordingId: 42 })).toBe("#/recordings/42");
  });
  it("falls back to the landing screen", () => {
    for (const hash of ["", "#/", "#/recordings/", "#/recordings/abc", "#/other"]) {
      expect(parseRoute(hash)).toEqual({ screen: "landing" });
    }
  });
});

describe("team routes", () => {
  it("parses the review and admin routes and round-trips", () => {
    for (const route of [{ screen: "review", recordingId: 7 }, { screen: "admin" }] as const) {
      expect(parseRoute(routeHash(route))).toEqual(route);
    }
    expect(parseRoute("#/recordings/7/review")).toEqual({ screen: "review", recordingId: 7 });
    expect(parseRoute("#/recordings/7/other")).toEqual({ screen: "landing" });
  });
});
