"use client";

import ScheduleChart from "@/components/ScheduleChart";
import { formatClock } from "@/lib/scheduleMath";
import type { EndReason, SessionRecord } from "@/lib/types";
import KeepControls from "./KeepControls";
import PlanExplanation from "./PlanExplanation";
import PlayAgain from "./PlayAgain";

const REASON_WORDS: Record<EndReason, string> = {
  ended: "you ended it",
  completed: "it ran its course",
  abandoned: "nobody was listening when it ran out",
};

interface Props {
  session: SessionRecord;
  /** A rating of this session waits to be sent (the server could not be reached). */
  ratingPending: boolean;
  onRate: () => void;
}

/** A session that has ended: why, how long it was listened to, its rating (or "Rate it"), and what next. */
export default function SessionSummary({ session, ratingPending, onRate }: Props) {
  const reason = session.end_reason ?? "ended";
  const listenedSec = session.duration_sec ?? 0;
  return (
    <>
      <div className="session-overview">
        <section className="panel" aria-labelledby="session-heading">
          <h1 id="session-heading">{session.intent}</h1>
          <dl className="session-facts">
            <dt>Ended</dt>
            <dd>
              <span data-testid="end-reason">{reason}</span> — {REASON_WORDS[reason]}
            </dd>
            <dt>Listened</dt>
            <dd data-testid="listened">
              {formatClock(listenedSec)} of {formatClock(session.schedule.total_duration_sec)}
            </dd>
            <dt>Rating</dt>
            <dd>
              {session.rating ? (
                <span data-testid="summary-rating">{session.rating}/5</span>
              ) : ratingPending ? (
                <span role="status">Saved offline — will send when you&apos;re back online.</span>
              ) : (
                <button className="secondary" type="button" onClick={onRate}>
                  Rate it
                </button>
              )}
            </dd>
          </dl>
          <ScheduleChart schedule={session.schedule} positionSec={listenedSec} />
          <PlayAgain sessionId={session.id} />
        </section>
        <PlanExplanation intent={session.intent} explanation={session.explanation} sessionId={null} />
      </div>
      <KeepControls sessionId={session.id} favourite={session.favourite} intent={session.intent} />
    </>
  );
}
