import { describe, expect, it } from "vitest";
import { formatBytes, parentPath } from "./StorageDialog";

describe("storage helpers", () => {
  it("formats sizes in decimal units", () => {
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(48_213)).toBe("48.2 kB");
    expect(formatBytes(1_234_567)).toBe("1.2 MB");
    expect(formatBytes(427e9)).toBe("427.0 GB");
  });
  it("finds the parent folder of a relative path", () => {
    expect(parentPath("a/b/c")).toBe("a/b");
    expect(parentPath("a")).toBe("");
    expect(parentPath("")).toBe("");
  });
});
