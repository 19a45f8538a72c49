"""The schedule engine: the local model writes a hold, the planner frames it, the validator gates it.

For every request the engine (1) asks the planner for the brief's `HoldBounds`, (2) renders the
request's prompt template, (3) decodes with a grammar built from those bounds, so the model can
only write on-band lines, (4) frames the lines into a whole schedule with the planner and (5)
passes it through `validator.ensure_safe`. Anything that goes wrong (model not loaded, deadline
passed, an answer that does not parse or is off-band, a schedule the validator refuses) ends in
the planner's schedule, with the reason logged and counted.

The engine reads no database: the request carries the brief, the template and the listener's
history, gathered by the caller. Turns on the model come from `ModelQueue` (one decode at a
time, callers before background refinements, users in turn). Results are cached by everything
that shapes the prompt, since decoding is greedy.
"""

import asyncio
import logging
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

from backend.llm_engine.decoder import DecodeCancelled
from backend.llm_engine.hold_format import (
    HoldParseError,
    format_segment,
    lark_grammar,
    parse_hold,
)
from backend.llm_engine.model_host import ModelHost
from backend.llm_engine.model_queue import Lane, ModelBusy, ModelQueue, Turn, retrieve_outcome
from backend.llm_engine.prompts import DEFAULT_TEMPLATE, SYSTEM_MESSAGE, render_prompt
from backend.models.schemas import GenerationTiming
from backend.schedules.hold import HoldBounds, HoldSegment
from backend.schedules.limits import INTENT_MAX_CHARS
from backend.schedules.plan import hold_bounds, plan_schedule
from backend.schedules.refiner import (
    PromptTemplate,
    Refinement,
    RefinementRequest,
    RefinerDeclined,
    ScheduleRequest,
)
from backend.schedules.schedule import ModulationSchedule, ModulationStep
from backend.schedules.validator import ScheduleRejected, ensure_safe

logger = logging.getLogger(__name__)

Source = Literal["model", "planner"]

_MAX_NEW_TOKENS = 200
"""Five lines are ~125 tokens; the grammar ends sooner, this only bounds an unconstrained model."""


@dataclass(frozen=True)
class GeneratedSchedule:
    schedule: ModulationSchedule
    source: Source
    timing: GenerationTiming
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


class _Fallback(Exception):
    """Internal: why the planner's schedule stands. The message is the logged, counted reason."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


class ScheduleEngine:
    """Writes schedules with the local model; one implementation of the refiner port."""

    def __init__(
        self,
        client: ModelHost,
        queue: ModelQueue,
        *,
        deadline_sec: float,
        cache_size: int,
        constrained: bool = True,
    ) -> None:
        self.client = client
        self.queue = queue
        self.deadline_sec = deadline_sec
        """How long decoding may take: from arrival for a waiting caller, from its turn for a
        background refinement (which may wait for its turn as long as the modulation loop lets it)."""
        self.cache_size = cache_size
        self.constrained = constrained
        """False only to measure (or test) what the model writes without its grammar."""
        self.outcomes: Counter[str] = Counter()
        self._cache: OrderedDict[tuple[Any, ...], GeneratedSchedule] = OrderedDict()

    @property
    def ready(self) -> bool:
        return self.client.model is not None

    async def generate(self, request: ScheduleRequest, *, user_id: int | None = None) -> GeneratedSchedule:
        """The whole schedule (model-written when the model manages, else the planner's)."""
        async for event in self.stream(request, user_id=user_id):
            if isinstance(event, GeneratedSchedule):
                return event
        raise AssertionError("stream ended without a schedule")  # pragma: no cover - stream always ends so

    async def stream(
        self, request: ScheduleRequest, *, user_id: int | None = None, lane: Lane = "interactive"
    ) -> AsyncIterator[Progress | GeneratedSchedule]:
        """`Progress` as steps become final, then the whole schedule (which is authoritative).

        The arrival step needs no model and comes at once; each line the model finishes adds
        the steps it settles and a draft of the whole schedule. If the model then fails, the
        final schedule is the planner's and differs from what was sent: consumers replace what
        they had with it. `user_id` and `lane` place the request in the model's queue.
        Raises `ModelBusy` (before yielding anything) when the queue has no room for it.
        """
        started = time.perf_counter()
        template = request.template or DEFAULT_TEMPLATE
        key = _cache_key(request, template)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            self.outcomes["cached"] += 1
            yield Progress(cached.schedule.steps)
            yield GeneratedSchedule(
                cached.schedule,
                "model",
                GenerationTiming(total_sec=time.perf_counter() - started, cached=True),
                template,
            )
            return
        if self.client.model is None:
            yield self._planner_result(
                request,
                template,
                started,
                _Fallback("model_" + self.client.status, self.client.error or "not loaded"),
            )
            return
        run = _Decoding(self, request, template, started, lane)
        try:
            run.queue_for_turn(user_id)
        except ModelBusy:
            self.outcomes["busy"] += 1
            raise
        try:
            first_step_sec = time.perf_counter() - started
            yield Progress([plan_schedule(request.brief).steps[0]])
            try:
                async for progress in run.progress():
                    yield progress
                result = run.result(first_step_sec)
            except _Fallback as fallback:
                yield self._planner_result(request, template, started, fallback, queue_sec=run.queue_sec)
                return
        finally:
            run.give_up_turn()
        self._remember(key, result)
        yield result

    async def refine(self, refinement: RefinementRequest) -> AsyncIterator[Refinement]:
        """The modulation loop's refiner: a draft per line the model writes, then the final one.

        Waits in the model's background lane (after every waiting caller). If the model fails
        after drafts went out, the session's planned schedule is restored; if it fails before,
        `RefinerDeclined` says why.
        """
        request = refinement.request
        template = request.template or DEFAULT_TEMPLATE
        drafted = False
        async for event in self.stream(request, user_id=refinement.user_id, lane="background"):
            if isinstance(event, Progress):
                if event.draft is not None:
                    drafted = True
                    yield Refinement(event.draft, template.id, template.version)
            elif event.source == "model":
                yield Refinement(event.schedule, template.id, template.version)
            elif drafted:
                yield Refinement(refinement.planned)
            else:
                raise RefinerDeclined(event.fallback_reason or "the planner's schedule stands")

    def _planner_result(
        self,
        request: ScheduleRequest,
        template: PromptTemplate,
        started: float,
        fallback: _Fallback,
        queue_sec: float = 0.0,
    ) -> GeneratedSchedule:
        self.outcomes["fallback_" + fallback.kind] += 1
        logger.info("planner's schedule stands for %r: %s", request.brief.intent[:40], fallback)
        return GeneratedSchedule(
            schedule=ensure_safe(plan_schedule(request.brief)),
            source="planner",
            timing=GenerationTiming(
                total_sec=time.perf_counter() - started, queue_sec=queue_sec, first_step_sec=0.0
            ),
            template=template,
            fallback_reason=str(fallback),
        )

    def _remember(self, key: tuple[Any, ...], result: GeneratedSchedule) -> None:
        self.outcomes["model"] += 1
        if self.cache_size:
            self._cache[key] = result
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)


class _Decoding:
    """One request's time with the model: decode on the model's thread, turn lines into steps."""

    def __init__(
        self,
        engine: ScheduleEngine,
        request: ScheduleRequest,
        template: PromptTemplate,
        started: float,
        lane: Lane,
    ) -> None:
        self._engine = engine
        self._request = request
        self._template = template
        self._bounds = hold_bounds(request.brief)
        self._started = started
        self._lane = lane
        # A waiting caller's deadline runs from arrival; a background one's from its turn.
        self._deadline = started + engine.deadline_sec
        self._stop = threading.Event()
        self._turn: Turn | None = None
        self._user_id: int | None = None
        self._segments: list[HoldSegment] = []
        self._sent: list[ModulationStep] = []
        self._first_model_step_sec: float | None = None
        self._text = ""
        self._timing = GenerationTiming(total_sec=0.0)
        self.queue_sec = 0.0

    def queue_for_turn(self, user_id: int | None) -> None:
        """Take a place in the model's queue now; raises `ModelBusy` if there is none."""
        self._user_id = user_id
        self._turn = self._engine.queue.reserve(user_id=user_id, lane=self._lane)

    def give_up_turn(self) -> None:
        """Leave the queue if the turn never ran (the consumer stopped early)."""
        if self._turn is not None:
            self._turn.cancel()

    async def progress(self) -> AsyncIterator[Progress]:
        turn = self._turn
        model = self._engine.client.model
        if turn is None or model is None:
            self.give_up_turn()
            raise _Fallback("model_unloaded", "the model went away")
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[list[HoldSegment] | None] = asyncio.Queue()

        def on_text(text: str) -> None:
            try:
                segments = parse_hold(text, self._bounds, complete_only=True)
            except HoldParseError:
                return  # the final parse reports it
            if len(segments) > len(self._segments):
                loop.call_soon_threadsafe(lines.put_nowait, segments)

        def model_took_it() -> None:
            turn_started = time.perf_counter()
            self.queue_sec = turn_started - self._started
            if self._lane == "background":
                self._deadline = turn_started + self._engine.deadline_sec

        def decode() -> None:
            try:
                result = model.write(
                    SYSTEM_MESSAGE,
                    _render(self._request, self._template, self._bounds),
                    lark_grammar(self._bounds) if self._engine.constrained else None,
                    max_new_tokens=_MAX_NEW_TOKENS,
                    fill=self._bounds,
                    on_start=model_took_it,
                    on_text=on_text,
                    should_stop=lambda: self._stop.is_set() or time.perf_counter() >= self._deadline,
                    user_id=self._user_id,
                    lane=self._lane,
                )
                self._text, self._timing = result.text, result.timing
            finally:
                loop.call_soon_threadsafe(lines.put_nowait, None)

        wait_sec = max(0.0, self._deadline - time.perf_counter()) if self._lane == "interactive" else None
        worker = asyncio.ensure_future(turn.run(decode, wait_sec=wait_sec))
        worker.add_done_callback(retrieve_outcome)  # read even if this consumer goes away first
        try:
            while (segments := await _next_lines(lines, worker)) is not None:
                if not all(self._bounds.admits(segment) for segment in segments):
                    continue  # only possible unconstrained; the final check refuses it
                self._segments = segments
                yield self._settle()
            await worker
        except TimeoutError:
            raise _Fallback("deadline", "passed while queued") from None
        except DecodeCancelled:
            raise _Fallback(
                "deadline", f"no complete answer within {self._engine.deadline_sec:g} s"
            ) from None
        except Exception as error:
            logger.exception("model decoding failed")
            raise _Fallback("decode_error", f"{type(error).__name__}: {error}") from None
        finally:
            self._stop.set()  # a consumer that went away stops the thread at the next token
            worker.cancel()  # leaves the queue if still waiting; a running decode finishes alone
        if self._timing.generated_tokens == 0 and not self._text:
            raise _Fallback("empty", "the model wrote nothing")

    def _settle(self) -> Progress:
        """The draft for the lines so far, and its steps that later lines cannot change
        (everything before the return)."""
        if self._first_model_step_sec is None:
            self._first_model_step_sec = time.perf_counter() - self._started
        draft = ensure_safe(plan_schedule(self._request.brief, hold=self._segments))
        settled = [step for step in draft.steps if step.timestamp_sec < self._bounds.hold_end_sec]
        # Step 0 (the arrival) went out before decoding began.
        new = settled[max(len(self._sent), 1) :]
        self._sent = settled
        return Progress(new, draft)

    def result(self, first_step_sec: float) -> GeneratedSchedule:
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
            schedule = ensure_safe(plan_schedule(self._request.brief, hold=segments))
        except ScheduleRejected as rejected:
            raise _Fallback("rejected", "; ".join(rejected.reasons)) from None
        if self._sent and schedule.steps[: len(self._sent)] != self._sent:
            logger.warning("streamed steps differ from the final schedule; the final one stands")
        return GeneratedSchedule(
            schedule=schedule,
            source="model",
            timing=self._timing.model_copy(
                update={
                    "total_sec": time.perf_counter() - self._started,
                    "queue_sec": self.queue_sec,
                    "first_step_sec": first_step_sec,
                    "first_model_step_sec": self._first_model_step_sec,
                }
            ),
            template=self._template,
            raw_text=self._text,
        )


async def _next_lines(
    lines: "asyncio.Queue[list[HoldSegment] | None]", worker: "asyncio.Future[None]"
) -> list[HoldSegment] | None:
    """The next lines the decoder finished; None when it is done. A turn that never came (the
    queue's wait ran out) ends the wait with the worker's error."""
    getter = asyncio.ensure_future(lines.get())
    either: set[asyncio.Future[Any]] = {getter, worker}
    try:
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not getter.done():
            getter.cancel()  # also when this consumer is itself cancelled while waiting
    if getter.done() and not getter.cancelled():
        return getter.result()
    worker.result()  # raises what the turn raised (e.g. TimeoutError while queued)
    return await lines.get()  # the decoder finished: its lines, then None, are already queued


def _render(request: ScheduleRequest, template: PromptTemplate, bounds: HoldBounds) -> str:
    brief = request.brief
    prefs = brief.preferences
    history = "\n".join(format_segment(segment) for segment in request.history if bounds.admits(segment))
    return render_prompt(
        template.text,
        {
            # The API allows 100 characters; longer text (e.g. from a script) is cut, not prompted.
            "intent": " ".join(brief.intent[:INTENT_MAX_CHARS].split()),
            "duration_min": f"{brief.duration_min:g}",
            "current_bpm": f"{brief.current_bpm} bpm" if brief.current_bpm is not None else "none",
            "neurotype": brief.neurotype.value,
            "preferences": f"layer {prefs.preferred_layer}, noise {prefs.noise}",
            "history": history or "(none yet)",
            "beat_range": f"{bounds.beat_hz[0]:g} and {bounds.beat_hz[1]:g}",
            "bpm_range": f"{bounds.bpm[0]}-{bounds.bpm[1]}",
            "layers": ", ".join(bounds.layers),
            "hold_min": bounds.hold_min,
            "max_segments": bounds.max_segments,
        },
    )


def _cache_key(request: ScheduleRequest, template: PromptTemplate) -> tuple[Any, ...]:
    brief = request.brief
    return (
        template.id,
        template.version,
        template.text,
        " ".join(brief.intent.lower().split()),
        brief.duration_min,
        brief.neurotype,
        brief.current_bpm,
        brief.preferences.preferred_layer,
        brief.preferences.noise,
        request.history,
    )
