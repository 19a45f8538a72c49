// @vitest-environment happy-dom
/**
 * A clock tick re-renders what shows the time (the timer, the chart, the beat slider) and not the
 * session page around them. SessionView's renders are counted through `useSessionQuery`, the hook
 * it alone calls once per render; everything else is the real page on a real store.
 */
import { act } from "react";
import { createRoot, type Root } from "react-dom/client";
import { Provider } from "react-redux";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import SessionView from "@/features/session/SessionView";
import { clockTicked, layerToggled, soundChanged } from "@/features/session/sessionSlice";
import { api } from "@/lib/api";
import type { SessionRecord, User } from "@/lib/types";
import { makeStore, type AppStore } from "@/stores/store";

const renders = vi.hoisted(() => ({ sessionView: 0 }));

vi.mock("next/navigation", () => ({ useRouter: () => ({ push: () => undefined }) }));
vi.mock("@/lib/api", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@/lib/api")>();
  const useSessionQuery: typeof actual.useSessionQuery = (...args) => {
    renders.sessionView += 1;
    return actual.useSessionQuery(...args);
  };
  return { ...actual, useSessionQuery };
});

const session: SessionRecord = {
  id: 7,
  user_id: 1,
  intent: "deep focus: coding",
  schedule: {
    intent: "deep focus: coding",
    total_duration_sec: 1800,
    steps: [
      { timestamp_sec: 0, target_bpm: 90, binaural_freq: 10, ramp_duration_sec: 0, layer: "binaural", noise: "pink" },
      { timestamp_sec: 300, target_bpm: 80, binaural_freq: 14, ramp_duration_sec: 120, layer: "binaural", noise: "pink" },
    ],
  },
  duration_sec: null,
  started_at: new Date().toISOString(),
  ended_at: null,
  rating: null,
  feedback_note: null,
  prompt_id: null,
  prompt_version: null,
  refinement: null,
  end_reason: null,
  paused_at: null,
  paused_sec: 0,
  favourite: false,
  explanation: null,
};

const me: User = {
  id: 1,
  username: "listener",
  email: "listener@example.org",
  neurotype: "adhd",
  preferences: {
    volume_max: 0.6,
    carrier_hz: 220,
    default_duration_min: 30,
    preferred_layer: "auto",
    noise: "auto",
    reduced_motion: true,
    balance: 0,
    tone_volume: 1,
    noise_volume: 1,
    music_volume: 1,
    wake_chime: "auto",
  },
  created_at: session.started_at,
  last_active: session.started_at,
  is_active: true,
};

let store: AppStore;
let container: HTMLElement;
let root: Root;

beforeEach(async () => {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
  store = makeStore();
  await store.dispatch(api.util.upsertQueryData("session", session.id, session));
  await store.dispatch(api.util.upsertQueryData("me", undefined, me));
  container = document.createElement("div");
  document.body.append(container);
  root = createRoot(container);
  await act(async () => {
    root.render(
      <Provider store={store}>
        <SessionView id={session.id} />
      </Provider>,
    );
  });
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

describe("the session page", () => {
  it("is laid out once the session is loaded", () => {
    expect(container.querySelector("h1")?.textContent).toBe("deep focus: coding");
    expect(container.querySelector("#beat")).not.toBeNull();
  });

  it("does not re-render on a clock tick; the timer and the beat slider do", () => {
    const before = renders.sessionView;
    const startedMs = Date.parse(session.started_at);
    for (const elapsedSec of [61, 62, 63, 64, 65]) act(() => store.dispatch(clockTicked(startedMs + elapsedSec * 1000)));
    expect(container.textContent).toContain("1:05 elapsed");
    expect(container.querySelector("#beat-label")?.textContent).toContain("10.0 Hz");
    expect(renders.sessionView).toBe(before);
  });

  it("re-renders for what it shows itself (so the counter does see renders)", () => {
    const before = renders.sessionView;
    act(() => store.dispatch(soundChanged("on")));
    expect(renders.sessionView).toBeGreaterThan(before);
  });

  it("does not re-render when a control changes: the control does", () => {
    const before = renders.sessionView;
    act(() => store.dispatch(layerToggled("binaural")));
    expect(container.querySelector<HTMLInputElement>("fieldset input")?.checked).toBe(false);
    expect(renders.sessionView).toBe(before);
  });
});
