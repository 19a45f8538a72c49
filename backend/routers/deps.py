"""Shared route dependencies as named types, so signatures read like sentences."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from backend.app_state import AppState
from backend.db.database import session_scope
from backend.db.queries import UserQueries
from backend.models.orm import User
from backend.security.tokens import InvalidToken, user_id_from_token


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.neurotune
    return state


StateDep = Annotated[AppState, Depends(get_state)]


async def get_db(state: StateDep) -> AsyncIterator[AsyncSession]:
    async for session in session_scope(state.session_factory):
        yield session


DbSession = Annotated[AsyncSession, Depends(get_db)]

_bearer = HTTPBearer(auto_error=False, description="The token from /auth/register or /auth/login.")


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


async def get_current_user(
    state: StateDep,
    db: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if credentials is None:
        raise _unauthorised("Not authenticated: send 'Authorization: Bearer <token>'.")
    try:
        user_id = user_id_from_token(credentials.credentials, state.token_secret)
    except InvalidToken:
        raise _unauthorised("Invalid or expired token.") from None
    user = await UserQueries(db).by_id(user_id)
    if user is None or not user.is_active:
        raise _unauthorised("Invalid or expired token.")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def ensure_self(claimed_user_id: int | None, user: User) -> None:
    """The spec lets clients send user_id; it may only ever name the caller (the token decides)."""
    if claimed_user_id is not None and claimed_user_id != user.id:
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN, detail="user_id does not match your token."
        )
