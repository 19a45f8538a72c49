/** Shapes shared with the backend (backend/models/schedule.py, backend/live/frames.py). */

export type Layer = "binaural" | "isochronic" | "ambient";
export type NoiseColour = "none" | "pink" | "brown";

export interface ModulationStep {
  timestamp_sec: number;
  target_bpm: number;
  /** Beat frequency (binaural), pulse rate (isochronic) or modulation rate (ambient), in Hz. */
  binaural_freq: number;
  ramp_duration_sec: number;
  layer: Layer;
  noise: NoiseColour;
}

export interface ModulationSchedule {
  intent: string;
  total_duration_sec: number;
  steps: ModulationStep[];
}

export type FrameType = "schedule" | "step" | "refined" | "end" | "heartbeat";

export interface ModulationUpdate {
  seq: number;
  stream_id: string;
  session_id: number;
  type: FrameType;
  server_time: number;
  elapsed_sec: number;
  lookahead_sec: number;
  total_duration_sec: number;
  steps: ModulationStep[];
  step_index: number | null;
  starts_at_sec: number | null;
  from_sec: number | null;
  reason: "ended" | "duration_over" | null;
}

export type Neurotype = "adhd" | "autism" | "anxiety" | "depression" | "neurotypical" | "other";

export interface UserPreferences {
  volume_max: number;
  carrier_hz: number;
  default_duration_min: number;
  preferred_layer: "auto" | "binaural" | "isochronic";
  noise: "auto" | NoiseColour;
  reduced_motion: boolean;
}

export interface User {
  id: number;
  username: string;
  email: string;
  neurotype: Neurotype;
  preferences: UserPreferences;
  created_at: string;
  last_active: string;
  is_active: boolean;
}

export interface SessionRecord {
  id: number;
  user_id: number;
  intent: string;
  schedule: ModulationSchedule;
  duration_sec: number | null;
  started_at: string;
  ended_at: string | null;
  rating: number | null;
  feedback_note: string | null;
}

/** GET /insights/me (backend/insights/schemas.py), the parts the app shows. */
export interface RatingStats {
  n_sessions: number;
  mean_rating: number | null;
}

export interface FamilyInsights {
  family: string;
  band: { beat_hz: { low: number; high: number }; bpm: { low: number; high: number } };
  recommended: { beat_hz: number; bpm: number };
  confidence: number;
  source: "user" | "neurotype" | "everyone" | "default";
  you: RatingStats;
  clusters: { beat_hz: number; bpm: number; layer: Layer; noise: NoiseColour; you: RatingStats }[];
}

export interface InsightsReport {
  n_rated_sessions: number;
  families: FamilyInsights[];
}

/** GET /library (backend/routers/library.py): one file of the music library. */
export type AudioFormat = "wav" | "flac" | "mp3" | "ogg" | "opus";

export interface LibraryTrack {
  id: number;
  filename: string;
  /** Relative to its library root. */
  file_path: string;
  format: string | null;
  duration_sec: number | null;
  bpm: number | null;
  /** e.g. "A minor", "F# major". */
  key_signature: string | null;
  tags: Record<string, unknown> | null;
  size_bytes: number | null;
  analyzed_at: string | null;
  /** Why the file could not be read or analysed; the rest is then mostly null. */
  error: string | null;
  /** Relative, signed and short-lived; works without headers (an <audio> src). Null on error. */
  stream_url: string | null;
}

export type LibraryOrder = "filename" | "-filename" | "bpm" | "-bpm" | "duration" | "-duration" | "added" | "-added";

/** POST /library/scan and GET /library/scan/{job_id}. */
export interface ScanJob {
  job_id: string;
  status: "queued" | "running" | "done" | "failed";
  /** Relative to its library root; "." for the root itself. */
  directory: string;
  tracks_found: number;
  tracks_analyzed: number;
  skipped: number;
  failed: number;
  removed: number;
  files_done: number;
  /** Unknown while the files are still being counted. */
  files_total: number | null;
  current_file: string | null;
  /** The last 100 problems; `file` is relative to the library root. */
  errors: { file: string; error: string }[];
  eta_sec: number | null;
  started_at: string | null;
  finished_at: string | null;
  elapsed_sec: number;
}

/** GET /library/roots. */
export interface LibraryRoot {
  index: number;
  path: string;
  track_count: number;
}
