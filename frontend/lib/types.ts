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
