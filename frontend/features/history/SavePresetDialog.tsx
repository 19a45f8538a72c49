"use client";

import { useState, type FormEvent } from "react";

import Dialog from "@/components/Dialog";
import { errorMessage } from "@/lib/api";
import type { SessionRecord } from "@/lib/types";
import { useCreatePresetMutation } from "./historyApi";

interface Props {
  session: Pick<SessionRecord, "id" | "intent"> | null;
  onClose: () => void;
  onSaved: (name: string) => void;
}

function problem(error: unknown): string | null {
  if (!error) return null;
  if ((error as { status?: unknown }).status === 409) return "You already have a preset of that name: choose another.";
  return errorMessage(error);
}

/** Keep a session under a name, to start it again from the presets. */
export default function SavePresetDialog({ session, onClose, onSaved }: Props) {
  const [name, setName] = useState("");
  const [create, { isLoading, error, reset }] = useCreatePresetMutation();
  const message = problem(error);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!session) return;
    const result = await create({ name: name.trim(), session_id: session.id });
    if ("data" in result && result.data) {
      onSaved(result.data.name);
      close();
    }
  }

  function close() {
    setName("");
    reset();
    onClose();
  }

  return (
    <Dialog open={session !== null} title="Save as a preset" onClose={close}>
      <form onSubmit={submit}>
        <p className="muted long-text">
          Keeps “{session?.intent}” with its schedule, to start again from Presets.
        </p>
        <label htmlFor="preset-name">Name</label>
        <input
          id="preset-name"
          required
          maxLength={100}
          autoComplete="off"
          value={name}
          aria-invalid={message ? true : undefined}
          aria-describedby={message ? "preset-name-problem" : undefined}
          onChange={(e) => setName(e.target.value)}
        />
        {message ? (
          <p className="error" role="alert" id="preset-name-problem">
            {message}
          </p>
        ) : null}
        <button className="primary" type="submit" disabled={isLoading || name.trim() === ""}>
          Save preset
        </button>
        <button className="secondary" type="button" onClick={close}>
          Cancel
        </button>
      </form>
    </Dialog>
  );
}
