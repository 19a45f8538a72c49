"use client";

import { useEffect, useRef } from "react";

import { SHORTCUTS } from "./useShortcuts";

/** The session page's keyboard shortcuts, in a native modal <dialog> (focus and Escape handled). */
export default function ShortcutsDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);

  return (
    // `cancel` (Escape) comes at once, `close` a task later: either tells the page it is shut.
    <dialog ref={dialog} aria-labelledby="shortcuts-heading" onCancel={onClose} onClose={onClose}>
      <h2 id="shortcuts-heading">Keyboard shortcuts</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Does</th>
          </tr>
        </thead>
        <tbody>
          {SHORTCUTS.map(({ keys, action }) => (
            <tr key={keys}>
              <th scope="row">
                <kbd>{keys}</kbd>
              </th>
              <td>{action}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button className="primary" type="button" onClick={onClose} autoFocus>
        Close
      </button>
    </dialog>
  );
}
