"""Short-lived signed stream URLs.

An `<audio>` element cannot send an Authorization header, so the library list hands out URLs that
carry their own proof: an expiry and an HMAC over the track id and that expiry. Anyone holding the
URL can stream that one track until it expires, and nothing else.
"""

import hashlib
import hmac
import time

# Versioned and specific, so a MAC made for anything else with the same secret never verifies here.
_DOMAIN = "neurotune-stream-v1"
# 128 bits of HMAC-SHA256 is ample against forgery and keeps the URL short.
_SIG_HEX_CHARS = 32
# Unix times have 10 digits until the year 2286; anything past 12 is absurd, and refusing it before
# int() keeps a hostile megabyte of digits cheap (and clear of int()'s 4300-digit ValueError).
_MAX_EXP_CHARS = 12


def _signature(track_id: int, exp: int, secret: str) -> str:
    message = f"{_DOMAIN}:{track_id}:{exp}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:_SIG_HEX_CHARS]


def sign_stream_url(track_id: int, secret: str, ttl_sec: int, *, now: float | None = None) -> str:
    """The relative URL `/library/{track_id}/stream?exp=...&sig=...`, valid for `ttl_sec` seconds."""
    if ttl_sec <= 0:
        raise ValueError(f"ttl_sec must be positive, got {ttl_sec}")
    exp = int(time.time() if now is None else now) + ttl_sec
    return f"/library/{track_id}/stream?exp={exp}&sig={_signature(track_id, exp, secret)}"


def verify_stream_signature(
    track_id: int, exp: str | None, sig: str | None, secret: str, *, now: float | None = None
) -> bool:
    """Whether `exp` and `sig` (the query values, as sent) authorise streaming `track_id` now.

    False for anything missing, malformed, expired or forged; never raises on hostile input.
    """
    if exp is None or sig is None:
        return False
    # ASCII digits only: str.isdigit() also accepts forms like "²" or "٣" that int() then rejects
    # or reads differently, and a signed URL only ever carries plain digits.
    if not (0 < len(exp) <= _MAX_EXP_CHARS and exp.isascii() and exp.isdigit()):
        return False
    if len(sig) != _SIG_HEX_CHARS or not sig.isascii():
        return False
    exp_sec = int(exp)
    if exp_sec <= (time.time() if now is None else now):
        return False
    # compare_digest on ASCII str runs in time independent of where the strings differ.
    return hmac.compare_digest(sig, _signature(track_id, exp_sec, secret))
