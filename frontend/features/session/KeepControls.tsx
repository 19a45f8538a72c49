"use client";

import { useState, type FormEvent } from "react";

import DownloadAudio from "@/features/schedules/DownloadAudio";
import { errorMessage } from "@/lib/api";
import { useKeepAsPresetMutation, useMarkFavouriteMutation } from "./sessionApi";

interface Props {
  sessionId: number;
  favourite: boolean;
  intent: string;
}

/** Keep what works: mark the session a favourite, or save it as a named preset to start again. */
export default function KeepControls({ sessionId, favourite, intent }: Props) {
  const [markFavourite, { isLoading: marking }] = useMarkFavouriteMutation();
  const [keep, { isLoading: keeping, error, data: kept, reset }] = useKeepAsPresetMutation();
  const [name, setName] = useState(intent.slice(0, 100));

  async function save(event: FormEvent) {
    event.preventDefault();
    await keep({ name: name.trim(), session_id: sessionId });
  }

  const taken = (error as { status?: unknown } | undefined)?.status === 409;
  return (
    <section className="panel" aria-labelledby="keep-heading">
      <h2 id="keep-heading">Keep what works</h2>
      <button
        className="secondary"
        type="button"
        aria-pressed={favourite}
        disabled={marking}
        onClick={() => void markFavourite({ id: sessionId, favourite: !favourite })}
      >
        {favourite ? "★ Favourite" : "☆ Mark as favourite"}
      </button>
      <form className="row keep-preset" onSubmit={save}>
        <label htmlFor="preset-name">Save as preset named</label>
        <input
          id="preset-name"
          required
          maxLength={100}
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            reset();
          }}
        />
        <button className="secondary" type="submit" disabled={keeping || name.trim() === ""}>
          Save as preset
        </button>
      </form>
      {kept ? <p role="status">Saved as the preset “{kept.name}”.</p> : null}
      <p className="muted">
        As a file, the session plays with the screen locked, on any player, rendered with your settings.
      </p>
      <DownloadAudio sessionId={sessionId} />
      {error ? (
        <p className="error" role="alert">
          {taken ? `You already have a preset named “${name.trim()}”: choose another name.` : errorMessage(error)}
        </p>
      ) : null}
    </section>
  );
}
