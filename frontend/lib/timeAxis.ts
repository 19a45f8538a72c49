/**
 * Ticks for a time axis: round local times (minutes, hours, midnights, first days of months) at a
 * step chosen so that no more than `maxTicks` fit the range, each with a short label whose detail
 * follows the step ("14:30", "29 Nov", "Nov 2025").
 */

export interface Tick {
  t: number;
  label: string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

type Step = { unit: "minute" | "hour" | "day" | "month"; count: number; approxMs: number };

const STEPS: Step[] = [
  ...[1, 5, 15, 30].map((count) => ({ unit: "minute" as const, count, approxMs: count * MINUTE })),
  ...[1, 3, 6, 12].map((count) => ({ unit: "hour" as const, count, approxMs: count * HOUR })),
  ...[1, 2, 7, 14].map((count) => ({ unit: "day" as const, count, approxMs: count * DAY })),
  ...[1, 3, 6, 12, 24, 60].map((count) => ({ unit: "month" as const, count, approxMs: count * 30 * DAY })),
];

/** The first tick at or after `t`: aligned to the step in local time. */
function firstTick(t: number, step: Step): Date {
  const d = new Date(t);
  d.setSeconds(0, 0);
  if (step.unit === "minute") {
    if (d.getTime() < t) d.setMinutes(d.getMinutes() + 1);
    d.setMinutes(Math.ceil(d.getMinutes() / step.count) * step.count);
  } else if (step.unit === "hour") {
    d.setMinutes(0);
    if (d.getTime() < t) d.setHours(d.getHours() + 1);
    d.setHours(Math.ceil(d.getHours() / step.count) * step.count);
  } else if (step.unit === "day") {
    d.setHours(0, 0);
    if (d.getTime() < t) d.setDate(d.getDate() + 1);
  } else {
    d.setHours(0, 0);
    d.setDate(1);
    if (d.getTime() < t) d.setMonth(d.getMonth() + 1);
    d.setMonth(Math.ceil(d.getMonth() / step.count) * step.count);
  }
  return d;
}

function advance(d: Date, step: Step): Date {
  const next = new Date(d.getTime());
  if (step.unit === "minute") next.setMinutes(next.getMinutes() + step.count);
  else if (step.unit === "hour") next.setHours(next.getHours() + step.count);
  else if (step.unit === "day") next.setDate(next.getDate() + step.count);
  else next.setMonth(next.getMonth() + step.count);
  return next;
}

function formatter(step: Step, locale?: string): Intl.DateTimeFormat {
  if (step.unit === "minute" || step.unit === "hour") return new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" });
  if (step.unit === "day") return new Intl.DateTimeFormat(locale, { day: "numeric", month: "short" });
  return new Intl.DateTimeFormat(locale, { month: "short", year: "numeric" });
}

/**
 * Ticks between `start` and `end` (ms since the epoch), at most `maxTicks` (at least one step's
 * worth is always tried). Times of day whose date differs from the previous tick's (or the first
 * one) carry the date too, so a range across midnight stays readable.
 */
export function timeTicks(start: number, end: number, maxTicks: number, locale?: string): Tick[] {
  if (!(end > start) || maxTicks < 1) return [];
  const step = STEPS.find((s) => (end - start) / s.approxMs <= maxTicks) ?? STEPS[STEPS.length - 1]!;
  const format = formatter(step, locale);
  const dated = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short" });
  const ticks: Tick[] = [];
  let previousDay = "";
  for (let d = firstTick(start, step); d.getTime() <= end && ticks.length <= maxTicks; d = advance(d, step)) {
    let label = format.format(d);
    if (step.unit === "minute" || step.unit === "hour") {
      const day = dated.format(d);
      if (day !== previousDay) label = `${day} ${label}`;
      previousDay = day;
    }
    ticks.push({ t: d.getTime(), label });
  }
  return ticks;
}

/**
 * The time range a chart should show for these times: a little room on either side, and at least
 * an hour so that a single moment (or a burst of sessions) still gets an axis.
 */
export function timeDomain(times: number[]): [number, number] {
  const first = Math.min(...times);
  const last = Math.max(...times);
  const span = Math.max(last - first, HOUR);
  const middle = (first + last) / 2;
  const half = (span * 1.08) / 2;
  return [middle - half, middle + half];
}
