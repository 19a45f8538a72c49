import pytest

from backend.security.tokens import InvalidToken, issue_token, user_id_from_token

SECRET = "s" * 48


def test_round_trip() -> None:
    issued = issue_token(42, SECRET, lifetime_min=5)
    assert issued.expires_in == 300
    assert user_id_from_token(issued.token, SECRET) == 42


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", issue_token(1, "other" * 10, 5).token])
def test_bad_tokens_raise(token: str) -> None:
    with pytest.raises(InvalidToken):
        user_id_from_token(token, SECRET)


def test_tampered_payload_is_refused() -> None:
    header, _payload, signature = issue_token(1, SECRET, 5).token.split(".")
    forged_payload = issue_token(2, SECRET, 5).token.split(".")[1]
    with pytest.raises(InvalidToken):
        user_id_from_token(f"{header}.{forged_payload}.{signature}", SECRET)
