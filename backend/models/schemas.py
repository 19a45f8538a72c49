"""Request and response models of the REST API, named for what they carry."""

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from backend.audio_processor.scanner import ScanProgress
from backend.models.orm import EndReason
from backend.schedules.explain import PlanExplanation
from backend.schedules.listener import DurationMin, Neurotype, UserPreferences
from backend.schedules.refiner import RefinementOutcome
from backend.schedules.schedule import ModulationSchedule, ModulationStep

__all__ = [
    "ModulationSchedule",
    "ModulationStep",
    "Neurotype",
    "UserPreferences",
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


class IntentRequest(StrictModel):
    """What to plan: POST /sessions/start and POST /llm/generate-schedule take the same body."""

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
    refinement: RefinementOutcome | None = Field(
        description="pending: the local model will rewrite the future; otherwise why it will not."
    )


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
    prompt_id: int | None = Field(description="The template the model wrote the schedule with, if it did.")
    prompt_version: int | None
    refinement: RefinementOutcome | None = Field(
        description="What became of the local model's rewrite of this session: pending, applied, or why "
        "not (busy, unavailable, superseded, ended, declined, rejected, timed_out, failed); null when "
        "no model is configured."
    )
    end_reason: EndReason | None = Field(
        description="ended (by you), completed (ran its course), abandoned (nobody listened to the end)."
    )
    paused_at: datetime | None = Field(description="While paused: when the pause began.")
    paused_sec: float = Field(description="Seconds spent in earlier pauses (they do not count as listened).")
    favourite: bool
    explanation: PlanExplanation | None = Field(description="The plan in plain words.")


# --- library --------------------------------------------------------------------------------

AudioFormat = Literal["wav", "flac", "mp3", "ogg", "opus"]
TrackOrder = Literal["filename", "-filename", "bpm", "-bpm", "duration", "-duration", "added", "-added"]
KeySignature = Annotated[
    str, Field(pattern=r"^[A-G]#? (major|minor)$", description='As the analyzer stores it, e.g. "A minor".')
]
LibraryBpm = Annotated[float, Field(ge=0, le=1000)]


def _no_control_chars(value: str) -> str:
    # File names may begin or end with spaces, so unlike _clean_text nothing is trimmed.
    if _CONTROL_CHARS.search(value):
        raise ValueError("must not contain control characters")
    if not value.isascii():
        try:
            value.encode("utf-8")  # JSON may carry lone surrogates, which no file system path holds
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode text") from None
    return value


class LibraryQuery(BaseModel):
    """GET /library's query: filters, ordering and the page."""

    bpm_min: LibraryBpm | None = None
    bpm_max: LibraryBpm | None = None
    format: AudioFormat | None = None
    key: KeySignature | None = None
    q: Annotated[str, Field(max_length=255), AfterValidator(_no_control_chars)] | None = Field(
        default=None, description="Part of the file name (case-insensitive)."
    )
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000)
    order: TrackOrder = Field(default="filename", description="A column; a leading - sorts descending.")
    include_failed: bool = Field(default=False, description="Also list files that could not be analysed.")

    @model_validator(mode="after")
    def _bpm_range(self) -> "LibraryQuery":
        if self.bpm_min is not None and self.bpm_max is not None and self.bpm_min > self.bpm_max:
            raise ValueError("bpm_min must not exceed bpm_max")
        return self


class LibraryTrack(BaseModel):
    id: int
    filename: str
    file_path: str = Field(description="POSIX path relative to its library root.")
    format: str | None
    duration_sec: float | None
    bpm: float | None
    key_signature: str | None = Field(description='e.g. "A minor", "F# major".')
    tags: dict[str, Any] | None
    size_bytes: int | None
    analyzed_at: datetime | None
    error: str | None = Field(
        description="Why the file could not be analysed; such files are not streamable."
    )
    stream_url: str | None = Field(
        description="Relative, signed and short-lived URL an <audio> element can play; null when error."
    )


class LibraryRoot(BaseModel):
    index: int
    path: str = Field(description="As configured.")
    track_count: int


LibraryPath = Annotated[str, Field(min_length=1, max_length=1024), AfterValidator(_no_control_chars)]


class ScanRequest(StrictModel):
    directory_path: LibraryPath | None = Field(
        default=None, description="Relative to the first library root, or absolute inside a root."
    )
    wait_sec: float = Field(
        default=10.0, ge=0, le=30, description="Answer 200 with the result if the scan ends within this."
    )


class ScanJob(ScanProgress):
    """A library scan: its totals so far, and the job around them."""

    job_id: str
    status: Literal["queued", "running", "done", "failed"]
    directory: str = Field(description='Relative to its library root; "." for the root itself.')
    eta_sec: float | None
    started_at: datetime | None
    finished_at: datetime | None
    elapsed_sec: float


# --- model engine -------------------------------------------------------------------------


class GenerationTiming(BaseModel):
    """Where a generated schedule's time went: one record, filled by the decoder and the engine."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    total_sec: float
    queue_sec: float = Field(
        default=0.0, description="Time spent waiting for the model (one request at a time)."
    )
    first_step_sec: float | None = Field(default=None, description="When the first step was known.")
    first_model_step_sec: float | None = Field(
        default=None, description="When the first model-written step was known."
    )
    prefill_sec: float = Field(default=0.0, description="Time the model took to read the prompt.")
    prompt_tokens: int = 0
    reused_prompt_tokens: int = Field(
        default=0, description="Prompt tokens whose cached keys/values were reused."
    )
    generated_tokens: int = 0
    forced_tokens: int = Field(default=0, description="Tokens the grammar forced (fed without sampling).")
    forward_passes: int = Field(
        default=0, description="Model evaluations; forced tokens share one (jump-forward)."
    )
    cached: bool = Field(
        default=False, description="The same request was answered before; no model time was spent."
    )


class PromptRef(BaseModel):
    id: int | None = Field(description="Row in the prompts table; null for the built-in default.")
    version: int


class ScheduleGenerated(ModulationSchedule):
    """The spec's ModulationSchedule, plus where it came from and what it cost."""

    source: Literal["model", "planner"]
    fallback_reason: str | None = Field(description="Why the planner's schedule stands, if it does.")
    prompt: PromptRef
    timing: GenerationTiming


# --- health ---------------------------------------------------------------------------------


class RootInfo(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


class HealthReport(BaseModel):
    """HTTP 503 when the database does not answer at all; otherwise 200, with `status: degraded` and
    its reasons when something is wrong but the server still reads (monitoring reads the body)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    status: Literal["ok", "degraded"] = Field(description="degraded when `reasons` is not empty.")
    reasons: list[str] = Field(
        default_factory=list,
        description='What is wrong, one sentence each, e.g. "database refuses writes: disk I/O error".',
    )
    api: Literal["ok"] = "ok"
    db: Literal["ok", "error"] = Field(description="Reads: a SELECT 1 with a short timeout, on every call.")
    db_writes: Literal["ok", "refused", "unknown"] = Field(
        description="Whether the last probe write (one row, at most once every few seconds) was committed; "
        "unknown while the database does not answer."
    )
    db_write_checked_sec_ago: float | None = Field(
        default=None, description="Age of the write probe's result; null while the database does not answer."
    )
    data_dir_free_mb: float | None = Field(
        default=None, description="Free space where NEUROTUNE_DATA_DIR is (null: not measured)."
    )
    llm: Literal["disabled", "loading", "ok", "error"] = Field(
        description="The local model: loading in the background, ready, failed (see llm_error) or "
        "switched off; the planner answers whenever it is not ok."
    )
    db_error: str | None = None
    llm_error: str | None = None
