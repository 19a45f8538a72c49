"""Gnaural `.gnaural` schedules (XML), read with a hardened parser.

defusedxml's SAX reader refuses DTDs, entity declarations (the "billion laughs" bomb) and external
entities before any of them is expanded; elements, entries and text are counted and bounded, and
every number must be finite and in range. Each element's line is kept for errors.

Gnaural's model: each voice is a list of nodes (entries) with a duration; a voice's values glide
linearly from one node to the next, the last towards the first; all voices play together and the
schedule ends when the shortest voice does (its `totaltime` is often stale). Binaural (type 0) and
isochronic (3, 4) voices are tones, pink noise (1) is the noise bed; audio files (2), water drops
(5) and rain (6) have no NeuroTune equivalent and are left out with a warning.
"""

import math
import xml.sax
from dataclasses import dataclass, field
from xml.sax.xmlreader import Locator

from defusedxml import DefusedXmlException
from defusedxml.sax import parseString

from backend.schedule_files.errors import FileRefused
from backend.schedule_files.timeline import Breakpoint, Converted, Sound, to_schedule

MAX_FILE_BYTES = 1 << 20
MAX_ELEMENTS = 50_000
MAX_VOICES = 64
MAX_ENTRIES = 20_000
MAX_TEXT_CHARS = 10_000
MAX_LOOPS = 100

_TONE_TYPES = {0: "binaural", 3: "isochronic", 4: "isochronic"}
_NOISE_TYPE = 1
_TYPE_NAMES = {2: "an audio file", 5: "water drops", 6: "rain"}
_ENGINE_TONE_PEAK = 0.2
_ENGINE_NOISE_BED_PEAK = 0.1


@dataclass
class Entry:
    duration_sec: float
    base_hz: float
    beat_hz: float
    volume: float
    line: int


@dataclass
class Voice:
    line: int
    type: int = 0
    muted: bool = False
    entries: list[Entry] = field(default_factory=list)

    @property
    def duration_sec(self) -> float:
        return sum(entry.duration_sec for entry in self.entries)


@dataclass
class Document:
    title: str = ""
    description: str = ""
    loops: int = 1
    voices: list[Voice] = field(default_factory=list)


class _Reader(xml.sax.ContentHandler):
    """Builds a `Document`, counting everything it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.document = Document()
        self._locator: Locator | None = None
        self._path: list[str] = []
        self._text: list[str] = []
        self._elements = 0
        self._entries = 0

    def setDocumentLocator(self, locator: Locator) -> None:
        self._locator = locator

    @property
    def line(self) -> int:
        line = self._locator.getLineNumber() if self._locator is not None else None
        return line or 0

    def startElement(self, name: str, attrs: "xml.sax.xmlreader.AttributesImpl") -> None:
        self._elements += 1
        if self._elements > MAX_ELEMENTS:
            raise FileRefused(f"more than {MAX_ELEMENTS} XML elements", self.line)
        if not self._path and name != "schedule":
            raise FileRefused(f"<{name}> is not a Gnaural schedule (<schedule>)", self.line)
        self._path.append(name)
        self._text = []
        if name == "voice" and self._path[:-1] == ["schedule"]:
            if len(self.document.voices) >= MAX_VOICES:
                raise FileRefused(f"more than {MAX_VOICES} voices", self.line)
            self.document.voices.append(Voice(line=self.line))
        elif name == "entry" and self._path[-3:-1] == ["voice", "entries"]:
            self._entries += 1
            if self._entries > MAX_ENTRIES:
                raise FileRefused(f"more than {MAX_ENTRIES} entries", self.line)
            self.document.voices[-1].entries.append(self._entry(attrs))

    def characters(self, content: str) -> None:
        self._text.append(content)
        if sum(len(part) for part in self._text) > MAX_TEXT_CHARS:
            raise FileRefused(f"an element holds more than {MAX_TEXT_CHARS} characters", self.line)

    def endElement(self, name: str) -> None:
        text = "".join(self._text).strip()
        self._text = []
        parent = self._path[-2] if len(self._path) > 1 else None
        if parent == "schedule":
            if name == "title":
                self.document.title = text
            elif name == "schedule_description":
                self.document.description = text
            elif name == "loops":
                self.document.loops = int(self._number(text, "loops", 0, MAX_LOOPS))
        elif parent == "voice" and self.document.voices:
            voice = self.document.voices[-1]
            if name == "type":
                voice.type = int(self._number(text, "voice type", 0, 99))
            elif name == "voice_mute":
                voice.muted = self._number(text, "voice_mute", 0, 1) == 1
        self._path.pop()

    def _entry(self, attrs: "xml.sax.xmlreader.AttributesImpl") -> Entry:
        def value(name: str, low: float, high: float) -> float:
            if name not in attrs:
                raise FileRefused(f"an entry without {name}", self.line)
            return self._number(attrs[name], name, low, high)

        left = value("volume_left", 0, 1)
        right = value("volume_right", 0, 1)
        return Entry(
            duration_sec=value("duration", 0, 86_400),
            base_hz=value("basefreq", 0, 20_000),
            beat_hz=abs(value("beatfreq", -1_000, 1_000)),
            volume=(left + right) / 2,
            line=self.line,
        )

    def _number(self, text: str, what: str, low: float, high: float) -> float:
        try:
            number = float(text)
        except ValueError:
            raise FileRefused(f"{what} '{text[:40]}' is not a number", self.line) from None
        if not math.isfinite(number) or not low <= number <= high:
            raise FileRefused(f"{what} {text[:40]} is outside {low:g}-{high:g}", self.line)
        return number


def read_document(data: bytes) -> Document:
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(f"the file is {len(data)} bytes; at most {MAX_FILE_BYTES} are read")
    reader = _Reader()
    try:
        parseString(data, reader, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as refused:
        raise FileRefused(
            f"XML declarations are refused ({type(refused).__name__}): no DTDs, entities or external "
            "references",
            reader.line or None,
        ) from None
    except xml.sax.SAXParseException as error:
        raise FileRefused(f"not well-formed XML: {error.getMessage()}", error.getLineNumber()) from None
    return reader.document


def import_gnaural(data: bytes, clamp: bool = False, title: str | None = None) -> Converted:
    document = read_document(data)
    warnings: list[str] = []
    voices = []
    for voice in document.voices:
        if not voice.entries:
            continue
        if voice.muted:
            warnings.append(f"line {voice.line}: a muted voice is left out")
        elif voice.type in _TONE_TYPES or voice.type == _NOISE_TYPE:
            voices.append(voice)
        else:
            kind = _TYPE_NAMES.get(voice.type, f"voice type {voice.type}")
            warnings.append(f"line {voice.line}: {kind} has no NeuroTune equivalent and is left out")
    timed = [voice for voice in document.voices if voice.entries]
    if not voices or not timed:
        raise FileRefused("the schedule has no tone or noise voice with entries")
    length_sec = min(voice.duration_sec for voice in timed)
    if length_sec <= 0:
        raise FileRefused("the schedule's voices last no time at all")
    tones = [voice for voice in voices if voice.type in _TONE_TYPES]
    if len(tones) > 1:
        warnings.append(f"{len(tones)} tone voices; NeuroTune plays the strongest at each moment")
    loops = document.loops
    if loops < 1:
        warnings.append("the schedule loops forever in Gnaural; imported once")
        loops = 1
    points = _breakpoints(voices, length_sec)
    total_sec = length_sec * loops
    if loops > 1:
        points = [
            Breakpoint(point.time_sec + length_sec * loop, point.sound, point.line)
            for loop in range(loops)
            for point in points
            if point.time_sec + length_sec * loop <= min(total_sec, 4 * 14_400)
        ]
    intent = (document.title or title or "imported session").strip()[:100] or "imported session"
    return to_schedule(points, total_sec, intent, clamp, warnings)


def _breakpoints(voices: list[Voice], length_sec: float) -> list[Breakpoint]:
    """The sound at every node of every voice (and the end), each voice interpolated between nodes."""
    times = sorted(
        {0.0, length_sec} | {start for voice in voices for start, _ in _starts(voice) if start <= length_sec}
    )
    result = []
    for time_sec in times:
        tone: tuple[Voice, Entry, float, float, float] | None = None
        noise_volume = 0.0
        line = 0
        for voice in voices:
            base_hz, beat_hz, volume, entry = _at(voice, time_sec)
            line = max(line, entry.line)
            if voice.type == _NOISE_TYPE:
                noise_volume = max(noise_volume, volume)
            elif tone is None or volume > tone[4]:
                tone = (voice, entry, base_hz, beat_hz, volume)
        assert tone is not None or noise_volume >= 0
        sound = Sound(
            beat_hz=tone[3] if tone else 10.0,
            carrier_hz=tone[2] if tone else 200.0,
            layer="isochronic" if tone and _TONE_TYPES[tone[0].type] == "isochronic" else "binaural",
            tone_gain=(tone[4] / _ENGINE_TONE_PEAK) if tone else 0.0,
            noise="pink" if any(voice.type == _NOISE_TYPE for voice in voices) else "none",
            noise_gain=noise_volume / _ENGINE_NOISE_BED_PEAK,
        )
        result.append(Breakpoint(time_sec, sound, line))
    return result


def _starts(voice: Voice) -> list[tuple[float, Entry]]:
    result, start = [], 0.0
    for entry in voice.entries:
        result.append((start, entry))
        start += entry.duration_sec
    return result


def _at(voice: Voice, time_sec: float) -> tuple[float, float, float, Entry]:
    """The voice's (base, beat, volume) at `time_sec`: node values glide to the next node's."""
    starts = _starts(voice)
    for index, (start, entry) in enumerate(starts):
        end = start + entry.duration_sec
        if time_sec < end or index == len(starts) - 1:
            following = starts[(index + 1) % len(starts)][1]
            share = 0.0 if entry.duration_sec <= 0 else min(1.0, (time_sec - start) / entry.duration_sec)

            def glide(a: float, b: float, share: float = share) -> float:
                return a + (b - a) * share

            return (
                glide(entry.base_hz, following.base_hz),
                glide(entry.beat_hz, following.beat_hz),
                glide(entry.volume, following.volume),
                entry,
            )
    raise AssertionError("a voice with entries has a node at every time")
