"use client";

import ErrorAlert from "@/components/ErrorAlert";
import { useEndSessionMutation } from "@/lib/api";

/**
 * Stars for an ended session that was never rated. Ending again with only a rating fills the
 * missing rating (the server answers 409 only to a contradicting one).
 */
export default function RateLater({ sessionId, about }: { sessionId: number; about: string }) {
  const [rate, { isLoading, error }] = useEndSessionMutation();
  return (
    <div>
      <div className="stars" role="group" aria-label={`Rate ${about}`}>
        {[1, 2, 3, 4, 5].map((value) => (
          <button
            key={value}
            type="button"
            aria-label={`Rate ${value} of 5`}
            disabled={isLoading}
            onClick={() => void rate({ id: sessionId, rating: value })}
          >
            ★
          </button>
        ))}
      </div>
      <ErrorAlert error={error} />
    </div>
  );
}
