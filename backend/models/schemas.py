"""Request and response models of the REST API, named for what they carry."""

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, field_validator

from backend.models.enums import Neurotype
from backend.models.schedule import ModulationSchedule, ModulationStep

__all__ = [
    "ModulationSchedule",
    "ModulationStep",
    "Neurotype",
]

_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def _clean_text(value: str) -> str:
    """Trim and refuse control characters (NUL and friends break logs and some drivers)."""
    value = value.strip()
    if _CONTROL_CHARS.search(value):
        raise ValueError("must not contain control characters")
    return value


def _clean_note(value: str) -> str:
    """Free text may span lines, but no other control characters."""
    if _CONTROL_CHARS.search(value.replace("\n", "").replace("\r", "").replace("\t", "")):
        raise ValueError("must not contain control characters")
    return value.strip()


Username = Annotated[str, Field(min_length=3, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$")]
Password = Annotated[str, Field(min_length=8, max_length=256)]
Intent = Annotated[
    str,
    Field(min_length=1, max_length=100, description='What the session is for, e.g. "deep focus: coding".'),
    AfterValidator(_clean_text),
]
FeedbackNote = Annotated[str, Field(max_length=2000), AfterValidator(_clean_note)]
DurationMin = Annotated[int, Field(ge=5, le=240, description="Planned session length in minutes.")]
Bpm = Annotated[int, Field(ge=40, le=200)]
UserIdClaim = Annotated[
    int | None,
    Field(
        default=None,
        ge=1,
        description="Optional; the token decides who you are. If given it must be your own id (else 403).",
    ),
]


class StrictModel(BaseModel):
    """Request bodies refuse unknown keys, so a typo is an error rather than silently ignored."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class UserPreferences(StrictModel):
    """Sensory preferences kept with the account (users.preferences)."""

    volume_max: float = Field(default=0.5, ge=0.0, le=1.0, description="Hard volume cap, 0-1 of full scale.")
    carrier_hz: float = Field(default=200.0, ge=100.0, le=500.0, description="Carrier tone for the beats.")
    default_duration_min: DurationMin = 30
    preferred_layer: Literal["auto", "binaural", "isochronic"] = Field(
        default="auto", description="isochronic works without headphones; binaural needs stereo."
    )
    noise: Literal["auto", "none", "pink", "brown"] = "auto"
    reduced_motion: bool = False


# --- auth -----------------------------------------------------------------------------------


class UserRegister(StrictModel):
    username: Username
    email: EmailStr = Field(max_length=255)
    password: Password
    neurotype: Neurotype = Neurotype.neurotypical
    preferences: UserPreferences = Field(default_factory=UserPreferences)


class UserLogin(StrictModel):
    email: EmailStr = Field(max_length=255)
    password: Annotated[str, Field(min_length=1, max_length=256)]


class UserUpdate(StrictModel):
    """PATCH /auth/me: change neurotype and/or preferences (preferences replace as a whole)."""

    neurotype: Neurotype | None = None
    preferences: UserPreferences | None = None


class Registered(BaseModel):
    user_id: int
    token: str
    expires_in: int = Field(description="Seconds until the token expires.")


class TokenIssued(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type name
    expires_in: int = Field(description="Seconds until the token expires.")


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    email: str
    neurotype: Neurotype
    preferences: UserPreferences
    created_at: datetime
    last_active: datetime
    is_active: bool

    @field_validator("preferences", mode="before")
    @classmethod
    def _stored_preferences(cls, stored: Any) -> Any:
        # Rows may predate today's keys (or have none): keep known keys, default the rest.
        if not isinstance(stored, dict):
            return {}
        return {k: v for k, v in stored.items() if k in UserPreferences.model_fields}


# --- sessions -------------------------------------------------------------------------------


class SessionStart(StrictModel):
    intent: Intent
    duration_min: DurationMin | None = Field(
        default=None, description="Defaults to the user's preferred session length."
    )
    current_bpm: Bpm | None = Field(default=None, description="Tempo of music already playing, if any.")
    user_id: UserIdClaim = None


class SessionStarted(BaseModel):
    session_id: int
    schedule: ModulationSchedule
    source: Literal["planner", "model"]
    started_at: datetime


class SessionEnd(StrictModel):
    rating: int | None = Field(default=None, ge=1, le=5, description="1 (poor) to 5 (great).")
    feedback_note: FeedbackNote | None = None


class SessionEnded(BaseModel):
    session_id: int
    duration_sec: int


class SessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    intent: str
    schedule: ModulationSchedule
    duration_sec: int | None
    started_at: datetime
    ended_at: datetime | None
    rating: int | None
    feedback_note: str | None


# --- health ---------------------------------------------------------------------------------


class RootInfo(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


class HealthReport(BaseModel):
    api: Literal["ok"] = "ok"
    db: Literal["ok", "error"]
    llm: str = Field(description='"not_configured" until the model engine is enabled.')
    db_error: str | None = None
