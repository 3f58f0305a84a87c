import { describe, expect, it } from "vitest";
import type { Menu } from "../../components/MenuStrip";
import { type LabellingMenuActions, type LabellingMenuState, labellingMenus, ZOOM_STEP } from "./menus";

const CLINICIAN: LabellingMenuState = { annotator: true, mayExportManifest: false, hasTG: true, moiSelected: true, showEmptyLanes: true };

/** Actions that record what was asked of them. */
function recorder(): { calls: unknown[][]; actions: LabellingMenuActions } {
  const calls: unknown[][] = [];
  const record =
    (name: string) =>
    (...args: unknown[]) => {
      calls.push([name, ...args]);
    };
  const actions: LabellingMenuActions = {
    back: record("back"),
    exportLabels: record("exportLabels"),
    exportManifest: record("exportManifest"),
    reload: record("reload"),
    logOut: record("logOut"),
    newMoi: record("newMoi"),
    setMarker: record("setMarker"),
    clearTG: record("clearTG"),
    deleteSelectedMoi: record("deleteSelectedMoi"),
    zoom: record("zoom"),
    fit: record("fit"),
    toggleEmptyLanes: record("toggleEmptyLanes"),
    help: record("help"),
  };
  return { calls, actions };
}

function item(menus: Menu[], menu: string, label: string) {
  const found = menus.find((m) => m.label === menu)?.items.find((i) => i.label === label);
  if (!found) throw new Error(`no item ${menu} > ${label}`);
  return found;
}

describe("labellingMenus", () => {
  it("has File, Edit, View and Help", () => {
    expect(labellingMenus(CLINICIAN, recorder().actions).map((m) => m.label)).toEqual(["File", "Edit", "View", "Help"]);
  });
  it("disables editing for roles that may only look, and the manifest for clinicians", () => {
    const viewer = labellingMenus({ ...CLINICIAN, annotator: false, mayExportManifest: true }, recorder().actions);
    for (const label of ["New MOI", "Set onset", "Set offset", "Set tG", "Clear tG", "Delete selected MOI"]) {
      expect(item(viewer, "Edit", label).disabled).toBe(true);
    }
    expect(item(viewer, "File", "Export training manifest").disabled).toBe(false);
    const clinician = labellingMenus(CLINICIAN, recorder().actions);
    expect(item(clinician, "File", "Export training manifest").disabled).toBe(true);
    expect(item(clinician, "Edit", "Set onset").disabled).toBe(false);
  });
  it("offers Clear tG only with a tG, and Delete only with a selected MOI", () => {
    const menus = labellingMenus({ ...CLINICIAN, hasTG: false, moiSelected: false }, recorder().actions);
    expect(item(menus, "Edit", "Clear tG").disabled).toBe(true);
    expect(item(menus, "Edit", "Delete selected MOI").disabled).toBe(true);
  });
  it("names the lanes toggle by what it will do", () => {
    expect(() => item(labellingMenus(CLINICIAN, recorder().actions), "View", "Hide empty lanes")).not.toThrow();
    expect(() => item(labellingMenus({ ...CLINICIAN, showEmptyLanes: false }, recorder().actions), "View", "Show all lanes")).not.toThrow();
  });
  it("calls the matching action, with the shortcut shown beside it", () => {
    const { calls, actions } = recorder();
    const menus = labellingMenus(CLINICIAN, actions);
    const onset = item(menus, "Edit", "Set onset");
    const tg = item(menus, "Edit", "Set tG");
    const zoomOut = item(menus, "View", "Zoom out");
    expect([onset.shortcut, tg.shortcut, zoomOut.shortcut]).toEqual(["o", "g", "x"]);
    onset.onSelect();
    tg.onSelect();
    zoomOut.onSelect();
    item(menus, "Edit", "Clear tG").onSelect();
    expect(calls).toEqual([["setMarker", "onset"], ["setMarker", "tg"], ["zoom", 1 / ZOOM_STEP], ["clearTG"]]);
  });
});
