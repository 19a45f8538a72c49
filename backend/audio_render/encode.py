"""Rendered sessions as audio files: WAV, FLAC, Ogg/Opus and MP3, written a block at a time.

WAV is streamed as it is rendered: its size is known before the first sample, so the header comes
first and every block follows as 16-bit PCM. FLAC, Ogg/Opus and MP3 go through libsndfile (the
`soundfile` package), whose encoders go back to the start of the file when they finish (FLAC's
STREAMINFO, MP3's Xing header), so they are encoded block by block into a temporary file that is
then read out; memory stays bounded either way. Opus only takes 48 kHz, so Ogg renders at 48 kHz.
"""

import struct
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import BinaryIO, Literal

import numpy as np
import soundfile

from backend.audio_render.synth import Block, RenderSettings, frame_count, render
from backend.schedules.schedule import ModulationSchedule

FormatName = Literal["wav", "flac", "ogg", "mp3"]
Progress = Callable[[int, int], None]
"""Called with (frames rendered, frames in all) after each block."""

_CHUNK_BYTES = 1 << 16
_PCM16_FULL_SCALE = 32767.0


@dataclass(frozen=True)
class AudioFormat:
    name: FormatName
    media_type: str
    sample_rate: int
    container: str
    subtype: str
    streamed: bool
    """Sent as it is rendered (WAV), or encoded to a temporary file first."""


FORMATS: dict[FormatName, AudioFormat] = {
    "wav": AudioFormat("wav", "audio/wav", 44_100, "WAV", "PCM_16", streamed=True),
    "flac": AudioFormat("flac", "audio/flac", 44_100, "FLAC", "PCM_16", streamed=False),
    "ogg": AudioFormat("ogg", "audio/ogg", 48_000, "OGG", "OPUS", streamed=False),
    "mp3": AudioFormat("mp3", "audio/mpeg", 44_100, "MP3", "MPEG_LAYER_III", streamed=False),
}


def writable_formats() -> list[FormatName]:
    """The formats this machine's libsndfile can write (MP3 and Opus need libsndfile >= 1.1)."""
    available = soundfile.available_formats()
    return [
        name
        for name, spec in FORMATS.items()
        if spec.container in available and spec.subtype in soundfile.available_subtypes(spec.container)
    ]


def for_format(settings: RenderSettings, name: FormatName) -> RenderSettings:
    """The settings at the format's sample rate."""
    return replace(settings, sample_rate=FORMATS[name].sample_rate)


def wav_header(frames: int, sample_rate: int, channels: int = 2) -> bytes:
    """A canonical 44-byte RIFF/WAVE header for 16-bit PCM of `frames` frames."""
    block_align = channels * 2
    data_bytes = frames * block_align
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, sample_rate, sample_rate * block_align, block_align, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


def pcm16(block: Block) -> bytes:
    samples: bytes = np.rint(block * _PCM16_FULL_SCALE).astype("<i2").tobytes()
    return samples


def encoded(
    schedule: ModulationSchedule,
    settings: RenderSettings,
    name: FormatName,
    progress: Progress | None = None,
) -> Iterator[bytes]:
    """The session as the bytes of a `name` file, in chunks, rendered as they are asked for.

    The schedule is validated before anything is produced (ScheduleRejected), so a caller that
    takes the first chunk knows the render has started safely.
    """
    settings = for_format(settings, name)
    blocks = render(schedule, settings)  # validates now, not at the first chunk
    total = frame_count(schedule, settings.sample_rate)
    if FORMATS[name].streamed:
        return _wav_chunks(blocks, total, settings.sample_rate, progress)
    return _encoded_chunks(blocks, total, settings.sample_rate, FORMATS[name], progress)


def write(
    schedule: ModulationSchedule,
    settings: RenderSettings,
    name: FormatName,
    sink: BinaryIO,
    progress: Progress | None = None,
) -> None:
    """Renders the session into `sink` (a file open for binary writing)."""
    for chunk in encoded(schedule, settings, name, progress):
        sink.write(chunk)


def _wav_chunks(
    blocks: Iterator[Block], total: int, sample_rate: int, progress: Progress | None
) -> Iterator[bytes]:
    yield wav_header(total, sample_rate)
    done = 0
    for block in blocks:
        yield pcm16(block)
        done += len(block)
        if progress:
            progress(done, total)


def _encoded_chunks(
    blocks: Iterator[Block], total: int, sample_rate: int, spec: AudioFormat, progress: Progress | None
) -> Iterator[bytes]:
    with tempfile.TemporaryFile() as spool:
        with soundfile.SoundFile(
            spool,
            mode="w",
            samplerate=sample_rate,
            channels=2,
            format=spec.container,
            subtype=spec.subtype,
        ) as audio:
            done = 0
            for block in blocks:
                audio.write(block)
                done += len(block)
                if progress:
                    progress(done, total)
        spool.seek(0)
        while chunk := spool.read(_CHUNK_BYTES):
            yield chunk
