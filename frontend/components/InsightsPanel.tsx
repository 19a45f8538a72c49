"use client";

import { familyStyle } from "@/lib/familyStyle";
import { describeConfidence } from "@/lib/insightsWording";
import type { FamilyInsights, InsightsReport } from "@/lib/types";

const WIDTH = 320;

/** Where in each family's band your ratings point, drawn as a marker on the band. */
function BandBar({ family }: { family: FamilyInsights }) {
  const { low, high } = family.band.beat_hz;
  const x = ((family.recommended.beat_hz - low) / Math.max(high - low, 0.1)) * (WIDTH - 20) + 10;
  return (
    <svg
      className="chart band"
      viewBox={`0 0 ${WIDTH} 40`}
      role="img"
      aria-label={`${family.recommended.beat_hz.toFixed(1)} Hz within ${low}–${high} Hz`}
    >
      <rect x={10} y={12} width={WIDTH - 20} height={6} rx={3} fill="#3a4559" />
      <circle cx={x} cy={15} r={7} fill="var(--accent)" opacity={0.4 + 0.6 * family.confidence} />
      <text x={10} y={36}>
        {low} Hz
      </text>
      <text x={WIDTH - 10} y={36} textAnchor="end">
        {high} Hz
      </text>
    </svg>
  );
}

interface Props {
  report: InsightsReport | undefined;
  labels?: ReadonlyMap<string, string>;
}

/**
 * What your ratings suggest, one card per kind of session you have rated (or that others' ratings
 * already say something about). The wording follows the confidence: see lib/insightsWording.ts.
 */
export default function InsightsPanel({ report, labels }: Props) {
  if (!report) return null;
  const yours = report.families.filter((f) => f.you.n_sessions > 0 || f.confidence > 0);
  return (
    <section className="panel" aria-labelledby="insights-heading">
      <h2 id="insights-heading">What your ratings suggest</h2>
      {yours.length === 0 ? (
        <p className="muted">Rate a few sessions and NeuroTune will start to tune them to you.</p>
      ) : (
        <ul className="cards-list" aria-label="By kind of session">
          {yours.map((family) => {
            const wording = describeConfidence(family);
            return (
              <li key={family.family} data-testid="insight" data-family={family.family}>
                <h3>{familyStyle(family.family, labels).label}</h3>
                <p>
                  <strong data-testid="confidence">{wording.headline}</strong>
                  <br />
                  <span className="muted">{wording.basis}</span>
                </p>
                <p>
                  Planned around {family.recommended.beat_hz.toFixed(1)} Hz and {Math.round(family.recommended.bpm)} BPM
                  {family.you.mean_rating !== null ? (
                    <span className="muted">
                      {" "}
                      · your mean rating {family.you.mean_rating.toFixed(1)}★ over {family.you.n_sessions}
                    </span>
                  ) : null}
                </p>
                <BandBar family={family} />
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
