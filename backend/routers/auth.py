"""/auth: register, log in, read and edit your own account."""

from fastapi import APIRouter, HTTPException, Request, status

from backend.db.queries import AlreadyExists, UserQueries
from backend.models.schemas import (
    Registered,
    TokenIssued,
    UserLogin,
    UserOut,
    UserRegister,
    UserUpdate,
)
from backend.routers.deps import CurrentUser, DbSession, StateDep
from backend.routers.responses import answers
from backend.security.tokens import issue_token
from backend.services.accounts import Authenticator, BadCredentials, LoginThrottled, register_user

router = APIRouter(prefix="/auth", tags=["auth"])

_HASHING_BUSY = (
    "The database is unavailable, or too many sign-ins are being checked at once; nothing was changed. "
    "Retry after Retry-After seconds."
)


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=Registered,
    responses=answers(
        409, 422, 503, notes={409: "That username or email is already registered.", 503: _HASHING_BUSY}
    ),
)
async def register(body: UserRegister, db: DbSession, state: StateDep) -> Registered:
    try:
        user = await register_user(UserQueries(db), state.passwords, body)
    except AlreadyExists:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "That username or email is already registered."
        ) from None
    issued = issue_token(user.id, state.token_secret, state.settings.access_token_expire_min)
    return Registered(user_id=user.id, token=issued.token, expires_in=issued.expires_in)


@router.post(
    "/login",
    response_model=TokenIssued,
    responses=answers(
        401,
        422,
        429,
        503,
        notes={
            401: "Wrong email or password.",
            429: "Too many failed logins for this email or from this client; wait Retry-After seconds.",
            503: _HASHING_BUSY,
        },
    ),
)
async def login(body: UserLogin, request: Request, db: DbSession, state: StateDep) -> TokenIssued:
    client = request.client.host if request.client else "unknown"
    try:
        user = await Authenticator(UserQueries(db), state.login_throttle, state.passwords).login(body, client)
    except LoginThrottled as throttled:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "Too many failed logins; wait before trying again.",
            headers={"Retry-After": str(throttled.retry_after_sec)},
        ) from None
    except BadCredentials:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "Wrong email or password.", headers={"WWW-Authenticate": "Bearer"}
        ) from None
    issued = issue_token(user.id, state.token_secret, state.settings.access_token_expire_min)
    return TokenIssued(token=issued.token, expires_in=issued.expires_in)


@router.get("/me", response_model=UserOut, responses=answers(401, 503))
async def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@router.patch("/me", response_model=UserOut, responses=answers(401, 422, 503))
async def update_me(body: UserUpdate, user: CurrentUser, db: DbSession) -> UserOut:
    preferences = body.preferences.model_dump() if body.preferences is not None else None
    await UserQueries(db).update_profile(user, neurotype=body.neurotype, preferences=preferences)
    return UserOut.model_validate(user)
