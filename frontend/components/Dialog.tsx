"use client";

import { useEffect, useId, useRef, type ReactNode } from "react";

interface Props {
  open: boolean;
  title: string;
  /** Escape, the close button, or the parent closing it: the parent sets `open` to false. */
  onClose: () => void;
  children: ReactNode;
}

/**
 * A modal dialog on the native <dialog>: showModal() traps focus and makes the page behind inert,
 * Escape closes it; on closing, focus goes back to whatever opened it.
 */
export default function Dialog({ open, title, onClose, children }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const headingId = useId();

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      element.showModal();
    }
    if (!open && element.open) element.close();
  }, [open]);

  function closed() {
    onClose();
    if (opener.current?.isConnected) opener.current.focus();
  }

  return (
    <dialog ref={dialog} aria-labelledby={headingId} onClose={closed}>
      <h2 id={headingId}>{title}</h2>
      {children}
    </dialog>
  );
}
