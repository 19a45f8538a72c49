"""SBaGen `.sbg` sequence files, read the way SBaGen (and SBaGen+/SBaGenX) reads them, and written so
that SBaGen plays the same session.

Reading has three stages:
- `read_sequence`: the syntax. Comments (`#`, `##` kept as the description), options at the top
  (`-SE`, `-F`, ...), tone-sets (`name: pink/40 200+10/20 300@10/15 -`), blocks (`name: {` ... `}`,
  expanded where they are used, cycles refused) and time lines (`NOW`, `hh:mm[:ss]`, `+hh:mm[:ss]`
  chains, fade characters `<`/`-`/`=` and `>`/`-`/`=`, a trailing `->`). Every refusal names its line.
- `sound_over_time`: SBaGen's own period model (sbagen.c `correctPeriods`): a change-over without
  `->` is a transition of `-F` (60 s) centred on the time, widened into its neighbours; `->` makes
  the whole period a slide; per channel, a transition either slides (frequency and amplitude glide)
  or fades through silence at its midpoint (`<`, `>`, a different kind of voice, or a `-` change of
  pitch). The result is breakpoints of every channel, linear in between.
- The strongest tone (binaural `C±B`, isochronic `C@P`) and the strongest noise of each moment become
  NeuroTune's `Sound`; `timeline.to_schedule` makes the schedule.

The first time line is the session's start and the last its end (SBaGen's `-SE`); a file with one
time line plays until stopped in SBaGen and is imported as DEFAULT_DURATION_SEC.

Writing (`export`): one tone-set per step with the same channel layout (pink, brown, binaural pair,
isochronic, the three tones of an ambient AM), `==` slides with `->` over each step's ramp, `-SE`.
Each time line carries the step it plays as a `# neurotune` comment, so a file NeuroTune wrote and
nobody changed comes back exactly; a changed file is read from its SBaGen lines.
"""

import bisect
import itertools
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from pydantic import ValidationError

from backend.schedule_files.errors import FileRefused
from backend.schedule_files.timeline import Breakpoint, Converted, Sound, to_schedule
from backend.schedules.schedule import ModulationSchedule, ModulationStep

MAX_FILE_BYTES = 1 << 20
MAX_LINES = 20_000
MAX_LINE_CHARS = 4_000
"""SBaGen reads lines into a 4096-byte buffer: a longer line would be split, so none is accepted."""
MAX_TIME_LINES = 20_000
"""After blocks are expanded: a block of blocks of blocks grows fast, and stops here."""
MAX_BLOCK_DEPTH = 16
CHANNELS = 16
"""SBaGen's N_CH: at most 16 voices in a tone-set."""
DEFAULT_FADE_MS = 60_000
DEFAULT_DURATION_SEC = 1_800
DAY_MS = 24 * 3600 * 1000

# The engine's levels (frontend/lib/audio/levels.ts; backend/audio_render/levels.py) and the RMS of
# its noise loops (peak-normalised; backend/audio_render/noise.py, checked by the tests).
ENGINE_TONE_PEAK = 0.2
ENGINE_NOISE_BED_PEAK = 0.1
ENGINE_NOISE_AMBIENT_PEAK = 0.35
ENGINE_AM_DEPTH = 0.3
ENGINE_NOISE_LOOP_RMS = {"pink": 0.23, "brown": 0.22}
# SBaGen's noise at amplitude 40, RMS re a full-scale sine (measured on SBaGen 1.4.5 / SBaGen+ 1.5.5
# renders): pink -21.3 dB, white -9.7 dB, brown -27.5 dB. A full-scale sine's RMS is 1/sqrt(2).
SBAGEN_NOISE_RMS_AT_40 = {
    "pink": 10 ** (-21.3 / 20) / math.sqrt(2),
    "white": 10 ** (-9.7 / 20) / math.sqrt(2),
    "brown": 10 ** (-27.5 / 20) / math.sqrt(2),
}


def _gate_loudness() -> float:
    """How much louder NeuroTune's isochronic gate (shapers.ts pulseGate: a raised cosine from 20 %
    to 80 % of the cycle's sine) is than SBaGen+'s (smoothstep of (sin - 0.3) / 0.7 above 0.3) at the
    same peak: the RMS ratio over one cycle, ~1.41 (3 dB). Export and import scale by it, so an
    isochronic tone is as loud in SBaGen+ as here."""
    x = np.sin(np.linspace(0, 2 * np.pi, 20_000, endpoint=False))
    ours = 0.5 - 0.5 * np.cos(np.pi * np.clip(((x + 1) / 2 - 0.2) / 0.6, 0, 1))
    opened = np.where(x > 0.3, (x - 0.3) / 0.7, 0.0)
    theirs = opened * opened * (3 - 2 * opened)
    return float(np.sqrt(np.mean(ours**2) / np.mean(theirs**2)))


ISOCHRONIC_LOUDNESS = _gate_loudness()

VoiceKind = Literal["off", "binaural", "isochronic", "pink", "white", "brown"]
_TONES = ("binaural", "isochronic")
_NOISES = ("pink", "white", "brown")
_WAVEFORMS = ("sine", "square", "triangle", "sawtooth")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_NAME_DEF = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*):(?=\s)(.*)$")
_CLOCK = re.compile(r"(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?")
_BINAURAL = re.compile(rf"^({_NUMBER})(?:([-+])({_NUMBER}))?/({_NUMBER})$")
_ISOCHRONIC = re.compile(rf"^({_NUMBER})@({_NUMBER})/({_NUMBER})$")
_NOISE = re.compile(rf"^(pink|white|brown)/({_NUMBER})$")
_UNPLAYED = re.compile(r"^(bell|spin:|bspin:|wspin:|mixspin:|mixpulse:|mix/|wave\d\d:)")
_ANNOTATION = re.compile(r"#\s*neurotune\s+(session|step)\s+(\{.*\})\s*$")
# Options whose next word is their argument (sbagen -h): the rest are flags.
_OPTIONS_WITH_ARGUMENT = set("mVwFLTRBcqroIAKM")
_GENERATORS = set("pi")
"""-p (drop, slide, ...) and -i make the session inside SBaGen from their arguments: not importable."""


@dataclass(frozen=True)
class Voice:
    kind: VoiceKind = "off"
    carrier_hz: float = 0.0
    beat_hz: float = 0.0
    """Binaural: signed as written (+: higher tone left). Isochronic: the pulse rate."""
    amplitude: float = 0.0
    """0-100: per cent of full scale at the peak."""
    waveform: str = "sine"


SILENT = Voice()


@dataclass(frozen=True)
class ToneSet:
    name: str
    voices: tuple[Voice, ...]
    line: int


@dataclass(frozen=True)
class TimeLine:
    time_ms: int
    """Clock time of day, as SBaGen keeps it (NOW is midnight here; only differences count)."""
    fade_in: int
    fade_out: int
    """0: from/to silence (`<`, `>`); 1: fade (`-`); 2: slide (`=`)."""
    tone_set: ToneSet
    slide_to_next: bool
    line: int


@dataclass
class Sequence:
    description: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    fade_ms: int = DEFAULT_FADE_MS
    tone_sets: dict[str, ToneSet] = field(default_factory=dict)
    blocks: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    time_lines: list[TimeLine] = field(default_factory=list)
    annotations: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    content: list[str] = field(default_factory=list)
    """Every line without its comment, for telling whether NeuroTune's own file was changed."""
    warnings: list[str] = field(default_factory=list)


# --- reading the syntax -----------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The file as text: UTF-8 (or Latin-1), no binary, within the size and line limits."""
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(f"the file is {len(data)} bytes; at most {MAX_FILE_BYTES} are read")
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise FileRefused("binary data (a NUL byte): not a text file", line)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        try:
            text = data.decode("latin-1")
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
            raise FileRefused("not UTF-8 text", line) from None
    control = re.search(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
    if control:
        raise FileRefused("control characters: not a text file", text[: control.start()].count("\n") + 1)
    line_count = text.count("\n") + 1
    if line_count > MAX_LINES:
        raise FileRefused(f"{line_count} lines; at most {MAX_LINES} are read", MAX_LINES + 1)
    return text


def read_sequence(text: str) -> Sequence:
    seq = Sequence()
    block: tuple[str, list[tuple[str, int]], int] | None = None
    options_allowed = True
    last_absolute: list[int | None] = [None]
    for number, raw in enumerate(text.splitlines(), start=1):
        if len(raw) > MAX_LINE_CHARS:
            raise FileRefused(f"the line is {len(raw)} characters; at most {MAX_LINE_CHARS}", number)
        content, comment = _split_comment(raw)
        if comment is not None:
            _read_comment(comment, number, seq)
        if not content:
            continue
        seq.content.append(" ".join(content.split()))
        if block is not None:
            name, lines, opened = block
            if content.startswith("}"):
                if content != "}":
                    raise FileRefused("a block ends with a line holding only '}'", number)
                if not lines:
                    raise FileRefused(f"block '{name}' is empty", opened)
                seq.blocks[name] = lines
                seq.tone_sets.pop(name, None)
                block = None
            elif content.startswith("+"):
                lines.append((content, number))
            else:
                raise FileRefused("every line in a block needs a relative time (+hh:mm)", number)
            continue
        if content.startswith("-"):
            if not options_allowed:
                raise FileRefused("options go at the top of the file, before tone-sets and times", number)
            _read_options(content, number, seq)
            continue
        options_allowed = False
        definition = _NAME_DEF.match(content)
        if definition:
            name, rest = definition.group(1), definition.group(2).strip()
            if re.fullmatch(r"wave\d\d", name):
                seq.warnings.append(f"line {number}: waveform {name} is not used; NeuroTune plays sine tones")
            elif rest == "{":
                block = (name, [], number)
            elif rest.startswith("{"):
                raise FileRefused("a block opens with '{' alone after its name", number)
            else:
                seq.tone_sets[name] = _read_tone_set(name, rest, number, seq.warnings)
                seq.blocks.pop(name, None)
            continue
        _read_time_line(content, number, seq, last_absolute, prefix="", stack=())
    if block is not None:
        raise FileRefused(f"block '{block[0]}' has no closing '}}'", block[2])
    if not seq.time_lines:
        raise FileRefused("the file has no time lines: nothing plays")
    return seq


def _split_comment(raw: str) -> tuple[str, str | None]:
    hash_at = raw.find("#")
    if hash_at < 0:
        return raw.strip(), None
    return raw[:hash_at].strip(), raw[hash_at:]


def _read_comment(comment: str, number: int, seq: Sequence) -> None:
    annotation = _ANNOTATION.match(comment)
    if annotation:
        seq.annotations.setdefault(annotation.group(1), []).append((annotation.group(2), number))
    elif comment.startswith("##"):
        text = comment[2:].strip()
        if text:
            seq.description.append(text)


def _read_options(content: str, number: int, seq: Sequence) -> None:
    words = content.split()
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if not word.startswith("-") or len(word) < 2:
            raise FileRefused(f"'{word}' is not an option", number)
        for letter in word[1:]:
            if letter in _GENERATORS:
                raise FileRefused(
                    f"-{letter} makes the session inside SBaGen from its arguments; NeuroTune imports "
                    "tone-sets and time lines only",
                    number,
                )
            argument = None
            if letter in _OPTIONS_WITH_ARGUMENT:
                if index >= len(words):
                    raise FileRefused(f"option -{letter} needs a value", number)
                argument = words[index]
                index += 1
            seq.options.append(f"-{letter}" + (f" {argument}" if argument else ""))
            if letter == "F":
                seq.fade_ms = _fade_interval(argument or "", number)
            elif letter == "m":
                seq.warnings.append(f"line {number}: the soundtrack (-m {argument}) is not imported")
            elif letter == "w" and argument != "sine":
                seq.warnings.append(f"line {number}: -w {argument}: NeuroTune plays sine tones")
            elif letter not in "SEQDNV":
                seq.warnings.append(f"line {number}: option -{letter} has no meaning here and is ignored")


def _fade_interval(argument: str, number: int) -> int:
    if not argument.isdigit() or not 0 <= int(argument) <= DAY_MS:
        raise FileRefused(f"-F needs milliseconds, not '{argument}'", number)
    return int(argument)


def _number(text: str, number: int, what: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise FileRefused(f"{what} '{text}' is not a finite number", number)
    return value


def _read_tone_set(name: str, rest: str, number: int, warnings: list[str]) -> ToneSet:
    words = rest.split()
    if not words:
        raise FileRefused(f"tone-set '{name}' lists nothing (use '-' for silence)", number)
    if len(words) > CHANNELS:
        raise FileRefused(
            f"tone-set '{name}' has {len(words)} voices; SBaGen plays at most {CHANNELS}", number
        )
    voices = [_read_voice(word, number, warnings) for word in words]
    voices += [SILENT] * (CHANNELS - len(voices))
    tones = [voice for voice in voices if voice.kind in _TONES and voice.amplitude > 0]
    strongest = max(tones, key=lambda voice: voice.amplitude, default=None)
    if strongest is not None and len(tones) > 1 and _ambient(tuple(voices), strongest) is None:
        warnings.append(
            f"line {number}: tone-set '{name}' has {len(tones)} tones; NeuroTune plays the strongest, "
            f"{_describe(strongest)}"
        )
    return ToneSet(name, tuple(voices), number)


def _read_voice(word: str, number: int, warnings: list[str]) -> Voice:
    if word == "-":
        return SILENT
    waveform = "sine"
    for candidate in _WAVEFORMS:
        if word.startswith(candidate + ":"):
            waveform, word = candidate, word[len(candidate) + 1 :]
            break
    if _UNPLAYED.match(word):
        warnings.append(f"line {number}: '{word}' has no NeuroTune equivalent and is left out")
        return SILENT
    if waveform != "sine":
        warnings.append(f"line {number}: {waveform} waves are played as sines")
    noise = _NOISE.match(word)
    if noise:
        amplitude = _amplitude(noise.group(2), number)
        kind: VoiceKind = noise.group(1)  # type: ignore[assignment]
        if kind == "white" and amplitude > 0:
            warnings.append(f"line {number}: NeuroTune has no white noise; pink noise plays instead")
        return Voice(kind, amplitude=amplitude, waveform=waveform)
    isochronic = _ISOCHRONIC.match(word)
    if isochronic:
        return Voice(
            "isochronic",
            carrier_hz=_frequency(isochronic.group(1), number, "carrier"),
            beat_hz=_frequency(isochronic.group(2), number, "pulse rate"),
            amplitude=_amplitude(isochronic.group(3), number),
            waveform=waveform,
        )
    binaural = _BINAURAL.match(word)
    if binaural:
        sign = -1.0 if binaural.group(2) == "-" else 1.0
        beat = _frequency(binaural.group(3), number, "beat") if binaural.group(3) else 0.0
        return Voice(
            "binaural",
            carrier_hz=_frequency(binaural.group(1), number, "carrier"),
            beat_hz=sign * beat,
            amplitude=_amplitude(binaural.group(4), number),
            waveform=waveform,
        )
    raise FileRefused(f"cannot read the voice '{word}'", number)


def _frequency(text: str, number: int, what: str) -> float:
    value = _number(text, number, what)
    if value < 0 or value > 20_000:
        raise FileRefused(f"{what} {text} Hz is outside 0-20000 Hz", number)
    return value


def _amplitude(text: str, number: int) -> float:
    value = _number(text, number, "amplitude")
    if not 0 <= value <= 100:
        raise FileRefused(f"amplitude {text} is outside 0-100", number)
    return value


def _describe(voice: Voice) -> str:
    if voice.kind == "isochronic":
        return f"{voice.carrier_hz:g}@{voice.beat_hz:g}/{voice.amplitude:g}"
    return (
        f"{voice.carrier_hz:g}{'+' if voice.beat_hz >= 0 else '-'}{abs(voice.beat_hz):g}/{voice.amplitude:g}"
    )


def _read_time_line(
    content: str,
    number: int,
    seq: Sequence,
    last_absolute: list[int | None],
    prefix: str,
    stack: tuple[str, ...],
) -> None:
    words = content.split()
    spec = prefix + words[0]
    time_ms = _read_time(spec, number, last_absolute)
    rest = words[1:]
    fade_in, fade_out = 1, 1
    if rest and not rest[0][:1].isalpha():
        fade_in, fade_out = _read_fades(rest[0], number)
        rest = rest[1:]
    if not rest:
        raise FileRefused("a time line names a tone-set or a block after its time", number)
    name, rest = rest[0], rest[1:]
    if name in seq.blocks:
        if rest:
            raise FileRefused(f"nothing may follow the block name '{name}'", number)
        if name in stack:
            raise FileRefused(f"block '{name}' refers to itself ({' -> '.join((*stack, name))})", number)
        if len(stack) >= MAX_BLOCK_DEPTH:
            raise FileRefused(f"blocks nest more than {MAX_BLOCK_DEPTH} deep", number)
        for inner, _inner_number in seq.blocks[name]:
            _read_time_line(inner, number, seq, last_absolute, prefix=spec, stack=(*stack, name))
        return
    tone_set = seq.tone_sets.get(name)
    if tone_set is None:
        raise FileRefused(f"'{name}' is not defined above this line", number)
    slide = False
    if rest:
        if rest != ["->"]:
            raise FileRefused(f"unexpected '{' '.join(rest)}' after the tone-set name", number)
        slide = True
    if len(seq.time_lines) >= MAX_TIME_LINES:
        raise FileRefused(f"more than {MAX_TIME_LINES} time lines (with blocks expanded)", number)
    seq.time_lines.append(TimeLine(time_ms, fade_in, fade_out, tone_set, slide, number))


def _read_fades(word: str, number: int) -> tuple[int, int]:
    fade_in = {"<": 0, "-": 1, "=": 2}
    fade_out = {">": 0, "-": 1, "=": 2}
    if len(word) != 2 or word[0] not in fade_in or word[1] not in fade_out:
        raise FileRefused(f"'{word}' is not a fade: use two of <-= then >-=", number)
    return fade_in[word[0]], fade_out[word[1]]


def _read_time(spec: str, number: int, last_absolute: list[int | None]) -> int:
    """SBaGen's time-spec: NOW | hh:mm[:ss], then any number of +hh:mm[:ss]; or +hh:mm[:ss] alone,
    relative to the last absolute time."""
    time_ms: int | None = None
    rest = spec
    if rest.startswith("NOW"):
        time_ms = 0
        last_absolute[0] = 0
        rest = rest[3:]
    while rest:
        if rest[0] == "+":
            if time_ms is None:
                if last_absolute[0] is None:
                    raise FileRefused(f"'{spec}' is relative, but no absolute time comes before it", number)
                time_ms = last_absolute[0]
            rest = rest[1:]
        elif time_ms is not None:
            raise FileRefused(f"'{spec}' is not a time", number)
        clock = _CLOCK.match(rest)
        if not clock:
            raise FileRefused(f"'{spec}' is not a time (hh:mm or hh:mm:ss)", number)
        hours, minutes, seconds = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
        if hours >= 24 or minutes >= 60 or seconds >= 60:
            raise FileRefused(f"'{spec}' is not a time of day", number)
        part = ((hours * 60 + minutes) * 60 + seconds) * 1000
        rest = rest[clock.end() :]
        if time_ms is None:
            time_ms = part
            last_absolute[0] = part
        else:
            time_ms = (time_ms + part) % DAY_MS
    if time_ms is None:
        raise FileRefused(f"'{spec}' is not a time", number)
    return time_ms


# --- SBaGen's period model --------------------------------------------------------------------


@dataclass(frozen=True)
class Knot:
    """Every channel's voice at one time; voices glide linearly to the next knot's."""

    time_ms: float
    voices: tuple[Voice, ...]
    line: int


def session_times(seq: Sequence) -> list[int]:
    """Each time line's session time (ms from the first), refusing times that go backwards."""
    times = [0]
    lines = seq.time_lines
    for previous, line in itertools.pairwise(lines):
        step = (line.time_ms - previous.time_ms) % DAY_MS
        if step > DAY_MS // 2:
            raise FileRefused(
                f"this time comes before the one on line {previous.line}: times must not go backwards",
                line.line,
            )
        times.append(times[-1] + step)
    return times


def knots(seq: Sequence) -> tuple[list[Knot], int]:
    """The channels over time as SBaGen plays the sequence with -SE, and its length in ms."""
    lines = seq.time_lines
    times = session_times(seq)
    count = len(lines)
    if count == 1:
        voices = lines[0].tone_set.voices
        end = DEFAULT_DURATION_SEC * 1000
        return [Knot(0.0, voices, lines[0].line), Knot(float(end), voices, lines[0].line)], end
    # Period i plays lines[i]'s tone-set from period_start[i] until transition_start[i]; transition
    # i runs to period_start[i + 1] (the last one wraps round to the first, a day later).
    period_start = [float(t) for t in times] + [float(times[0] + DAY_MS)]
    transition_start = [
        float(times[i]) if lines[i].slide_to_next else period_start[i + 1] for i in range(count)
    ]
    for i in range(count):
        if lines[i].slide_to_next:
            continue
        after = (i + 1) % count
        length = period_start[i + 1] - transition_start[i]
        if length < seq.fade_ms:
            adjust = (seq.fade_ms - length) / 2
            before = min(adjust, transition_start[i] - period_start[i])
            next_end = transition_start[after] + (DAY_MS if after == 0 else 0)
            later = min(adjust, next_end - period_start[i + 1])
            transition_start[i] -= before
            period_start[i + 1] += later
            if after == 0:
                period_start[0] = period_start[count] - DAY_MS
    result: list[Knot] = []
    # The wrap-round transition (the last tone-set into the first) reaches into the session's start
    # when it was widened into the first period.
    if count > 1 and period_start[0] > 0:
        result += _transition(seq, count - 1, 0, transition_start[count - 1] - DAY_MS, period_start[0])
    for i in range(count):
        result.append(Knot(period_start[i], lines[i].tone_set.voices, lines[i].line))
        result.append(Knot(transition_start[i], lines[i].tone_set.voices, lines[i].line))
        if i + 1 < count:
            result += _transition(seq, i, i + 1, transition_start[i], period_start[i + 1])
    return sorted(result, key=lambda knot: knot.time_ms), times[-1]


def _transition(seq: Sequence, i: int, j: int, start: float, end: float) -> list[Knot]:
    """Transition from lines[i] to lines[j] over [start, end]: slides, or fades through silence at
    the midpoint, channel by channel (sbagen.c correctPeriods)."""
    lines = seq.time_lines
    before, after = list(lines[i].tone_set.voices), list(lines[j].tone_set.voices)
    fade_out, fade_in = lines[i].fade_out, lines[j].fade_in
    if lines[i].slide_to_next:
        fade_out = fade_in = 2
        for a in range(CHANNELS):
            if before[a].kind == "off" and after[a].kind != "off":
                before[a] = replace(after[a], amplitude=0.0)
            elif before[a].kind != "off" and after[a].kind == "off":
                after[a] = replace(before[a], amplitude=0.0)
    left_of_middle, right_of_middle = list(before), list(after)
    needs_middle = False
    for a in range(CHANNELS):
        v0, v1 = before[a], after[a]
        pitch_changes = v0.carrier_hz != v1.carrier_hz or v0.beat_hz != v1.beat_hz
        if (
            fade_out == 0
            or fade_in == 0
            or v0.kind != v1.kind
            or v0.waveform != v1.waveform
            or ((fade_out == 1 or fade_in == 1) and v0.kind == "binaural" and pitch_changes)
        ):
            left_of_middle[a] = replace(v0, amplitude=0.0)
            right_of_middle[a] = replace(v1, amplitude=0.0)
            needs_middle = needs_middle or v0.kind != "off" or v1.kind != "off"
        else:
            middle = replace(
                v0,
                amplitude=(v0.amplitude + v1.amplitude) / 2,
                carrier_hz=(v0.carrier_hz + v1.carrier_hz) / 2,
                beat_hz=(v0.beat_hz + v1.beat_hz) / 2,
            )
            left_of_middle[a] = right_of_middle[a] = middle
    result = [Knot(start, tuple(before), lines[i].line)]
    if needs_middle:
        middle_ms = (start + end) / 2
        result.append(Knot(middle_ms, tuple(left_of_middle), lines[j].line))
        result.append(Knot(middle_ms, tuple(right_of_middle), lines[j].line))
    result.append(Knot(end, tuple(after), lines[j].line))
    return result


# --- what NeuroTune plays ---------------------------------------------------------------------


def _sound(voices: tuple[Voice, ...]) -> tuple[Voice | None, Voice | None]:
    """The strongest tone and the strongest noise (by loudness) among the voices, if any sounds."""
    tones = [voice for voice in voices if voice.kind in _TONES and voice.amplitude > 0]
    noises = [voice for voice in voices if voice.kind in _NOISES and voice.amplitude > 0]
    tone = max(tones, key=lambda voice: voice.amplitude, default=None)
    noise = max(noises, key=_noise_rms, default=None)
    return tone, noise


def _noise_rms(voice: Voice) -> float:
    return SBAGEN_NOISE_RMS_AT_40[voice.kind] * voice.amplitude / 40


def sounds(knot_list: list[Knot], end_ms: float) -> list[Breakpoint]:
    """NeuroTune's sound at each knot inside the session; a silent tone or noise takes its pitch and
    colour from the nearest moment it sounds, so silence never jumps anywhere."""
    inside = [knot for knot in knot_list if 0 <= knot.time_ms <= end_ms]
    if not inside or inside[0].time_ms > 0:
        inside.insert(0, _interpolated(knot_list, 0.0))
    if inside[-1].time_ms < end_ms:
        inside.append(_interpolated(knot_list, end_ms))
    picked = [_sound(knot.voices) for knot in inside]
    tone_at = [index for index, (tone, _) in enumerate(picked) if tone is not None]
    noise_at = [index for index, (_, noise) in enumerate(picked) if noise is not None]
    breakpoints = []
    for index, knot in enumerate(inside):
        tone, noise = picked[index]
        nearest_tone = _nearest(tone_at, index)
        nearest_noise = _nearest(noise_at, index)
        tone_voice = tone or (picked[nearest_tone][0] if nearest_tone is not None else None)
        noise_voice = noise or (picked[nearest_noise][1] if nearest_noise is not None else None)
        ambient = _ambient(knot.voices, tone) if tone else None
        if ambient is None and tone is None and tone_voice is not None and nearest_tone is not None:
            ambient = _ambient(inside[nearest_tone].voices, tone_voice)
        layer: Literal["binaural", "isochronic", "ambient"] = "binaural"
        beat = abs(tone_voice.beat_hz) if tone_voice else 10.0
        tone_peak = tone.amplitude / 100 if tone else 0.0
        if ambient is not None:
            layer, beat, tone_peak = "ambient", ambient[0], ambient[1] if tone else 0.0
        elif tone_voice and tone_voice.kind == "isochronic":
            layer = "isochronic"
            tone_peak /= ISOCHRONIC_LOUDNESS
        colour: Literal["none", "pink", "brown"] = "none"
        if noise_voice is not None:
            colour = "brown" if noise_voice.kind == "brown" else "pink"
        noise_rms = _noise_rms(noise) if noise else 0.0
        engine_noise_rms = (
            ENGINE_NOISE_BED_PEAK * ENGINE_NOISE_LOOP_RMS[colour if colour != "none" else "pink"]
        )
        sound = Sound(
            beat_hz=beat,
            carrier_hz=tone_voice.carrier_hz if tone_voice else 200.0,
            layer=layer,
            tone_gain=tone_peak / ENGINE_TONE_PEAK,
            noise=colour,
            noise_gain=noise_rms / engine_noise_rms,
        )
        breakpoints.append(Breakpoint(knot.time_ms / 1000, sound, knot.line))
    return _without_repeated_times(_silent_pitch_glides(breakpoints, tone_at))


def _silent_pitch_glides(points: list[Breakpoint], sounding: list[int]) -> list[Breakpoint]:
    """Between two moments where the tone sounds, a silent moment's beat and carrier lie on the
    straight line between theirs: the pitch moves evenly across a fade through silence."""
    result = list(points)
    audible = set(sounding)
    for index, point in enumerate(points):
        at = bisect.bisect_right(sounding, index)
        if index in audible or at == 0 or at == len(sounding):
            continue
        before, after = points[sounding[at - 1]], points[sounding[at]]
        span = after.time_sec - before.time_sec
        share = (point.time_sec - before.time_sec) / span if span > 0 else 1.0

        def along(a: float, b: float, share: float = share) -> float:
            return a + (b - a) * share

        result[index] = replace(
            point,
            sound=replace(
                point.sound,
                beat_hz=along(before.sound.beat_hz, after.sound.beat_hz),
                carrier_hz=along(before.sound.carrier_hz, after.sound.carrier_hz),
            ),
        )
    return result


def _ambient(voices: tuple[Voice, ...], tone: Voice) -> tuple[float, float] | None:
    """(rate, peak) when the strongest tone is a plain carrier with two equal sidebands at ±rate: the
    engine's ambient amplitude modulation as export writes it (three sines are exactly that AM)."""
    if tone.kind != "binaural" or tone.beat_hz != 0:
        return None
    plain = [
        voice for voice in voices if voice.kind == "binaural" and voice.beat_hz == 0 and voice is not tone
    ]
    for low in plain:
        rate = tone.carrier_hz - low.carrier_hz
        for high in plain:
            if (
                rate > 0
                and math.isclose(high.carrier_hz - tone.carrier_hz, rate, abs_tol=1e-6)
                and math.isclose(low.amplitude, high.amplitude, rel_tol=0.02)
                and low.amplitude > 0
            ):
                return rate, (tone.amplitude + low.amplitude + high.amplitude) / 100
    return None


def _nearest(sounding: list[int], index: int) -> int | None:
    """The nearest index in `sounding` (sorted) to `index`, preferring what comes next."""
    at = bisect.bisect_right(sounding, index)
    if at < len(sounding):
        return sounding[at]
    return sounding[-1] if sounding else None


def _interpolated(knot_list: list[Knot], time_ms: float) -> Knot:
    before = [knot for knot in knot_list if knot.time_ms <= time_ms]
    after = [knot for knot in knot_list if knot.time_ms > time_ms]
    if not before:
        return replace(after[0], time_ms=time_ms)
    if not after:
        return replace(before[-1], time_ms=time_ms)
    a, b = before[-1], after[0]
    share = (time_ms - a.time_ms) / (b.time_ms - a.time_ms)
    voices = []
    for v0, v1 in zip(a.voices, b.voices, strict=True):
        if v0.kind != v1.kind:
            voices.append(v0)
            continue
        voices.append(
            replace(
                v0,
                amplitude=v0.amplitude + (v1.amplitude - v0.amplitude) * share,
                carrier_hz=v0.carrier_hz + (v1.carrier_hz - v0.carrier_hz) * share,
                beat_hz=v0.beat_hz + (v1.beat_hz - v0.beat_hz) * share,
            )
        )
    return Knot(time_ms, tuple(voices), b.line)


def _without_repeated_times(points: list[Breakpoint]) -> list[Breakpoint]:
    """At a midpoint the tone switches while silent: keep the side that sounds next."""
    result: list[Breakpoint] = []
    for point in points:
        if result and point.time_sec <= result[-1].time_sec:
            result[-1] = replace(point, time_sec=result[-1].time_sec)
        else:
            result.append(point)
    return result


# --- import -----------------------------------------------------------------------------------


def import_sbg(data: bytes, clamp: bool = False, title: str | None = None) -> Converted:
    """A `.sbg` file as a safe schedule with warnings, or FileRefused with the line."""
    seq = read_sequence(decode(data))
    warnings = list(seq.warnings)
    if not any(option in ("-S", "-E") for option in seq.options) and len(seq.time_lines) > 1:
        warnings.append(
            "no -SE: SBaGen would follow the clock; here the first time line starts the session "
            "and the last one ends it"
        )
    if len(seq.time_lines) == 1:
        warnings.append(
            f"one time line: SBaGen plays it until stopped; imported as {DEFAULT_DURATION_SEC // 60} minutes"
        )
    if any(
        voice.kind == "binaural" and voice.beat_hz > 0
        for tone_set in seq.tone_sets.values()
        for voice in tone_set.voices
    ):
        warnings.append(
            "SBaGen's '+' puts the higher tone in the left ear; NeuroTune always puts it right (same beat)"
        )
    intent = _intent(seq, title)
    annotated = _annotated(seq, intent)
    if annotated is not None:
        return Converted(annotated, ["read back exactly as NeuroTune wrote it"])
    warnings += seq.warnings[len(warnings) :]
    knot_list, end_ms = knots(seq)
    converted = to_schedule(sounds(knot_list, end_ms), end_ms / 1000, intent, clamp, warnings)
    return converted


def _intent(seq: Sequence, title: str | None) -> str:
    for text in [*seq.description, title or ""]:
        cleaned = re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip(" -#")
        if cleaned:
            return cleaned[:100]
    return "imported session"


def _annotated(seq: Sequence, intent: str) -> ModulationSchedule | None:
    """The schedule NeuroTune wrote into the file, if the file is still exactly what it wrote."""
    sessions, steps = seq.annotations.get("session", []), seq.annotations.get("step", [])
    if len(sessions) != 1 or not steps:
        return None
    try:
        header = json.loads(sessions[0][0])
        schedule = ModulationSchedule(
            intent=header["intent"],
            total_duration_sec=header["total_duration_sec"],
            steps=[ModulationStep.model_validate_json(text) for text, _ in steps],
        )
        settings = ExportSettings(**header["export"])
    except (ValueError, KeyError, TypeError, ValidationError):
        seq.warnings.append("the file's NeuroTune notes cannot be read; its SBaGen lines are")
        return None
    if _content_of(export(schedule, settings)) != seq.content:
        seq.warnings.append("the file was changed after NeuroTune wrote it; its SBaGen lines are read")
        return None
    return schedule


def _content_of(text: str) -> list[str]:
    lines = (_split_comment(raw)[0] for raw in text.splitlines())
    return [" ".join(line.split()) for line in lines if line]


# --- export -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportSettings:
    """The listener's settings the file is written for: SBaGen has no volume cap or carrier choice."""

    carrier_hz: float = 200.0
    volume_cap: float = 0.5
    tone_volume: float = 1.0
    noise_volume: float = 1.0


def export(schedule: ModulationSchedule, settings: ExportSettings | None = None) -> str:
    """The schedule as a `.sbg` file that SBaGen+ (isochronic needs SBaGen+ or SBaGenX) plays as the
    same session: every channel slides (`==`) over each step's ramp, held in between."""
    settings = settings or ExportSettings()
    lines = [
        f"## {_comment_text(schedule.intent)}",
        f"## NeuroTune session, {schedule.total_duration_sec / 60:g} minutes; plays in SBaGen+ or SBaGenX.",
        "# neurotune session "
        + json.dumps(
            {
                "intent": schedule.intent,
                "total_duration_sec": schedule.total_duration_sec,
                "export": settings.__dict__,
            },
            separators=(",", ":"),
        ),
        "",
        "-SE",
        "",
        "# Channels: pink, brown, binaural (left lower), isochronic, ambient carrier and its two sidebands.",
    ]
    steps = schedule.steps
    for index, step in enumerate(steps):
        lines.append(f"s{index:02d}: " + " ".join(_voices(step, settings)))
    lines.append("")
    # The first line twice: SBaGen blends the last tone-set into the first around the first time;
    # a first period of no length keeps that blend out of the session.
    lines.append(f"{_clock(0)} == s00")
    for index, step in enumerate(steps):
        note = f"  # neurotune step {step.model_dump_json()}"
        if index == 0:
            lines.append(f"{_clock(0)} == s00{note}")
            continue
        glide_sec = step.ramp_duration_sec
        if _levels_change(steps[index - 1], step):
            glide_sec = max(glide_sec, 2.0)
        next_at = steps[index + 1].timestamp_sec if index + 1 < len(steps) else schedule.total_duration_sec
        end_sec = min(step.timestamp_sec + glide_sec, next_at)
        start = round(step.timestamp_sec)
        end = round(end_sec)
        if _changes(steps[index - 1], step):
            end = max(end, start + 1)
        if end > start:
            lines.append(f"{_clock(start)} == s{index - 1:02d} ->{note}")
            lines.append(f"{_clock(end)} == s{index:02d}")
        else:
            lines.append(f"{_clock(start)} == s{index:02d}{note}")
    lines.append(f"{_clock(schedule.total_duration_sec)} == s{len(steps) - 1:02d}")
    return "\n".join(lines) + "\n"


def _comment_text(text: str) -> str:
    return re.sub(r"[\x00-\x1f\x7f#]+", " ", text).strip()


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def _changes(a: ModulationStep, b: ModulationStep) -> bool:
    return _levels_change(a, b) or (a.binaural_freq, a.carrier_hz) != (b.binaural_freq, b.carrier_hz)


def _levels_change(a: ModulationStep, b: ModulationStep) -> bool:
    return (a.layer, a.noise, a.tone_level, a.noise_level) != (b.layer, b.noise, b.tone_level, b.noise_level)


def _amp(value: float) -> str:
    return f"{max(0.0, value):.4g}"


def _hz(value: float) -> str:
    return f"{value:.6g}"


def _voices(step: ModulationStep, settings: ExportSettings) -> Iterator[str]:
    """The step's channels, always in the same order so that `==` slides each one into the next."""
    cap = settings.volume_cap
    tone = (
        100
        * ENGINE_TONE_PEAK
        * cap
        * settings.tone_volume
        * (1.0 if step.tone_level is None else step.tone_level)
    )
    noise_level = cap * settings.noise_volume * (1.0 if step.noise_level is None else step.noise_level)
    noise_peak = (
        (ENGINE_NOISE_AMBIENT_PEAK * (1 - ENGINE_AM_DEPTH / 2))
        if step.layer == "ambient"
        else ENGINE_NOISE_BED_PEAK
    )
    for colour in ("pink", "brown"):
        rms = noise_peak * noise_level * ENGINE_NOISE_LOOP_RMS[colour] if step.noise == colour else 0.0
        yield f"{colour}/{_amp(40 * rms / SBAGEN_NOISE_RMS_AT_40[colour])}"
    carrier = step.carrier_hz if step.carrier_hz is not None else settings.carrier_hz
    beat = step.binaural_freq
    yield f"{_hz(carrier)}-{_hz(beat)}/{_amp(tone if step.layer == 'binaural' else 0)}"
    pulse = min(100.0, tone * ISOCHRONIC_LOUDNESS) if step.layer == "isochronic" else 0.0
    yield f"{_hz(carrier)}@{_hz(beat)}/{_amp(pulse)}"
    # Ambient without noise: the carrier at 1 - depth/2 with two sidebands at ±rate, depth/4 each,
    # is exactly the engine's amplitude modulation of the carrier.
    ambient = step.layer == "ambient" and step.noise == "none"
    yield f"{_hz(carrier)}/{_amp(tone * (1 - ENGINE_AM_DEPTH / 2) if ambient else 0)}"
    for sideband in (carrier - beat, carrier + beat):
        yield f"{_hz(sideband)}/{_amp(tone * ENGINE_AM_DEPTH / 4 if ambient else 0)}"
