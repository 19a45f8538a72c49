import httpx
import pytest
from fastapi import FastAPI

from backend import __version__


async def test_root_reports_version(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}


async def test_health_runs_a_real_query(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["api"] == "ok"
    assert body["db"] == "ok"
    assert body["llm"] == "disabled"  # the shared settings switch the model off


async def test_health_reports_a_dead_database_as_503(app: FastAPI, client: httpx.AsyncClient) -> None:
    await app.state.neurotune.engine.dispose()
    # Point the engine at a server that does not exist: the health check must say so, not crash.
    from backend.db.database import create_engine

    dead = create_engine("mysql+asyncmy://nobody@127.0.0.1:1/none")
    app.state.neurotune.engine = dead
    try:
        response = await client.get("/health")
    finally:
        await dead.dispose()
    assert response.status_code == 503
    assert response.json()["db"] == "error"
    assert response.json()["db_error"]


@pytest.mark.parametrize("path", ["/docs", "/openapi.json"])
async def test_api_docs_are_served(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
