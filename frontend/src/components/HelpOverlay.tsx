/** The `?` help overlay: every keyboard shortcut of the labelling screen. */
import { SHORTCUT_HELP } from "../lib/shortcuts";
import { Modal } from "./Modal";

export function HelpOverlay({ open, onClose }: { open: boolean; onClose: () => void }) {
  return (
    <Modal title="Keyboard shortcuts" open={open} onClose={onClose}>
      <table className="help-table" aria-label="Keyboard shortcuts">
        <tbody>
          {SHORTCUT_HELP.map((row) => (
            <tr key={row.description}>
              <td>
                {row.keys.map((k, i) => (
                  <span key={k}>
                    {i > 0 && " / "}
                    <kbd>{k}</kbd>
                  </span>
                ))}
              </td>
              <td>{row.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">Shortcuts are off while typing in a form field. Click the timeline to seek; click a segment to edit its MOI.</p>
    </Modal>
  );
}
