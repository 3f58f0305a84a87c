import { describe, expect, it } from "vitest";
import { labellingText, layerOf, layersOf, mayEdit, meanRegionIou, meanStd, visibleEvents } from "./layers";

const ev = (author: string | null, layer: "annotator" | "consensus" | "monitor" = "annotator") => ({ author, layer });

describe("layers", () => {
  it("orders the user's layer first and the consensus last", () => {
    const events = [ev("bob"), ev("alice"), ev("rev", "consensus"), ev("carol"), ev("bob")];
    expect(layersOf(events, "bob")).toEqual(["bob", "alice", "carol", "consensus"]);
    expect(layersOf(events, "zed")).toEqual(["alice", "bob", "carol", "consensus"]);
    expect(layerOf(ev("rev", "consensus"))).toBe("consensus");
  });
  it("hides the layers asked for", () => {
    const events = [ev("bob"), ev("alice"), ev("rev", "consensus")];
    expect(visibleEvents(events, new Set(["alice", "consensus"]))).toEqual([ev("bob")]);
  });
  it("lets only the author edit, and reviewers the consensus", () => {
    expect(mayEdit(ev("alice"), "alice", "clinician")).toBe(true);
    expect(mayEdit(ev("alice"), "bob", "admin")).toBe(false);
    expect(mayEdit(ev("rev", "consensus"), "bob", "clinician")).toBe(false);
    expect(mayEdit(ev("rev", "consensus"), "rev2", "reviewer")).toBe(true);
  });
  it("puts alarm events in their own layer, which any clinician reviews", () => {
    const events = [ev("bob"), ev("nurse", "monitor"), ev("rev", "consensus"), ev("alice")];
    expect(layersOf(events, "alice")).toEqual(["alice", "bob", "monitor alarms", "consensus"]);
    expect(mayEdit(ev("nurse", "monitor"), "alice", "clinician")).toBe(true);
    expect(mayEdit(ev("nurse", "monitor"), "alice", "data_scientist")).toBe(false);
  });
  it("summarises the labelling status", () => {
    const a = { user_id: 1, username: "alice", events: 2, mois: 5, last_edit: null };
    const b = { user_id: 2, username: "bob", events: 1, mois: 0, last_edit: null };
    expect(labellingText(undefined)).toBe("not labelled");
    expect(labellingText({ recording_id: 1, annotators: [a], consensus_events: 0 })).toBe("alice 2 ev / 5 MOI");
    expect(labellingText({ recording_id: 1, annotators: [a, b], consensus_events: 0 })).toBe("alice 2 ev / 5 MOI · bob 1 ev / 0 MOI · not adjudicated");
    expect(labellingText({ recording_id: 1, annotators: [a, b], consensus_events: 1 })).toBe("alice 2 ev / 5 MOI · bob 1 ev / 0 MOI · consensus 1");
    expect(labellingText({ recording_id: 1, annotators: [], consensus_events: 0, monitor_events: 2 })).toBe("alarms 2");
  });
  it("formats agreement figures", () => {
    expect(meanStd({ mean: 0.5, std: 0.25, n: 3 })).toBe("0.50 ± 0.25 (n=3)");
    expect(meanStd({ mean: null, std: null, n: 0 })).toBe("–");
    expect(meanRegionIou({ head: 0.5, arm_l: 1 })).toBe(0.75);
    expect(meanRegionIou({})).toBeNull();
  });
});
