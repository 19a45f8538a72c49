"""The intent catalogue: the kinds of session (families) and the classifier that maps free text to one.

A family holds the beat and tempo bands its hold stays in, how it sounds and how it ends. The
classifier is keyword matching over normalised text (lowercase, accents removed), in priority
order, so "panic before my exam" is anxiety relief and "deep focus: reading" is reading.
Classify once per request: everything downstream takes the family, not the text.
"""

import re
import unicodedata
from dataclasses import dataclass

from backend.schedules.limits import BEAT_HZ_MIN, BINAURAL_HZ_MAX, BPM_MAX, BPM_MIN
from backend.schedules.schedule import Layer, NoiseColour

INTENT_SCAN_CHARS = 1000
"""Intents are at most 100 characters in the API; reading further only costs time."""


@dataclass(frozen=True)
class IntentFamily:
    """A kind of session: the bands its hold stays in, how it sounds, and how it ends.

    Keywords are matched against normalised text (lowercase, accents removed, punctuation
    as spaces) at word starts: `"nap"` matches "nap" and "naps" but not "snap"; a trailing
    `*` makes a stem (`"concentr*"` matches "concentrate" and "concentración").
    """

    name: str
    beat_hz: tuple[float, float]
    bpm: tuple[int, int]
    wakes_at_end: bool
    keywords: tuple[str, ...]
    waypoint_hz: float | None = None
    """A level passed through on the way in (sleep pauses at theta before delta)."""
    layer: Layer = "binaural"
    noise: NoiseColour = "none"
    sleeps: bool = False
    """The listener is meant to fall asleep, so no extra stimulation is added for ADHD."""
    gentle_descent: bool = False
    """Glides downward at half the usual pace."""

    def __post_init__(self) -> None:
        low_hz, high_hz = self.beat_hz
        low_bpm, high_bpm = self.bpm
        if not BEAT_HZ_MIN <= low_hz <= high_hz <= BINAURAL_HZ_MAX:
            raise ValueError(f"{self.name}: beat band {self.beat_hz} is not inside the safety limits")
        if not BPM_MIN <= low_bpm <= high_bpm <= BPM_MAX:
            raise ValueError(f"{self.name}: BPM band {self.bpm} is not inside the safety limits")


def _keywords(listing: str) -> tuple[str, ...]:
    """Keywords written as one comma-separated line, so the table below stays readable."""
    return tuple(keyword.strip() for keyword in listing.split(","))


FAMILIES: tuple[IntentFamily, ...] = (
    # Anxiety words come first: someone who says "panic" gets calming, whatever else they say.
    IntentFamily(
        name="anxiety_relief",
        beat_hz=(6.0, 9.0),
        bpm=(55, 70),
        wakes_at_end=False,
        gentle_descent=True,
        keywords=_keywords(
            "anxi*, panic*, stress*, overwhelm*, worr*, nervous*, tense, tension, angst*, calm down,"
            "racing thoughts, on edge, ansie*, ansios*, estres*"
        ),
    ),
    # Before sleep, so "nap" in "power nap before sleep" decides.
    IntentFamily(
        name="power_nap",
        beat_hz=(4.0, 6.0),
        bpm=(55, 65),
        wakes_at_end=True,
        noise="brown",
        sleeps=True,
        keywords=_keywords("power nap, nap, napping, catnap, siesta, snooze, sieste, nickerchen"),
    ),
    IntentFamily(
        name="sleep",
        beat_hz=(1.5, 3.0),
        bpm=(50, 60),
        wakes_at_end=False,
        waypoint_hz=6.0,
        layer="ambient",
        noise="brown",
        sleeps=True,
        keywords=_keywords(
            "sleep*, asleep, insomn*, bedtime, schlaf*, einschlaf*, dormir, dormire, endormir, sommeil, sueno"
        ),
    ),
    # Meditation ends awake: the listener gets up and carries on with the day.
    IntentFamily(
        name="meditation",
        beat_hz=(5.0, 7.0),
        bpm=(55, 65),
        wakes_at_end=True,
        keywords=_keywords("medit*, mindful*, breath*, yoga, zen, pray*, contemplat*, body scan, achtsam*"),
    ),
    IntentFamily(
        name="relax",
        beat_hz=(8.0, 10.0),
        bpm=(60, 70),
        wakes_at_end=False,
        keywords=_keywords(
            "relax*, calm*, unwind*, chill*, wind down, decompress*, rest, resting, sooth*, tranquil*,"
            "peace*, entspann*, relaj*, detente"
        ),
    ),
    # Activities before the generic "focus" words: "deep focus: reading" is a reading session.
    IntentFamily(
        name="reading",
        beat_hz=(10.0, 14.0),
        bpm=(70, 90),
        wakes_at_end=False,
        keywords=_keywords(
            "read, reading, reader, reread*, book*, novel*, lesen, leer, lectura, lire, leggere"
        ),
    ),
    IntentFamily(
        name="focus",
        beat_hz=(14.0, 18.0),
        bpm=(90, 120),
        wakes_at_end=False,
        keywords=_keywords(
            "focus*, concentr*, konzentr*, enfoque, enfoc*, code, coding, coder, program*, develop*,"
            "debug*, study, studying, studies, estudi*, etudi*, learn*, lern*, work, working, homework,"
            "exam, examen, productiv*, deadline*, math*, research*, essay*, flow state, trabaj*,"
            "travail*, arbeit*"
        ),
    ),
    IntentFamily(
        name="creative",
        beat_hz=(7.0, 10.0),
        bpm=(80, 100),
        wakes_at_end=False,
        keywords=_keywords(
            "creativ*, kreativ*, brainstorm*, idea*, ideat*, imagin*, invent*, write, writing, writer,"
            "art, artwork, draw*, paint*, sketch*, design*, compos*, poem*, poetry, craft*, escribir,"
            "ecrire, schreib*"
        ),
    ),
    # Energise needs no return phase: it already ends in beta.
    IntentFamily(
        name="energise",
        beat_hz=(16.0, 20.0),
        bpm=(110, 130),
        wakes_at_end=False,
        layer="isochronic",
        keywords=_keywords(
            "energ*, wake up, waking up, awake, morning*, workout*, work out, exercis*, gym, cardio,"
            "jog*, sport*, motivat*, pump*, boost*, get going, despert*, aufwach*, reveil*"
        ),
    ),
    IntentFamily(name="general", beat_hz=(9.0, 11.0), bpm=(70, 80), wakes_at_end=False, keywords=()),
)
"""In priority order: the first family with a matching keyword wins; `general` catches the rest."""

_GENERAL = FAMILIES[-1]


def _keyword_pattern(keyword: str) -> str:
    if keyword.endswith("*"):
        return re.escape(keyword[:-1]) + r"\w*"
    return re.escape(keyword) + r"(?:e?s)?(?!\w)"


_FAMILY_PATTERNS: tuple[tuple[IntentFamily, re.Pattern[str]], ...] = tuple(
    (family, re.compile(r"(?<!\w)(?:" + "|".join(map(_keyword_pattern, family.keywords)) + ")"))
    for family in FAMILIES
    if family.keywords
)


def _normalise_for_matching(intent: str) -> str:
    """Lowercase, accents stripped ("concentración" -> "concentracion"), punctuation as spaces."""
    decomposed = unicodedata.normalize("NFKD", intent[:INTENT_SCAN_CHARS])
    bare = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", bare).split())


@dataclass(frozen=True)
class IntentMatch:
    """How an intent was read: its family, and the words that decided it (none for `general`)."""

    family: IntentFamily
    words: tuple[str, ...]


def match_intent(intent: str) -> IntentMatch:
    """The family whose keywords `intent` mentions first in priority order (else `general`),
    with the words of the intent that matched them, as normalised for matching."""
    text = _normalise_for_matching(intent)
    for family, pattern in _FAMILY_PATTERNS:
        words = tuple(dict.fromkeys(match.group(0) for match in pattern.finditer(text)))
        if words:
            return IntentMatch(family, words)
    return IntentMatch(_GENERAL, ())


def classify_intent(intent: str) -> IntentFamily:
    """The family whose keywords `intent` mentions first in priority order, else `general`."""
    return match_intent(intent).family


def family_named(name: str) -> IntentFamily | None:
    return next((family for family in FAMILIES if family.name == name), None)
