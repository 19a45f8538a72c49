/**
 * The live-session stream client: authenticates with the token in the WebSocket subprotocol
 * (never in the URL), resumes after a dropped connection from the last `seq` it applied, and
 * drops duplicates. See backend/live/frames.py for the frame types.
 */
import type { ModulationUpdate } from "./types";

export const PROTOCOL = "neurotune.v1";
const HEARTBEAT_GRACE_SEC = 45; // the server sends one at least every 15 s
const MAX_BACKOFF_MS = 15_000;

/** Decides which frames to apply, and where to resume from. Pure, so it is unit-tested. */
export class ResumeTracker {
  streamId: string | null = null;
  lastSeq: number | null = null;

  /** True if the frame is new and should be applied. */
  accept(frame: ModulationUpdate): boolean {
    if (frame.stream_id !== this.streamId) {
      // A new stream (first connect, or the server restarted): only a snapshot can start it.
      if (frame.type !== "schedule") return false;
      this.streamId = frame.stream_id;
      this.lastSeq = frame.seq;
      return true;
    }
    if (frame.type === "heartbeat") return false;
    if (frame.type === "schedule") {
      // A snapshot says "you are at seq N": apply it unless we are already past it.
      if (this.lastSeq !== null && frame.seq < this.lastSeq) return false;
      this.lastSeq = frame.seq;
      return true;
    }
    if (this.lastSeq !== null && frame.seq <= this.lastSeq) return false; // a duplicate
    this.lastSeq = frame.seq;
    return true;
  }

  resumeQuery(): string {
    if (this.streamId === null || this.lastSeq === null) return "";
    return `?stream_id=${encodeURIComponent(this.streamId)}&last_seq=${this.lastSeq}`;
  }
}

export interface StreamHandlers {
  onFrame: (frame: ModulationUpdate) => void;
  onStatus: (status: "connecting" | "live" | "offline") => void;
}

export function streamUrl(sessionId: number, query: string, location: Location = window.location): string {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/ws/session/${sessionId}${query}`;
}

/** Keeps one socket open to a session's stream until `close()` or the session's `end`. */
export class SessionStreamClient {
  private socket: WebSocket | null = null;
  private closed = false;
  private attempts = 0;
  private watchdog: ReturnType<typeof setTimeout> | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  readonly tracker = new ResumeTracker();

  constructor(
    private readonly sessionId: number,
    private readonly token: string,
    private readonly handlers: StreamHandlers,
  ) {}

  open(): void {
    if (this.closed) return;
    this.handlers.onStatus("connecting");
    const socket = new WebSocket(streamUrl(this.sessionId, this.tracker.resumeQuery()), [
      PROTOCOL,
      `bearer.${this.token}`,
    ]);
    this.socket = socket;
    socket.onopen = () => {
      this.attempts = 0;
      this.handlers.onStatus("live");
      this.armWatchdog();
    };
    socket.onmessage = (event: MessageEvent<string>) => {
      this.armWatchdog();
      const frame = JSON.parse(event.data) as ModulationUpdate;
      if (!this.tracker.accept(frame)) return;
      this.handlers.onFrame(frame);
      if (frame.type === "end") this.close();
    };
    socket.onclose = (event: CloseEvent) => {
      this.clearWatchdog();
      if (this.closed || event.code === 1008) {
        this.handlers.onStatus("offline");
        return;
      }
      this.scheduleReconnect();
    };
  }

  close(): void {
    this.closed = true;
    this.clearWatchdog();
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.socket?.close(1000);
    this.handlers.onStatus("offline");
  }

  /** The network is back: try now rather than when the backoff says (a live socket is left alone). */
  reconnectNow(): void {
    if (this.closed || this.retry === null) return;
    clearTimeout(this.retry);
    this.retry = null;
    this.attempts = 0;
    this.open();
  }

  private scheduleReconnect(): void {
    this.handlers.onStatus("connecting");
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempts);
    this.attempts += 1;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.open();
    }, delay);
  }

  private armWatchdog(): void {
    this.clearWatchdog();
    // No frame, not even a heartbeat, for this long: the server or the network is gone.
    this.watchdog = setTimeout(() => this.socket?.close(4000), HEARTBEAT_GRACE_SEC * 1000);
  }

  private clearWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
  }
}
