"""The API document tells the truth: Schemathesis sends generated requests to the real app and checks
every answer against the document, with all of its checks.

What runs: every operation in the OpenAPI document (GET and HEAD /library/{id}/stream included),
against the app as `neurotune serve` builds it (ASGI, in process) with a real SQLite file, a library
root holding four real tracks that were scanned, and a registered user whose token Schemathesis sends
as the documented Bearer scheme (and leaves out, or spoils, to check that 401 is answered). The
examples, coverage and fuzzing phases run for each operation with every check on
(`not_a_server_error`, the status, content-type, header and schema conformance checks, positive and
negative data acceptance, missing headers, ignored auth, unsupported methods, `Allow`), derandomized
and bounded (`MAX_EXAMPLES` per operation for fuzzing; a few hundred requests in all).

What it cannot test, and why:
- /ws/session/{id} is a WebSocket, which OpenAPI does not describe (tests/live covers it).
- POST /library/scan starts real work: it runs here against the small scanned root, so a scan that
  is started answers within its wait_sec (an unchanged folder is skipped file by file).
- The model's own answers: the app runs with NEUROTUNE_LLM_MODEL=none, so POST /llm/generate-schedule
  answers with the planner's schedule (its 503 "queue full" needs a busy model: tests/llm_engine).
- 503 for a database that is down, 413 and 431 come from middleware and outages, not from generated
  requests; tests/routers/test_malformed_input.py and tests/faults test them.

What Schemathesis is told here beyond the document: before each request, the rule the document
states in words, `bpm_min <= bpm_max` (JSON Schema cannot compare two parameters, so an inverted pair
is put in order: a request the document calls valid then is), and which ids exist (drawn ids rarely
do, so an even drawn track or session id is mapped onto a real one; odd ones stay, for the 404); and
that a valid conditional request for a file may be answered 412 or 416, as the document says.

The tests after it check what the document's description promises and Schemathesis cannot send:
OPTIONS and 405 answer with `Allow`, CORS preflights still get CORS answers, and unpaired surrogates
are refused wherever text is taken.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.python import asgi

from backend.config import Settings
from backend.main import create_app
from backend.security.tokens import issue_token
from backend.tests.factories import PASSWORD, UserFactory
from backend.tests.music import write_music

MAX_EXAMPLES = 12
_SECRET = "test-secret-key-that-is-long-enough-for-hs256-0123456789"
# The first user of a fresh database is user 1: the fixture registers them and checks that it is.
_TOKEN = issue_token(1, _SECRET, 60).token


def _settings(directory: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{directory / 'neurotune.db'}",
        data_dir=directory / "data",
        web_dir=directory / "web",
        llm_model="none",
        secret_key=_SECRET,
        library_roots=[directory / "library"],
        scan_workers=1,
        scan_file_timeout_sec=60,
        _env_file=None,
    )


class _KnownIds:
    tracks: tuple[int, ...] = ()
    sessions: tuple[int, ...] = ()


# The app under test. Building it (and its document) touches nothing on disk: it starts, migrates
# and reads its library only when the fixture below first calls it, after making its folder.
_DIRECTORY = Path(tempfile.gettempdir()) / f"neurotune-conformance-{os.getpid()}"
_APP = create_app(_settings(_DIRECTORY))
# A file's valid conditional requests (If-Match, Range past the end) may be answered 412 and 416, as
# the document says; of a valid request Schemathesis otherwise expects no 4xx but 401/403/404/409/429.
_FILE_ANSWERS = ["2xx", "3xx", "401", "403", "404", "409", "412", "416", "429", "5xx"]
# A schedule must also pass the safety validator (steps in order from 0, glides within the rate
# limits, ...), and an imported file must hold a session: rules the document states in words, which
# JSON Schema cannot; a schema-valid body that breaks them is answered 422 with the reasons.
_VALIDATED_ANSWERS = ["2xx", "401", "403", "404", "409", "422", "429", "5xx"]
schema = schemathesis.openapi.from_dict(
    _APP.openapi(),
    config=schemathesis.Config.from_dict(
        {
            "auth": {"openapi": {"HTTPBearer": {"bearer": _TOKEN}}},
            "operations": [
                {
                    "include-path": "/library/{track_id}/stream",
                    "checks": {"positive_data_acceptance": {"expected-statuses": _FILE_ANSWERS}},
                },
                # A render is real work: WAV, the fastest format (the encoders are tested in
                # tests/routers/test_schedules.py), of the fixture's 5-minute sessions.
                {
                    "include-path": "/schedules/render",
                    "checks": {"positive_data_acceptance": {"expected-statuses": _VALIDATED_ANSWERS}},
                    "parameters": {"query.format": "wav"},
                },
                {"include-path": "/sessions/{session_id}/render", "parameters": {"query.format": "wav"}},
                *(
                    {
                        "include-path": path,
                        "checks": {"positive_data_acceptance": {"expected-statuses": _VALIDATED_ANSWERS}},
                    }
                    for path in ("/schedules/start", "/schedules/import")
                ),
            ],
        }
    ),
)
schema.app = _APP  # requests, and the checks' own probes, go to the app in process (ASGI)


def _bpm_range_holds(query: dict[str, Any] | None) -> None:
    if query is None or "bpm_min" not in query or "bpm_max" not in query:
        return
    try:  # drawn as numbers, or in the coverage phase as the text they are sent as
        low, high = float(query["bpm_min"]), float(query["bpm_max"])
    except (TypeError, ValueError):
        return
    if low > high:
        query["bpm_min"], query["bpm_max"] = query["bpm_max"], query["bpm_min"]


def _existing_ids(path: dict[str, Any] | None) -> None:
    for name, known in (("track_id", _KnownIds.tracks), ("session_id", _KnownIds.sessions)):
        drawn = (path or {}).get(name)
        if path is not None and isinstance(drawn, int) and drawn > 0 and drawn % 2 == 0:
            path[name] = known[(drawn // 2) % len(known)]


@pytest.fixture(scope="module")
def running_app() -> Iterator[None]:
    """The app with a user, four scanned tracks and two sessions. Schemathesis' ASGI client runs it
    (and its lifespan) on an event loop thread of its own."""
    shutil.rmtree(_DIRECTORY, ignore_errors=True)
    (_DIRECTORY / "library").mkdir(parents=True)
    write_music(_DIRECTORY / "library")
    # Schemathesis types an ASGI scope as a dict, Starlette as a MutableMapping; the app is the same.
    with asgi.get_client(_APP) as client:  # type: ignore[arg-type]
        registered = client.post(
            "/auth/register",
            json={"username": "conformance", "email": "conformance@example.org", "password": PASSWORD},
        )
        assert registered.status_code == 201, registered.text
        assert registered.json()["user_id"] == 1
        bearer = {"Authorization": f"Bearer {_TOKEN}"}
        scanned = client.post("/library/scan", json={"wait_sec": 30}, headers=bearer)
        assert scanned.status_code == 200, scanned.text
        tracks = client.get("/library", headers=bearer).json()
        starts = [
            client.post("/sessions/start", json={"intent": i, "duration_min": 5}, headers=bearer)
            for i in ("focus", "sleep")
        ]
    _KnownIds.tracks = tuple(track["id"] for track in tracks)
    _KnownIds.sessions = tuple(start.json()["session_id"] for start in starts)
    assert len(_KnownIds.tracks) == 4
    assert len(_KnownIds.sessions) == 2
    try:
        yield
    finally:
        asgi.shutdown_lifespans()
        shutil.rmtree(_DIRECTORY, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
@pytest.mark.usefixtures("running_app")
def test_every_answer_is_the_documented_one(case: schemathesis.Case[Any]) -> None:
    # In every phase (hooks reach only some), so each request is one the document calls what it is.
    _bpm_range_holds(case.query)
    _existing_ids(case.path_parameters)
    case.call_and_validate()


# --- what the document's description promises, which Schemathesis cannot send --------------------


async def test_options_answers_allow_and_so_does_every_405(client: httpx.AsyncClient) -> None:
    for path, allow in (
        ("/auth/me", "GET, OPTIONS, PATCH"),
        ("/sessions/start", "OPTIONS, POST"),
        ("/sessions/7", "GET, OPTIONS, PATCH"),
        ("/library/7/stream", "GET, HEAD, OPTIONS"),
    ):
        options = await client.options(path)
        assert (options.status_code, options.headers.get("allow"), options.content) == (204, allow, b"")
        refused = await client.delete(path)
        assert (refused.status_code, refused.headers.get("allow")) == (405, allow), path
        assert refused.json() == {"detail": "Method Not Allowed"}
    assert (await client.options("/no/such/path")).status_code == 404


async def test_cors_preflights_are_still_cors_answers(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"cors_origins": ["http://localhost:3000"]}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            preflight = await http.options(
                "/auth/me",
                headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "PATCH"},
            )
            plain = await http.options("/auth/me")
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "PATCH" in preflight.headers["access-control-allow-methods"]
    assert (plain.status_code, plain.headers["allow"]) == (204, "GET, OPTIONS, PATCH")


async def test_unpaired_surrogates_are_refused_wherever_text_is_taken(
    client: httpx.AsyncClient, users: UserFactory
) -> None:
    user = await users.create()
    session_id = await users.start_session(user)
    lone = "\\ud800"  # as JSON spells it; json.dumps would write the same escape
    for method, path, body in (
        (
            "POST",
            "/auth/register",
            f'{{"username": "a{lone}b", "email": "s@example.org", "password": "12345678"}}',
        ),
        (
            "POST",
            "/auth/register",
            f'{{"username": "abc", "email": "s@example.org", "password": "1234567{lone}"}}',
        ),
        ("POST", "/auth/login", f'{{"email": "s{lone}@example.org", "password": "12345678"}}'),
        ("POST", "/sessions/start", f'{{"intent": "focus {lone}"}}'),
        ("POST", "/llm/generate-schedule", f'{{"intent": "{lone}"}}'),
        ("PATCH", "/auth/me", f'{{"neurotype": "adhd{lone}"}}'),
        ("PATCH", f"/sessions/{session_id}/end", f'{{"feedback_note": "calm {lone}"}}'),
        ("POST", "/library/scan", f'{{"directory_path": "jazz{lone}", "wait_sec": 0}}'),
    ):
        headers = {**user.headers, "Content-Type": "application/json"}
        response = await client.request(method, path, content=body.encode(), headers=headers)
        assert response.status_code == 422, (path, body, response.text)
