import os
import random
import re
import threading
import time
from collections.abc import AsyncIterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message

from backend.library.range_stream import FileGone, FileTruncated, file_response

MEDIA_TYPE = "audio/mpeg"
SIZE = 10_000
# Well in the past, so Last-Modified is a strong validator (If-Range may use it).
MTIME = 1_700_000_000
LAST_MODIFIED = formatdate(MTIME, usegmt=True)
EARLIER = formatdate(MTIME - 60, usegmt=True)
LATER = formatdate(MTIME + 60, usegmt=True)


def random_bytes(size: int) -> bytes:
    return random.Random(size).randbytes(size)


def write_track(path: Path, data: bytes, mtime: int = MTIME) -> Path:
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


def make_app(path: Path, chunk_size: int = 64 * 1024) -> Starlette:
    async def serve(request: Request) -> Response:
        try:
            return file_response(request, path, MEDIA_TYPE, chunk_size=chunk_size)
        except FileGone as gone:
            return JSONResponse({"detail": str(gone)}, status_code=404)

    return Starlette(routes=[Route("/f", serve, methods=["GET", "HEAD"])])


def client_for(path: Path, chunk_size: int = 64 * 1024) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=make_app(path, chunk_size)), base_url="http://t"
    )


def request_for(method: str = "GET", headers: list[tuple[str, str]] | None = None) -> Request:
    """A request for calling file_response directly, without an app."""
    raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers or []]
    return Request({"type": "http", "method": method, "path": "/f", "headers": raw, "query_string": b""})


async def send(response: Response) -> list[Message]:
    """Every ASGI message the response sends."""
    messages: list[Message] = []

    async def receive() -> Message:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def collect(message: Message) -> None:
        messages.append(message)

    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
    }
    await response(scope, receive, collect)
    return messages


def body_of(messages: list[Message]) -> bytes:
    return b"".join(m["body"] for m in messages if m["type"] == "http.response.body")


@pytest.fixture
def data() -> bytes:
    return random_bytes(SIZE)


@pytest.fixture
def track(tmp_path: Path, data: bytes) -> Path:
    return write_track(tmp_path / "track.mp3", data)


@pytest.fixture
async def client(track: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(track) as client:
        yield client


async def etag_of(client: httpx.AsyncClient) -> str:
    return (await client.head("/f")).headers["etag"]


def assert_full(response: httpx.Response, data: bytes) -> None:
    assert response.status_code == 200
    assert "content-range" not in response.headers
    assert response.headers["content-length"] == str(len(data))
    assert response.content == data


def assert_partial(response: httpx.Response, data: bytes, start: int, stop: int) -> None:
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes {start}-{stop - 1}/{len(data)}"
    assert response.headers["content-length"] == str(stop - start)
    assert response.headers["content-type"] == MEDIA_TYPE
    assert response.content == data[start:stop]


def assert_unsatisfiable(response: httpx.Response, size: int) -> None:
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{size}"
    assert "detail" in response.json()


async def test_whole_file_with_validators(client: httpx.AsyncClient, data: bytes) -> None:
    response = await client.get("/f")
    assert_full(response, data)
    assert response.headers["content-type"] == MEDIA_TYPE
    assert response.headers["accept-ranges"] == "bytes"
    assert re.fullmatch(r'"[^"]+"', response.headers["etag"])
    assert response.headers["last-modified"] == LAST_MODIFIED
    assert response.headers["cache-control"].startswith("private")


@pytest.mark.parametrize(
    ("range_value", "start", "stop"),
    [
        ("bytes=0-99", 0, 100),
        ("bytes=5-5", 5, 6),
        ("bytes=100-", 100, SIZE),
        ("bytes=-500", SIZE - 500, SIZE),
        ("bytes=-20000", 0, SIZE),  # suffix longer than the file: all of it
        ("bytes=9990-20000", 9990, SIZE),  # end past EOF is clamped
        ("bytes=0-99999999999999999999999999999999", 0, SIZE),
        ("bytes=-99999999999999999999999999999999", 0, SIZE),
        ("bytes=0000000000000000000000000000000007-9", 7, 10),  # leading zeros are still small numbers
        ("bytes=0-99,", 0, 100),  # empty list elements mean nothing
        ("Bytes=0-99", 0, 100),  # the unit is case-insensitive
        ("bytes=9999-", 9999, SIZE),
    ],
)
async def test_single_range(
    client: httpx.AsyncClient, data: bytes, range_value: str, start: int, stop: int
) -> None:
    assert_partial(await client.get("/f", headers={"range": range_value}), data, start, stop)


@pytest.mark.parametrize(
    "range_value",
    ["bytes=10000-", "bytes=10000-20000", "bytes=99999999999999999999999999-", "bytes=-0", "bytes=-000"],
)
async def test_unsatisfiable_range(client: httpx.AsyncClient, range_value: str) -> None:
    assert_unsatisfiable(await client.get("/f", headers={"range": range_value}), SIZE)


@pytest.mark.parametrize("range_value", ["bytes=0-", "bytes=0-0", "bytes=-1", "bytes=-0"])
async def test_zero_byte_file_satisfies_no_range(tmp_path: Path, range_value: str) -> None:
    async with client_for(write_track(tmp_path / "empty.mp3", b"")) as client:
        assert_unsatisfiable(await client.get("/f", headers={"range": range_value}), 0)
        assert_full(await client.get("/f"), b"")


@pytest.mark.parametrize(
    "range_value",
    [
        "items=0-99",
        "bytes",
        "bytes=",
        "bytes=abc",
        "bytes=5-1",  # first > last
        "bytes=--5",
        "bytes=1-2-3",
        "bytes=+1-5",
        "bytes=1_0-20",
        "bytes=0x10-20",
        "bytes=\u00b2-5",  # a superscript two: str.isdigit() would accept it
        "bytes=-",
        "bytes=,",
        "bytes=0-1,5-6",  # several ranges: served whole, see _parse_range
        "bytes=0-1,0-1",
        "bytes=" + ",".join(f"{i}-{i}" for i in range(2000)),
        "bytes=10000-,20000-",  # several unsatisfiable ranges are ignored too
    ],
)
async def test_malformed_or_multiple_ranges_get_the_whole_file(
    client: httpx.AsyncClient, data: bytes, range_value: str
) -> None:
    assert_full(await client.get("/f", headers={b"range": range_value.encode("latin-1")}), data)


async def test_a_range_sent_twice_is_ignored(client: httpx.AsyncClient, data: bytes) -> None:
    response = await client.get("/f", headers=[("range", "bytes=0-1"), ("range", "bytes=2-3")])
    assert_full(response, data)


async def test_if_none_match(client: httpx.AsyncClient, data: bytes) -> None:
    etag = await etag_of(client)
    for value in [etag, "*", f'"other", {etag}', f"W/{etag}", f'"a,b", W/{etag}']:
        response = await client.get("/f", headers={"if-none-match": value, "range": "bytes=0-9"})
        assert response.status_code == 304, value
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert response.headers["last-modified"] == LAST_MODIFIED
        assert "content-length" not in response.headers
    assert_full(await client.get("/f", headers={"if-none-match": '"other"'}), data)
    # Several header lines form one list.
    response = await client.get("/f", headers=[("if-none-match", '"other"'), ("if-none-match", etag)])
    assert response.status_code == 304


async def test_if_modified_since(client: httpx.AsyncClient, data: bytes) -> None:
    for value in [LAST_MODIFIED, LATER, "Sunday, 14-Nov-23 22:14:20 GMT", "Tue Nov 14 22:14:20 2023"]:
        assert (await client.get("/f", headers={"if-modified-since": value})).status_code == 304, value
    for value in [EARLIER, "yesterday", "", "Sun, 06 Nov 99999 08:49:37 GMT"]:
        assert_full(await client.get("/f", headers={"if-modified-since": value}), data)
    # If-None-Match takes precedence: it names another version, so the date is not consulted.
    response = await client.get("/f", headers={"if-none-match": '"other"', "if-modified-since": LATER})
    assert_full(response, data)


async def test_if_range(client: httpx.AsyncClient, data: bytes) -> None:
    etag = await etag_of(client)
    for validator in [etag, LAST_MODIFIED]:
        response = await client.get("/f", headers={"range": "bytes=10-19", "if-range": validator})
        assert_partial(response, data, 10, 20)
    for validator in ['"other"', f"W/{etag}", EARLIER, LATER, "garbage"]:
        response = await client.get("/f", headers={"range": "bytes=10-19", "if-range": validator})
        assert_full(response, data)
    # A stale validator sends the whole file even when the range could not be satisfied.
    assert_full(await client.get("/f", headers={"range": "bytes=99999-", "if-range": '"other"'}), data)
    assert_unsatisfiable(await client.get("/f", headers={"range": "bytes=99999-", "if-range": etag}), SIZE)


async def test_if_range_date_is_not_used_while_it_is_weak(tmp_path: Path) -> None:
    # Last-Modified is only strong once its second is over (RFC 9110 §8.8.2.2); a file stamped
    # in the future stays within that window for the whole test.
    data = random_bytes(100)
    async with client_for(write_track(tmp_path / "fresh.mp3", data, mtime=int(time.time()) + 60)) as client:
        last_modified = (await client.head("/f")).headers["last-modified"]
        response = await client.get("/f", headers={"range": "bytes=0-9", "if-range": last_modified})
        assert_full(response, data)


async def test_if_match_and_if_unmodified_since(client: httpx.AsyncClient, data: bytes) -> None:
    etag = await etag_of(client)
    for headers in [
        {"if-match": '"other"'},
        {"if-match": f"W/{etag}"},  # If-Match compares strongly
        {"if-unmodified-since": EARLIER},
    ]:
        response = await client.get("/f", headers={**headers, "range": "bytes=0-9"})
        assert response.status_code == 412, headers
        assert "detail" in response.json()
    for headers in [
        {"if-match": etag},
        {"if-match": "*"},
        {"if-match": f'"other", {etag}'},
        {"if-unmodified-since": LAST_MODIFIED},
        {"if-unmodified-since": "garbage"},
        {"if-match": etag, "if-unmodified-since": EARLIER},  # If-Match takes precedence
    ]:
        assert_full(await client.get("/f", headers=headers), data)


async def test_head_has_the_get_headers_and_no_body(client: httpx.AsyncClient) -> None:
    get = await client.get("/f")
    head = await client.head("/f")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers == get.headers


async def test_head_ignores_range_and_honours_preconditions(client: httpx.AsyncClient) -> None:
    # RFC 9110 §14.2 defines range handling for GET only.
    response = await client.head("/f", headers={"range": "bytes=0-9"})
    assert response.status_code == 200
    assert response.headers["content-length"] == str(SIZE)
    assert "content-range" not in response.headers
    etag = response.headers["etag"]
    assert (await client.head("/f", headers={"if-none-match": etag})).status_code == 304
    refused = await client.head("/f", headers={"if-match": '"other"'})
    assert refused.status_code == 412
    assert refused.content == b""
    assert int(refused.headers["content-length"]) > 0


async def test_large_file_is_streamed_in_chunks(tmp_path: Path) -> None:
    data = random_bytes(1024 * 1024)
    track = write_track(tmp_path / "large.flac", data)
    async with client_for(track, chunk_size=64 * 1024) as client:
        assert_full(await client.get("/f"), data)
        response = await client.get("/f", headers={"range": "bytes=100001-900000"})
        assert_partial(response, data, 100_001, 900_001)

    messages = await send(file_response(request_for(), track, MEDIA_TYPE, chunk_size=64 * 1024))
    chunks = [m["body"] for m in messages if m["type"] == "http.response.body" and m["body"]]
    assert len(chunks) == 16
    assert all(len(chunk) == 64 * 1024 for chunk in chunks)
    assert b"".join(chunks) == data


async def test_missing_file_raises_file_gone(tmp_path: Path) -> None:
    track = write_track(tmp_path / "gone.mp3", b"x")
    track.unlink()
    with pytest.raises(FileGone, match=r"gone\.mp3"):
        file_response(request_for(), track, MEDIA_TYPE)
    async with client_for(track) as client:
        assert (await client.get("/f")).status_code == 404


async def test_directory_raises_file_gone(tmp_path: Path) -> None:
    with pytest.raises(FileGone):
        file_response(request_for(), tmp_path, MEDIA_TYPE)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_fifo_raises_file_gone_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.mp3"
    os.mkfifo(fifo)
    errors: list[Exception] = []

    def attempt() -> None:
        try:
            file_response(request_for(), fifo, MEDIA_TYPE)
        except FileGone as gone:
            errors.append(gone)

    # In a daemon thread: a blocking open() would otherwise hang the test run.
    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout=5)
    assert not thread.is_alive(), "open() blocked on the FIFO"
    assert len(errors) == 1
    assert "not a regular file" in str(errors[0])


async def test_sends_the_file_it_opened_even_if_the_path_is_replaced(tmp_path: Path, data: bytes) -> None:
    track = write_track(tmp_path / "track.mp3", data)
    response = file_response(request_for(), track, MEDIA_TYPE)
    replacement = write_track(tmp_path / "new.mp3", b"new content")
    replacement.replace(track)
    assert body_of(await send(response)) == data


async def test_never_reads_past_the_size_it_announced(tmp_path: Path, data: bytes) -> None:
    track = write_track(tmp_path / "track.mp3", data)
    response = file_response(request_for(headers=[("range", "bytes=9000-")]), track, MEDIA_TYPE)
    with track.open("ab") as growing:
        growing.write(b"appended later")
    assert body_of(await send(response)) == data[9000:]


async def test_file_truncated_while_sending_raises(tmp_path: Path, data: bytes) -> None:
    track = write_track(tmp_path / "track.mp3", data)
    response = file_response(request_for(), track, MEDIA_TYPE, chunk_size=1024)
    os.truncate(track, 2500)
    with pytest.raises(FileTruncated, match="2500"):
        await send(response)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to list open files")
async def test_every_kind_of_response_closes_the_file(client: httpx.AsyncClient, track: Path) -> None:
    def track_is_open() -> bool:
        return any(os.path.realpath(fd) == str(track.resolve()) for fd in Path("/proc/self/fd").iterdir())

    etag = await etag_of(client)
    for headers in [{}, {"range": "bytes=0-9"}, {"range": "bytes=99999-"}, {"if-none-match": etag}]:
        for method in ("GET", "HEAD"):
            await client.request(method, "/f", headers=headers)
    await client.get("/f", headers={"if-match": '"other"'})
    assert not track_is_open()


def test_chunk_size_must_be_positive(track: Path) -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        file_response(request_for(), track, MEDIA_TYPE, chunk_size=0)


_HEADER_PIECES = st.sampled_from(
    ["bytes", "=", "-", ",", " ", "0", "1", "9", "99999999999999999999999", "W/", '"', "*", "GMT", "Tue", "x"]
)
_HEADER_VALUES = st.one_of(
    st.text(alphabet=st.characters(max_codepoint=255, exclude_characters="\r\n")),
    st.lists(_HEADER_PIECES, max_size=12).map("".join),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    headers=st.dictionaries(
        st.sampled_from(
            ["range", "if-range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since"]
        ),
        _HEADER_VALUES,
    )
)
async def test_any_header_values_give_a_consistent_answer(
    client: httpx.AsyncClient, data: bytes, headers: dict[str, str]
) -> None:
    response = await client.get("/f", headers={k.encode(): v.encode("latin-1") for k, v in headers.items()})
    if response.status_code == 200:
        assert response.content == data
    elif response.status_code == 206:
        content_range = re.fullmatch(r"bytes (\d+)-(\d+)/10000", response.headers["content-range"])
        assert content_range is not None
        first, last = int(content_range[1]), int(content_range[2])
        assert_partial(response, data, first, last + 1)
    elif response.status_code == 416:
        assert_unsatisfiable(response, SIZE)
    else:
        assert response.status_code in (304, 412)
