"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState, type FormEvent } from "react";

import ErrorAlert from "@/components/ErrorAlert";
import EvidenceNote from "@/components/EvidenceNote";
import ListeningNote from "@/components/ListeningNote";
import ModelStatus from "@/components/ModelStatus";
import { preloadAudio, unlockAudio } from "@/features/session/audioHandoff";
import { openStartedSession } from "@/features/session/startSession";
import { useEndOutboxFlusher } from "@/features/session/useEndOutbox";
import { useHistoryQuery, useMeQuery, useStartSessionMutation } from "@/lib/api";
import { SESSION_MINUTES_MAX, SESSION_MINUTES_MIN } from "@/lib/safetyLimits";
import { useAppDispatch } from "@/stores/store";

const INTENTS: { intent: string; title: string; hint: string }[] = [
  { intent: "deep focus: coding", title: "Deep focus", hint: "coding, writing, study" },
  { intent: "reading", title: "Reading", hint: "steady, unhurried" },
  { intent: "creative flow", title: "Creative", hint: "ideas, drawing, music" },
  { intent: "relax", title: "Relax", hint: "wind down" },
  { intent: "calm my anxiety", title: "Calm anxiety", hint: "slow and gentle" },
  { intent: "meditation", title: "Meditate", hint: "breath, stillness" },
  { intent: "power nap", title: "Power nap", hint: "rest, then wake" },
  { intent: "sleep", title: "Sleep", hint: "drift off" },
];

function Dashboard({ defaultMinutes }: { defaultMinutes: number }) {
  const [intent, setIntent] = useState(INTENTS[0]!.intent);
  const [minutes, setMinutes] = useState(defaultMinutes);
  const [start, { isLoading, error }] = useStartSessionMutation();
  const { data: recent } = useHistoryQuery({ limit: 50 });
  const router = useRouter();
  const dispatch = useAppDispatch();
  useEndOutboxFlusher();

  // Ready before the tap: the engine (loaded when the browser is idle) and the session page.
  useEffect(() => {
    router.prefetch("/session/");
    return preloadAudio();
  }, [router]);

  /** One tap to sound: this tap lets audio run, and the session page it opens plays at once. */
  async function submit(event: FormEvent) {
    event.preventDefault();
    unlockAudio();
    const result = await start({ intent: intent.trim(), duration_min: minutes });
    if ("data" in result && result.data) openStartedSession(result.data.session_id, dispatch, (href) => router.push(href));
  }

  return (
    <>
      <form className="panel" onSubmit={submit} aria-labelledby="start-heading">
        <h1 id="start-heading">What would you like help with?</h1>
        <div className="cards" role="group" aria-label="Common intents">
          {INTENTS.map((choice) => (
            <button
              key={choice.intent}
              type="button"
              className="card"
              aria-pressed={intent === choice.intent}
              onClick={() => setIntent(choice.intent)}
            >
              {choice.title}
              <small>{choice.hint}</small>
            </button>
          ))}
        </div>
        <label htmlFor="intent">Or say it in your own words</label>
        <input id="intent" maxLength={100} required value={intent} onChange={(e) => setIntent(e.target.value)} />
        <label htmlFor="minutes">Length: {minutes} minutes</label>
        <input
          id="minutes"
          type="range"
          min={SESSION_MINUTES_MIN}
          max={SESSION_MINUTES_MAX}
          step={5}
          value={minutes}
          onChange={(e) => setMinutes(Number(e.target.value))}
        />
        <ErrorAlert error={error} />
        <button className="primary" type="submit" disabled={isLoading}>
          Start session
        </button>
        <ModelStatus />
      </form>
      <section className="panel" aria-labelledby="recent-heading">
        <h2 id="recent-heading">Recent sessions</h2>
        <ListeningNote sessions={recent ?? []} />
        {recent && recent.length > 0 ? (
          <ul>
            {recent.slice(0, 5).map((session) => (
              <li key={session.id}>
                <Link href={`/session/?id=${session.id}`}>{session.intent}</Link>{" "}
                <span className="muted">
                  {new Date(session.started_at).toLocaleString()}
                  {session.rating ? ` · rated ${session.rating}/5` : session.ended_at ? "" : " · not ended"}
                </span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">None yet.</p>
        )}
      </section>
    </>
  );
}

export default function HomePage() {
  const { data: me, isLoading } = useMeQuery();
  if (isLoading) return <p className="muted">Loading…</p>;
  if (!me) {
    return (
      <>
        <section className="panel">
          <h1>Sound for focus, calm and sleep — on your own machine</h1>
          <p>
            Pick what you need; NeuroTune plans a gentle, slowly changing soundscape and plays it in your browser.
            Nothing leaves this computer.
          </p>
          <p>
            <Link href="/signup/">Create an account</Link> or <Link href="/login/">sign in</Link>.
          </p>
        </section>
        <EvidenceNote />
      </>
    );
  }
  return <Dashboard defaultMinutes={me.preferences.default_duration_min} />;
}
