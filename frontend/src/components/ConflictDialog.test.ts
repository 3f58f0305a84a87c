import { describe, expect, it } from "vitest";
import { differingFields } from "./ConflictDialog";

describe("differingFields", () => {
  it("lists edited fields whose value the server has differently, never version", () => {
    const mine = { version: 1, start: 2, end: 3, region: "head" };
    const current = { version: 2, start: 2, end: 4.5, region: "head", term: "clonic" };
    expect(differingFields(mine, current)).toEqual(["end"]);
  });
  it("treats null, undefined and empty text as the same missing value", () => {
    expect(differingFields({ syndrome: null, etiology: "" }, { syndrome: undefined, etiology: null })).toEqual([]);
  });
});
