"""Listened time: the session's clock, which stops while it is paused.

A session that started at `started_at`, was paused for `paused_sec` in earlier pauses and is
paused now since `paused_at` (or playing: None) has been listened to for
`now - started_at - paused_sec - (now - paused_at)` seconds. Every view of a session (the end's
`duration_sec`, the live stream's `elapsed_sec`, the sweeper) uses this one function.
"""

from datetime import datetime


def listened_sec(started_at: datetime, paused_sec: float, paused_at: datetime | None, now: datetime) -> float:
    stopped = paused_at if paused_at is not None and paused_at < now else now
    return max(0.0, (stopped - started_at).total_seconds() - paused_sec)
