import { describe, expect, it } from "vitest";

import { ResumeTracker, streamUrl } from "@/lib/wsClient";
import type { FrameType, ModulationUpdate } from "@/lib/types";

function frame(seq: number, type: FrameType, streamId = "s1"): ModulationUpdate {
  return {
    seq,
    stream_id: streamId,
    session_id: 7,
    type,
    server_time: 0,
    elapsed_sec: 0,
    paused: false,
    lookahead_sec: 10,
    total_duration_sec: 600,
    steps: [],
    step_index: null,
    starts_at_sec: null,
    from_sec: null,
    reason: null,
  };
}

describe("ResumeTracker", () => {
  it("starts a stream only from a snapshot", () => {
    const tracker = new ResumeTracker();
    expect(tracker.accept(frame(3, "step"))).toBe(false);
    expect(tracker.accept(frame(2, "schedule"))).toBe(true);
    expect(tracker.accept(frame(3, "step"))).toBe(true);
    expect(tracker.resumeQuery()).toBe("?stream_id=s1&last_seq=3");
  });

  it("drops duplicates and heartbeats, keeps order", () => {
    const tracker = new ResumeTracker();
    tracker.accept(frame(1, "schedule"));
    expect(tracker.accept(frame(2, "step"))).toBe(true);
    expect(tracker.accept(frame(2, "step"))).toBe(false);
    expect(tracker.accept(frame(2, "heartbeat"))).toBe(false);
    expect(tracker.accept(frame(3, "refined"))).toBe(true);
    expect(tracker.lastSeq).toBe(3);
  });

  it("after a resume, applies only what was missed", () => {
    const tracker = new ResumeTracker();
    tracker.accept(frame(4, "schedule"));
    tracker.accept(frame(5, "step"));
    const replayed = [frame(5, "step"), frame(6, "step"), frame(7, "end")];
    expect(replayed.map((f) => tracker.accept(f))).toEqual([false, true, true]);
  });

  it("takes a new stream's snapshot after a server restart", () => {
    const tracker = new ResumeTracker();
    tracker.accept(frame(40, "schedule", "old"));
    expect(tracker.accept(frame(1, "step", "new"))).toBe(false);
    expect(tracker.accept(frame(1, "schedule", "new"))).toBe(true);
    expect(tracker.resumeQuery()).toBe("?stream_id=new&last_seq=1");
  });
});

describe("streamUrl", () => {
  it("uses wss on https and never carries the token", () => {
    const url = streamUrl(9, "?last_seq=1", { protocol: "https:", host: "example.org" } as Location);
    expect(url).toBe("wss://example.org/ws/session/9?last_seq=1");
  });
});
