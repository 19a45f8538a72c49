"""The `neurotune` command: `serve` runs the app, `init-db` migrates and seeds the database, `scan DIR`
indexes a music folder, `openapi` prints the API's document (the web app's types are generated from it)."""

import argparse
import asyncio
import logging

from backend.config import Settings, get_settings


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


def _serve(settings: Settings, host: str, port: int, reload: bool) -> None:
    import uvicorn

    uvicorn.run(
        "backend.main:create_app",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        log_level=settings.log_level.lower(),
    )


def main(argv: list[str] | None = None) -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="neurotune", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the web app and API")
    serve.add_argument("--host", default=settings.host)
    serve.add_argument("--port", type=int, default=settings.port)
    serve.add_argument("--reload", action="store_true", help="restart on code changes (development)")
    commands.add_parser("init-db", help="migrate the database to the current schema and seed it")
    scan = commands.add_parser("scan", help="index a music folder inside a library root (incremental)")
    scan.add_argument("directory", help="the folder to scan, relative to the current directory")
    commands.add_parser("prepare-model", help="download, verify and convert the bundled model (once)")
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
    elif args.command == "prepare-model":
        _prepare_model(settings)
    elif args.command == "openapi":
        _openapi(settings, args.output)
    else:
        _serve(settings, args.host, args.port, args.reload)


if __name__ == "__main__":
    main()
