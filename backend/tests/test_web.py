"""The web app is served on the API's port without shadowing the API."""

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from backend.config import Settings
from backend.main import create_app

HTML = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture
def web_dir(settings: Settings) -> Path:
    root = settings.web_dir
    (root / "login").mkdir(parents=True)
    (root / "_next" / "static").mkdir(parents=True)
    (root / "index.html").write_text("<html>home</html>")
    (root / "login" / "index.html").write_text("<html>login</html>")
    (root / "404.html").write_text("<html>not here</html>")
    (root / "_next" / "static" / "app-1234.js").write_text("console.log(1)")
    return root


@pytest.fixture
async def web_client(settings: Settings, web_dir: Path):
    application: FastAPI = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def test_root_is_the_app_for_browsers_and_json_for_api_clients(web_client: httpx.AsyncClient) -> None:
    page = await web_client.get("/", headers=HTML)
    assert page.status_code == 200
    assert "home" in page.text
    api = await web_client.get("/")
    assert api.json()["status"] == "ok"


async def test_pages_assets_and_api_share_the_port(web_client: httpx.AsyncClient) -> None:
    assert "login" in (await web_client.get("/login/", headers=HTML)).text
    asset = await web_client.get("/_next/static/app-1234.js")
    assert asset.status_code == 200
    assert "immutable" in asset.headers["cache-control"]
    assert (await web_client.get("/health")).json()["api"] == "ok"
    assert (await web_client.post("/auth/login", json={})).status_code == 422


async def test_unknown_paths_are_json_404_for_api_clients_and_a_page_for_browsers(
    web_client: httpx.AsyncClient,
) -> None:
    api = await web_client.get("/no/such/thing")
    assert api.status_code == 404
    assert api.json()["detail"]
    page = await web_client.get("/no/such/thing", headers=HTML)
    assert page.status_code == 404
    assert "not here" in page.text
    escape = await web_client.get("/../../etc/passwd", headers=HTML)
    assert escape.status_code == 404


async def test_without_a_built_app_the_api_still_runs(client: httpx.AsyncClient) -> None:
    assert (await client.get("/", headers=HTML)).json()["status"] == "ok"
