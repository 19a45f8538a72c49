"""The frames of the live stream, `ModulationUpdate` (server -> client, JSON text frames).

Every frame carries a `seq`: 1, 2, 3, ... per stream, never reused, so a client that reconnects
with the last `seq` it saw receives exactly what it missed. `stream_id` names the stream's
lifetime on the server: if it differs from the one a client remembers (the server restarted),
the client drops its position and takes the fresh `schedule` frame it is sent.

Types:
  schedule  -- the whole current schedule; first frame of a fresh connection.
  step      -- step `step_index` begins at `starts_at_sec` (sent `lookahead_sec` ahead of it).
  refined   -- steps from `from_sec` on were replaced (the past never is); `steps` is the whole
               new schedule's list, so the client can simply swap it in.
  end       -- the stream is over (`reason`: "ended" by the user, or "duration_over").
  paused    -- the session's clock stopped (`elapsed_sec` stands still until `resumed`).
  resumed   -- the clock goes on from `elapsed_sec`; later steps come that much later.
  heartbeat -- nothing new; `seq` repeats the latest, so it never counts as a missed frame.
"""

from typing import Literal

from pydantic import BaseModel, Field

from backend.schedules.schedule import ModulationStep

FrameType = Literal["schedule", "step", "refined", "end", "heartbeat", "paused", "resumed"]
EndReason = Literal["ended", "duration_over"]


class ModulationUpdate(BaseModel):
    seq: int = Field(ge=0)
    stream_id: str
    session_id: int
    type: FrameType
    server_time: float = Field(description="Unix time (s) when the frame was made.")
    elapsed_sec: float = Field(
        description="The session's clock at server_time: seconds listened, not counting pauses."
    )
    paused: bool = Field(default=False, description="The session is paused (its clock stands still).")
    lookahead_sec: float
    total_duration_sec: int
    steps: list[ModulationStep] = Field(default_factory=list)
    step_index: int | None = None
    starts_at_sec: float | None = None
    from_sec: float | None = None
    reason: EndReason | None = None


class AuthMessage(BaseModel):
    """The optional first client message, for clients that cannot set Sec-WebSocket-Protocol."""

    type: Literal["auth"]
    token: str = Field(max_length=4096)
    last_seq: int | None = Field(default=None, ge=0)
    stream_id: str | None = Field(default=None, max_length=64)
