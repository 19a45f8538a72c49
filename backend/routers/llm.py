"""POST /llm/generate-schedule: the model engine over HTTP.

JSON by default; with `Accept: application/x-ndjson` each step is sent as a line
`{"step": ...}` as soon as it is final, then `{"schedule": ...}`, which is authoritative.
When the model's queue has no room for the caller, 503 with Retry-After.
"""

from collections.abc import AsyncIterator

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response, StreamingResponse

from backend.llm_engine.engine import GeneratedSchedule, Progress
from backend.llm_engine.model_queue import ModelBusy
from backend.models.schemas import IntentRequest, PromptRef, ScheduleGenerated
from backend.routers.deps import CurrentUser, DbSession, StateDep, ensure_self
from backend.routers.responses import USER_ID_NOT_YOURS, answers, streamed
from backend.services.planning import write_schedule

router = APIRouter(tags=["llm"])

_NDJSON = "application/x-ndjson"
_NDJSON_LINES = (
    'The schedule; asked for NDJSON, a line `{"step": ...}` per step as soon as it is final, then '
    '`{"schedule": ...}` (a ScheduleGenerated), which is authoritative.'
)


@router.post(
    "/llm/generate-schedule",
    response_model=ScheduleGenerated,
    responses={
        **answers(
            401,
            403,
            422,
            503,
            notes={
                403: USER_ID_NOT_YOURS,
                503: "The database is unavailable, or the model's queue has no room for you; "
                "retry after Retry-After seconds.",
            },
        ),
        **streamed(_NDJSON, _NDJSON_LINES),
    },
)
async def generate_schedule(
    body: IntentRequest, request: Request, user: CurrentUser, db: DbSession, state: StateDep
) -> Response:
    """A schedule for the intent, written by the local model when it can, else by the planner."""
    ensure_self(body.user_id, user)
    events = await write_schedule(db, user, body, state.schedules)
    try:
        first = await anext(events)
    except ModelBusy as busy:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, str(busy), headers={"Retry-After": str(busy.retry_after_sec)}
        ) from None
    if _NDJSON in request.headers.get("accept", ""):
        return StreamingResponse(_ndjson(first, events), media_type=_NDJSON)
    result = first
    while not isinstance(result, GeneratedSchedule):
        result = await anext(events)
    return Response(_generated(result).model_dump_json(), media_type="application/json")


async def _ndjson(
    first: Progress | GeneratedSchedule, rest: AsyncIterator[Progress | GeneratedSchedule]
) -> AsyncIterator[str]:
    event = first
    while True:
        if isinstance(event, GeneratedSchedule):
            yield '{"schedule":' + _generated(event).model_dump_json() + "}\n"
            return
        for step in event.steps:
            yield '{"step":' + step.model_dump_json() + "}\n"
        event = await anext(rest)


def _generated(result: GeneratedSchedule) -> ScheduleGenerated:
    return ScheduleGenerated(
        **result.schedule.model_dump(),
        source=result.source,
        fallback_reason=result.fallback_reason,
        prompt=PromptRef(id=result.template.id, version=result.template.version),
        timing=result.timing,
    )
