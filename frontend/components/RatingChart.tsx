"use client";

import { familyStyle, isOutline, markerPath } from "@/lib/familyStyle";
import { timeDomain, timeTicks } from "@/lib/timeAxis";
import type { RatingPoint } from "@/lib/types";
import { useElementWidth } from "@/lib/useElementWidth";

const HEIGHT = 220;
const PAD = { left: 34, right: 12, top: 14, bottom: 30 };
const TICK_SPACING_PX = 96;
const CHAR_PX = 6.6; // at the chart's 12 px text, to keep the edge labels inside

interface Props {
  /** Rated sessions (GET /insights/me's ratings_over_time), oldest first. */
  points: RatingPoint[];
  /** Family names in words (GET /intents/families), when known. */
  labels?: ReadonlyMap<string, string>;
}

function familiesOf(points: RatingPoint[]): string[] {
  return [...new Set(points.map((p) => p.family))];
}

function mean(values: number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/**
 * Ratings over time at the chart's real width: a time axis of round local times, one line and
 * marker shape per intent family (colour and shape, named in the legend), and the same points
 * as a table for anyone who would rather read than look.
 */
export default function RatingChart({ points, labels }: Props) {
  const [box, width] = useElementWidth<HTMLDivElement>(640);
  const sorted = [...points].sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at));
  if (sorted.length === 0) {
    return (
      <div ref={box}>
        <p className="muted">Rate a session when you end it (or here, below), and your ratings will appear here.</p>
      </div>
    );
  }
  const times = sorted.map((p) => Date.parse(p.started_at));
  const [start, end] = timeDomain(times);
  const plotWidth = Math.max(40, width - PAD.left - PAD.right);
  const x = (t: number) => PAD.left + ((t - start) / (end - start)) * plotWidth;
  const y = (rating: number) => HEIGHT - PAD.bottom - ((rating - 1) / 4) * (HEIGHT - PAD.top - PAD.bottom);
  const ticks = timeTicks(start, end, Math.max(1, Math.floor(plotWidth / TICK_SPACING_PX)));
  const families = familiesOf(sorted);
  const last = sorted[sorted.length - 1]!;
  const dateOf = (t: number) => new Date(t).toLocaleDateString();
  const summary =
    `${sorted.length} rated session${sorted.length === 1 ? "" : "s"} from ${dateOf(times[0]!)} to ${dateOf(times[times.length - 1]!)}; ` +
    `latest ${last.rating} of 5 (${familyStyle(last.family, labels).label}).`;

  return (
    <div ref={box} className="rating-chart">
      <svg className="chart" width={width} height={HEIGHT} viewBox={`0 0 ${width} ${HEIGHT}`} role="img" aria-label={`Ratings over time: ${summary}`}>
        {[1, 2, 3, 4, 5].map((r) => (
          <g key={r}>
            <line x1={PAD.left} x2={width - PAD.right} y1={y(r)} y2={y(r)} stroke="#3a4559" />
            <text x={6} y={y(r) + 4}>{r}★</text>
          </g>
        ))}
        {ticks.map((tick) => {
          const tx = x(tick.t);
          const half = (tick.label.length * CHAR_PX) / 2;
          const anchor = tx - half < 0 ? "start" : tx + half > width ? "end" : "middle";
          const labelX = anchor === "start" ? 0 : anchor === "end" ? width : tx;
          return (
            <g key={tick.t}>
              <line x1={tx} x2={tx} y1={PAD.top} y2={HEIGHT - PAD.bottom + 4} stroke="#3a4559" strokeDasharray="2 4" />
              <text x={labelX} y={HEIGHT - 10} textAnchor={anchor}>
                {tick.label}
              </text>
            </g>
          );
        })}
        {families.map((family) => {
          const style = familyStyle(family, labels);
          const mine = sorted.filter((p) => p.family === family);
          return (
            <g key={family} data-family={family}>
              {mine.length > 1 ? (
                <polyline
                  fill="none"
                  stroke={style.colour}
                  strokeOpacity={0.55}
                  strokeWidth={1.5}
                  points={mine.map((p) => `${x(Date.parse(p.started_at))},${y(p.rating)}`).join(" ")}
                />
              ) : null}
              {mine.map((p) => (
                <path
                  key={p.session_id}
                  data-shape={style.shape}
                  d={markerPath(style.shape, x(Date.parse(p.started_at)), y(p.rating), 5)}
                  fill={isOutline(style.shape) ? "none" : style.colour}
                  stroke={isOutline(style.shape) ? style.colour : "#1e2430"}
                  strokeWidth={isOutline(style.shape) ? 2.5 : 1}
                >
                  <title>{`${style.label}: ${p.rating}/5, ${new Date(p.started_at).toLocaleString()}`}</title>
                </path>
              ))}
            </g>
          );
        })}
      </svg>
      <ul className="legend" aria-label="Kinds of session in the chart">
        {families.map((family) => {
          const style = familyStyle(family, labels);
          const ratings = sorted.filter((p) => p.family === family).map((p) => p.rating);
          return (
            <li key={family}>
              <svg width={18} height={18} viewBox="0 0 18 18" aria-hidden="true">
                <path
                  d={markerPath(style.shape, 9, 9, 5)}
                  fill={isOutline(style.shape) ? "none" : style.colour}
                  stroke={isOutline(style.shape) ? style.colour : "#1e2430"}
                  strokeWidth={isOutline(style.shape) ? 2.5 : 1}
                />
              </svg>
              {style.label}
              <span className="muted">
                {" "}
                · {ratings.length} rated, mean {mean(ratings).toFixed(1)}★
              </span>
            </li>
          );
        })}
      </ul>
      <details>
        <summary>The ratings as a list</summary>
        <ol className="rating-list">
          {[...sorted].reverse().map((p) => (
            <li key={p.session_id}>
              {new Date(p.started_at).toLocaleString()} · {familyStyle(p.family, labels).label} · {p.rating}/5
            </li>
          ))}
        </ol>
      </details>
    </div>
  );
}
