"""One person, one identity, on SQLite and MariaDB alike (the columns compare byte for byte)."""

import httpx
import pytest

from backend.models.identity import canonical_email, canonical_username
from backend.tests.factories import PASSWORD


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("Jose@Example.COM", "jose@example.com"),
        ("ｊｏｓｅ@example.com", "jose@example.com"),  # noqa: RUF001 - full-width letters, on purpose
        ("STRASSE@example.com", "strasse@example.com"),
        ("straße@example.com", "strasse@example.com"),
        ("josé@example.com", "josé@example.com"),  # accents are significant
        ("jose\u0301@example.com", "josé@example.com"),  # NFKC composes the combining accent
    ],
)
def test_canonical_email(given: str, canonical: str) -> None:
    assert canonical_email(given) == canonical


def test_canonical_username_folds_case() -> None:
    assert canonical_username("Bob.Smith") == canonical_username("bob.smith") == "bob.smith"


async def _register(client: httpx.AsyncClient, username: str, email: str) -> httpx.Response:
    return await client.post(
        "/auth/register", json={"username": username, "email": email, "password": PASSWORD}
    )


async def _login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/auth/login", json={"email": email, "password": password})


async def test_accented_and_plain_addresses_are_different_people(client: httpx.AsyncClient) -> None:
    assert (await _register(client, "jose", "jose@example.com")).status_code == 201
    assert (await _register(client, "jose2", "josé@example.com")).status_code == 201
    plain = (await _login(client, "JOSE@example.com")).json()["token"]
    accented = (await _login(client, "JOSÉ@example.com")).json()["token"]
    me = [
        (await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})).json()["username"]
        for token in (plain, accented)
    ]
    assert me == ["jose", "jose2"]
    assert (await _login(client, "jöse@example.com")).status_code == 401  # no such person


async def test_case_and_width_variants_are_the_same_person(client: httpx.AsyncClient) -> None:
    assert (await _register(client, "Bob", "bob@example.com")).status_code == 201
    for username, email in (
        ("bob", "other@example.com"),
        ("BOB", "x@example.com"),
        ("new", "BOB@Example.com"),
    ):
        assert (await _register(client, username, email)).status_code == 409, (username, email)
    fullwidth = "ｂｏｂ@example.com"  # noqa: RUF001 - full-width letters, on purpose
    assert (await _register(client, "fresh", fullwidth)).status_code in (409, 422)
    assert (await _login(client, "Bob@EXAMPLE.com")).status_code == 200


async def test_no_spelling_of_an_address_gets_fresh_login_attempts(client: httpx.AsyncClient) -> None:
    assert (await _register(client, "victim", "jose@example.com")).status_code == 201
    spellings = ["jose@example.com", "JOSE@example.com", "Jose@Example.Com", "ｊｏｓｅ@example.com"]  # noqa: RUF001
    answers = [(await _login(client, spelling, "wrong password")).status_code for spelling in spellings * 2]
    assert answers[:5] == [401] * 5  # NEUROTUNE_LOGIN_MAX_FAILURES for the one identity
    assert set(answers[5:]) == {429}
    assert (await _login(client, "JOSE@EXAMPLE.COM")).status_code == 429  # even with the right one
    # Other people's addresses, accents included, are theirs: their own count.
    assert (await _register(client, "someone", "josé@example.com")).status_code == 201
    assert (await _login(client, "josé@example.com")).status_code == 200
