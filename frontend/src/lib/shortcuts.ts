/**
 * Keyboard shortcuts of the labelling screen, following the VIA / Label Studio timeline
 * conventions (space play/pause, arrows step frames, shift+arrows step one second).
 */

/** Everything a shortcut can ask the labelling screen to do. */
export type ShortcutAction =
  | { kind: "togglePlay" }
  | { kind: "stepFrames"; delta: number }
  | { kind: "stepSeconds"; delta: number }
  | { kind: "rate"; direction: 1 | -1 }
  | { kind: "marker"; marker: "onset" | "offset" | "tg" }
  | { kind: "moiBound"; bound: "start" | "end" }
  | { kind: "newMoi" }
  | { kind: "zoom"; direction: 1 | -1 }
  | { kind: "nudge"; frames: number }
  | { kind: "undo" }
  | { kind: "redo" }
  | { kind: "help" };

/** The subset of a KeyboardEvent the mapping looks at (plain data, so it is testable). */
export interface KeyInput {
  key: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  /** True when focus is in a text field, select or contenteditable: keys belong to it. */
  inEditable: boolean;
}

/** One row of the help overlay. */
export interface ShortcutHelp {
  keys: string[];
  description: string;
}

/** The shortcut table shown by the `?` help overlay, in display order. */
export const SHORTCUT_HELP: readonly ShortcutHelp[] = [
  { keys: ["Space"], description: "Play / pause" },
  { keys: ["←", "→"], description: "Step one frame back / forward" },
  { keys: ["Shift+←", "Shift+→"], description: "Step one second back / forward" },
  { keys: ["[", "-"], description: "Slower playback" },
  { keys: ["]", "+"], description: "Faster playback" },
  { keys: ["o"], description: "Set seizure onset at the current time" },
  { keys: ["f"], description: "Set seizure offset (finish) at the current time" },
  { keys: ["g"], description: "Set generalisation time tG at the current time" },
  { keys: ["n"], description: "New MOI starting at the current time" },
  { keys: ["s"], description: "Set the MOI form's start to the current time" },
  { keys: ["e"], description: "Set the MOI form's end to the current time" },
  { keys: ["z", "x"], description: "Zoom the timeline in / out" },
  { keys: [",", "."], description: "Nudge the selected edge (click a marker or MOI edge) one frame earlier / later" },
  { keys: ["<", ">"], description: "Nudge the selected edge ten frames earlier / later" },
  { keys: ["Ctrl+Z", "Ctrl+Shift+Z"], description: "Undo / redo your last edit" },
  { keys: ["?"], description: "Show or hide this help" },
];

/**
 * Map a key press to an action, or `null` when the key is not a shortcut.
 * Keys typed into form fields are never shortcuts; Ctrl / Cmd / Alt combinations are left to
 * the browser (copy, reload, ...).
 */
export function resolveShortcut(input: KeyInput): ShortcutAction | null {
  if (!input.inEditable && (input.ctrlKey || input.metaKey) && !input.altKey) {
    const k = input.key.toLowerCase();
    if (k === "z") return input.shiftKey ? { kind: "redo" } : { kind: "undo" };
    if (k === "y" && !input.shiftKey) return { kind: "redo" };
  }
  if (input.inEditable || input.ctrlKey || input.metaKey || input.altKey) return null;
  switch (input.key) {
    case " ":
    case "Spacebar":
      return { kind: "togglePlay" };
    case "ArrowLeft":
      return input.shiftKey ? { kind: "stepSeconds", delta: -1 } : { kind: "stepFrames", delta: -1 };
    case "ArrowRight":
      return input.shiftKey ? { kind: "stepSeconds", delta: 1 } : { kind: "stepFrames", delta: 1 };
    case "[":
    case "-":
      return { kind: "rate", direction: -1 };
    case "]":
    case "+":
    case "=":
      return { kind: "rate", direction: 1 };
    case "?":
      return { kind: "help" };
    case ",":
      return { kind: "nudge", frames: -1 };
    case ".":
      return { kind: "nudge", frames: 1 };
    case "<":
      return { kind: "nudge", frames: -10 };
    case ">":
      return { kind: "nudge", frames: 10 };
  }
  if (input.shiftKey) return null;
  switch (input.key.toLowerCase()) {
    case "o":
      return { kind: "marker", marker: "onset" };
    case "f":
      return { kind: "marker", marker: "offset" };
    case "g":
      return { kind: "marker", marker: "tg" };
    case "n":
      return { kind: "newMoi" };
    case "s":
      return { kind: "moiBound", bound: "start" };
    case "e":
      return { kind: "moiBound", bound: "end" };
    case "z":
      return { kind: "zoom", direction: 1 };
    case "x":
      return { kind: "zoom", direction: -1 };
  }
  return null;
}

/** Whether a DOM element takes typed text (so shortcuts must not fire inside it). */
export function isEditableTarget(target: EventTarget | null): boolean {
  if (typeof HTMLElement === "undefined" || !(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag !== "INPUT") return false;
  const type = (target as HTMLInputElement).type;
  return !["button", "checkbox", "radio", "range", "submit", "reset"].includes(type);
}
