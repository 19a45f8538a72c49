"""Every numeric bound a modulation schedule must respect, in one place.

The validator enforces these; the planner aims well inside them; tests read them from here.
Change a bound here and every gate and generator follows.
"""

import re
from typing import Final

BEAT_HZ_MIN: Final = 0.5
"""Below half a beat per second the pulse is no longer heard as a rhythm, only as a wobble."""

BINAURAL_HZ_MAX: Final = 30.0
"""Binaural beats fade perceptually above ~30 Hz: the two ears' tones are heard as two tones."""

MODULATION_HZ_MAX: Final = 40.0
"""Isochronic and ambient modulation stay at or below gamma's 40 Hz; faster gating buzzes."""

BPM_MIN: Final = 40
"""Slower than a resting heart rate in deep sleep; below that the music layer loses its pulse."""

BPM_MAX: Final = 200
"""Faster than any sustainable listening tempo; above it beats blur into texture."""

MAX_STEPS: Final = 64
"""Bounds the work the browser does per session and the size of a stored schedule."""

MAX_BEAT_RATE_HZ_PER_SEC: Final = 0.2
"""The beat may glide no faster than 1 Hz per 5 s: faster jumps are jarring and can feel unsettling."""

MAX_BPM_RATE_PER_SEC: Final = 1.0
"""Tempo may glide no faster than 1 BPM per second, so a tempo change reads as drift, not a jolt."""

STEP_CARRIER_HZ_MIN: Final = 50.0
STEP_CARRIER_HZ_MAX: Final = 1000.0
"""A step's own carrier (imported sessions): SBaGen's guidance is 50-1000 Hz, "above 1000-1500 of no
use"; we stop at 1000 because the ear is most sensitive near 1-4 kHz, so a higher carrier at the same
level sounds louder than the ~200 Hz the listener calibrated their volume cap on. The listener's own
carrier preference stays 100-500 Hz (schedules.listener)."""

MAX_CARRIER_RATE_HZ_PER_SEC: Final = 10.0
"""A step's carrier glides no faster than 10 Hz/s (under a semitone a second at 200 Hz): a pitch slide,
never a jump."""

DURATION_MIN_SEC: Final = 60
"""Under a minute there is no time to ramp anywhere safely."""

DURATION_MAX_SEC: Final = 14_400
"""Four hours: the longest session the API offers (240 min)."""

INTENT_MAX_CHARS: Final = 100
"""Matches the API's intent field; longer text is prompt material, not a label."""

INTENT_FORBIDDEN_CHARS: Final = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
"""Control characters break logs and drivers; lone surrogates cannot be encoded as UTF-8 at all."""

LLM_RESPONSE_MAX_BYTES: Final = 64 * 1024
"""A full 64-step schedule is ~10 KiB of JSON; anything much larger is a runaway generation."""

FLOAT_SLACK: Final = 1e-9
"""Absorbs binary rounding in sums and rates (10.1 + 9.9 vs 20.0); far below anything audible."""
