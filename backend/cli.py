"""The `neurotune` command: `serve` runs the app (`--workers N` on Redis), `model-worker` serves the
model to them, `init-db` migrates and seeds the database, `scan DIR` indexes a music folder, `render`
writes a schedule or a session as an audio file, and `openapi` prints the API's document (the web
app's types are generated from it)."""

import argparse
import asyncio
import logging
from typing import TYPE_CHECKING

from backend.config import Settings, get_settings

if TYPE_CHECKING:
    from backend.schedules.listener import UserPreferences
    from backend.schedules.schedule import ModulationSchedule


def _init_db(settings: Settings) -> None:
    from backend.db.database import create_engine
    from backend.services.bootstrap import prepare_database

    async def run() -> int:
        engine = create_engine(settings.resolved_database_url)
        try:
            return await prepare_database(engine)
        finally:
            await engine.dispose()

    added = asyncio.run(run())
    print(f"database ready at {settings.resolved_database_url}; {added} prompt template(s) added")


def _prepare_model(settings: Settings) -> None:
    from backend.llm_engine.model_store import prepare_bundled_model

    print(f"bundled model ready in {prepare_bundled_model(settings.models_dir)}")


def _openapi(settings: Settings, output: str | None) -> None:
    import json

    from backend.main import create_app

    document = json.dumps(create_app(settings).openapi(), indent=2, sort_keys=True) + "\n"
    if output is None:
        print(document, end="")
    else:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(document)


def _render(settings: Settings, schedule_file: str | None, session_id: int | None, output: str) -> int:
    """`neurotune render`: a schedule file, or a stored session with its listener's preferences."""
    import sys
    from pathlib import Path

    from pydantic import ValidationError

    from backend.audio_render.render_cli import render_to_file
    from backend.audio_render.synth import RenderSettings
    from backend.schedules.listener import UserPreferences
    from backend.schedules.schedule import ModulationSchedule
    from backend.schedules.validator import ScheduleRejected

    if session_id is not None:
        found = asyncio.run(_stored_session(settings, session_id))
        if found is None:
            print(f"no session {session_id}", file=sys.stderr)
            return 1
        schedule, preferences = found
    else:
        assert schedule_file is not None
        try:
            schedule = ModulationSchedule.model_validate_json(Path(schedule_file).read_bytes())
        except (OSError, ValidationError) as error:
            print(f"{schedule_file}: {error}", file=sys.stderr)
            return 1
        preferences = UserPreferences()
    try:
        print(render_to_file(schedule, RenderSettings.for_listener(preferences), Path(output)))
    except (ScheduleRejected, ValueError, OSError) as error:
        print(str(error), file=sys.stderr)
        return 1
    return 0


async def _stored_session(
    settings: Settings, session_id: int
) -> "tuple[ModulationSchedule, UserPreferences] | None":
    from backend.db.database import create_engine, create_session_factory
    from backend.models.orm import ListeningSession, User
    from backend.schedules.listener import UserPreferences
    from backend.schedules.schedule import ModulationSchedule

    engine = create_engine(settings.resolved_database_url)
    try:
        async with create_session_factory(engine)() as db:
            session = await db.get(ListeningSession, session_id)
            if session is None:
                return None
            user = await db.get(User, session.user_id)
            preferences = UserPreferences.model_validate((user.preferences if user else None) or {})
            return ModulationSchedule.model_validate(session.schedule), preferences
    finally:
        await engine.dispose()


def _serve(settings: Settings, host: str, port: int, reload: bool, workers: int) -> None:
    """One process (the embedded default), or `workers` sharing Redis; then one model worker for
    them all, unless NEUROTUNE_MODEL_WORKER says one runs elsewhere."""
    import os
    import subprocess
    import sys

    import uvicorn

    model_worker = None
    if workers > 1:
        if settings.redis_url is None:
            raise SystemExit(
                "--workers needs NEUROTUNE_REDIS_URL: workers share live sessions, the login throttle and "
                "scans through Redis (README: Several workers and hosts)"
            )
        _init_db(settings)  # once, before the workers start (each would otherwise migrate at once)
        settings.token_secret()  # likewise the signing key, if it is to be generated
        if not settings.model_worker and settings.llm_model != "none":
            print(f"starting one model worker for the {workers} web workers")
            os.environ["NEUROTUNE_MODEL_WORKER"] = "true"  # inherited by the web workers
            model_worker = subprocess.Popen([sys.executable, "-m", "backend.cli", "model-worker"])
    try:
        uvicorn.run(
            "backend.main:create_app",
            factory=True,
            host=host,
            port=port,
            reload=reload,
            workers=workers if workers > 1 else None,
            log_level=settings.log_level.lower(),
        )
    finally:
        if model_worker is not None:
            model_worker.terminate()
            model_worker.wait(30)


def _model_worker(settings: Settings) -> None:
    from backend.llm_engine.model_worker import serve_model_worker

    try:
        asyncio.run(serve_model_worker(settings))
    except ValueError as error:
        raise SystemExit(str(error)) from None


def main(argv: list[str] | None = None) -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="neurotune", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the web app and API")
    serve.add_argument("--host", default=settings.host)
    serve.add_argument("--port", type=int, default=settings.port)
    serve.add_argument("--reload", action="store_true", help="restart on code changes (development)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="web worker processes (more than 1 needs NEUROTUNE_REDIS_URL; one model worker serves them)",
    )
    commands.add_parser(
        "model-worker", help="serve the model to every web worker sharing NEUROTUNE_REDIS_URL (one per host)"
    )
    commands.add_parser("init-db", help="migrate the database to the current schema and seed it")
    scan = commands.add_parser("scan", help="index a music folder inside a library root (incremental)")
    scan.add_argument("directory", help="the folder to scan, relative to the current directory")
    commands.add_parser("prepare-model", help="download, verify and convert the bundled model (once)")
    render = commands.add_parser(
        "render", help="render a schedule (JSON) or a stored session to an audio file"
    )
    source = render.add_mutually_exclusive_group(required=True)
    source.add_argument("schedule", nargs="?", help="a ModulationSchedule as JSON")
    source.add_argument("--session", type=int, help="a stored session's id (with its listener's preferences)")
    render.add_argument(
        "-o", "--output", required=True, help="the file to write: .wav, .flac, .ogg/.opus, .mp3"
    )
    openapi = commands.add_parser("openapi", help="print the API's OpenAPI document (JSON)")
    openapi.add_argument("-o", "--output", help="write it to this file instead")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "init-db":
        _init_db(settings)
    elif args.command == "scan":
        from backend.library.scan_cli import scan_command

        raise SystemExit(scan_command(settings, args.directory))
    elif args.command == "render":
        raise SystemExit(_render(settings, args.schedule, args.session, args.output))
    elif args.command == "prepare-model":
        _prepare_model(settings)
    elif args.command == "openapi":
        _openapi(settings, args.output)
    elif args.command == "model-worker":
        _model_worker(settings)
    else:
        if args.workers < 1:
            parser.error("--workers must be at least 1")
        _serve(settings, args.host, args.port, args.reload, args.workers)


if __name__ == "__main__":
    main()
