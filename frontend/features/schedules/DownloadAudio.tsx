"use client";

import { useState } from "react";

import { loadToken } from "@/lib/api";

const FORMATS = [
  { value: "ogg", label: "Ogg Opus (small)" },
  { value: "mp3", label: "MP3" },
  { value: "flac", label: "FLAC (lossless)" },
  { value: "wav", label: "WAV" },
] as const;
type Format = (typeof FORMATS)[number]["value"];

/** The file name the server chose (Content-Disposition), else a plain one. */
function fileName(response: Response, format: Format): string {
  const match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") ?? "");
  return match?.[1] ?? `neurotune-session.${format}`;
}

/**
 * "Download as audio": the session rendered on the server (GET /sessions/{id}/render) with the
 * listener's preferences, saved as a file. A link cannot carry the Bearer token, so the file is
 * fetched and handed to the browser as a download.
 */
export default function DownloadAudio({ sessionId }: { sessionId: number }) {
  const [format, setFormat] = useState<Format>("ogg");
  const [status, setStatus] = useState<{ busy: boolean; message: string }>({ busy: false, message: "" });

  async function download(): Promise<void> {
    setStatus({ busy: true, message: "Rendering…" });
    try {
      const response = await fetch(`/sessions/${sessionId}/render?format=${format}`, {
        headers: { Authorization: `Bearer ${loadToken() ?? ""}` },
      });
      if (!response.ok) {
        const body = (await response.json().catch(() => null)) as { detail?: unknown } | null;
        const detail = typeof body?.detail === "string" ? body.detail : `the server answered ${response.status}`;
        throw new Error(detail);
      }
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement("a");
      link.href = url;
      link.download = fileName(response, format);
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setStatus({ busy: false, message: "Downloaded." });
    } catch (error) {
      setStatus({ busy: false, message: `The audio could not be made: ${error instanceof Error ? error.message : String(error)}` });
    }
  }

  return (
    <div className="download-audio">
      <label htmlFor={`download-format-${sessionId}`}>Format</label>{" "}
      <select
        id={`download-format-${sessionId}`}
        value={format}
        onChange={(event) => setFormat(event.target.value as Format)}
        disabled={status.busy}
      >
        {FORMATS.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>{" "}
      <button type="button" onClick={() => void download()} disabled={status.busy}>
        Download as audio
      </button>{" "}
      <span role="status" className="muted">
        {status.message}
      </span>
    </div>
  );
}
