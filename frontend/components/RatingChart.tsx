import type { SessionRecord } from "@/lib/types";

const WIDTH = 720;
const HEIGHT = 200;
const PAD = { left: 36, right: 16, top: 16, bottom: 28 };

/** Ratings over time: one dot per rated session, oldest on the left. */
export default function RatingChart({ sessions }: { sessions: SessionRecord[] }) {
  const rated = sessions
    .filter((s) => s.rating !== null)
    .map((s) => ({ t: Date.parse(s.started_at), rating: s.rating as number, intent: s.intent }))
    .sort((a, b) => a.t - b.t);
  if (rated.length === 0) return <p className="muted">Rate a session when you end it, and your ratings will appear here.</p>;
  const first = rated[0]!.t;
  const span = Math.max(1, rated[rated.length - 1]!.t - first);
  const x = (t: number) => PAD.left + ((t - first) / span) * (WIDTH - PAD.left - PAD.right);
  const y = (r: number) => HEIGHT - PAD.bottom - ((r - 1) / 4) * (HEIGHT - PAD.top - PAD.bottom);
  return (
    <svg className="chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${rated.length} rated sessions; latest rating ${rated[rated.length - 1]!.rating} of 5`}>
      {[1, 2, 3, 4, 5].map((r) => (
        <g key={r}>
          <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(r)} y2={y(r)} stroke="#3a4559" />
          <text x={8} y={y(r) + 4}>{r}★</text>
        </g>
      ))}
      <polyline fill="none" stroke="var(--accent)" strokeWidth={1.5} points={rated.map((p) => `${x(p.t)},${y(p.rating)}`).join(" ")} />
      {rated.map((p, i) => (
        <circle key={i} cx={x(p.t)} cy={y(p.rating)} r={5} fill="var(--warn)">
          <title>{`${p.intent}: ${p.rating}/5, ${new Date(p.t).toLocaleString()}`}</title>
        </circle>
      ))}
    </svg>
  );
}
