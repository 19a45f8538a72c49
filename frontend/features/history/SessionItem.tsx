"use client";

import Link from "next/link";

import type { SessionRecord } from "@/lib/types";
import FavouriteToggle from "./FavouriteToggle";
import RateLater from "./RateLater";
import { canRateLater, listenedLabel, sessionState, stateLabel } from "./sessionStatus";

interface Props {
  session: SessionRecord;
  onPlayAgain: (session: SessionRecord) => void;
  onSavePreset: (session: SessionRecord) => void;
}

/** One past session as a card: what, when, how it ended, how long, its rating, and what can be done with it. */
export default function SessionItem({ session, onPlayAgain, onSavePreset }: Props) {
  const state = sessionState(session);
  const when = new Date(session.started_at).toLocaleString();
  const about = `${session.intent}, ${when}`;
  return (
    <li className="session-card" data-testid="session" data-session-id={session.id}>
      <h3 className="long-text">
        <Link href={`/session/?id=${session.id}`}>{session.intent}</Link>
      </h3>
      <dl className="facts">
        <div>
          <dt>Started</dt>
          <dd>{when}</dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd data-testid="state" data-state={state}>
            {stateLabel(state)}
          </dd>
        </div>
        <div>
          <dt>Listened</dt>
          <dd data-testid="listened">{listenedLabel(session)}</dd>
        </div>
        <div className={canRateLater(session) ? "wide" : undefined}>
          <dt>Rating</dt>
          <dd>
            {session.rating !== null ? (
              <span data-testid="rating">{`${session.rating}/5`}</span>
            ) : canRateLater(session) ? (
              <>
                <span className="muted">Not rated</span>
                <RateLater sessionId={session.id} about={about} />
              </>
            ) : (
              <span className="muted">Rate it when it ends</span>
            )}
          </dd>
        </div>
      </dl>
      <div className="actions">
        <FavouriteToggle session={session} about={about} />
        <button className="secondary" type="button" onClick={() => onPlayAgain(session)}>
          Play again<span className="visually-hidden">: {about}</span>
        </button>
        <button className="secondary" type="button" onClick={() => onSavePreset(session)}>
          Save as preset<span className="visually-hidden">: {about}</span>
        </button>
      </div>
    </li>
  );
}
