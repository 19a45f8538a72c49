"use client";

import { useEffect, useState } from "react";

import { formatClock } from "@/lib/scheduleMath";

const STEP_MIN = 15;
export const SLEEP_FADE_SEC = 60;

interface Props {
  /** Called once when the timer runs out: fade the sound out gently over SLEEP_FADE_SEC. */
  onExpire: () => void;
  active: boolean;
}

/** "Stop after N minutes", adjustable in 15-minute steps, ending with a long, gentle fade. */
export default function SleepTimer({ onExpire, active }: Props) {
  const [endsAt, setEndsAt] = useState<number | null>(null);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    if (endsAt === null || !active) return;
    const tick = setInterval(() => setNow(Date.now()), 1000);
    const expire = setTimeout(() => {
      setEndsAt(null);
      onExpire();
    }, Math.max(0, endsAt - Date.now()));
    return () => {
      clearInterval(tick);
      clearTimeout(expire);
    };
  }, [endsAt, active, onExpire]);

  const change = (minutes: number) => {
    const base = endsAt ?? Date.now();
    const next = base + minutes * 60_000;
    setNow(Date.now());
    setEndsAt(next - Date.now() < 60_000 ? null : next);
  };

  return (
    <div className="row" role="group" aria-label="Sleep timer">
      <span>
        Sleep timer:{" "}
        <strong>{endsAt === null ? "off" : `${formatClock(Math.max(0, (endsAt - now) / 1000))} left, then a 1-minute fade`}</strong>
      </span>
      <button className="secondary" type="button" onClick={() => change(STEP_MIN)}>
        +{STEP_MIN} min
      </button>
      <button className="secondary" type="button" onClick={() => change(-STEP_MIN)} disabled={endsAt === null}>
        −{STEP_MIN} min
      </button>
      {endsAt !== null ? (
        <button className="secondary" type="button" onClick={() => setEndsAt(null)}>
          Off
        </button>
      ) : null}
    </div>
  );
}
