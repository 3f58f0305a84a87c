import { describe, expect, it } from "vitest";
import { filterRecordings, NO_FILTER } from "./filters";

const recs = [
  { id: 1, patient_id: 1, patient_code: "P-AAA", path: "munich/bed1/seizure_01.mkv", kind: "ir", preview_status: "done" },
  { id: 2, patient_id: 2, patient_code: "P-BBB", path: "munich/bed2/seizure_02.mp4", kind: "rgb", preview_status: "running" },
  { id: 3, patient_id: 1, patient_code: "P-AAA", path: "porto/depth_03.mkv", kind: "depth", preview_status: "failed" },
];
const ids = (f: Partial<typeof NO_FILTER>) => filterRecordings(recs, { ...NO_FILTER, ...f }).map((r) => r.id);

describe("filterRecordings", () => {
  it("keeps everything without filters", () => {
    expect(ids({})).toEqual([1, 2, 3]);
  });
  it("searches every word in path and patient code, case-insensitively", () => {
    expect(ids({ search: "MUNICH" })).toEqual([1, 2]);
    expect(ids({ search: "munich bbb" })).toEqual([2]);
    expect(ids({ search: "p-aaa depth" })).toEqual([3]);
    expect(ids({ search: "nowhere" })).toEqual([]);
  });
  it("combines patient, status and camera filters", () => {
    expect(ids({ patientId: 1 })).toEqual([1, 3]);
    expect(ids({ patientId: 1, status: "failed" })).toEqual([3]);
    expect(ids({ kind: "rgb" })).toEqual([2]);
    expect(ids({ kind: "rgb", patientId: 1 })).toEqual([]);
  });
});
