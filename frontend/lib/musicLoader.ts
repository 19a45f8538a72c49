/**
 * Downloading a library track with progress, so the music picker can show how far it has got
 * before the (separate) decode. The stream URL is signed and needs no headers.
 */

export interface LoadProgress {
  loadedBytes: number;
  /** From Content-Length, else the size the library recorded, else unknown. */
  totalBytes: number | null;
}

/** Why a download failed; `expired` means a fresh signed URL (a list refetch) may succeed. */
export class TrackLoadError extends Error {
  constructor(
    message: string,
    readonly expired = false,
  ) {
    super(message);
    this.name = "TrackLoadError";
  }
}

function failure(status: number): TrackLoadError {
  if (status === 401 || status === 403) return new TrackLoadError("The track's link has expired.", true);
  if (status === 404) return new TrackLoadError("The track is no longer in the library (scan again?).");
  return new TrackLoadError(`The track could not be downloaded (HTTP ${status}).`);
}

/** Reads `url` whole, reporting progress after every chunk. Aborts with `signal`. */
export async function fetchTrackBytes(
  url: string,
  options: { signal?: AbortSignal; expectedBytes?: number | null; onProgress?: (progress: LoadProgress) => void } = {},
): Promise<ArrayBuffer> {
  const response = await fetch(url, { signal: options.signal });
  if (!response.ok) throw failure(response.status);
  const length = Number(response.headers.get("Content-Length"));
  const totalBytes = Number.isInteger(length) && length > 0 ? length : (options.expectedBytes ?? null);
  if (!response.body) return response.arrayBuffer();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loadedBytes = 0;
  options.onProgress?.({ loadedBytes, totalBytes });
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loadedBytes += value.byteLength;
    options.onProgress?.({ loadedBytes, totalBytes });
  }
  const bytes = new Uint8Array(loadedBytes);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes.buffer;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(0, Math.round(bytes / 1024))} kB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** "1.2 of 4.5 MB", or "1.2 MB" when the size is unknown. */
export function describeProgress({ loadedBytes, totalBytes }: LoadProgress): string {
  return totalBytes ? `${formatBytes(loadedBytes)} of ${formatBytes(totalBytes)}` : formatBytes(loadedBytes);
}
