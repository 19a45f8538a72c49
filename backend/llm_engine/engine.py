"""The schedule engine: the local model writes a hold, the planner frames it, the validator gates it.

For every request the engine (1) asks the planner for the intent's `HoldBounds`, (2) renders
the active prompt template, (3) decodes with a grammar built from those bounds, so the model
can only write on-band lines, (4) frames the lines into a whole schedule with the planner and
(5) passes it through `validator.ensure_safe`. Anything that goes wrong (model not loaded,
queue full, deadline passed, an answer that does not parse or is off-band, a schedule the
validator refuses) ends in the planner's schedule, with the reason logged and counted.

One model serves one request at a time; waiting requests queue in arrival order (asyncio's
lock is FIFO), and beyond `queue_max` of them `EngineBusy` tells the caller to retry later.
Results are cached by everything that shapes the prompt, since decoding is greedy.
"""

import asyncio
import logging
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.queries import UserQueries
from backend.insights import best_rated_history, learned_offsets
from backend.live.modulation_loop import Refinement, RefinementRequest, RefinerDeclined
from backend.llm_engine.client import DecodeCancelled, DecodeStats, ModelClient
from backend.llm_engine.hold_format import HoldParseError, format_segment, lark_grammar, parse_hold
from backend.llm_engine.planner import HoldBounds, HoldSegment, PlannerOffsets, hold_bounds, plan_schedule
from backend.llm_engine.prompts import DEFAULT_PROMPTS, SYSTEM_MESSAGE, active_template, render_prompt
from backend.llm_engine.safety_limits import INTENT_MAX_CHARS
from backend.llm_engine.validator import ScheduleRejected, ensure_safe
from backend.models.enums import Neurotype
from backend.models.orm import User
from backend.models.schedule import ModulationSchedule, ModulationStep
from backend.models.schemas import UserPreferences

logger = logging.getLogger(__name__)

Source = Literal["model", "planner"]

_MAX_NEW_TOKENS = 200
"""Five lines are ~125 tokens; the grammar ends sooner, this only bounds an unconstrained model."""


@dataclass(frozen=True)
class PromptTemplate:
    """The template a schedule was written with (stored with the session for later comparison)."""

    id: int | None
    version: int
    text: str


DEFAULT_TEMPLATE = PromptTemplate(
    id=None, version=DEFAULT_PROMPTS[0].version, text=DEFAULT_PROMPTS[0].template
)


@dataclass(frozen=True)
class ScheduleRequest:
    intent: str
    duration_min: float
    neurotype: Neurotype = Neurotype.neurotypical
    preferences: UserPreferences = field(default_factory=UserPreferences)
    current_bpm: int | None = None
    history: tuple[HoldSegment, ...] = ()
    """Hold levels of the listener's best-rated sessions for this kind of intent."""
    template: PromptTemplate = DEFAULT_TEMPLATE
    offsets: PlannerOffsets | None = None
    """What the listener's ratings taught (insights); shapes the planner's schedule if it stands."""


@dataclass(frozen=True)
class Timing:
    total_sec: float
    queue_sec: float = 0.0
    first_step_sec: float | None = None
    """When the first step was known (the arrival needs no model)."""
    first_model_step_sec: float | None = None
    """When the first step the model wrote was known."""
    prompt_tokens: int = 0
    reused_prompt_tokens: int = 0
    generated_tokens: int = 0
    forced_tokens: int = 0
    forward_passes: int = 0
    cached: bool = False


@dataclass(frozen=True)
class GeneratedSchedule:
    schedule: ModulationSchedule
    source: Source
    timing: Timing
    template: PromptTemplate
    fallback_reason: str | None = None
    raw_text: str | None = None


@dataclass(frozen=True)
class Progress:
    """Steps that just became final, and the whole schedule as the lines so far make it.

    `draft` is None for the arrival (no line written yet); otherwise it is a complete, framed
    schedule, safe to play while the model writes on.
    """

    steps: list[ModulationStep]
    draft: ModulationSchedule | None = None


class EngineBusy(Exception):
    """Too many requests are waiting for the model; retry after `retry_after_sec`."""

    def __init__(self, retry_after_sec: int) -> None:
        super().__init__(f"the model is busy; retry in {retry_after_sec} s")
        self.retry_after_sec = retry_after_sec


class _Fallback(Exception):
    """Internal: why the planner's schedule stands. The message is the logged, counted reason."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


class ScheduleEngine:
    def __init__(
        self,
        client: ModelClient,
        *,
        deadline_sec: float,
        queue_max: int,
        cache_size: int,
        session_factory: async_sessionmaker[AsyncSession] | None = None,
        constrained: bool = True,
    ) -> None:
        self.client = client
        self.deadline_sec = deadline_sec
        self.queue_max = queue_max
        self.cache_size = cache_size
        self.constrained = constrained
        """False only to measure (or test) what the model writes without its grammar."""
        self.outcomes: Counter[str] = Counter()
        self._session_factory = session_factory
        self._lock = asyncio.Lock()
        self._waiting = 0
        self._cache: OrderedDict[tuple[Any, ...], GeneratedSchedule] = OrderedDict()
        self._recent_sec: list[float] = []

    async def generate(self, request: ScheduleRequest) -> GeneratedSchedule:
        """The whole schedule (model-written when the model manages, else the planner's)."""
        async for event in self.stream(request):
            if isinstance(event, GeneratedSchedule):
                return event
        raise AssertionError("stream ended without a schedule")  # pragma: no cover - stream always ends so

    async def stream(self, request: ScheduleRequest) -> AsyncIterator[Progress | GeneratedSchedule]:
        """`Progress` as steps become final, then the whole schedule (which is authoritative).

        The arrival step needs no model and comes at once; each line the model finishes adds
        the steps it settles and a draft of the whole schedule. If the model then fails, the
        final schedule is the planner's and differs from what was sent: consumers replace what
        they had with it.
        Raises `EngineBusy` (before yielding anything) when the queue is full.
        """
        started = time.perf_counter()
        bounds = _bounds(request)
        key = _cache_key(request)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            self.outcomes["cached"] += 1
            yield Progress(cached.schedule.steps)
            yield GeneratedSchedule(
                cached.schedule,
                "model",
                Timing(total_sec=time.perf_counter() - started, cached=True),
                cached.template,
            )
            return
        if self.client.model is None:
            yield self._planner_result(
                request, started, _Fallback("model_" + self.client.status, self.client.error or "not loaded")
            )
            return
        if self._waiting >= self.queue_max:
            self.outcomes["busy"] += 1
            raise EngineBusy(self._retry_after_sec())

        planned = _plan(request, None)
        first_step_sec = time.perf_counter() - started
        yield Progress([planned.steps[0]])
        self._waiting += 1
        try:
            await self._lock.acquire()
        finally:
            self._waiting -= 1
        try:
            queue_sec = time.perf_counter() - started
            run = _Decoding(self, request, bounds, started)
            try:
                async for progress in run.progress():
                    yield progress
                result = run.result(queue_sec, first_step_sec)
            except _Fallback as fallback:
                yield self._planner_result(request, started, fallback, queue_sec=queue_sec)
                return
        finally:
            self._lock.release()
        self._remember(key, result)
        yield result

    async def refine(self, request: RefinementRequest) -> AsyncIterator[Refinement]:
        """The modulation loop's refiner: a draft per line the model writes, then the final one.

        If the model fails after drafts went out, the session's planned schedule is restored;
        if it fails before, `RefinerDeclined` says why.
        """
        template, history = await self._context(request.user_id, request.intent)
        schedule_request = ScheduleRequest(
            intent=request.intent,
            duration_min=request.planned.total_duration_sec / 60,
            neurotype=request.neurotype,
            preferences=request.preferences,
            current_bpm=request.current_bpm,
            history=history,
            template=template,
        )
        drafted = False
        async for event in self.stream(schedule_request):
            if isinstance(event, Progress):
                if event.draft is not None:
                    drafted = True
                    yield Refinement(event.draft, template.id, template.version)
            elif event.source == "model":
                yield Refinement(event.schedule, template.id, template.version)
            elif drafted:
                yield Refinement(request.planned)
            else:
                raise RefinerDeclined(event.fallback_reason or "the planner's schedule stands")

    async def _context(self, user_id: int, intent: str) -> tuple[PromptTemplate, tuple[HoldSegment, ...]]:
        if self._session_factory is None:
            return DEFAULT_TEMPLATE, ()
        async with self._session_factory() as db:
            user = await UserQueries(db).by_id(user_id)
            if user is None:
                return DEFAULT_TEMPLATE, ()
            return await load_context(db, user, intent)

    def _planner_result(
        self, request: ScheduleRequest, started: float, fallback: _Fallback, queue_sec: float = 0.0
    ) -> GeneratedSchedule:
        self.outcomes["fallback_" + fallback.kind] += 1
        logger.info("planner's schedule stands for %r: %s", request.intent[:40], fallback)
        return GeneratedSchedule(
            schedule=ensure_safe(_plan(request, None)),
            source="planner",
            timing=Timing(total_sec=time.perf_counter() - started, queue_sec=queue_sec, first_step_sec=0.0),
            template=request.template,
            fallback_reason=str(fallback),
        )

    def _remember(self, key: tuple[Any, ...], result: GeneratedSchedule) -> None:
        self.outcomes["model"] += 1
        self._recent_sec = [*self._recent_sec[-19:], result.timing.total_sec - result.timing.queue_sec]
        if self.cache_size:
            self._cache[key] = result
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def _retry_after_sec(self) -> int:
        typical = (
            sorted(self._recent_sec)[len(self._recent_sec) // 2] if self._recent_sec else self.deadline_sec
        )
        return max(1, round(typical * self._waiting))


class _Decoding:
    """One request's time with the model: decode in a thread, turn finished lines into steps."""

    def __init__(
        self, engine: ScheduleEngine, request: ScheduleRequest, bounds: HoldBounds, started: float
    ) -> None:
        self._engine = engine
        self._request = request
        self._bounds = bounds
        self._started = started
        self._deadline = started + engine.deadline_sec
        self._stop = threading.Event()
        self._segments: list[HoldSegment] = []
        self._sent: list[ModulationStep] = []
        self._first_model_step_sec: float | None = None
        self._text = ""
        self._stats = DecodeStats()

    async def progress(self) -> AsyncIterator[Progress]:
        model = self._engine.client.model
        if model is None:
            raise _Fallback("model_unloaded", "the model went away")
        if time.perf_counter() >= self._deadline:
            raise _Fallback("deadline", "passed while queued")
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[list[HoldSegment] | None] = asyncio.Queue()

        def on_text(text: str) -> bool:
            try:
                segments = parse_hold(text, self._bounds, complete_only=True)
            except HoldParseError:
                return False  # the final parse reports it
            if len(segments) > len(self._segments):
                loop.call_soon_threadsafe(lines.put_nowait, segments)
            # Lines past the hold's end would be dropped: stop writing once it is filled.
            return sum(segment.minutes for segment in segments) >= self._bounds.hold_min

        def decode() -> None:
            try:
                prompt = model.chat_prompt(SYSTEM_MESSAGE, _render(self._request, self._bounds))
                grammar = (
                    model.compile_grammar(lark_grammar(self._bounds)) if self._engine.constrained else None
                )
                result = model.decode(
                    prompt,
                    grammar,
                    max_new_tokens=_MAX_NEW_TOKENS,
                    on_text=on_text,
                    should_stop=lambda: self._stop.is_set() or time.perf_counter() >= self._deadline,
                )
                self._text, self._stats = result.text, result.stats
            finally:
                loop.call_soon_threadsafe(lines.put_nowait, None)

        worker = asyncio.ensure_future(asyncio.to_thread(decode))
        try:
            while (segments := await lines.get()) is not None:
                if not all(self._bounds.admits(segment) for segment in segments):
                    continue  # only possible unconstrained; the final check refuses it
                self._segments = segments
                yield self._settle()
            await worker
        except DecodeCancelled:
            raise _Fallback(
                "deadline", f"no complete answer within {self._engine.deadline_sec:g} s"
            ) from None
        except _Fallback:
            raise
        except Exception as error:
            logger.exception("model decoding failed")
            raise _Fallback("decode_error", f"{type(error).__name__}: {error}") from None
        finally:
            self._stop.set()  # a consumer that went away stops the thread at the next token
        if self._stats.generated_tokens == 0 and not self._text:
            raise _Fallback("empty", "the model wrote nothing")

    def _settle(self) -> Progress:
        """The draft for the lines so far, and its steps that later lines cannot change
        (everything before the return)."""
        if self._first_model_step_sec is None:
            self._first_model_step_sec = time.perf_counter() - self._started
        draft = ensure_safe(_plan(self._request, self._segments))
        settled = [step for step in draft.steps if step.timestamp_sec < self._bounds.hold_end_sec]
        # Step 0 (the arrival) went out before decoding began.
        new = settled[max(len(self._sent), 1) :]
        self._sent = settled
        return Progress(new, draft)

    def result(self, queue_sec: float, first_step_sec: float) -> GeneratedSchedule:
        try:
            segments = parse_hold(self._text, self._bounds)
        except HoldParseError as error:
            raise _Fallback("unparsable", str(error)) from None
        outside = [format_segment(segment) for segment in segments if not self._bounds.admits(segment)]
        if outside:
            raise _Fallback(
                "off_band", f"{len(outside)} line(s) outside the intent's band, e.g. {outside[0]!r}"
            )
        try:
            schedule = ensure_safe(_plan(self._request, segments))
        except ScheduleRejected as rejected:
            raise _Fallback("rejected", "; ".join(rejected.reasons)) from None
        if self._sent and schedule.steps[: len(self._sent)] != self._sent:
            logger.warning("streamed steps differ from the final schedule; the final one stands")
        stats = self._stats
        return GeneratedSchedule(
            schedule=schedule,
            source="model",
            timing=Timing(
                total_sec=time.perf_counter() - self._started,
                queue_sec=queue_sec,
                first_step_sec=first_step_sec,
                first_model_step_sec=self._first_model_step_sec,
                prompt_tokens=stats.prompt_tokens,
                reused_prompt_tokens=stats.reused_prompt_tokens,
                generated_tokens=stats.generated_tokens,
                forced_tokens=stats.forced_tokens,
                forward_passes=stats.forward_passes,
            ),
            template=self._request.template,
            raw_text=self._text,
        )


async def request_for(
    db: AsyncSession, user: User, intent: str, duration_min: float | None, current_bpm: int | None
) -> ScheduleRequest:
    """A request as `user` would make it: their neurotype, preferences, best-rated holds, template."""
    preferences = UserPreferences.model_validate(user.preferences or {})
    template, history = await load_context(db, user, intent)
    offsets = await learned_offsets(db, user, intent)
    return ScheduleRequest(
        intent=intent,
        duration_min=duration_min or preferences.default_duration_min,
        neurotype=user.neurotype,
        preferences=preferences,
        current_bpm=current_bpm,
        history=history,
        template=template,
        offsets=offsets,
    )


async def load_context(
    db: AsyncSession, user: User, intent: str
) -> tuple[PromptTemplate, tuple[HoldSegment, ...]]:
    """The active template and the listener's best-rated holds for `intent`'s kind of session."""
    row = await active_template(db)
    template = DEFAULT_TEMPLATE if row is None else PromptTemplate(row.id, row.version, row.template)
    history = tuple(_history_segment(item) for item in await best_rated_history(db, user, intent))
    return template, tuple(segment for segment in history if segment is not None)


def _history_segment(item: dict[str, Any]) -> HoldSegment | None:
    layer = item.get("layer")
    if layer not in ("binaural", "isochronic", "ambient"):
        return None
    return HoldSegment(
        beat_hz=float(item["hold_beat_hz"]), bpm=int(item["hold_bpm"]), layer=layer, minutes=10
    )


def _bounds(request: ScheduleRequest) -> HoldBounds:
    return hold_bounds(
        request.intent, request.duration_min, request.neurotype, request.preferences, request.current_bpm
    )


def _plan(request: ScheduleRequest, hold: Sequence[HoldSegment] | None) -> ModulationSchedule:
    return plan_schedule(
        request.intent,
        duration_min=request.duration_min,
        neurotype=request.neurotype,
        preferences=request.preferences,
        current_bpm=request.current_bpm,
        offsets=request.offsets,
        hold=hold,
    )


def _render(request: ScheduleRequest, bounds: HoldBounds) -> str:
    prefs = request.preferences
    history = "\n".join(f"{format_segment(segment)}" for segment in request.history if bounds.admits(segment))
    return render_prompt(
        request.template.text,
        {
            # The API allows 100 characters; longer text (e.g. from a script) is cut, not prompted.
            "intent": " ".join(request.intent[:INTENT_MAX_CHARS].split()),
            "duration_min": f"{request.duration_min:g}",
            "current_bpm": f"{request.current_bpm} bpm" if request.current_bpm is not None else "none",
            "neurotype": request.neurotype.value,
            "preferences": f"layer {prefs.preferred_layer}, noise {prefs.noise}",
            "history": history or "(none yet)",
            "beat_range": f"{bounds.beat_hz[0]:g} and {bounds.beat_hz[1]:g}",
            "bpm_range": f"{bounds.bpm[0]}-{bounds.bpm[1]}",
            "layers": ", ".join(bounds.layers),
            "hold_min": bounds.hold_min,
            "max_segments": bounds.max_segments,
        },
    )


def _cache_key(request: ScheduleRequest) -> tuple[Any, ...]:
    return (
        request.template.id,
        request.template.version,
        request.template.text,
        " ".join(request.intent.lower().split()),
        request.duration_min,
        request.neurotype,
        request.current_bpm,
        request.preferences.preferred_layer,
        request.preferences.noise,
        request.history,
    )
