import { describe, expect, it } from "vitest";
import { type KeyInput, resolveShortcut, SHORTCUT_HELP } from "./shortcuts";

const key = (k: string, extra: Partial<KeyInput> = {}): KeyInput => ({
  key: k,
  shiftKey: false,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  inEditable: false,
  ...extra,
});

describe("resolveShortcut", () => {
  it("maps playback keys", () => {
    expect(resolveShortcut(key(" "))).toEqual({ kind: "togglePlay" });
    expect(resolveShortcut(key("ArrowLeft"))).toEqual({ kind: "stepFrames", delta: -1 });
    expect(resolveShortcut(key("ArrowRight"))).toEqual({ kind: "stepFrames", delta: 1 });
    expect(resolveShortcut(key("ArrowLeft", { shiftKey: true }))).toEqual({ kind: "stepSeconds", delta: -1 });
    expect(resolveShortcut(key("ArrowRight", { shiftKey: true }))).toEqual({ kind: "stepSeconds", delta: 1 });
  });
  it("maps both speed conventions, including shifted + and ?", () => {
    expect(resolveShortcut(key("["))).toEqual({ kind: "rate", direction: -1 });
    expect(resolveShortcut(key("-"))).toEqual({ kind: "rate", direction: -1 });
    expect(resolveShortcut(key("]"))).toEqual({ kind: "rate", direction: 1 });
    expect(resolveShortcut(key("+", { shiftKey: true }))).toEqual({ kind: "rate", direction: 1 });
    expect(resolveShortcut(key("?", { shiftKey: true }))).toEqual({ kind: "help" });
  });
  it("maps marker and MOI keys, case-insensitively without shift", () => {
    expect(resolveShortcut(key("o"))).toEqual({ kind: "marker", marker: "onset" });
    expect(resolveShortcut(key("f"))).toEqual({ kind: "marker", marker: "offset" });
    expect(resolveShortcut(key("g"))).toEqual({ kind: "marker", marker: "tg" });
    expect(resolveShortcut(key("G"))).toEqual({ kind: "marker", marker: "tg" });
    expect(resolveShortcut(key("n"))).toEqual({ kind: "newMoi" });
    expect(resolveShortcut(key("s"))).toEqual({ kind: "moiBound", bound: "start" });
    expect(resolveShortcut(key("e"))).toEqual({ kind: "moiBound", bound: "end" });
    expect(resolveShortcut(key("O", { shiftKey: true }))).toBeNull();
  });
  it("ignores keys typed into fields and browser combinations", () => {
    expect(resolveShortcut(key(" ", { inEditable: true }))).toBeNull();
    expect(resolveShortcut(key("o", { inEditable: true }))).toBeNull();
    expect(resolveShortcut(key("f", { ctrlKey: true }))).toBeNull();
    expect(resolveShortcut(key("ArrowLeft", { metaKey: true }))).toBeNull();
    expect(resolveShortcut(key("q"))).toBeNull();
  });
  it("documents every single-character key it handles", () => {
    const documented = new Set(SHORTCUT_HELP.flatMap((row) => row.keys));
    for (const k of ["o", "f", "g", "n", "s", "e", "z", "x", "[", "]", "-", "+", "?"]) {
      expect(resolveShortcut(key(k, { shiftKey: k === "?" || k === "+" }))).not.toBeNull();
      expect(documented.has(k)).toBe(true);
    }
  });
});
