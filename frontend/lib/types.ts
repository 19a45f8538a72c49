/**
 * The API's shapes under the names the app uses. Everything the backend's OpenAPI document
 * describes is an alias of the generated `lib/generated/apiSchema.d.ts` (`npm run gen:api`), so it
 * cannot drift from the backend; only what the document cannot describe is written here by hand.
 */
import type { components, paths } from "./generated/apiSchema";

type Schemas = components["schemas"];
/** The query parameters of GET `path`. */
type QueryOf<Path extends keyof paths> = paths[Path] extends { get: { parameters: { query?: infer Query } } }
  ? NonNullable<Query>
  : never;

export type ModulationStep = Schemas["ModulationStep"];
export type ModulationSchedule = Schemas["ModulationSchedule"];
export type Layer = ModulationStep["layer"];
export type NoiseColour = ModulationStep["noise"];

export type Neurotype = Schemas["Neurotype"];
export type UserPreferences = Schemas["UserPreferences"];
export type User = Schemas["UserOut"];
export type Registered = Schemas["Registered"];
export type TokenIssued = Schemas["TokenIssued"];
export type UserLogin = Schemas["UserLogin"];
export type UserUpdate = Schemas["UserUpdate"];
/** POST /auth/register. Every preference has a server-side default, so any of them may be left out. */
export type UserRegister = Omit<Schemas["UserRegister"], "preferences"> & { preferences?: Partial<UserPreferences> };

export type SessionRecord = Schemas["SessionOut"];
/** POST /sessions/start (and /llm/generate-schedule): what the session is for, and how long. */
export type IntentRequest = Schemas["IntentRequest"];
export type SessionStarted = Schemas["SessionStarted"];
export type SessionEnd = Schemas["SessionEnd"];
export type SessionEnded = Schemas["SessionEnded"];
export type HistoryQuery = QueryOf<"/sessions/history">;
/** The plan in plain words, as the server decided it (`SessionRecord.explanation`). */
export type PlanExplanation = Schemas["PlanExplanation"];
/** An intent family by name, e.g. "focus" (POST /sessions/{id}/replan). */
export type IntentFamily = Schemas["Replan"]["family"];
export type WakeChime = UserPreferences["wake_chime"];
export type EndReason = NonNullable<SessionRecord["end_reason"]>;
/** PATCH /sessions/{id}: what a listener may change about a session of theirs. */
export type SessionChange = Schemas["SessionChange"];
/** POST /sessions/{id}/again. */
export type PlayAgain = Schemas["PlayAgain"];
export type Preset = Schemas["PresetOut"];
export type PresetCreate = Schemas["PresetCreate"];
export type PresetStart = Schemas["PresetStart"];
/** GET /intents/families: a family with its name in words. */
export type FamilyOption = Schemas["FamilyOption"];

export type HealthReport = Schemas["HealthReport"];

export type RatingStats = Schemas["RatingStats"];
export type Range = Schemas["Range"];
/**
 * GET /insights/me, one intent family. The backend keys `band` by "beat_hz" and "bpm"
 * (`propertyNames`), which the generator drops (it gives a string index): the keys are named here.
 */
export type FamilyInsights = Omit<Schemas["FamilyInsights"], "band"> & { band: Record<"beat_hz" | "bpm", Range> };
export type RatingPoint = Schemas["RatingPoint"];
export type InsightsReport = Omit<Schemas["InsightsReport"], "families"> & { families: FamilyInsights[] };

export type LibraryTrack = Schemas["LibraryTrack"];
export type LibraryRoot = Schemas["LibraryRoot"];
export type ScanJob = Schemas["ScanJob"];
export type ScanRequest = Schemas["ScanRequest"];
export type AudioFormat = NonNullable<QueryOf<"/library">["format"]>;
export type LibraryOrder = NonNullable<QueryOf<"/library">["order"]>;

/*
 * The live stream's frames (backend/live/frames.py) travel over the WebSocket, which the OpenAPI
 * document does not describe: written by hand, over the generated step.
 */
export type FrameType = "schedule" | "step" | "refined" | "end" | "heartbeat" | "paused" | "resumed";

export interface ModulationUpdate {
  seq: number;
  stream_id: string;
  session_id: number;
  type: FrameType;
  server_time: number;
  /** The session's own clock: seconds listened, standing still while paused. */
  elapsed_sec: number;
  /** The session is paused (its clock stands still until a `resumed` frame). */
  paused: boolean;
  lookahead_sec: number;
  total_duration_sec: number;
  steps: ModulationStep[];
  step_index: number | null;
  starts_at_sec: number | null;
  from_sec: number | null;
  reason: "ended" | "duration_over" | null;
}
