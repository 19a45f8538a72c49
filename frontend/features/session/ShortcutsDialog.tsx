"use client";

import { useEffect, useRef } from "react";

import { SHORTCUTS } from "./useShortcuts";

/**
 * The session page's keyboard shortcuts, in a native modal <dialog> (focus and Escape handled by
 * the browser). It opens each time `asked` grows; it closes itself (Close, or Escape), so nothing
 * outside has to follow when it did.
 */
export default function ShortcutsDialog({ asked }: { asked: number }) {
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const element = dialog.current;
    if (asked > 0 && element && !element.open) element.showModal();
  }, [asked]);

  return (
    <dialog ref={dialog} aria-labelledby="shortcuts-heading">
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
      <button className="primary" type="button" onClick={() => dialog.current?.close()} autoFocus>
        Close
      </button>
    </dialog>
  );
}
