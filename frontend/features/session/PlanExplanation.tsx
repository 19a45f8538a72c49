"use client";

import type { PlanExplanation as Explanation } from "@/lib/types";
import FamilyCorrection from "./FamilyCorrection";

interface Props {
  intent: string;
  explanation: Explanation | null;
  /** The session plays: a misread intent can be corrected (the future is planned again). */
  sessionId: number | null;
}

/** How sure the learned offsets are, in words that follow the server's confidence (0..1). */
export function confidenceWords(confidence: number): string {
  if (confidence < 0.25) return "A first hint, not much to go on yet";
  if (confidence < 0.6) return "Taking shape";
  return "Well established";
}

const quoted = (words: readonly string[]): string => words.map((word) => `“${word}”`).join(", ");

/**
 * The plan in plain words, beside the chart: how the intent was read, the band and why, what the
 * preferences, the ratings and the local model changed, and the safety limits. Everything comes
 * from the server's explanation; nothing is guessed here.
 */
export default function PlanExplanation({ intent, explanation, sessionId }: Props) {
  if (!explanation) return null;
  const { reading, band, shaping, preferences, learned, model, limits } = explanation;
  const [lowHz, highHz] = band.beat_hz;
  const [lowBpm, highBpm] = band.bpm;
  return (
    <section className="panel plan-explanation" aria-labelledby="plan-heading">
      <h2 id="plan-heading">Why this plan</h2>
      <p>
        {reading.chosen_by_listener ? (
          <>
            Planned for <strong>{reading.label}</strong>: you chose this.
          </>
        ) : reading.words.length > 0 ? (
          <>
            “{intent}” read as <strong>{reading.label}</strong>, from {quoted(reading.words)}.
          </>
        ) : (
          <>
            Nothing in “{intent}” named a kind of session, so it is planned as <strong>{reading.label}</strong>.
          </>
        )}
      </p>
      {sessionId !== null ? <FamilyCorrection sessionId={sessionId} label={reading.label} family={reading.family} /> : null}
      <h3>The band</h3>
      <p>
        The steady part stays between {lowHz}–{highHz} Hz and {lowBpm}–{highBpm} BPM.
      </p>
      {shaping.length > 0 ? <List items={shaping} label="How your profile shaped it" /> : null}
      {preferences.length > 0 ? <List items={preferences} label="Your preferences" /> : null}
      {learned ? (
        <>
          <h3>What your ratings taught</h3>
          <p>
            {learned.summary} <span className="muted">({confidenceWords(learned.confidence)}.)</span>
          </p>
        </>
      ) : null}
      {model ? (
        <>
          <h3>What the local model changed</h3>
          <p>{model.summary}</p>
          {model.hold.length > 0 ? (
            <ul>
              {model.hold.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          ) : null}
        </>
      ) : null}
      <List items={limits} label="Safety limits" />
    </section>
  );
}

function List({ items, label }: { items: readonly string[]; label: string }) {
  return (
    <>
      <h3>{label}</h3>
      <ul>
        {items.map((item) => (
          <li key={item}>{item}</li>
        ))}
      </ul>
    </>
  );
}
