import { describe, expect, it } from "vitest";
import { auditQuery, NO_AUDIT_FILTER } from "./audit";
import { changeText } from "./TeamPanels";

describe("audit filters", () => {
  it("leaves empty fields out and sends times as UTC", () => {
    expect(auditQuery(NO_AUDIT_FILTER)).toEqual({ limit: 200 });
    const q = auditQuery({ ...NO_AUDIT_FILTER, username: " alice ", entity: "event", since: "2026-01-02T03:04" }, 50);
    expect(q).toEqual({ limit: 50, username: "alice", entity: "event", since: new Date("2026-01-02T03:04").toISOString() });
    expect(auditQuery({ ...NO_AUDIT_FILTER, until: "not a date" })).toEqual({ limit: 200 });
  });
  it("describes what changed between before and after", () => {
    expect(changeText({ t0: 1.6, label: "FLE" }, { t0: 1, label: "FLE" })).toBe("t0: 1.6 → 1");
    expect(changeText(null, { label: "FLE" })).toBe('label: "FLE"');
    expect(changeText({ label: "FLE" }, null)).toBe('label: "FLE" → deleted');
  });
});
