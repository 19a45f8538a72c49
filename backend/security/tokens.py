"""JWT access tokens (HS256). The token's subject is the only source of the caller's identity."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

_ALGORITHM = "HS256"


class InvalidToken(Exception):
    """The token is missing, malformed, tampered with or expired."""


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int  # seconds


def issue_token(user_id: int, secret: str, lifetime_min: int) -> IssuedToken:
    now = datetime.now(UTC)
    lifetime = timedelta(minutes=lifetime_min)
    payload = {"sub": str(user_id), "iat": now, "exp": now + lifetime, "typ": "access"}
    return IssuedToken(jwt.encode(payload, secret, algorithm=_ALGORITHM), int(lifetime.total_seconds()))


def user_id_from_token(token: str, secret: str) -> int:
    """The user id the token was issued for; raises InvalidToken otherwise."""
    try:
        payload = jwt.decode(
            token, secret, algorithms=[_ALGORITHM], options={"require": ["sub", "exp", "iat"]}
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from error
    subject = payload.get("sub")
    if payload.get("typ") != "access" or not isinstance(subject, str) or not subject.isdigit():
        raise InvalidToken("not an access token")
    return int(subject)
