"use client";

import { clamp } from "@/lib/safetyLimits";
import { formatClock, valuesAt } from "@/lib/scheduleMath";
import type { ModulationSchedule } from "@/lib/types";

const WIDTH = 720;
const HEIGHT = 220;
const PAD = { left: 44, right: 44, top: 16, bottom: 28 };
const SAMPLES = 240;

interface Props {
  schedule: ModulationSchedule;
  positionSec: number;
}

/** The schedule over time: beat frequency (left axis) and music tempo (right axis), with "now". */
export default function ScheduleChart({ schedule, positionSec }: Props) {
  const total = schedule.total_duration_sec;
  const points = Array.from({ length: SAMPLES + 1 }, (_, i) => {
    const t = (i / SAMPLES) * total;
    return { t, ...valuesAt(schedule, t) };
  });
  const maxHz = Math.max(20, ...points.map((p) => p.beatHz));
  const bpms = points.map((p) => p.bpm);
  const minBpm = Math.min(...bpms) - 10;
  const maxBpm = Math.max(...bpms) + 10;
  const x = (t: number) => PAD.left + (t / total) * (WIDTH - PAD.left - PAD.right);
  const yHz = (hz: number) => HEIGHT - PAD.bottom - (hz / maxHz) * (HEIGHT - PAD.top - PAD.bottom);
  const yBpm = (bpm: number) =>
    HEIGHT - PAD.bottom - ((bpm - minBpm) / (maxBpm - minBpm)) * (HEIGHT - PAD.top - PAD.bottom);
  const path = (y: (v: number) => number, key: "beatHz" | "bpm") =>
    points.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`).join(" ");
  const now = clamp(positionSec, 0, total);
  const current = valuesAt(schedule, now);

  return (
    <figure>
      <svg
        className="chart"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`Schedule: now ${current.beatHz.toFixed(1)} Hz at ${Math.round(current.bpm)} BPM, ${formatClock(now)} of ${formatClock(total)}`}
      >
        {[0, 0.25, 0.5, 0.75, 1].map((f) => (
          <text key={f} x={x(f * total)} y={HEIGHT - 8} textAnchor="middle">
            {formatClock(f * total)}
          </text>
        ))}
        <text x={4} y={yHz(maxHz) + 4}>{maxHz.toFixed(0)} Hz</text>
        <text x={4} y={yHz(0)}>0 Hz</text>
        <text x={WIDTH - 4} y={yBpm(maxBpm) + 4} textAnchor="end">{maxBpm.toFixed(0)} BPM</text>
        <text x={WIDTH - 4} y={yBpm(minBpm)} textAnchor="end">{minBpm.toFixed(0)} BPM</text>
        <path d={path(yBpm, "bpm")} fill="none" stroke="var(--accent-2)" strokeWidth={2} strokeDasharray="6 4" />
        <path d={path(yHz, "beatHz")} fill="none" stroke="var(--accent)" strokeWidth={2.5} />
        <line x1={x(now)} x2={x(now)} y1={PAD.top} y2={HEIGHT - PAD.bottom} stroke="var(--ok)" strokeWidth={2} />
        <circle cx={x(now)} cy={yHz(current.beatHz)} r={5} fill="var(--ok)" />
      </svg>
      <figcaption className="muted">
        Solid: beat frequency (Hz). Dashed: music tempo (BPM). Green line: now — {current.beatHz.toFixed(1)} Hz,{" "}
        {Math.round(current.bpm)} BPM, {current.layer} layer.
      </figcaption>
    </figure>
  );
}
