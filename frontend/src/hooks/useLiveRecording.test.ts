import { describe, expect, it } from "vitest";
import { liveUrl, presenceText } from "./useLiveRecording";

describe("presenceText", () => {
  it("names the others only", () => {
    expect(presenceText(["alice"], "alice")).toBe("");
    expect(presenceText(["alice", "bob"], "alice")).toBe("bob is viewing");
    expect(presenceText(["alice", "bob", "carol"], "alice")).toBe("bob and carol are viewing");
  });
});

describe("liveUrl", () => {
  it("follows the page's scheme and host", () => {
    const loc = { protocol: "https:", host: "emu.example:8443" } as Location;
    expect(liveUrl(4, loc)).toBe("wss://emu.example:8443/api/recordings/4/live");
  });
});
