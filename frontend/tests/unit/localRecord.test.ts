import { describe, expect, it } from "vitest";

import { forgetLocalRecord, readLocalRecord, writeLocalRecord, type LocalRecord } from "@/features/session/localRecord";

function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, value),
  };
}

const record = (savedAtMs: number): LocalRecord => ({
  v: 1,
  savedAtMs,
  listening: true,
  beat: { mode: "manual", fromHz: 10, targetHz: 6, atSec: 30 },
  volume: 0.4,
  carrierHz: 210,
  balance: -0.25,
  layers: { binaural: true, isochronic: false, ambient: true },
  noiseOn: false,
  mix: { tone: 0.6, noise: 1, music: 0.8 },
  entrainMusic: true,
  track: null,
});

describe("what this device keeps of a session", () => {
  it("reads back what it wrote, per session, until forgotten", () => {
    const storage = memoryStorage();
    writeLocalRecord(7, record(1000), storage);
    expect(readLocalRecord(7, storage)).toEqual(record(1000));
    expect(readLocalRecord(8, storage)).toBeNull();
    forgetLocalRecord(7, storage);
    expect(readLocalRecord(7, storage)).toBeNull();
  });

  it("ignores records it cannot trust", () => {
    const storage = memoryStorage();
    storage.setItem("neurotune.session.7", "{broken");
    expect(readLocalRecord(7, storage)).toBeNull();
    storage.setItem("neurotune.session.7", JSON.stringify({ v: 2, listening: true }));
    expect(readLocalRecord(7, storage)).toBeNull();
  });

  it("forgets other sessions' records two days after their last write", () => {
    const storage = memoryStorage();
    const day = 24 * 3600 * 1000;
    writeLocalRecord(1, record(0), storage);
    writeLocalRecord(2, record(day), storage);
    writeLocalRecord(3, record(2.5 * day), storage);
    expect(readLocalRecord(1, storage)).toBeNull();
    expect(readLocalRecord(2, storage)).not.toBeNull();
    expect(storage.getItem("neurotune.token")).toBeNull();
  });
});
