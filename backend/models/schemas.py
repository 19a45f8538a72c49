"""Request and response models of the REST API, named for what they carry."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from backend.audio_processor.scanner import ScanProgress
from backend.models.orm import EndReason
from backend.schedules.explain import FamilyName, PlanExplanation
from backend.schedules.listener import DurationMin, Neurotype, UserPreferences
from backend.schedules.refiner import RefinementOutcome
from backend.schedules.schedule import ModulationSchedule, ModulationStep
from backend.schedules.validator import schedule_violations

__all__ = [
    "ModulationSchedule",
    "ModulationStep",
    "Neurotype",
    "UserPreferences",
]

# Text fields state their rules as patterns, so the API document says what the server checks: no
# control characters (NUL and friends break logs and some drivers). Every engine reads these the
# same way (pydantic's Rust regex, ECMA-262, Python). Unpaired surrogates need no pattern: pydantic
# refuses a string that is not Unicode text before any pattern runs (see the document's description).
NO_CONTROL_CHARS = r"^[^\x00-\x1f\x7f]*$"
NO_CONTROL_CHARS_BUT_LINES = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"  # tab, LF and CR may stay


def _json_number(value: Any) -> Any:
    """JSON's numbers, neither more nor fewer: 30 and 30.0 are the same integer (so strict mode, which
    refuses 30.0, would refuse what the document allows), but true and "30" are no numbers at all
    (lax mode would take both, so the server would accept what the document refuses)."""
    if isinstance(value, bool | str):
        raise PydanticCustomError(
            "number_type", "Input should be a number, not {kind}", {"kind": type(value).__name__}
        )
    return value


JsonNumber = BeforeValidator(_json_number)


class _JsonPreferences(UserPreferences):
    """UserPreferences as a request body carries them: JSON's booleans and numbers only."""

    model_config = ConfigDict(strict=True)
    # Strict ints would refuse 30.0, which JSON Schema calls an integer.
    default_duration_min: Annotated[DurationMin, Field(strict=False), JsonNumber] = (
        UserPreferences.model_fields["default_duration_min"].default
    )


def _json_preferences(value: Any) -> Any:
    return _JsonPreferences.model_validate(value) if isinstance(value, dict) else value


# Documented as UserPreferences (the same fields, bounds and defaults); checked as _JsonPreferences.
PreferencesIn = Annotated[UserPreferences, BeforeValidator(_json_preferences)]

Username = Annotated[str, Field(min_length=3, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$")]
Password = Annotated[str, Field(min_length=8, max_length=256)]
# What email-validator refuses beyond JSON Schema's `email` format, stated where a pattern can: over
# 254 characters (RFC 5321's path less its brackets), and special-use domains (RFC 6761). The Rust
# regex pydantic checks patterns with has no lookahead, so email-validator checks this one.
_SPECIAL_USE_DOMAINS = "|".join(
    "".join(f"[{c}{c.upper()}]" for c in name)
    for name in ("test", "local", "localhost", "invalid", "onion", "arpa")
)
Email = Annotated[
    EmailStr,
    Field(
        max_length=254,
        description="An email address; special-use domains (.test, .local, .localhost, .invalid, .onion, "
        ".arpa) are refused.",
        json_schema_extra={"pattern": rf"^[^@]+@(?![^@]*\.(?:{_SPECIAL_USE_DOMAINS})$)[^@]+$"},
    ),
]
Intent = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=NO_CONTROL_CHARS,
        description='What the session is for, e.g. "deep focus: coding". Trimmed; no control characters.',
    ),
    AfterValidator(str.strip),
]
FeedbackNote = Annotated[
    str,
    Field(max_length=2000, pattern=NO_CONTROL_CHARS_BUT_LINES, description="Free text; may span lines."),
    AfterValidator(str.strip),
]
Bpm = Annotated[int, Field(ge=40, le=200), JsonNumber]
UserIdClaim = Annotated[
    int | None,
    Field(
        default=None,
        ge=1,
        description="Optional; the token decides who you are. If given it must be your own id (else 403).",
    ),
    JsonNumber,
]


class StrictModel(BaseModel):
    """Request bodies refuse unknown keys, so a typo is an error rather than silently ignored.

    Their numbers are JSON's (`JsonNumber`): "5" and true are not numbers, as the document says.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


# --- errors -----------------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    """Every failure but 422: what went wrong, in a sentence."""

    detail: str


class ValidationIssue(BaseModel):
    """One reason a request was refused. What was sent is not echoed back (passwords included)."""

    loc: list[str | int] = Field(description='Where: e.g. ["body", "intent"] or ["query", "limit"].')
    msg: str
    type: str = Field(description='A pydantic error type, e.g. "string_too_long", or "json_invalid".')


class ValidationFailed(BaseModel):
    """422: the request does not match the document (a schema, or a rule a description states)."""

    detail: list[ValidationIssue]


# --- auth -----------------------------------------------------------------------------------


class UserRegister(StrictModel):
    username: Username
    email: Email
    password: Password
    neurotype: Neurotype = Neurotype.neurotypical
    preferences: PreferencesIn = Field(default_factory=UserPreferences)


class UserLogin(StrictModel):
    email: Email
    password: Annotated[str, Field(min_length=1, max_length=256)]


class UserUpdate(StrictModel):
    """PATCH /auth/me: change neurotype and/or preferences (preferences replace as a whole)."""

    neurotype: Neurotype | None = None
    preferences: PreferencesIn | None = None


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
    duration_min: Annotated[DurationMin, JsonNumber] | None = Field(
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
    rating: Annotated[int, Field(ge=1, le=5), JsonNumber] | None = Field(
        default=None, description="1 (poor) to 5 (great)."
    )
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


class SessionChange(StrictModel):
    """PATCH /sessions/{id}: what a listener may change about a session of theirs."""

    favourite: Annotated[bool, Field(strict=True)] | None = None


class Replan(StrictModel):
    """The listener's correction of how the intent was read: plan for this family from now on."""

    family: FamilyName


class PlayAgain(StrictModel):
    replan: Annotated[bool, Field(strict=True)] = Field(
        default=True,
        description="Plan again with what your ratings taught since (true), or play exactly the same "
        "schedule (false).",
    )


class FamilyOption(BaseModel):
    family: FamilyName
    label: str
    beat_hz: tuple[float, float]
    bpm: tuple[int, int]


PresetName = Annotated[
    str, Field(min_length=1, max_length=100, pattern=NO_CONTROL_CHARS), AfterValidator(str.strip)
]


class PresetCreate(StrictModel):
    name: PresetName
    session_id: Annotated[int, JsonNumber] = Field(
        ge=1, le=2**31 - 1, description="One of your sessions, to keep as it is."
    )


class PresetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    intent: str
    duration_min: int
    chosen_family: FamilyName | None
    keeps_schedule: bool = Field(description="It can play exactly the schedule it was kept with.")
    created_at: datetime


class PresetStart(StrictModel):
    replan: Annotated[bool, Field(strict=True)] = Field(
        default=False,
        description="Plan again with what your ratings taught since, instead of the kept schedule.",
    )


# --- library --------------------------------------------------------------------------------

AudioFormat = Literal["wav", "flac", "mp3", "ogg", "opus"]
TrackOrder = Literal["filename", "-filename", "bpm", "-bpm", "duration", "-duration", "added", "-added"]
KeySignature = Annotated[
    str, Field(pattern=r"^[A-G]#? (major|minor)$", description='As the analyzer stores it, e.g. "A minor".')
]
LibraryBpm = Annotated[float, Field(ge=0, le=1000)]


class LibraryQuery(BaseModel):
    """GET /library's query: filters, ordering and the page."""

    # JSON Schema cannot compare two parameters, so the range rule is stated in words (422 otherwise).
    bpm_min: LibraryBpm | None = Field(default=None, description="At most bpm_max, when both are given.")
    bpm_max: LibraryBpm | None = Field(default=None, description="At least bpm_min, when both are given.")
    format: AudioFormat | None = None
    key: KeySignature | None = None
    q: Annotated[str, Field(max_length=255, pattern=NO_CONTROL_CHARS)] | None = Field(
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


# File names may begin or end with spaces, so unlike an intent nothing is trimmed.
LibraryPath = Annotated[str, Field(min_length=1, max_length=1024, pattern=NO_CONTROL_CHARS)]


class ScanRequest(StrictModel):
    directory_path: LibraryPath | None = Field(
        default=None, description="Relative to the first library root, or absolute inside a root."
    )
    wait_sec: Annotated[float, JsonNumber] = Field(
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


class ScanConflict(ErrorDetail):
    """409 from POST /library/scan: another folder's scan runs (workers sharing Redis scan one at a
    time), and that scan, when this worker can see it."""

    running: ScanJob | None


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
    redis: Literal["disabled", "ok", "error"] = Field(
        default="disabled",
        description="Redis, where several workers share live sessions, the login throttle and scans "
        "(disabled: one process, nothing shared); a PING with a short timeout, on every call.",
    )
    db_error: str | None = None
    llm_error: str | None = None
    redis_error: str | None = None


# --- render, import and export (routers/schedules.py) ----------------------------------------


class _JsonStep(ModulationStep):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)
    target_bpm: Annotated[int, Field(strict=False), JsonNumber] = Field(
        description=ModulationStep.model_fields["target_bpm"].description
    )


class _JsonSchedule(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)
    intent: str
    total_duration_sec: Annotated[int, Field(strict=False), JsonNumber]
    steps: list[_JsonStep]


def _json_schedule(value: Any) -> Any:
    """A schedule as a request body carries it: JSON's numbers and strings only (as _JsonPreferences)."""
    if not isinstance(value, dict):
        return value
    checked = _JsonSchedule.model_validate(value)
    return ModulationSchedule.model_validate(checked.model_dump())


def _safe_schedule(schedule: ModulationSchedule) -> ModulationSchedule:
    reasons = schedule_violations(schedule)
    if reasons:
        raise ValueError("unsafe schedule: " + "; ".join(reasons))
    return schedule


# Documented as ModulationSchedule; checked as JSON and then by the safety validator (422 with reasons).
ScheduleIn = Annotated[ModulationSchedule, BeforeValidator(_json_schedule), AfterValidator(_safe_schedule)]


class ImportedSchedule(BaseModel):
    """A schedule read from an SBaGen or Gnaural file; it passes the validator. Nothing is stored."""

    schedule: ModulationSchedule
    warnings: list[str] = Field(
        description="What NeuroTune plays differently from the file (the strongest of several tones, "
        "voices it has no equivalent for, ...), and every value clamped into the bounds."
    )
    source_format: Literal["sbg", "gnaural"]
