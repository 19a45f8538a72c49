import time
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.security.signed_urls import sign_stream_url, verify_stream_signature

SECRET = "s" * 48
NOW = 1_700_000_000.0
TTL_SEC = 300


def signed(track_id: int = 7, secret: str = SECRET, now: float = NOW) -> tuple[str, str]:
    """The (exp, sig) query values of a freshly signed URL."""
    query = parse_qs(urlsplit(sign_stream_url(track_id, secret, TTL_SEC, now=now)).query, strict_parsing=True)
    return query["exp"][0], query["sig"][0]


def test_url_shape() -> None:
    url = urlsplit(sign_stream_url(7, SECRET, TTL_SEC, now=NOW))
    query = parse_qs(url.query)
    assert url.path == "/library/7/stream"
    assert sorted(query) == ["exp", "sig"]
    assert query["exp"] == [str(int(NOW) + TTL_SEC)]
    assert len(query["sig"][0]) == 32
    assert int(query["sig"][0], 16) >= 0


def test_round_trip_until_expiry() -> None:
    exp, sig = signed()
    assert verify_stream_signature(7, exp, sig, SECRET, now=NOW)
    assert verify_stream_signature(7, exp, sig, SECRET, now=NOW + TTL_SEC - 1)
    assert not verify_stream_signature(7, exp, sig, SECRET, now=NOW + TTL_SEC)
    assert not verify_stream_signature(7, exp, sig, SECRET, now=NOW + 10 * TTL_SEC)


def test_round_trip_with_the_real_clock() -> None:
    url = sign_stream_url(3, SECRET, TTL_SEC)
    query = parse_qs(urlsplit(url).query)
    assert int(query["exp"][0]) >= int(time.time()) + TTL_SEC - 1
    assert verify_stream_signature(3, query["exp"][0], query["sig"][0], SECRET)


def test_signature_is_bound_to_track_secret_and_expiry() -> None:
    exp, sig = signed(track_id=7)
    assert not verify_stream_signature(8, exp, sig, SECRET, now=NOW)
    assert not verify_stream_signature(7, exp, sig, "other-secret" * 4, now=NOW)
    assert not verify_stream_signature(7, str(int(exp) + 3600), sig, SECRET, now=NOW)
    other_exp, other_sig = signed(track_id=8)
    assert not verify_stream_signature(7, other_exp, other_sig, SECRET, now=NOW)


def test_tampered_signature_is_refused() -> None:
    exp, sig = signed()
    for position in (0, 15, 31):
        flipped = "0" if sig[position] != "0" else "1"
        tampered = sig[:position] + flipped + sig[position + 1 :]
        assert not verify_stream_signature(7, exp, tampered, SECRET, now=NOW)


@pytest.mark.parametrize(("exp", "sig"), [(None, None), (None, "ab" * 16), ("1700000300", None)])
def test_missing_values_are_refused(exp: str | None, sig: str | None) -> None:
    assert not verify_stream_signature(7, exp, sig, SECRET, now=NOW)


@pytest.mark.parametrize(
    "exp",
    [
        "",
        "abc",
        "-1700000300",
        "+1700000300",
        " 1700000300",
        "1700000300 ",
        "1_700_000_300",
        "1.7e9",
        "0x6553f1ec",
        "1700000300.0",
        "\u00b2\u00b3",  # superscript digits: str.isdigit() says yes
        "\uff11\uff17\uff10\uff10",  # fullwidth digits: int() would accept them
        "\u0661\u0667",  # Arabic-Indic digits
        "0",
        "9" * 13,  # absurdly far in the future
        "9" * 100_000,  # a hostile megabyte of digits must not cost int() time
    ],
)
def test_malformed_or_absurd_expiry_is_refused(exp: str) -> None:
    _, sig = signed()
    assert not verify_stream_signature(7, exp, sig, SECRET, now=NOW)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda sig: "",
        lambda sig: sig[:-1],
        lambda sig: sig + "0",
        lambda sig: sig.upper(),
        lambda sig: "z" * 32,
        lambda sig: "\u00e9" * 32,  # non-ASCII: compare_digest would raise on it
        lambda sig: "\u0660" * 32,
        lambda sig: sig * 100_000,
    ],
)
def test_malformed_signature_is_refused(mangle) -> None:
    exp, sig = signed()
    assert not verify_stream_signature(7, exp, mangle(sig), SECRET, now=NOW)


@pytest.mark.parametrize("ttl_sec", [0, -1])
def test_non_positive_ttl_is_a_caller_error(ttl_sec: int) -> None:
    with pytest.raises(ValueError, match="ttl_sec"):
        sign_stream_url(1, SECRET, ttl_sec, now=NOW)


@given(track_id=st.integers(min_value=1, max_value=2**63), ttl_sec=st.integers(min_value=1, max_value=10**9))
def test_every_signed_url_verifies(track_id: int, ttl_sec: int) -> None:
    query = parse_qs(urlsplit(sign_stream_url(track_id, SECRET, ttl_sec, now=NOW)).query)
    assert verify_stream_signature(track_id, query["exp"][0], query["sig"][0], SECRET, now=NOW)


@given(
    track_id=st.integers(),
    exp=st.one_of(st.none(), st.text(), st.integers().map(str)),
    sig=st.one_of(st.none(), st.text(), st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)),
    secret=st.text(),
)
def test_arbitrary_input_never_raises_and_never_verifies(
    track_id: int, exp: str | None, sig: str | None, secret: str
) -> None:
    assert verify_stream_signature(track_id, exp, sig, secret, now=NOW) is False
