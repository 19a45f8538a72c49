"""Hostile files get a clear refusal with a line number where there is one, and nothing else
happens: no expansion, no external reads, bounded time and memory."""

import time

import pytest

from backend.schedule_files.errors import FileRefused
from backend.schedule_files.files import import_file

SETS = b"-SE\na: pink/40 200-10/20\n"


def refused(data: bytes, name: str = "x.sbg") -> FileRefused:
    with pytest.raises(FileRefused) as caught:
        import_file(data, name)
    return caught.value


def test_binary_data() -> None:
    reason = refused(b"a: pink/40\n\x00\x01\x02\xff" * 10)
    assert reason.line == 2
    assert "binary" in reason.reason
    assert "not a text file" in refused(b"a: pink/40\nNOW a\n\x1b[31m\n").reason


def test_ten_megabytes() -> None:
    reason = refused(b"# padding\n" * 1_000_000)
    assert "bytes; at most" in reason.reason


def test_a_million_lines() -> None:
    reason = refused(b"\n" * 999_999 + b"NOW a")
    assert reason.line == 20_001
    assert "lines; at most" in reason.reason


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (b"x: {\n +00:00 x\n}\nNOW x\n", 4, "refers to itself (x -> x)"),
        (b"x: {\n +00:00 y\n}\ny: {\n +00:00 x\n}\nNOW x\n", 7, "(x -> y -> x)"),
    ],
)
def test_blocks_that_refer_to_each_other_in_a_cycle(text: bytes, line: int, words: str) -> None:
    reason = refused(text)
    assert (reason.line, words in reason.reason) == (line, True)


def test_blocks_that_multiply_stop_at_the_limit() -> None:
    lines = [b"a: pink/10", b"b0: {", *[b" +00:00:01 a"] * 30, b"}"]
    for level in range(1, 5):
        lines += [b"b%d: {" % level, *[b" +00:00:01 b%d" % (level - 1)] * 30, b"}"]
    started = time.monotonic()
    reason = refused(b"\n".join([*lines, b"NOW b4"]))
    assert "more than 20000 time lines" in reason.reason
    assert time.monotonic() - started < 30  # bounded work, not a wall-clock requirement on CI speed


@pytest.mark.parametrize(
    ("voice", "words"),
    [
        (b"pink/nan", "cannot read the voice"),
        (b"200-nan/20", "cannot read the voice"),
        (b"200-1e999/20", "not a finite number"),
        (b"1e400-4/20", "not a finite number"),
        (b"-200-4/20", "outside 0-20000 Hz"),
        (b"200-4/1e308", "outside 0-100"),
        (b"200-4/-3", "outside 0-100"),
        (b"99999999999-4/20", "outside 0-20000 Hz"),
        (b"rubbish", "cannot read the voice"),
    ],
)
def test_nan_negative_and_huge_values(voice: bytes, words: str) -> None:
    reason = refused(b"-SE\nbad: " + voice + b"\n00:00 bad\n00:10 bad\n")
    assert reason.line == 2
    assert words in reason.reason


def test_times_that_go_backwards() -> None:
    reason = refused(SETS + b"00:10 a\n00:05 a\n00:20 a\n")
    assert reason.line == 4
    assert "before the one on line 3" in reason.reason


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (SETS + b"00:61 a\n", 3, "not a time"),
        (SETS + b"+00:10 a\n", 3, "no absolute time comes before it"),
        (SETS + b"00:00 nothing\n", 3, "'nothing' is not defined above this line"),
        (SETS + b"00:00 a\n-SE\n", 4, "options go at the top"),
        (SETS + b"00:00 a ->  extra\n", 3, "unexpected"),
        (SETS + b"00:00 <x a\n", 3, "is not a fade"),
        (b"-p drop 25a\n", 1, "-p makes the session inside SBaGen"),
        (b"x: {\n +00:00 a\n", 1, "no closing"),
        (SETS + b"00:00 a\n04:30 a\n", 4, "at most 14400 s"),
        (SETS + b"00:00 a\n00:00:30 a\n", 4, "at least 60 s"),
        (b"a: " + b"pink/1 " * 17 + b"\nNOW a\n", 1, "at most 16"),
        (b"a: pink/1\n" + b"x" * 5000 + b"\n", 2, "characters; at most"),
    ],
)
def test_malformed_sequences_name_their_line(text: bytes, line: int, words: str) -> None:
    reason = refused(text)
    assert reason.line == line, reason
    assert words in reason.reason


def test_more_changes_than_steps() -> None:
    sets = b"".join(b"s%d: pink/30 200-%d/20\n" % (i, 4 + i % 2) for i in range(80))
    times = b"".join(b"00:%02d:%02d == s%d\n" % (i // 60, i % 60 * 1, i) for i in range(0, 80))
    reason = refused(b"-SE\n" + sets + times.replace(b"00:01:", b"00:01:"))
    assert "NeuroTune plays at most 64 steps" in reason.reason or "changes by" in reason.reason
    assert reason.line is not None


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE schedule [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<schedule><title>&lol9;</title></schedule>
"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE schedule [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<schedule><title>&secret;</title></schedule>
"""


@pytest.mark.parametrize(
    "document", [BOMB, EXTERNAL, b'<?xml version="1.0"?>\n<!DOCTYPE schedule>\n<schedule/>']
)
def test_xml_bombs_external_entities_and_dtds(document: bytes) -> None:
    reason = refused(document, "x.gnaural")
    assert "no DTDs, entities or external references" in reason.reason
    assert reason.line == 2
    assert "root:" not in str(reason)


@pytest.mark.parametrize(
    ("document", "words"),
    [
        (b"<schedule><voice><entries><entry duration='nan'/></entries></voice></schedule>", "without"),
        (
            b"<schedule><voice><entries><entry duration='nan' volume_left='1' volume_right='1' "
            b"beatfreq='4' basefreq='200'/></entries></voice></schedule>",
            "duration nan is outside",
        ),
        (
            b"<schedule><voice><entries><entry duration='ten' volume_left='1' volume_right='1' "
            b"beatfreq='4' basefreq='200'/></entries></voice></schedule>",
            "not a number",
        ),
        (b"<schedule><voice>", "not well-formed"),
        (b"<html/>", "not a Gnaural schedule"),
        (b"<schedule>" + b"<x/>" * 60_000 + b"</schedule>", "more than 50000 XML elements"),
    ],
)
def test_malformed_gnaural(document: bytes, words: str) -> None:
    assert words in refused(document, "x.gnaural").reason
