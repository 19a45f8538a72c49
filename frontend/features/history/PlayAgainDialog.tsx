"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";

import Dialog from "@/components/Dialog";
import ErrorAlert from "@/components/ErrorAlert";
import type { SessionRecord } from "@/lib/types";
import { usePlayAgainMutation } from "./historyApi";

interface Props {
  session: Pick<SessionRecord, "id" | "intent"> | null;
  onClose: () => void;
}

/** "Play again": the same schedule, or planned afresh with what the ratings taught since; then the new session opens. */
export default function PlayAgainDialog({ session, onClose }: Props) {
  const [replan, setReplan] = useState(true);
  const [playAgain, { isLoading, error, reset }] = usePlayAgainMutation();
  const router = useRouter();

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!session) return;
    const result = await playAgain({ id: session.id, replan });
    if ("data" in result && result.data) router.push(`/session/?id=${result.data.session_id}`);
  }

  function close() {
    reset();
    onClose();
  }

  return (
    <Dialog open={session !== null} title={`Play “${session?.intent ?? ""}” again`} onClose={close}>
      <form onSubmit={submit}>
        <fieldset>
          <legend>How should it sound?</legend>
          <label className="check">
            <input type="radio" name="replan" checked={replan} onChange={() => setReplan(true)} />
            Planned again, with what your ratings have taught since
          </label>
          <label className="check">
            <input type="radio" name="replan" checked={!replan} onChange={() => setReplan(false)} />
            Exactly the same schedule as last time
          </label>
        </fieldset>
        <ErrorAlert error={error} />
        <button className="primary" type="submit" disabled={isLoading}>
          Start
        </button>
        <button className="secondary" type="button" onClick={close}>
          Cancel
        </button>
      </form>
    </Dialog>
  );
}
