/**
 * The choices the sign-up and settings forms offer, defined once. Each table is keyed by the
 * generated API type's union, so a value the backend adds or drops fails to compile here.
 */
import type { Neurotype, UserPreferences } from "./types";

export interface Choice<Value extends string> {
  value: Value;
  label: string;
  /** A short explanation sign-up shows after the label. */
  hint?: string;
}

/** The table's entries as choices, in the table's order. */
function choices<Value extends string>(table: Record<Value, Omit<Choice<Value>, "value">>): readonly Choice<Value>[] {
  return (Object.keys(table) as Value[]).map((value) => ({ value, ...table[value] }));
}

export const NEUROTYPE_CHOICES = choices<Neurotype>({
  neurotypical: { label: "Prefer not to say / neurotypical" },
  adhd: { label: "ADHD", hint: "a little more stimulation" },
  autism: { label: "Autistic", hint: "slower changes, fewer surprises" },
  anxiety: { label: "Anxiety", hint: "nothing edgy, slow descents" },
  depression: { label: "Depression" },
  other: { label: "Other" },
});

export const LISTENING_CHOICES = choices<UserPreferences["preferred_layer"]>({
  auto: { label: "Let NeuroTune choose" },
  binaural: { label: "Headphones (binaural beats)" },
  isochronic: { label: "Speakers or one ear (isochronic pulses)" },
});

export const NOISE_CHOICES = choices<UserPreferences["noise"]>({
  auto: { label: "Let NeuroTune choose" },
  none: { label: "None" },
  pink: { label: "Pink (soft rain)" },
  brown: { label: "Brown (deep rumble)" },
});

/** "ADHD — a little more stimulation", or the plain label when it has no hint. */
export function labelWithHint(choice: Choice<string>): string {
  return choice.hint ? `${choice.label} — ${choice.hint}` : choice.label;
}

export const WAKE_CHIME_CHOICES = choices<UserPreferences["wake_chime"]>({
  auto: { label: "After naps and sessions that end awake" },
  on: { label: "After every session that runs its course" },
  off: { label: "Never" },
});
