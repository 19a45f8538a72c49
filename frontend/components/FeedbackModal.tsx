"use client";

import { useEffect, useRef, useState, type FormEvent } from "react";

interface Props {
  open: boolean;
  busy: boolean;
  error: string | null;
  onSubmit: (rating: number | undefined, note: string) => void;
  onCancel: () => void;
  /** The question asked (default "How was this session?"). */
  title?: string;
  /** What the dismiss button says (default "Keep listening"). */
  cancelLabel?: string;
}

/** After a session: 1–5 stars and an optional note. A native <dialog> keeps focus and Escape right. */
export default function FeedbackModal({ open, busy, error, onSubmit, onCancel, title = "How was this session?", cancelLabel = "Keep listening" }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [rating, setRating] = useState<number | undefined>(undefined);
  const [note, setNote] = useState("");

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);

  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit(rating, note);
  }

  return (
    // Escape closes the dialog natively (Chrome may skip `cancel` then): a close while still
    // meant to be open is the listener dismissing it.
    <dialog ref={dialog} aria-labelledby="feedback-heading" onClose={() => open && onCancel()}>
      <form onSubmit={submit}>
        <h2 id="feedback-heading">{title}</h2>
        <div className="stars" role="group" aria-label="Rating, 1 to 5">
          {[1, 2, 3, 4, 5].map((value) => (
            <button
              key={value}
              type="button"
              aria-label={`${value} of 5`}
              aria-pressed={rating !== undefined && value <= rating}
              onClick={() => setRating(value)}
            >
              ★
            </button>
          ))}
        </div>
        <label htmlFor="feedback-note">Anything to remember? (optional)</label>
        <textarea id="feedback-note" maxLength={2000} rows={3} value={note} onChange={(e) => setNote(e.target.value)} />
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <button className="primary" type="submit" disabled={busy}>
          Save and finish
        </button>
        <button className="secondary" type="button" onClick={onCancel}>
          {cancelLabel}
        </button>
      </form>
    </dialog>
  );
}
