/**
 * The labelling screen's keyboard shortcuts (lib/shortcuts.ts) on `window`: each key that maps
 * to an action calls `perform` (the one of the latest render). While a dialog is open its own
 * keys win (Escape, Tab, typing); only `?` still toggles the help.
 */
import { useEffect, useRef } from "react";
import { isEditableTarget, resolveShortcut, type ShortcutAction } from "../lib/shortcuts";

export function useShortcuts(perform: (action: ShortcutAction) => void): void {
  const performRef = useRef(perform);
  performRef.current = perform;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (document.querySelector("dialog[open]") && e.key !== "?") return;
      const action = resolveShortcut({
        key: e.key,
        shiftKey: e.shiftKey,
        ctrlKey: e.ctrlKey,
        metaKey: e.metaKey,
        altKey: e.altKey,
        inEditable: isEditableTarget(e.target),
      });
      if (action === null) return;
      e.preventDefault();
      performRef.current(action);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}
