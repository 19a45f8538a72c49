"use client";

import { useInsightsQuery } from "@/lib/api";
import type { FamilyInsights } from "@/lib/types";

const SOURCE: Record<FamilyInsights["source"], string> = {
  user: "from your own ratings",
  neurotype: "from listeners like you",
  everyone: "from all listeners here",
  default: "not enough ratings yet: the usual starting point",
};

const WIDTH = 320;

/** Where in each family's band your ratings point, drawn as a marker on the band. */
function BandBar({ family }: { family: FamilyInsights }) {
  const { low, high } = family.band.beat_hz;
  const x = ((family.recommended.beat_hz - low) / Math.max(high - low, 0.1)) * (WIDTH - 20) + 10;
  return (
    <svg className="chart" viewBox={`0 0 ${WIDTH} 34`} role="img" aria-label={`${family.recommended.beat_hz.toFixed(1)} Hz within ${low}–${high} Hz`}>
      <rect x={10} y={14} width={WIDTH - 20} height={6} rx={3} fill="#3a4559" />
      <circle cx={x} cy={17} r={7} fill="var(--accent)" opacity={0.4 + 0.6 * family.confidence} />
      <text x={10} y={32}>{low} Hz</text>
      <text x={WIDTH - 10} y={32} textAnchor="end">{high} Hz</text>
    </svg>
  );
}

export default function InsightsPanel() {
  const { data } = useInsightsQuery();
  if (!data) return null;
  const yours = data.families.filter((f) => f.you.n_sessions > 0 || f.source !== "default");
  return (
    <section className="panel" aria-labelledby="insights-heading">
      <h2 id="insights-heading">What your ratings suggest</h2>
      {yours.length === 0 ? (
        <p className="muted">Rate a few sessions and NeuroTune will start to tune them to you.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Recommended</th>
              <th scope="col">Where in the band</th>
              <th scope="col">Confidence</th>
            </tr>
          </thead>
          <tbody>
            {yours.map((family) => (
              <tr key={family.family}>
                <td>
                  {family.family.replace("_", " ")}
                  <br />
                  <small className="muted">
                    {family.you.n_sessions} rated{family.you.mean_rating !== null ? `, mean ${family.you.mean_rating.toFixed(1)}★` : ""}
                  </small>
                </td>
                <td>
                  {family.recommended.beat_hz.toFixed(1)} Hz, {Math.round(family.recommended.bpm)} BPM
                  <br />
                  <small className="muted">{SOURCE[family.source]}</small>
                </td>
                <td>
                  <BandBar family={family} />
                </td>
                <td>{Math.round(family.confidence * 100)}%</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
