"use client";

import { useRouter } from "next/navigation";

import ErrorAlert from "@/components/ErrorAlert";
import { useAppDispatch } from "@/stores/store";
import { unlockAudio } from "./audioHandoff";
import { useStartAgainMutation } from "./sessionApi";
import { openStartedSession } from "./startSession";

/** "Play again": a new session with the same schedule, or planned afresh from what the ratings taught. */
export default function PlayAgain({ sessionId }: { sessionId: number }) {
  const router = useRouter();
  const dispatch = useAppDispatch();
  const [again, { isLoading, error }] = useStartAgainMutation();

  async function start(replan: boolean) {
    unlockAudio(); // this tap starts the sound of the session it opens
    const result = await again({ id: sessionId, replan });
    if (result.data) openStartedSession(result.data.session_id, dispatch, (href) => router.push(href));
  }

  return (
    <div role="group" aria-label="Play again">
      <button className="primary" type="button" disabled={isLoading} onClick={() => void start(false)}>
        Play again: same schedule
      </button>
      <button className="secondary" type="button" disabled={isLoading} onClick={() => void start(true)}>
        Play again: planned afresh
      </button>
      <ErrorAlert error={error} />
    </div>
  );
}
