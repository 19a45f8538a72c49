"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

import ScheduleChart from "@/components/ScheduleChart";
import { loadToken } from "@/lib/api";
import { formatClock } from "@/lib/scheduleMath";
import type { components } from "@/lib/generated/apiSchema";

type ImportedSchedule = components["schemas"]["ImportedSchedule"];

/** FastAPI's `detail`: a sentence, or a list of `{loc, msg}` (a refused file's `msg` names its line). */
async function refusal(response: Response): Promise<string> {
  const body = (await response.json().catch(() => ({}))) as { detail?: unknown };
  if (typeof body.detail === "string") return body.detail;
  if (Array.isArray(body.detail)) return body.detail.map((item: { msg?: string }) => item.msg ?? "").join("; ");
  return `The server answered ${response.status}.`;
}

function authorised(init: RequestInit = {}): RequestInit {
  return { ...init, headers: { ...init.headers, Authorization: `Bearer ${loadToken() ?? ""}` } };
}

/**
 * Upload an SBaGen (.sbg) or Gnaural (.gnaural) file, see its schedule drawn with what was
 * approximated, then start it (POST /schedules/start), optionally keeping it as a preset.
 */
export default function ImportSchedule() {
  const router = useRouter();
  const [file, setFile] = useState<File | null>(null);
  const [clamp, setClamp] = useState(false);
  const [imported, setImported] = useState<ImportedSchedule | null>(null);
  const [presetName, setPresetName] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function read(): Promise<void> {
    if (!file) return;
    setBusy(true);
    setError("");
    setImported(null);
    const form = new FormData();
    form.append("file", file);
    const response = await fetch(`/schedules/import?clamp=${clamp}`, authorised({ method: "POST", body: form }));
    setBusy(false);
    if (!response.ok) {
      setError(await refusal(response));
      return;
    }
    const result = (await response.json()) as ImportedSchedule;
    setImported(result);
    setPresetName(result.schedule.intent.slice(0, 60));
  }

  async function start(keep: boolean): Promise<void> {
    if (!imported) return;
    setBusy(true);
    setError("");
    const json = { "Content-Type": "application/json" };
    const started = await fetch(
      "/schedules/start",
      authorised({ method: "POST", headers: json, body: JSON.stringify(imported.schedule) }),
    );
    if (!started.ok) {
      setBusy(false);
      setError(await refusal(started));
      return;
    }
    const { session_id: sessionId } = (await started.json()) as { session_id: number };
    if (keep) {
      const preset = await fetch(
        "/presets",
        authorised({ method: "POST", headers: json, body: JSON.stringify({ name: presetName, session_id: sessionId }) }),
      );
      if (!preset.ok) {
        setBusy(false);
        setError(`Started, but not kept as a preset: ${await refusal(preset)}`);
        return;
      }
    }
    router.push(`/session/?id=${sessionId}`);
  }

  return (
    <>
      <section className="panel" aria-labelledby="import-file-heading">
        <h2 id="import-file-heading">A session file</h2>
        <p className="muted">SBaGen (.sbg) or Gnaural (.gnaural). Nothing is kept until you start it.</p>
        <input
          id="import-file"
          type="file"
          accept=".sbg,.gnaural,.xml,text/plain,application/xml"
          aria-label="Session file"
          onChange={(event) => setFile(event.target.files?.[0] ?? null)}
        />
        <label>
          <input type="checkbox" checked={clamp} onChange={(event) => setClamp(event.target.checked)} /> Fit values
          outside the safety limits into them (every change is listed)
        </label>
        <button type="button" onClick={() => void read()} disabled={!file || busy}>
          Read the file
        </button>
        {error ? (
          <p role="alert" className="error">
            {error}
          </p>
        ) : null}
      </section>
      {imported ? (
        <section className="panel" aria-labelledby="import-result-heading">
          <h2 id="import-result-heading">
            {imported.schedule.intent} ({formatClock(imported.schedule.total_duration_sec)})
          </h2>
          <ScheduleChart schedule={imported.schedule} positionSec={0} />
          {imported.warnings.length > 0 ? (
            <>
              <h3>What plays differently</h3>
              <ul>
                {imported.warnings.map((warning) => (
                  <li key={warning}>{warning}</li>
                ))}
              </ul>
            </>
          ) : null}
          <button type="button" onClick={() => void start(false)} disabled={busy}>
            Start this session
          </button>{" "}
          <label htmlFor="preset-name">Preset name</label>{" "}
          <input id="preset-name" value={presetName} maxLength={60} onChange={(event) => setPresetName(event.target.value)} />{" "}
          <button type="button" onClick={() => void start(true)} disabled={busy || !presetName.trim()}>
            Start and keep as a preset
          </button>
        </section>
      ) : null}
    </>
  );
}
