import type { SessionRecord } from "@/lib/types";

/** Today's listening time, with a gentle reminder that more is not better. */
export default function ListeningNote({ sessions }: { sessions: SessionRecord[] }) {
  const today = new Date().toDateString();
  const seconds = sessions
    .filter((s) => new Date(s.started_at).toDateString() === today)
    .reduce((sum, s) => sum + (s.duration_sec ?? 0), 0);
  const minutes = Math.round(seconds / 60);
  return (
    <p className="muted" role="note">
      Today you have listened for <strong>{minutes} min</strong>.
      {minutes >= 180 ? " That is a lot for one day — rest your ears; breaks and silence help too." : " Breaks and silence help too."}
    </p>
  );
}
