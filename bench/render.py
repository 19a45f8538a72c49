"""Rendering sessions to audio on the server, and importing a large SBaGen file.

Run: `.venv/bin/python -m bench.render`. One core (numpy's own threads are not used by the renderer).

- render: a planner-like session (binaural arrival, isochronic hold with pink noise, an ambient
  stretch with brown noise, binaural return) of 10, 60 and 240 minutes rendered to 16-bit WAV bytes
  (the streamed format), timed, with the peak memory Python allocated while rendering (tracemalloc:
  numpy's buffers are counted). Target: >= 500x real time for 60 minutes, < 100 MB for 240.
- baseline in the same run: the same graph computed one sample at a time in plain Python (math.sin
  per oscillator), timed over 10 s of the session and extrapolated to its length (a full 60-minute
  run would take the better part of an hour).
- encoders: the 10-minute session as FLAC, Ogg/Opus and MP3 through libsndfile.
- import: a generated 10,000-line .sbg (5,000 tone-sets, 5,000 time lines sliding the beat) read,
  run through SBaGen's period model and made into a schedule.
"""

import math
import random
import time
import tracemalloc

from backend.audio_render.encode import encoded, pcm16
from backend.audio_render.levels import (
    AM_DEPTH,
    NOISE_AMBIENT_PEAK,
    NOISE_BED_PEAK,
    TONE_PEAK,
)
from backend.audio_render.synth import RenderSettings, render
from backend.schedule_files.sbg import import_sbg
from backend.schedules.schedule import ModulationSchedule, ModulationStep

TARGET_SPEED = 500
BASELINE_SEC = 10


def session(minutes: int) -> ModulationSchedule:
    total = minutes * 60

    def at(share: float) -> float:
        return round(total * share)

    steps = [
        ModulationStep(
            timestamp_sec=0,
            target_bpm=70,
            binaural_freq=10,
            ramp_duration_sec=0,
            layer="binaural",
            noise="pink",
        ),
        ModulationStep(
            timestamp_sec=at(0.1),
            target_bpm=80,
            binaural_freq=14,
            ramp_duration_sec=40,
            layer="isochronic",
            noise="pink",
        ),
        ModulationStep(
            timestamp_sec=at(0.5),
            target_bpm=75,
            binaural_freq=8,
            ramp_duration_sec=60,
            layer="ambient",
            noise="brown",
        ),
        ModulationStep(
            timestamp_sec=at(0.8),
            target_bpm=70,
            binaural_freq=10,
            ramp_duration_sec=30,
            layer="binaural",
            noise="none",
        ),
    ]
    return ModulationSchedule(intent="bench", total_duration_sec=total, steps=steps)


def render_wav(schedule: ModulationSchedule) -> int:
    size = 0
    for block in render(schedule, RenderSettings()):
        size += len(pcm16(block))
    return size


def render_speed(schedule: ModulationSchedule) -> tuple[float, float]:
    """(wall seconds, CPU seconds) to render the session to WAV bytes. On a shared machine the CPU
    time is the one-core figure; the wall time also counts waiting for the core."""
    wall, cpu = time.perf_counter(), time.process_time()
    size = render_wav(schedule)
    assert size == schedule.total_duration_sec * 44_100 * 4
    return time.perf_counter() - wall, time.process_time() - cpu


def render_peak_mib(schedule: ModulationSchedule) -> float:
    """Peak memory Python (numpy included) allocated while rendering, in a pass of its own."""
    tracemalloc.start()
    render_wav(schedule)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


def naive_speed(seconds: int = BASELINE_SEC) -> float:
    """Times real time (CPU) of a per-sample Python loop over the same graph, over `seconds`."""
    rate = 44_100
    rng = random.Random(0)
    carrier, beat = 200.0, 10.0
    phase_l = phase_r = phase_c = phase_m = 0.0
    pink = [0.0] * 7
    started = time.process_time()
    out = []
    for n in range(seconds * rate):
        t = n / rate
        fade = min(1.0, t / 3)
        layer_mix = min(1.0, t / 30)  # a crossfade in progress, as the renderer computes it
        phase_l += (carrier - beat / 2) / rate
        phase_r += (carrier + beat / 2) / rate
        phase_c += carrier / rate
        phase_m += beat / rate
        x = math.sin(2 * math.pi * phase_m)
        edge = min(1.0, max(0.0, ((x + 1) / 2 - 0.2) / 0.6))
        gate = 0.5 - 0.5 * math.cos(math.pi * edge)
        am = 1 - AM_DEPTH * (1 - x) / 2
        white = rng.random() * 2 - 1
        pink[0] = 0.99886 * pink[0] + white * 0.0555179
        pink[1] = 0.99332 * pink[1] + white * 0.0750759
        pink[2] = 0.969 * pink[2] + white * 0.153852
        noise = (pink[0] + pink[1] + pink[2] + white * 0.5362) * 0.2
        mono = math.sin(2 * math.pi * phase_c) * TONE_PEAK * layer_mix * gate
        bed = noise * (NOISE_BED_PEAK * (1 - layer_mix) + NOISE_AMBIENT_PEAK * layer_mix * am)
        left = (math.sin(2 * math.pi * phase_l) * TONE_PEAK * (1 - layer_mix) + mono + bed) * fade * 0.5
        right = (math.sin(2 * math.pi * phase_r) * TONE_PEAK * (1 - layer_mix) + mono + bed) * fade * 0.5
        out.append((left, right))
    return seconds / (time.process_time() - started)


def encoder_speed(schedule: ModulationSchedule, name: str) -> float:
    started = time.perf_counter()
    for _ in encoded(schedule, RenderSettings(), name):  # type: ignore[arg-type]
        pass
    return schedule.total_duration_sec / (time.perf_counter() - started)


def large_sbg(lines: int = 10_000) -> bytes:
    """`lines` lines: half tone-sets, half time lines, one a second, the beat 1 mHz higher each."""
    sets = (lines - 2) // 2
    text = ["## A long slide, generated for bench/render.py", "-SE"]
    text += [f"s{i}: pink/30 200-{4 + i / 1000:.3f}/20" for i in range(sets)]
    text += [f"{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d} == s{i} ->" for i in range(sets - 1)]
    last = sets - 1
    text.append(f"{last // 3600:02d}:{last // 60 % 60:02d}:{last % 60:02d} == s{last}")
    return "\n".join(text).encode()


def main() -> None:
    baseline = naive_speed()
    print("render to 16-bit WAV bytes, one core; x real time = session length / CPU time (wall in brackets)")
    print(
        f"{'session':>8} {'CPU s':>7} {'x real time':>18} {'peak MiB':>9} {'naive loop':>11} {'speed-up':>9}"
    )
    for minutes in (10, 60, 240):
        schedule = session(minutes)
        wall, cpu = render_speed(schedule)
        peak = render_peak_mib(schedule)
        speed = schedule.total_duration_sec / cpu
        flag = "" if minutes != 60 or speed >= TARGET_SPEED else f"  BELOW TARGET {TARGET_SPEED}x"
        print(
            f"{minutes:>5} min {cpu:>7.2f} {speed:>7.0f}x ({schedule.total_duration_sec / wall:>5.0f}x wall) "
            f"{peak:>9.1f} {baseline:>10.1f}x {speed / baseline:>8.0f}x{flag}"
        )
    print(
        f"naive loop: the same graph one sample at a time in Python, {BASELINE_SEC} s timed and extrapolated"
    )
    print("\nencoders (10-minute session through libsndfile)")
    for name in ("flac", "ogg", "mp3"):
        print(f"{name:>8} {encoder_speed(session(10), name):>8.0f}x real time")
    data = large_sbg()
    started = time.perf_counter()
    imported = import_sbg(data)
    seconds = time.perf_counter() - started
    line_count = data.count(b"\n") + 1
    print(
        f"\nimport: {line_count} lines ({len(data) / 1024:.0f} KiB) in {seconds * 1000:.0f} ms, "
        f"{len(imported.schedule.steps)} steps after merging straight glides"
    )


if __name__ == "__main__":
    main()
