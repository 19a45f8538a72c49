"""Oversized request headers are refused with 431 and a JSON reason, on the real server too."""

import httpx

from backend.tests.live_server import LiveServer


async def test_a_request_with_headers_over_the_limit_gets_431(client: httpx.AsyncClient) -> None:
    answer = await client.get("/health", headers={"X-Padding": "x" * 20_000})
    assert answer.status_code == 431
    assert "headers too large" in answer.json()["detail"]
    assert (await client.get("/health", headers={"X-Padding": "x" * 1_000})).status_code == 200


async def test_a_long_url_counts_too(client: httpx.AsyncClient) -> None:
    answer = await client.get("/library", params={"q": "x" * 20_000})
    assert answer.status_code == 431


async def test_an_8_mib_header_is_refused_by_the_running_server(live_server: LiveServer) -> None:
    answer = await live_server.http.get("/health", headers={"X-Padding": "x" * (8 * 1024 * 1024)})
    assert answer.status_code in (400, 431)  # the HTTP parser or the app: refused either way
    assert (await live_server.http.get("/health")).status_code == 200
