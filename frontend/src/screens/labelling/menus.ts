/** The menu strip of the labelling screen (File / Edit / View / Help). */
import type { Menu } from "../../components/MenuStrip";
import type { Marker } from "./labels";

/** What the menus show as enabled or checked. */
export interface LabellingMenuState {
  /** May create and edit labels (clinician, admin). */
  annotator: boolean;
  /** May export the training manifest (data scientist, admin). */
  mayExportManifest: boolean;
  /** The selected event has a generalisation time to clear. */
  hasTG: boolean;
  /** An MOI is selected (to delete). */
  moiSelected: boolean;
  showEmptyLanes: boolean;
}

export interface LabellingMenuActions {
  back: () => void;
  exportLabels: () => void;
  exportManifest: () => void;
  reload: () => void;
  logOut: () => void;
  newMoi: () => void;
  setMarker: (marker: Marker) => void;
  clearTG: () => void;
  deleteSelectedMoi: () => void;
  zoom: (factor: number) => void;
  fit: () => void;
  toggleEmptyLanes: () => void;
  help: () => void;
}

/** Zoom step of the menus, buttons and `z` / `x`. */
export const ZOOM_STEP = 1.5;

export function labellingMenus(state: LabellingMenuState, act: LabellingMenuActions): Menu[] {
  const { annotator } = state;
  return [
    {
      label: "File",
      items: [
        { label: "Back to recordings", onSelect: act.back },
        { label: "Export labels (JSON)", onSelect: act.exportLabels },
        { label: "Export training manifest", onSelect: act.exportManifest, disabled: !state.mayExportManifest },
        { label: "Reload from server", onSelect: act.reload },
        { label: "Log out", onSelect: act.logOut },
      ],
    },
    {
      label: "Edit",
      items: [
        { label: "New MOI", shortcut: "n", onSelect: act.newMoi, disabled: !annotator },
        { label: "Set onset", shortcut: "o", onSelect: () => act.setMarker("onset"), disabled: !annotator },
        { label: "Set offset", shortcut: "f", onSelect: () => act.setMarker("offset"), disabled: !annotator },
        { label: "Set tG", shortcut: "g", onSelect: () => act.setMarker("tg"), disabled: !annotator },
        { label: "Clear tG", onSelect: act.clearTG, disabled: !annotator || !state.hasTG },
        { label: "Delete selected MOI", onSelect: act.deleteSelectedMoi, disabled: !annotator || !state.moiSelected },
      ],
    },
    {
      label: "View",
      items: [
        { label: "Zoom in", shortcut: "z", onSelect: () => act.zoom(ZOOM_STEP) },
        { label: "Zoom out", shortcut: "x", onSelect: () => act.zoom(1 / ZOOM_STEP) },
        { label: "Whole recording", onSelect: act.fit },
        { label: state.showEmptyLanes ? "Hide empty lanes" : "Show all lanes", onSelect: act.toggleEmptyLanes },
      ],
    },
    {
      label: "Help",
      items: [{ label: "Keyboard shortcuts", shortcut: "?", onSelect: act.help }],
    },
  ];
}
