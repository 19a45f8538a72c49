"use client";

import { useEffect, useRef } from "react";

import { smoothLevels } from "@/lib/flashSafety";
import { clamp } from "@/lib/safetyLimits";

interface Props {
  /** Magnitudes in dB (as from an analyser); null while nothing plays. */
  readSpectrum: (() => Float32Array | null) | null;
  reducedMotion: boolean;
}

const BARS = 48;
const MIN_DB = -100;
const MAX_DB = -20;

/**
 * A small, calm spectrum. Levels pass through the flash-safety low-pass (lib/flashSafety.ts), so
 * it cannot flicker at the beat rate; with reduced motion it is not animated at all.
 */
export default function AudioVisualizer({ readSpectrum, reducedMotion }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const element = canvas.current;
    const context = element?.getContext("2d");
    if (!element || !context || !readSpectrum || reducedMotion) return;
    let levels: Float32Array = new Float32Array(BARS);
    let last = performance.now();
    let frame = 0;
    const draw = (now: number) => {
      const spectrum = readSpectrum();
      const target = new Float32Array(BARS);
      if (spectrum) {
        const perBar = Math.max(1, Math.floor(spectrum.length / 4 / BARS)); // the low quarter holds the tones
        for (let bar = 0; bar < BARS; bar += 1) {
          let sum = 0;
          for (let k = 0; k < perBar; k += 1) sum += spectrum[bar * perBar + k] ?? MIN_DB;
          target[bar] = clamp((sum / perBar - MIN_DB) / (MAX_DB - MIN_DB), 0, 1);
        }
      }
      levels = smoothLevels(levels, target, (now - last) / 1000);
      last = now;
      context.clearRect(0, 0, element.width, element.height);
      context.fillStyle = "#8fb8de";
      const width = element.width / BARS;
      levels.forEach((level, bar) => {
        const height = level * element.height;
        context.fillRect(bar * width + 1, element.height - height, width - 2, height);
      });
      frame = requestAnimationFrame(draw);
    };
    frame = requestAnimationFrame(draw);
    return () => cancelAnimationFrame(frame);
  }, [readSpectrum, reducedMotion]);

  return (
    <canvas
      ref={canvas}
      width={480}
      height={80}
      className="chart"
      role="img"
      aria-label={reducedMotion ? "Spectrum display paused (reduced motion)" : "Spectrum of the sound now playing"}
    />
  );
}
