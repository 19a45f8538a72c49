import { clamp } from "@/lib/safetyLimits";
import { formatClock } from "@/lib/scheduleMath";

export default function SessionTimer({ elapsedSec, totalSec }: { elapsedSec: number; totalSec: number }) {
  const elapsed = clamp(elapsedSec, 0, totalSec);
  return (
    <p className="row" aria-live="off">
      <span>
        <strong>{formatClock(elapsed)}</strong> elapsed
      </span>
      <span className="muted">{formatClock(totalSec - elapsed)} left</span>
    </p>
  );
}
