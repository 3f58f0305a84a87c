import { describe, expect, it } from "vitest";
import { describeSigns, sameSigns, toggleSign } from "./signs";

describe("toggleSign", () => {
  it("brings the base along with a refinement, in the checklist's order", () => {
    expect(toggleSign([], "dystonia-left", true)).toEqual(["dystonia", "dystonia-left"]);
    expect(toggleSign(["emotion-fear", "emotion"], "dystonia", true)).toEqual(["dystonia", "emotion", "emotion-fear"]);
  });
  it("clears the refinements with their base, and a refinement alone", () => {
    expect(toggleSign(["dystonia", "dystonia-right", "emotion"], "dystonia", false)).toEqual(["emotion"]);
    expect(toggleSign(["dystonia", "dystonia-right"], "dystonia-right", false)).toEqual(["dystonia"]);
  });
  it("keeps each sign once", () => {
    expect(toggleSign(["emotion"], "emotion", true)).toEqual(["emotion"]);
  });
});

describe("describeSigns", () => {
  it("names the signs with their details", () => {
    expect(describeSigns(["dystonia", "dystonia-left", "emotion"])).toBe("dystonia (left), emotion");
    expect(describeSigns([])).toBe("no sign");
    expect(sameSigns(["emotion", "dystonia"], ["dystonia", "emotion"])).toBe(true);
  });
});
