"use client";

import Link from "next/link";

import ErrorAlert from "@/components/ErrorAlert";
import InsightsPanel from "@/components/InsightsPanel";
import RatingChart from "@/components/RatingChart";
import { useHistoryQuery } from "@/lib/api";
import { formatClock } from "@/lib/scheduleMath";

export default function HistoryPage() {
  const { data: sessions, error, isLoading } = useHistoryQuery({ limit: 100 });
  if (isLoading) return <p className="muted">Loading…</p>;
  if (error) return <ErrorAlert error={error} />;
  const list = sessions ?? [];
  return (
    <>
      <section className="panel" aria-labelledby="ratings-heading">
        <h1 id="ratings-heading">Your ratings over time</h1>
        <RatingChart sessions={list} />
      </section>
      <InsightsPanel />
      <section className="panel" aria-labelledby="sessions-heading">
        <h2 id="sessions-heading">Sessions</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Intent</th>
              <th scope="col">Length</th>
              <th scope="col">Rating</th>
            </tr>
          </thead>
          <tbody>
            {list.map((session) => (
              <tr key={session.id}>
                <td>{new Date(session.started_at).toLocaleString()}</td>
                <td>
                  <Link href={`/session/?id=${session.id}`}>{session.intent}</Link>
                </td>
                <td>{session.duration_sec !== null ? formatClock(session.duration_sec) : "playing"}</td>
                <td data-testid="rating">{session.rating !== null ? `${session.rating}/5` : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
